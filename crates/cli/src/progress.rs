//! Export progress on stderr: an indicatif bar on a terminal, plain periodic
//! lines otherwise, nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) enum Progress {
    Bar(ProgressBar),
    Lines { last: Instant, started: Instant },
    Silent,
}

impl Progress {
    pub(crate) fn new(quiet: bool) -> Self {
        if quiet {
            Self::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {human_pos} records, {msg} [{elapsed_precise}] {per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Self::Bar(bar)
        } else {
            let now = Instant::now();
            Self::Lines {
                last: now,
                started: now,
            }
        }
    }

    pub(crate) fn update(&mut self, records: u64, pages: u64, warnings: usize) {
        match self {
            Self::Bar(b) => {
                b.set_position(records);
                let w = if warnings > 0 {
                    format!(", {warnings} warning(s)")
                } else {
                    String::new()
                };
                b.set_message(format!("{pages} pages{w}"));
            }
            Self::Lines { last, started } => {
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    let secs = started.elapsed().as_secs_f64().max(0.001);
                    #[allow(clippy::cast_precision_loss)] // a rate for humans
                    let rate = records as f64 / secs;
                    note!("progress: {records} records, {pages} pages, {rate:.0} records/s");
                }
            }
            Self::Silent => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Self::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}
