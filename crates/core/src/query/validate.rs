use std::fmt;

/// One broken rule: which field (readable name and wire name) and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The readable name of the field (`call_id`, `page_size`, ...), or
    /// `selection` for rules about the combination of fields.
    pub field: &'static str,
    /// The wire parameter (`cd_id`, `maxreg`, ...), empty for `selection`.
    pub wire: &'static str,
    /// The rule, in words, with the offending value when it is not secret.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wire.is_empty() || self.wire == self.field {
            write!(f, "{}: {}", self.field, self.rule)
        } else {
            write!(f, "{} ({}): {}", self.field, self.wire, self.rule)
        }
    }
}

/// A query that must not be sent: every problem found, not just the first.
///
/// ```
/// use velip_core::query::Query;
/// let err = Query::builder().call_id("x_").page_size(0).build().unwrap_err();
/// assert_eq!(err.violations().len(), 2);
/// assert_eq!(err.violations()[0].field, "call_id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    violations: Vec<Violation>,
}

impl ValidationError {
    pub(crate) fn new(violations: Vec<Violation>) -> Self {
        Self { violations }
    }

    /// A validation error with a single violation (for callers that check
    /// inputs of their own, such as a binding converting arguments).
    pub fn single(field: &'static str, wire: &'static str, rule: impl Into<String>) -> Self {
        Self::new(vec![Violation {
            field,
            wire,
            rule: rule.into(),
        }])
    }

    /// Every violation, in field order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.violations.as_slice() {
            [one] => write!(f, "invalid query: {one}"),
            many => {
                write!(f, "invalid query ({} problems): ", many.len())?;
                for (i, v) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// Collects violations while a builder is checked.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) violations: Vec<Violation>,
}

impl Checker {
    pub(crate) fn fail(
        &mut self,
        field: &'static str,
        wire: &'static str,
        rule: impl Into<String>,
    ) {
        self.violations.push(Violation {
            field,
            wire,
            rule: rule.into(),
        });
    }
}

/// A value shortened for quoting in a message (at most 40 characters).
pub(crate) fn quote(value: &str) -> String {
    let mut out: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}
