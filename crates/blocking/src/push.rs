//! [`PushWalk`]: a webhook push of a whole selection, page by page.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use velip_core::{Cursor, Page, Query};

use crate::paging::WalkCheckpoint;
use crate::retry::{self, Operation};
use crate::sender::Sender;
use crate::{Error, PagingError};

/// One page pushed: the service's answer (its records went to the webhook;
/// the answer carries the pagination) and the cursor it was asked with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PushedPage {
    /// The `last_id` sent (`None` for the first page).
    pub cursor: Option<Cursor>,
    /// The service's answer.
    pub answer: Page,
}

/// Asks the service to deliver every call of a selection to the query's
/// webhook, one request per page (page size 5000 unless the query has one),
/// following the pagination of each answer (created by
/// [`Client::push_calls`](crate::Client::push_calls)).
///
/// Each request is sent once: a push that may have reached the service is
/// never retried automatically (only failures to connect are). After an
/// error, calling `next()` again sends that page again — your decision; a
/// receiver should store deliveries by call id (velip's receiver does) —
/// after the same cooldown as a list walk (`Retry-After`, backoff). A cursor
/// seen before, or one that does not move down, ends the push with a
/// [`PagingError`]. [`checkpoint`](Self::checkpoint) says where a push
/// continues; [`Client::resume_push`](crate::Client::resume_push) resumes it.
pub struct PushWalk {
    sender: Arc<Sender>,
    next_query: Option<Query>,
    retry_query: Option<Query>,
    seen: HashSet<Cursor>,
    last_number: Option<u64>,
    cooldown: Option<(Instant, Error)>,
    pages: u64,
}

impl std::fmt::Debug for PushWalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushWalk")
            .field("next_query", &self.next_query)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

impl PushWalk {
    pub(crate) fn new(sender: Arc<Sender>, query: &Query, checkpoint: &WalkCheckpoint) -> Self {
        let next = (!checkpoint.is_finished())
            .then(|| query.with_cursor(checkpoint.cursor().or_else(|| query.cursor().cloned())));
        Self {
            sender,
            next_query: next,
            retry_query: None,
            seen: HashSet::new(),
            last_number: None,
            cooldown: None,
            pages: checkpoint.pages(),
        }
    }

    /// Pages pushed (over every run of a resumed push).
    pub fn pages_pushed(&self) -> u64 {
        self.pages
    }

    /// Where this push continues (after the pages pushed so far; after a
    /// paging error, the page to ask again).
    pub fn checkpoint(&self) -> WalkCheckpoint {
        let next = self.next_query.as_ref().or(self.retry_query.as_ref());
        let mut cp = WalkCheckpoint::start();
        cp.cursor = next.and_then(Query::cursor).map(|c| c.as_str().to_owned());
        cp.finished = next.is_none();
        cp.pages = self.pages;
        cp
    }

    fn push_next(&mut self) -> Option<Result<PushedPage, Error>> {
        let query = self.next_query.clone()?;
        if let Some((until, err)) = &self.cooldown {
            let left = until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                if left > self.sender.retry.max_retry_wait() {
                    return Some(Err(err.clone()));
                }
                if let Err(e) = retry::wait(left, self.sender.interrupt.as_ref()) {
                    return Some(Err(e));
                }
            }
            self.cooldown = None;
        }
        let answer = match self.sender.execute(&query, Operation::Push) {
            Ok(p) => p,
            Err(e) => {
                if let Some(d) = retry::cooldown(&e, &self.sender.retry) {
                    self.cooldown = Some((Instant::now() + d, e.clone()));
                }
                return Some(Err(e));
            }
        };
        self.pages += 1;
        let cursor = query.cursor().cloned();
        let next = match answer.next_cursor() {
            None if answer.has_more() => Err(PagingError::CursorMissing),
            None => Ok(None),
            Some(c) if self.seen.contains(c) || Some(c) == cursor.as_ref() => {
                Err(PagingError::CursorCycle {
                    cursor: c.as_str().to_owned(),
                })
            }
            Some(c) => {
                // No records come back to check progress on: the cursor
                // itself must move down (`last_id` selects ids up to it).
                let n = c.as_str().parse::<u64>().ok();
                match (n, self.last_number) {
                    (Some(n), Some(last)) if n >= last => {
                        Err(PagingError::NoProgress { requests: 1 })
                    }
                    _ => {
                        self.last_number = n.or(self.last_number);
                        Ok(Some(c.clone()))
                    }
                }
            }
        };
        match next {
            Ok(Some(c)) => {
                if let Some(cur) = &cursor {
                    self.seen.insert(cur.clone());
                }
                self.seen.insert(c.clone());
                self.next_query = Some(query.with_cursor(Some(c)));
            }
            Ok(None) => self.next_query = None,
            Err(e) => {
                log::warn!(target: "velip", "push stopped: {e}");
                self.retry_query = Some(query.with_cursor(answer.next_cursor().cloned()));
                self.next_query = None;
                return Some(Err(e.into()));
            }
        }
        Some(Ok(PushedPage { cursor, answer }))
    }
}

impl Iterator for PushWalk {
    type Item = Result<PushedPage, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.sender.check_interrupt() {
            return Some(Err(e));
        }
        self.push_next()
    }
}
