//! [`CallIter`]: the auto-paging walk over a list query.

mod checkpoint;
mod dedup;
mod pipeline;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Instant;

use velip_core::model::Continuation;
use velip_core::query::MAX_PAGE_SIZE;
use velip_core::{CallRecord, Cursor, Page, Query};

pub use checkpoint::WalkCheckpoint;

use crate::paging::dedup::Dedup;
use crate::paging::pipeline::{Delivery, Prefetcher};
use crate::retry::{self, Operation};
use crate::sender::Sender;
use crate::{Error, PagingError};

/// Pages in a row that bring no new call (or whose cursor does not move
/// below the calls seen) before the walk gives up with
/// [`PagingError::NoProgress`]: a service that does not advance costs at
/// most this many requests after the last page that did.
const MAX_STALLS: u32 = 2;

/// Iterator over every call a list query selects, fetching pages as needed
/// (created by [`Client::list_calls`](crate::Client::list_calls)).
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
///   it cycles) ends the walk with [`PagingError::CursorCycle`]; `has_more`
///   without a `next_id` with [`PagingError::CursorMissing`]; a full page
///   (as many records as the page size) without pagination, or without
///   `has_more`, with [`PagingError::MissingPagination`] (the walk cannot
///   know whether more calls exist; it is never taken for the end); two
///   pages in a row that bring no new call, or whose cursor does not move
///   below the calls already seen, with [`PagingError::NoProgress`] — at
///   most three requests are spent on a service that does not advance,
///   whatever the prefetch depth. The records of the last good page are
///   yielded first; after the error the iterator is finished, and its
///   [`checkpoint`](Self::checkpoint) names the page to ask again.
///
/// # Prefetch
///
/// Pages are fetched and decoded on two helper threads while the caller
/// works on the current page. By default the walk reaches two pages ahead:
/// as soon as a page's head (`return.pagination`, which precedes the
/// records) arrives, the page after it is requested, so the service works
/// on page N+2 while page N+1 is decoded and page N consumed. Beside the
/// page being consumed, at most one decoded page and two page-sized body
/// buffers are held.
/// See [`CallIter::prefetch_depth`] to reach one page ahead only (less
/// memory, for consumers slower than decoding) and [`CallIter::prefetch`]
/// to turn it off. [`CallIter::close`] stops the helper threads and waits
/// for them: nothing is sent afterwards; dropping the walk tells them to
/// stop without waiting.
///
/// # Each call once, in O(page size) memory
///
/// Records come newest first (descending call id number). The iterator
/// remembers the ids it yielded on its last two pages and skips a record
/// (counted in [`duplicates_skipped`](Self::duplicates_skipped)) that it
/// already yielded there or earlier on the same page; an id it never
/// yielded is never skipped. Calls inserted at the head while paging have
/// higher numbers than anything still to come, so they cause neither
/// duplicates nor gaps; memory stays bounded by two pages of ids (plus the
/// set of cursors seen, one short string per page).
///
/// # Errors and resuming
///
/// An `Err` item (other than a paging error) does not end the walk:
/// calling `next()` again re-fetches the same page (same cursor) and
/// nothing already yielded is yielded again. It does not resend early:
/// after a rate limit the next call first waits out the `Retry-After`,
/// after a server or network failure the longest backoff, when that wait
/// is within the client's maximum wait; otherwise it returns the same error
/// again without a request until the deadline passes — so a loop that
/// skips errors sends at most one request per wait period. After an
/// authentication failure, every call returns that error at once without
/// sending anything (see [`Error::Authentication`]).
///
/// A walk's [`checkpoint`](Self::checkpoint) (serializable) says where it
/// continues; [`Client::resume_calls`](crate::Client::resume_calls) resumes
/// it — in another process, after a crash — with no record twice and none
/// skipped. Records a field of which cannot be read are yielded with a
/// [`Problem`](velip_core::Problem) (unless the client is
/// [strict](crate::ClientBuilder::strict)); entries without a readable call
/// id come in the page's [`rejected`](velip_core::Page::rejected) list
/// ([`next_page`](Self::next_page)).
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
    sender: Arc<Sender>,
    /// Records per page asked for (a full page without pagination is not
    /// the end).
    page_size: u32,
    /// The query of the next page to fetch; `None` once the walk is over.
    next_query: Option<Query>,
    /// After a paging error: the page to ask again on resume.
    retry_query: Option<Query>,
    /// The cursor of the page in the buffer.
    current_cursor: Option<Cursor>,
    /// The page being yielded (records already filtered).
    buffer: std::vec::IntoIter<CallRecord>,
    /// The last page's answer without its records, for `next_page`.
    last_meta: Option<Page>,
    /// An error to yield once the buffer is drained (ends the walk).
    pending_error: Option<Error>,
    /// Until when the walk does not resend after an error, and the error.
    cooldown: Option<(Instant, Error)>,
    dedup: Dedup,
    /// The checkpoint as it was before the page in the buffer.
    page_start: WalkCheckpoint,
    seen_cursors: HashSet<Cursor>,
    /// Pages in a row without progress.
    stalls: u32,
    pages: u64,
    yielded: u64,
    masked: bool,
    warnings: Vec<String>,
    /// How many pages ahead of the one consumed the walk reaches (0-2).
    depth: usize,
    /// The helper threads, started with the first prefetch.
    prefetcher: Option<Prefetcher>,
    /// The query whose answer the helper thread owes us, if any.
    in_flight: Option<Query>,
    /// Pages delivered by the pipeline's current chain.
    chain_pages: u64,
    /// [`limit`](Self::limit): the walk yields no record past this count of
    /// [`records_yielded`](Self::records_yielded).
    limit: Option<u64>,
}

