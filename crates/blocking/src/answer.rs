//! From an HTTP answer to a page or an error: secrets scrubbed from
//! everything the server sent, then core's answer classifier decides what
//! it means ([`velip_core::decode::classify_answer`]). A successful answer
//! can also be handed on undecoded (its head read, its records not yet),
//! so that a walk requests the next page before decoding this one.

use velip_core::decode::{AnswerHead, HttpAnswer, classify_answer, classify_head};
use velip_core::scrub::Scrubber;
use velip_core::{Cursor, DecodeOptions, Page};

use crate::Error;
use crate::transport::Answer;

/// The core view of a transport answer (with `body`, already scrubbed).
fn http<'a>(answer: &'a Answer, body: &'a [u8], options: DecodeOptions) -> HttpAnswer<'a> {
    let mut h = HttpAnswer::new(answer.status, body)
        .received_at(answer.received_at)
        .options(options);
    if let Some(v) = &answer.retry_after {
        h = h.retry_after(v);
    }
    if let Some(v) = &answer.content_type {
        h = h.content_type(v);
    }
    h
}

/// Turns an HTTP answer into a page or the error it means; every text
/// quoted from the answer is scrubbed of the secrets first.
pub(crate) fn interpret(
    answer: &Answer,
    scrubber: &Scrubber,
    options: DecodeOptions,
) -> Result<Page, Error> {
    let body = scrubber.bytes(&answer.body);
    classify_answer(&http(answer, &body, options)).map_err(Error::from)
}

/// [`interpret`], or with `defer`, a successful answer handed back
/// undecoded when its head says success on its own.
pub(crate) fn triage(
    answer: Answer,
    scrubber: &Scrubber,
    options: DecodeOptions,
    defer: bool,
) -> Result<Fetched, Error> {
    // Only a 2xx head is read before scrubbing: it quotes nothing back
    // (a head that is not a success is classified in full below).
    if defer
        && (200..300).contains(&answer.status)
        && let Ok(Some(head)) = classify_head(&http(&answer, &answer.body, options))
    {
        return Ok(Fetched::Undecoded(Undecoded {
            answer,
            scrubber: scrubber.clone(),
            options,
            head,
        }));
    }
    interpret(&answer, scrubber, options).map(Fetched::Decoded)
}

/// A successful answer, decoded or not yet.
pub(crate) enum Fetched {
    Decoded(Page),
    Undecoded(Undecoded),
}

impl Fetched {
    /// The page, decoding it now if needed.
    pub(crate) fn decode(self) -> Result<Page, Error> {
        match self {
            Self::Decoded(page) => Ok(page),
            Self::Undecoded(u) => u.decode(),
        }
    }

    /// The cursor of the page after this one, when the answer says there is
    /// one.
    pub(crate) fn next_cursor(&self) -> Option<&Cursor> {
        match self {
            Self::Decoded(page) => page.next_cursor(),
            Self::Undecoded(u) => u.head.next_cursor(),
        }
    }
}

/// An answer whose head says success (HTTP 2xx, `status_code` `"0"`) and
/// whose records are not decoded yet.
pub(crate) struct Undecoded {
    answer: Answer,
    scrubber: Scrubber,
    options: DecodeOptions,
    head: AnswerHead,
}

impl Undecoded {
    /// Decodes the records.
    pub(crate) fn decode(self) -> Result<Page, Error> {
        self.decode_keeping_body().0
    }

    /// [`Undecoded::decode`], handing back the body's buffer for reuse.
    pub(crate) fn decode_keeping_body(self) -> (Result<Page, Error>, Vec<u8>) {
        let page = interpret(&self.answer, &self.scrubber, self.options);
        (page, self.answer.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use velip_core::Secret;

    #[test]
    fn server_error_snippet_is_scrubbed() {
        let a = Answer {
            status: 502,
            retry_after: None,
            content_type: Some("text/html".to_owned()),
            received_at: std::time::SystemTime::now(),
            body: b"<html>\n bad gateway for tsid=TOKEN123456 </html>".to_vec(),
        };
        let s = Scrubber::new([Secret::new("TOKEN123456")]);
        let e = interpret(&a, &s, DecodeOptions::LENIENT).unwrap_err();
        assert_eq!(
            e.to_string(),
            "server error (HTTP 502): <html> bad gateway for tsid=*** </html>"
        );
    }
}
