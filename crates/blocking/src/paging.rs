//! [`CallIter`]: the auto-paging walk over a list query.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};

use velip_core::{CallId, CallRecord, Cursor, Page, Query};

use crate::client::Operation;
use crate::{Client, Error};

/// Iterator over every call a list query selects, fetching pages as needed
/// (created by [`Client::list_calls`]).
///
/// # Paging
///
/// - The page size (`maxreg`) is always sent: the query's own, or the
///   server maximum, **5000**, when it has none — the fewest requests
///   against the 200-per-hour list quota.
/// - The service's `next_id` is passed back verbatim as `last_id`; no
///   arithmetic is done on ids. `has_more` decides whether another page is
///   fetched, never the number of rows.
/// - A cursor that was already used in this walk (it does not advance, or
///   it cycles) ends the walk with [`Error::CursorCycle`]; `has_more`
///   without a `next_id` ends it with [`Error::CursorMissing`]. The records
///   of that last page are yielded first; after the error the iterator is
///   finished.
///
/// # Prefetch
///
/// As soon as a page arrives and the next cursor is known, the next page is
/// requested on a helper thread, so the service's time, the network's and
/// decoding overlap with the caller's work on the current page. Only one
/// page is ever ahead. See [`CallIter::prefetch`] to turn it off.
///
/// # Each call once, in O(page size) memory
///
/// Records come newest first (descending call id number). The iterator
/// keeps a low-watermark — the smallest call id number yielded so far — and
/// the ids yielded at exactly that number. A record is skipped (and counted
/// in [`duplicates_skipped`](Self::duplicates_skipped)) when its number is
/// above the watermark, when it is a yielded id at the watermark, or when it
/// repeats within its page. Calls inserted at the head while paging have
/// higher numbers than anything still to come, so they cause neither
/// duplicates nor gaps; memory stays bounded by one page (plus the set of
/// cursors seen, one short string per page).
///
/// # Errors and resuming
///
/// An `Err` item does not end the walk: calling `next()` again re-fetches
/// the same page (same cursor) and nothing already yielded is yielded again.
/// After an authentication failure, every call returns that error at once
/// without sending anything (see [`Error::Authentication`]).
///
/// ```no_run
/// use velip_blocking::Client;
/// use velip_core::Query;
///
/// let client = Client::builder().token("your-30-character-token-here00").build()?;
/// let mut calls = client.list_calls(Query::builder().date_range("2026-05-01", "2026-05-31").build()?);
/// for call in calls.by_ref() {
///     println!("{}", call?.call_id);
/// }
/// println!("{} pages, {} calls, masked: {}", calls.pages_fetched(), calls.records_yielded(), calls.numbers_masked());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CallIter {
    client: Client,
    /// The query of the next page to fetch; `None` once the walk is over.
    next_query: Option<Query>,
    /// The cursor of the page in the buffer.
    current_cursor: Option<Cursor>,
    /// The page being yielded (records already filtered).
    buffer: std::vec::IntoIter<CallRecord>,
    /// The last page's answer without its records, for `next_page`.
    last_meta: Option<Page>,
    /// An error to yield once the buffer is drained (ends the walk).
    pending_error: Option<Error>,
    watermark: Option<u64>,
    at_watermark: HashSet<CallId>,
    seen_cursors: HashSet<Cursor>,
    pages: u64,
    yielded: u64,
    duplicates: u64,
    masked: bool,
    warnings: Vec<String>,
    /// Fetch the next page in the background while this one is consumed.
    prefetch: bool,
    /// The helper thread, started with the first prefetch.
    prefetcher: Option<Prefetcher>,
    /// The query whose answer the helper thread owes us, if any.
    in_flight: Option<Query>,
}

/// The walk's helper thread: one per walk (so the allocator keeps one
/// arena for it), fetching the pages it is sent, one at a time.
struct Prefetcher {
    requests: SyncSender<Query>,
    answers: Receiver<Result<Page, Error>>,
}