impl std::fmt::Debug for CallIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallIter")
            .field("next_query", &self.next_query)
            .field("pages_fetched", &self.pages)
            .field("records_yielded", &self.yielded)
            .field("duplicates_skipped", &self.dedup.skipped())
            .field("numbers_masked", &self.masked)
            .finish_non_exhaustive()
    }
}

impl CallIter {
    pub(crate) fn new(sender: Arc<Sender>, query: Query) -> Self {
        let page_size = query
            .page_size()
            .map_or(MAX_PAGE_SIZE, velip_core::query::PageSize::get);
        Self {
            sender,
            page_size,
            current_cursor: query.cursor().cloned(),
            next_query: Some(query),
            retry_query: None,
            buffer: Vec::new().into_iter(),
            last_meta: None,
            pending_error: None,
            cooldown: None,
            dedup: Dedup::default(),
            page_start: WalkCheckpoint::start(),
            seen_cursors: HashSet::new(),
            stalls: 0,
            pages: 0,
            yielded: 0,
            masked: false,
            warnings: Vec::new(),
            depth: 2,
            prefetcher: None,
            in_flight: None,
            chain_pages: 0,
            limit: None,
        }
    }

    /// A walk of `query` resumed at `checkpoint` (see
    /// [`Client::resume_calls`](crate::Client::resume_calls)).
    pub(crate) fn resume(sender: Arc<Sender>, query: &Query, checkpoint: &WalkCheckpoint) -> Self {
        let mut it = Self::new(sender, query.with_cursor(checkpoint.cursor()));
        if checkpoint.finished {
            it.next_query = None;
        }
        it.dedup = Dedup::restore(checkpoint.recent_ids(), checkpoint.lowest_call_id);
        it.pages = checkpoint.pages;
        it.yielded = checkpoint.records;
        it.page_start = checkpoint.clone();
        it
    }

    /// Whether pages are fetched in the background while the current one
    /// is consumed (default: on, two pages ahead). It overlaps the
    /// service's and the network's time and the decoding with yours; the
    /// price is that a walk abandoned mid-way may have requested up to two
    /// pages it never yields (requests of the 200-per-hour list quota).
    /// Turn it off for walks you stop early.
    /// `prefetch(true)` is `prefetch_depth(2)`; `prefetch(false)` is
    /// `prefetch_depth(0)`.
    #[must_use]
    pub fn prefetch(self, on: bool) -> Self {
        self.prefetch_depth(if on { 2 } else { 0 })
    }

    /// How many pages ahead of the one being consumed the walk reaches
    /// (values above 2 count as 2):
    ///
    /// - `0`: none; each page is fetched when the previous one is used up.
    ///   An abandoned walk has spent nothing it did not yield.
    /// - `1`: the next page is fetched and decoded while this one is
    ///   consumed (one decoded page waits). Enough when your work per page
    ///   takes longer than fetching and decoding one. An abandoned walk may
    ///   have spent one request more than it yielded.
    /// - `2` (default): also, the page after next is requested while the
    ///   next one is decoded (one body of a few MiB more in memory). Fastest
    ///   when your work per record is light; up to two requests more.
    #[must_use]
    pub fn prefetch_depth(mut self, pages: usize) -> Self {
        self.depth = pages.min(2);
        self
    }

    /// Yields at most `n` more records and sends no more requests than
    /// they need: nothing is fetched ahead ([`prefetch_depth(0)`](Self::prefetch_depth))
    /// and pages hold at most `n` records (the page size is lowered to
    /// `min(n, page size)`, at least 1; never raised). Once `n` records are
    /// yielded the walk is finished; its [`checkpoint`](Self::checkpoint)
    /// and [`resume_cursor`](Self::resume_cursor) still say where the
    /// selection continues.
    #[must_use]
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(self.yielded.saturating_add(n));
        self.depth = 0;
        let cap = u32::try_from(n.clamp(1, u64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE);
        if cap < self.page_size {
            self.page_size = cap;
            self.next_query = self
                .next_query
                .take()
                .map(|q| q.with_page_size(Some(velip_core::query::PageSize::Records(cap))));
        }
        self
    }

    /// How many records the limit still allows (`u64::MAX` without one).
    fn left(&self) -> u64 {
        self.limit
            .map_or(u64::MAX, |l| l.saturating_sub(self.yielded))
    }

    /// Stops the walk's helper threads and waits for them, so that nothing
    /// is sent once it returns: a request in flight or waiting to be
    /// retried is abandoned within about 100 ms (it was sent before; its
    /// answer is dropped). Dropping the walk only tells them to stop (it
    /// never waits: a thread holding a lock the helpers need, such as
    /// Python's GIL for logging, may drop a walk); they end within about
    /// 100 ms. The walk itself stays where it is: a later `next()` requests
    /// the next page again, on new helper threads.
    pub fn close(&mut self) {
        self.in_flight = None;
        if let Some(p) = self.prefetcher.take() {
            p.close();
        }
    }

    /// Pages fetched successfully so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Records handed out so far (by `next` and `next_page`).
    pub fn records_yielded(&self) -> u64 {
        self.yielded
    }

    /// Records skipped because they were already yielded in this walk.
    pub fn duplicates_skipped(&self) -> u64 {
        self.dedup.skipped()
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
        self.left() == 0
            || (self.next_query.is_none() && self.buffer.len() == 0 && self.pending_error.is_none())
    }

    /// Where a new walk would continue (pass it to `QueryBuilder::cursor`):
    /// the next page's cursor once the current page is fully yielded; while
    /// a page is only partly yielded, that page's own cursor (so a new walk
    /// re-reads it: nothing is lost, some records come again). `None` when
    /// the walk is finished or is still on its first page without a cursor.
    /// Prefer [`checkpoint`](Self::checkpoint), which also skips what was
    /// yielded.
    pub fn resume_cursor(&self) -> Option<&Cursor> {
        if self.buffer.len() > 0 {
            self.current_cursor.as_ref()
        } else {
            self.next_query
                .as_ref()
                .or(self.retry_query.as_ref())
                .and_then(Query::cursor)
        }
    }

    /// Where this walk continues, for [`Client::resume_calls`]: after the
    /// pages consumed so far (by [`next_page`](Self::next_page), or `next`
    /// up to a page's last record). While a page is only partly consumed,
    /// the checkpoint is the one from before that page (a resumed walk
    /// yields that whole page again): commit checkpoints with whole pages.
    /// After a paging error it names the page to ask again.
    ///
    /// [`Client::resume_calls`]: crate::Client::resume_calls
    pub fn checkpoint(&self) -> WalkCheckpoint {
        if self.buffer.len() > 0 {
            return self.page_start.clone();
        }
        self.boundary()
    }