impl Prefetcher {
    fn start(client: &Client) -> Option<Self> {
        let (requests, rx) = std::sync::mpsc::sync_channel::<Query>(1);
        let (tx, answers) = std::sync::mpsc::sync_channel(1);
        let worker = client.clone();
        std::thread::Builder::new()
            .name("velip-prefetch".to_owned())
            .spawn(move || {
                // Ends when the walk is dropped (its sender with it). The
                // waiting caller polls the interrupt check, not this thread.
                while let Ok(q) = rx.recv() {
                    if tx
                        .send(worker.execute_with(&q, Operation::Read, None))
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Self { requests, answers })
    }
}

impl std::fmt::Debug for CallIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallIter")
            .field("next_query", &self.next_query)
            .field("pages_fetched", &self.pages)
            .field("records_yielded", &self.yielded)
            .field("duplicates_skipped", &self.duplicates)
            .field("numbers_masked", &self.masked)
            .finish_non_exhaustive()
    }
}

impl CallIter {
    pub(crate) fn new(client: Client, query: Query) -> Self {
        Self {
            client,
            current_cursor: query.cursor().cloned(),
            next_query: Some(query),
            buffer: Vec::new().into_iter(),
            last_meta: None,
            pending_error: None,
            watermark: None,
            at_watermark: HashSet::new(),
            seen_cursors: HashSet::new(),
            pages: 0,
            yielded: 0,
            duplicates: 0,
            masked: false,
            warnings: Vec::new(),
            prefetch: true,
            prefetcher: None,
            in_flight: None,
        }
    }

    /// Whether the next page is fetched in the background while the current
    /// one is consumed (default: on). It overlaps the service's and the
    /// network's time with yours; the price is that a walk abandoned
    /// mid-way may have requested one page it never yields (one request of
    /// the 200-per-hour list quota). Turn it off for walks you stop early.
    #[must_use]
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Pages fetched successfully so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Records handed out so far (by `next` and `next_page`).
    pub fn records_yielded(&self) -> u64 {
        self.yielded
    }

    /// Records skipped because they were already yielded in this walk (or
    /// sat above the walk's low-watermark).
    pub fn duplicates_skipped(&self) -> u64 {
        self.duplicates
    }

    /// Whether any page so far had masked phone numbers
    /// (`return.numbers_masked`).
    pub fn numbers_masked(&self) -> bool {
        self.masked
    }

    /// The distinct warnings (`return.warning`) the service sent, in order.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the walk is over (last page yielded, or ended by an error).
    pub fn is_finished(&self) -> bool {
        self.next_query.is_none() && self.buffer.len() == 0 && self.pending_error.is_none()
    }

    /// Where a new walk would continue (pass it to `QueryBuilder::cursor`):
    /// the next page's cursor once the current page is fully yielded; while
    /// a page is only partly yielded, that page's own cursor (so a new walk
    /// re-reads it: nothing is lost, some records come again). `None` when
    /// the walk is finished or is still on its first page without a cursor.
    pub fn resume_cursor(&self) -> Option<&Cursor> {
        if self.buffer.len() > 0 {
            self.current_cursor.as_ref()
        } else {
            self.next_query.as_ref().and_then(Query::cursor)
        }
    }