    /// The checkpoint after everything yielded so far.
    fn boundary(&self) -> WalkCheckpoint {
        let next = self.next_query.as_ref().or(self.retry_query.as_ref());
        WalkCheckpoint {
            cursor: next.and_then(Query::cursor).map(|c| c.as_str().to_owned()),
            finished: next.is_none(),
            lowest_call_id: self.dedup.low(),
            recent_call_ids: self
                .dedup
                .remembered()
                .iter()
                .map(ToString::to_string)
                .collect(),
            pages: self.pages,
            records: self.yielded,
        }
    }

    /// The page-at-a-time variant: the next page, with duplicates already
    /// removed (records left over from a page partly consumed by `next` come
    /// first, as their own page). `None` when the walk is over. Mixing it
    /// with `next` is allowed.
    pub fn next_page(&mut self) -> Option<Result<Page, Error>> {
        if self.left() == 0 {
            return None;
        }
        if self.buffer.len() > 0 {
            let rest = self.take_buffer();
            self.yielded += rest.len() as u64;
            let mut page = self.last_meta.clone()?;
            page.records = rest;
            page.rejected = Vec::new();
            return Some(Ok(page));
        }
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        match self.fetch()? {
            Ok(mut page) => {
                let records = self.take_buffer();
                self.yielded += records.len() as u64;
                page.records = records;
                Some(Ok(page))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// The buffered records the limit allows (all of them without one).
    fn take_buffer(&mut self) -> Vec<CallRecord> {
        let left = usize::try_from(self.left()).unwrap_or(usize::MAX);
        if left >= self.buffer.len() {
            // Collecting the owned `IntoIter` reuses its allocation.
            std::mem::take(&mut self.buffer).collect()
        } else {
            self.buffer.by_ref().take(left).collect()
        }
    }

    /// Waits out the cooldown of the last error, or returns that error again
    /// (nothing sent) while the wait is longer than the maximum wait.
    fn cool_down(&mut self) -> Result<(), Error> {
        let Some((until, err)) = &self.cooldown else {
            return Ok(());
        };
        let left = until.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            if left > self.sender.retry.max_retry_wait() {
                return Err(err.clone());
            }
            log::info!(target: "velip", "waiting {:.1} s before asking again after: {err}", left.as_secs_f64());
            retry::wait(left, self.sender.interrupt.as_ref())?;
        }
        self.cooldown = None;
        Ok(())
    }

    /// Fetches the next page into the buffer; returns its metadata.
    fn fetch(&mut self) -> Option<Result<Page, Error>> {
        let query = self.next_query.clone()?;
        if let Err(e) = self.sender.check_interrupt() {
            return Some(Err(e));
        }
        if let Err(e) = self.cool_down() {
            return Some(Err(e));
        }
        let answer = if self.depth > 0 {
            match self.fetch_through_pipeline(&query) {
                Some(answer) => answer,
                None => return Some(Err(Error::Interrupted)),
            }
        } else {
            self.sender.execute(&query, Operation::Read)
        };
        let mut page = match answer {
            Ok(p) => p,
            Err(e) => {
                if let Some(d) = retry::cooldown(&e, &self.sender.retry) {
                    self.cooldown = Some((Instant::now() + d, e.clone()));
                }
                return Some(Err(e));
            }
        };
        self.page_start = self.boundary();
        self.pages += 1;
        self.current_cursor = query.cursor().cloned();
        self.masked |= page.numbers_masked;
        if let Some(w) = &page.warning
            && !self.warnings.contains(w)
        {
            self.warnings.push(w.clone());
        }

        // What comes next, read before the records are taken out.
        let continuation = match page.continuation(self.page_size) {
            Continuation::Next(c) => Ok(Some(c.clone())),
            Continuation::End => Ok(None),
            Continuation::CursorMissing => Err(PagingError::CursorMissing),
            Continuation::Unknown => Err(PagingError::MissingPagination {
                records: page.records.len() + page.rejected.len(),
            }),
        };
        let records = std::mem::take(&mut page.records);
        let (kept, progressed) = self.dedup.filter(records);

        let next = match continuation {
            Ok(Some(c)) if self.seen_cursors.contains(&c) || Some(&c) == query.cursor() => {
                Err(PagingError::CursorCycle {
                    cursor: c.as_str().to_owned(),
                })
            }
            Ok(Some(c)) => {
                // Progress: new calls, and a cursor below every call seen
                // (`last_id` selects ids up to it).
                let below = match (c.as_str().parse::<u64>(), self.dedup.low()) {
                    (Ok(n), Some(low)) => n < low,
                    _ => true,
                };
                if kept.is_empty() || !below || !progressed {
                    self.stalls += 1;
                } else {
                    self.stalls = 0;
                }
                if self.stalls >= MAX_STALLS {
                    Err(PagingError::NoProgress {
                        requests: self.stalls,
                    })
                } else {
                    Ok(Some(c))
                }
            }
            // An end announced on a page that went back over calls already
            // passed cannot be trusted: the walk would stop short.
            Ok(None) if !progressed => Err(PagingError::NoProgress {
                requests: self.stalls + 1,
            }),
            other => other,
        };
        match next {
            Ok(Some(c)) => {
                if let Some(cur) = query.cursor() {
                    self.seen_cursors.insert(cur.clone());
                }
                self.seen_cursors.insert(c.clone());
                let next_query = query.with_cursor(Some(c));
                if self.depth > 0 {
                    // The fetcher may follow one cursor past the page
                    // needed next only after a page that progressed.
                    if let Some(p) = &self.prefetcher {
                        p.gate.allow(self.chain_pages + u64::from(self.stalls == 0));
                    }
                    self.request(&next_query);
                }
                self.next_query = Some(next_query);
            }
            Ok(None) => self.next_query = None,
            Err(e) => {
                // Returned as the walk's error after this page's records.
                log::info!(target: "velip", "paging stopped: {e}");
                // Nothing more is speculated; the checkpoint names this
                // page, to ask again on resume.
                self.prefetcher = None;
                self.in_flight = None;
                self.pending_error = Some(e.into());
                self.retry_query = Some(query);
                self.next_query = None;
            }
        }
        self.buffer = kept.into_iter();
        self.last_meta = Some(page.clone());
        Some(Ok(page))
    }

    /// The answer to `query` from the pipeline, requesting it first unless
    /// it is already on its way; `None` when interrupted while waiting (the
    /// answer keeps coming, and a retry of the same query takes it).
    fn fetch_through_pipeline(&mut self, query: &Query) -> Option<Result<Page, Error>> {
        if !self.request(query) {
            // No helper thread could be started: fetch here.
            return Some(self.sender.execute(query, Operation::Read));
        }
        let delivery = self.wait_for_prefetch()?;
        self.chain_pages += 1;
        // The pipeline delivers in order: this answers `query`.
        self.in_flight = delivery.following;
        if delivery.answer.is_err() {
            // The pipeline ended with the error (see `Prefetcher::start`).
            self.prefetcher = None;
        }
        Some(delivery.answer)
    }

    /// Makes sure the pipeline (started on first use) is fetching `query`:
    /// already on its way, or a new chain. A pipeline busy with another
    /// query (its speculation went elsewhere) is dropped for a new one.
    /// `false` when no helper thread could be started.
    fn request(&mut self, query: &Query) -> bool {
        if self.in_flight.as_ref() == Some(query) && self.prefetcher.is_some() {
            return true;
        }
        if self.in_flight.take().is_some() {
            self.prefetcher = None;
        }
        if self.prefetcher.is_none() {
            self.prefetcher = Prefetcher::start(&self.sender, self.depth >= 2);
        }
        match &self.prefetcher {
            Some(p) if p.requests.send(query.clone()).is_ok() => {
                self.in_flight = Some(query.clone());
                self.chain_pages = 0;
                true
            }
            _ => {
                self.prefetcher = None;
                false
            }
        }
    }

    /// The helper thread's answer, polling the interrupt check every 100 ms;
    /// `None` when interrupted.
    fn wait_for_prefetch(&self) -> Option<Delivery> {
        let gone = || Delivery {
            answer: Err(stopped()),
            following: None,
        };
        let Some(p) = &self.prefetcher else {
            return Some(gone());
        };
        loop {
            match p.answers.recv_timeout(crate::retry::POLL_INTERVAL) {
                Ok(delivery) => return Some(delivery),
                Err(RecvTimeoutError::Disconnected) => return Some(gone()),
                Err(RecvTimeoutError::Timeout) => {
                    if self.sender.check_interrupt().is_err() {
                        return None;
                    }
                }
            }
        }
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
        if self.left() == 0 {
            return None;
        }
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