    /// The page-at-a-time variant: the next page, with duplicates already
    /// removed (records left over from a page partly consumed by `next` come
    /// first, as their own page). `None` when the walk is over. Mixing it
    /// with `next` is allowed.
    pub fn next_page(&mut self) -> Option<Result<Page, Error>> {
        if self.buffer.len() > 0 {
            // Collecting the owned `IntoIter` reuses its allocation.
            let rest: Vec<CallRecord> = std::mem::take(&mut self.buffer).collect();
            self.yielded += rest.len() as u64;
            let mut page = self.last_meta.clone()?;
            page.records = rest;
            return Some(Ok(page));
        }
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        match self.fetch()? {
            Ok(mut page) => {
                let records: Vec<CallRecord> = std::mem::take(&mut self.buffer).collect();
                self.yielded += records.len() as u64;
                page.records = records;
                Some(Ok(page))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// Fetches the next page into the buffer; returns its metadata.
    fn fetch(&mut self) -> Option<Result<Page, Error>> {
        let query = self.next_query.clone()?;
        if let Err(e) = self.client.check_interrupt() {
            return Some(Err(e));
        }
        let answer = match self.in_flight.take() {
            Some(pending) => {
                let Some(answer) = self.wait_for_prefetch() else {
                    // Interrupted while waiting: keep the page coming.
                    self.in_flight = Some(pending);
                    return Some(Err(Error::Interrupted));
                };
                if pending == query {
                    answer
                } else {
                    self.client.execute(&query, Operation::Read)
                }
            }
            None => self.client.execute(&query, Operation::Read),
        };
        let mut page = match answer {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        self.pages += 1;
        self.current_cursor = query.cursor().cloned();
        self.masked |= page.numbers_masked;
        if let Some(w) = &page.warning
            && !self.warnings.contains(w)
        {
            self.warnings.push(w.clone());
        }

        let records = std::mem::take(&mut page.records);
        let kept = self.filter(records);

        // What comes next.
        let next = if page.has_more() {
            match page.next_cursor() {
                None => Err(Error::CursorMissing),
                Some(c) if self.seen_cursors.contains(c) || Some(c) == query.cursor() => {
                    Err(Error::CursorCycle {
                        cursor: c.as_str().to_owned(),
                    })
                }
                Some(c) => Ok(Some(c.clone())),
            }
        } else {
            Ok(None)
        };
        match next {
            Ok(Some(c)) => {
                if let Some(cur) = query.cursor() {
                    self.seen_cursors.insert(cur.clone());
                }
                self.seen_cursors.insert(c.clone());
                let next_query = query.with_cursor(Some(c));
                if self.prefetch {
                    self.request_prefetch(&next_query);
                }
                self.next_query = Some(next_query);
            }
            Ok(None) => self.next_query = None,
            Err(e) => {
                log::warn!(target: "velip", "{e}");
                self.pending_error = Some(e);
                self.next_query = None;
            }
        }
        self.buffer = kept.into_iter();
        self.last_meta = Some(page.clone());
        Some(Ok(page))
    }

    /// Asks the helper thread (started on first use) for `query`.
    fn request_prefetch(&mut self, query: &Query) {
        if self.prefetcher.is_none() {
            self.prefetcher = Prefetcher::start(&self.client);
        }
        if let Some(p) = &self.prefetcher
            && p.requests.send(query.clone()).is_ok()
        {
            self.in_flight = Some(query.clone());
        }
    }

    /// The helper thread's answer, polling the interrupt check every 100 ms;
    /// `None` when interrupted.
    fn wait_for_prefetch(&self) -> Option<Result<Page, Error>> {
        let Some(p) = &self.prefetcher else {
            return Some(Err(stopped()));
        };
        loop {
            match p.answers.recv_timeout(crate::retry::POLL_INTERVAL) {
                Ok(answer) => return Some(answer),
                Err(RecvTimeoutError::Disconnected) => return Some(Err(stopped())),
                Err(RecvTimeoutError::Timeout) => {
                    if self.client.check_interrupt().is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// Drops records already yielded in this walk; moves the watermark.
    fn filter(&mut self, records: Vec<CallRecord>) -> Vec<CallRecord> {
        let mut this_page: HashSet<CallId> = HashSet::with_capacity(records.len());
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            let n = r.call_id.number();
            let dup = !this_page.insert(r.call_id.clone())
                || self.watermark.is_some_and(|w| n > w)
                || (self.watermark == Some(n) && self.at_watermark.contains(&r.call_id));
            if dup {
                self.duplicates += 1;
            } else {
                kept.push(r);
            }
        }
        if let Some(low) = kept.iter().map(|r| r.call_id.number()).min() {
            if self.watermark != Some(low) {
                self.at_watermark.clear();
            }
            self.watermark = Some(low);
            self.at_watermark.extend(
                kept.iter()
                    .filter(|r| r.call_id.number() == low)
                    .map(|r| r.call_id.clone()),
            );
        }
        kept
    }
}

fn stopped() -> Error {
    Error::Transport {
        kind: crate::TransportKind::Other,
        message: "the prefetch thread stopped without an answer".to_owned(),
    }
}

impl Iterator for CallIter {
    type Item = Result<CallRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buffer.next() {
                self.yielded += 1;
                return Some(Ok(r));
            }
            if let Some(e) = self.pending_error.take() {
                return Some(Err(e));
            }
            match self.fetch()? {
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl std::iter::FusedIterator for CallIter {}
