//! [`JsonLinesSink`]: deliveries appended to a JSON-lines file, one line
//! per call, synced once per batch.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use velip_core::query::{WebhookFormat, WebhookMethod};
use velip_core::{CallId, CallRecord, RejectedRecord};

use crate::delivery::Delivery;
use crate::error::{Error, SinkError};
use crate::sink::{Sink, Syncer};

/// Options of a [`JsonLinesSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonLinesOptions {
    /// How many distinct calls the sink remembers to mark repeats (default
    /// 1,000,000, about 20 MB at most; 0 = no marking). A call is marked
    /// `"repeat": true` when it is among at least the last `repeat_window
    /// / 2` distinct calls written; older repeats are not marked (readers
    /// can always keep the last line per `call_id`).
    pub repeat_window: usize,
    /// How much of an existing file is read back at open to remember its
    /// calls (default 256 MiB, the file's tail).
    pub scan_limit: u64,
}

impl Default for JsonLinesOptions {
    fn default() -> Self {
        Self {
            repeat_window: 1_000_000,
            scan_limit: 256 * 1024 * 1024,
        }
    }
}

/// Appends deliveries to a JSON-lines file: one line per call, the
/// normalized record exactly as `velip-core` serializes it (the same shape
/// as `velip decode` writes) plus a `delivery` object:
///
/// ```json
/// {"call_id":"42_7","status":"OK",...,"delivery":{"received_at":"2026-11-20T13:01:02.345Z",
///  "sequence":12,"method":"POST","format":"form","remote_addr":"127.0.0.1:50312",
///  "index":0,"calls":1,"repeat":false}}
/// ```
///
/// - `index`/`calls`: the call's position in its delivery and how many the
///   delivery held; `sequence`: arrival order in the receiver process.
/// - `repeat`: the call already has a line in the file (a platform retry, a
///   re-push, or a later status of a call that was in progress). Both lines
///   stay; the last one per `call_id` is the newest.
/// - Unreadable entries of a JSON delivery (no readable `cd_id`) go, with
///   their raw text and problem, to `FILE.rejected.jsonl` beside the file
///   (`deliveries.jsonl` → `deliveries.rejected.jsonl`), synced in the same
///   batch.
///
/// Durability: each batch is written with one `write` and made durable
/// with an `fdatasync` before the receiver acknowledges it. In a receiver
/// the syncs run on their own thread ([`Sink::syncer`]): one sync covers
/// every batch written before it began, and the next batch is written
/// while the disk syncs. A failed sync stops all acknowledgements (the
/// receiver must be restarted: after a failed `fsync` the kernel may have
/// dropped the written pages). A file that
/// does not end with a newline at open (the process was killed while
/// writing a batch that was therefore never acknowledged) is cut back to
/// its last complete line. A failed write or sync cuts the file back to
/// what was durable, so the failed batch (answered 503 and retried by its
/// senders) leaves no half line.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use velip_core::query::WebhookMethod;
/// use velip_webhook::{Delivery, JsonLinesSink, Sink};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("deliveries.jsonl");
/// let mut sink = JsonLinesSink::open(&path)?;
/// let d = Delivery::decode(WebhookMethod::Post, None, "cd_id=42_7&cd_status=OK".into())?;
/// sink.commit(&[d.clone(), d])?;
/// let text = std::fs::read_to_string(&path)?;
/// let lines: Vec<serde_json::Value> =
///     text.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
/// assert_eq!(lines[0]["call_id"], "42_7");
/// assert_eq!(lines[0]["delivery"]["repeat"], false);
/// assert_eq!(lines[1]["delivery"]["repeat"], true);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct JsonLinesSink {
    target: Target,
    index: RepeatIndex,
    buf: Vec<u8>,
    keys: Vec<u64>,
}

#[derive(Debug)]
enum Target {
    File {
        path: PathBuf,
        file: File,
        /// Length of the file after the last successful sync.
        durable_len: u64,
        rejected_path: PathBuf,
        rejected: Option<File>,
        /// Why the file can no longer be written, after a failure that
        /// could not be undone.
        poisoned: Option<String>,
    },
    Stdout,
}

impl JsonLinesSink {
    /// Opens (or creates) `path` for appending, with the default
    /// [`JsonLinesOptions`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened, read back or repaired.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, &JsonLinesOptions::default())
    }

    /// Opens (or creates) `path` with these options.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: &JsonLinesOptions) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let what = |verb: &str| format!("{verb} {}", path.display());
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::io(what("open"), e))?;
        if !existed {
            sync_parent(&path).map_err(|e| Error::io(what("sync the folder of"), e))?;
        }
        let dropped = repair_tail(&mut file).map_err(|e| Error::io(what("repair"), e))?;
        if dropped > 0 {
            log::warn!(
                "{}: cut {dropped} bytes of an unfinished last line (a batch that was never acknowledged)",
                path.display()
            );
        }
        let durable_len = file
            .metadata()
            .map_err(|e| Error::io(what("read"), e))?
            .len();
        let mut index = RepeatIndex::new(options.repeat_window);
        if index.window > 0 && durable_len > 0 {
            index
                .load(&mut file, durable_len, options.scan_limit)
                .map_err(|e| Error::io(what("read back"), e))?;
        }
        let rejected_path = rejected_path_for(&path);
        Ok(Self {
            target: Target::File {
                path,
                file,
                durable_len,
                rejected_path,
                rejected: None,
                poisoned: None,
            },
            index,
            buf: Vec::new(),
            keys: Vec::new(),
        })
    }

    /// Writes the lines to standard output, flushed per batch (for piping
    /// into another program; durability is the reader's). Unreadable
    /// entries of JSON deliveries are written there too, as
    /// `{"rejected":{...},"delivery":{...}}` lines.
    pub fn stdout() -> Self {
        Self {
            target: Target::Stdout,
            index: RepeatIndex::new(JsonLinesOptions::default().repeat_window),
            buf: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// The file written, `None` for standard output.
    pub fn path(&self) -> Option<&Path> {
        match &self.target {
            Target::File { path, .. } => Some(path),
            Target::Stdout => None,
        }
    }

    /// Where unreadable entries of JSON deliveries go, `None` for standard
    /// output.
    pub fn rejected_path(&self) -> Option<&Path> {
        match &self.target {
            Target::File { rejected_path, .. } => Some(rejected_path),
            Target::Stdout => None,
        }
    }

    /// Serializes the batch into `self.buf` (records) and `rejected`;
    /// fills `self.keys` with the call keys to remember once durable.
    fn render(&mut self, batch: &[Delivery], rejected: &mut Vec<u8>) -> Result<(), SinkError> {
        self.buf.clear();
        self.keys.clear();
        let stdout = matches!(self.target, Target::Stdout);
        let mut in_batch = HashSet::new();
        for d in batch {
            let received_at = d.received_at.to_rfc3339_opts(SecondsFormat::Millis, true);
            let calls = d.records().len();
            for (index, record) in d.records().iter().enumerate() {
                let key = self.index.key(&record.call_id);
                let repeat = self.index.contains(key) || !in_batch.insert(key);
                self.keys.push(key);
                let line = Line {
                    record,
                    delivery: Meta::new(d, &received_at, index, calls, Some(repeat)),
                };
                serde_json::to_writer(&mut self.buf, &line)?;
                self.buf.push(b'\n');
            }
            if stdout {
                for r in &d.payload.rejected {
                    let meta = Meta::new(d, &received_at, r.index, calls, None);
                    serde_json::to_writer(
                        &mut self.buf,
                        &RejectedStdoutLine {
                            rejected: r,
                            delivery: meta,
                        },
                    )?;
                    self.buf.push(b'\n');
                }
            } else {
                render_rejected(d, &received_at, rejected)?;
            }
        }
        Ok(())
    }
}

/// Appends one line per unreadable entry of `d` (a JSON delivery's entries
/// without a readable `cd_id`) to `out`: the entry's `index`, `raw` text
/// and `problem`, plus the `delivery` object. The shape of
/// `FILE.rejected.jsonl`, shared by every sink that keeps such entries.
pub(crate) fn render_rejected(
    d: &Delivery,
    received_at: &str,
    out: &mut Vec<u8>,
) -> Result<(), SinkError> {
    let calls = d.records().len();
    for r in &d.payload.rejected {
        let meta = Meta::new(d, received_at, r.index, calls, None);
        serde_json::to_writer(
            &mut *out,
            &RejectedLine {
                rejected: r,
                delivery: meta,
            },
        )?;
        out.push(b'\n');
    }
    Ok(())
}

impl JsonLinesSink {
    /// Renders and writes `batch`; with `sync`, also makes it durable
    /// (`commit`), else leaves that to the [`FileSyncer`] (`write`).
    fn write_batch(&mut self, batch: &[Delivery], sync: bool) -> Result<(), SinkError> {
        if let Target::File {
            poisoned: Some(why),
            ..
        } = &self.target
        {
            return Err(why.clone().into());
        }
        let mut rejected = Vec::new();
        self.render(batch, &mut rejected)?;
        match &mut self.target {
            Target::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(&self.buf)?;
                out.flush()?;
            }
            Target::File {
                path,
                file,
                durable_len,
                rejected_path,
                rejected: rejected_file,
                poisoned,
            } => {
                if !rejected.is_empty() {
                    write_rejected(rejected_path, rejected_file, &rejected)?;
                }
                if !self.buf.is_empty() {
                    let written = file
                        .write_all(&self.buf)
                        .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
                    if let Err(e) = written {
                        // Undo the partial batch so that no half line stays
                        // (nor gets synced by a later sync); if that fails
                        // too, refuse every later batch.
                        let undo = file
                            .set_len(*durable_len)
                            .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
                        if let Err(u) = undo {
                            *poisoned = Some(format!(
                                "{}: a write failed ({e}) and could not be undone ({u}); restart the receiver",
                                path.display()
                            ));
                        }
                        return Err(format!("{}: {e}", path.display()).into());
                    }
                    // Written (and, with `sync`, durable): what a failed
                    // later write is cut back to.
                    *durable_len += self.buf.len() as u64;
                }
            }
        }
        for &key in &self.keys {
            self.index.insert(key);
        }
        // Keep the buffer for the next batch, but not a huge one.
        if self.buf.capacity() > 32 * 1024 * 1024 {
            self.buf = Vec::new();
        }
        Ok(())
    }
}

impl Sink for JsonLinesSink {
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        self.write_batch(batch, true)
    }

    /// A file is synced on the receiver's sync thread (a second handle on
    /// the same open file) while the next batch is written; standard output
    /// is flushed per batch, with no syncer.
    fn syncer(&mut self) -> Option<Box<dyn Syncer>> {
        let Target::File { file, path, .. } = &self.target else {
            return None;
        };
        match file.try_clone() {
            Ok(file) => Some(Box::new(FileSyncer {
                file,
                path: path.clone(),
            })),
            Err(e) => {
                log::warn!(
                    "{}: no second handle for syncing ({e}); each batch is written and synced in turn",
                    path.display()
                );
                None
            }
        }
    }

    fn write(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        self.write_batch(batch, false)
    }
}

/// `fdatasync` of the JSON-lines file, on the receiver's sync thread.
struct FileSyncer {
    file: File,
    path: PathBuf,
}

impl Syncer for FileSyncer {
    fn sync(&mut self) -> Result<(), SinkError> {
        self.file
            .sync_data()
            .map_err(|e| format!("{}: {e}", self.path.display()).into())
    }
}

/// Appends `bytes` to the file at `path` (opened, and its folder entry
/// synced, on first use; kept in `file`) and syncs the data.
pub(crate) fn write_rejected(
    path: &Path,
    file: &mut Option<File>,
    bytes: &[u8],
) -> Result<(), SinkError> {
    if file.is_none() {
        let existed = path.exists();
        let f = OpenOptions::new().append(true).create(true).open(path)?;
        if !existed {
            sync_parent(path)?;
        }
        *file = Some(f);
    }
    if let Some(f) = file {
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    Ok(())
}

/// `deliveries.jsonl` → `deliveries.rejected.jsonl`; `out` → `out.rejected.jsonl`.
pub(crate) fn rejected_path_for(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "deliveries".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.rejected.jsonl"))
}

/// Makes a new file's directory entry durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Cuts an unfinished last line (no final newline); returns the bytes cut.
fn repair_tail(file: &mut File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(0);
    }
    // Search backwards for the last newline.
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(chunk.len() as u64);
        let n = usize::try_from(end - start).unwrap_or(chunk.len());
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk[..n])?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(len - keep)
}

/// The calls the file holds, remembered as 64-bit keys in two generations:
/// when the current one is full it becomes the previous one, so memory is
/// bounded by `window` keys.
#[derive(Debug)]
struct RepeatIndex {
    window: usize,
    hasher: RandomState,
    current: HashSet<u64>,
    previous: HashSet<u64>,
}

impl RepeatIndex {
    fn new(window: usize) -> Self {
        Self {
            window,
            hasher: RandomState::new(),
            current: HashSet::new(),
            previous: HashSet::new(),
        }
    }

    fn key(&self, id: &CallId) -> u64 {
        self.hasher.hash_one(id)
    }

    fn contains(&self, key: u64) -> bool {
        self.window > 0 && (self.current.contains(&key) || self.previous.contains(&key))
    }

    fn insert(&mut self, key: u64) {
        if self.window == 0 {
            return;
        }
        if self.current.insert(key) && self.current.len() >= (self.window / 2).max(1) {
            self.previous = std::mem::take(&mut self.current);
        }
    }

    /// Remembers the calls of the file's last `scan_limit` bytes.
    fn load(&mut self, file: &mut File, len: u64, scan_limit: u64) -> io::Result<()> {
        #[derive(Deserialize)]
        struct Head<'a> {
            #[serde(borrow)]
            call_id: Option<std::borrow::Cow<'a, str>>,
        }
        let start = len.saturating_sub(scan_limit);
        file.seek(SeekFrom::Start(start))?;
        let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
        let mut line = Vec::new();
        if start > 0 {
            // Skip the partial line the window starts in.
            reader.read_until(b'\n', &mut line)?;
        }
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let id = serde_json::from_slice::<Head<'_>>(&line)
                .ok()
                .and_then(|h| h.call_id)
                .and_then(|s| CallId::parse(&s).ok());
            if let Some(id) = id {
                let key = self.key(&id);
                self.insert(key);
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    record: &'a CallRecord,
    delivery: Meta<'a>,
}

#[derive(Serialize)]
struct RejectedLine<'a> {
    #[serde(flatten)]
    rejected: &'a RejectedRecord,
    delivery: Meta<'a>,
}

#[derive(Serialize)]
struct RejectedStdoutLine<'a> {
    rejected: &'a RejectedRecord,
    delivery: Meta<'a>,
}

/// The `delivery` object of a line.
#[derive(Serialize)]
struct Meta<'a> {
    received_at: &'a str,
    sequence: u64,
    method: &'static str,
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_addr: Option<SocketAddr>,
    index: usize,
    calls: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat: Option<bool>,
}

impl<'a> Meta<'a> {
    fn new(
        d: &Delivery,
        received_at: &'a str,
        index: usize,
        calls: usize,
        repeat: Option<bool>,
    ) -> Self {
        Self {
            received_at,
            sequence: d.sequence,
            method: match d.method {
                WebhookMethod::Post => "POST",
                WebhookMethod::Get => "GET",
            },
            format: match d.format() {
                WebhookFormat::Json => "json",
                WebhookFormat::Form => "form",
            },
            remote_addr: d.remote_addr,
            index,
            calls,
            repeat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &'static str) -> Delivery {
        Delivery::decode(WebhookMethod::Post, None, body.into()).unwrap()
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn rejected_file_name() {
        assert_eq!(
            rejected_path_for(Path::new("/x/deliveries.jsonl")),
            Path::new("/x/deliveries.rejected.jsonl")
        );
        assert_eq!(
            rejected_path_for(Path::new("out")),
            Path::new("out.rejected.jsonl")
        );
    }

    #[test]
    fn torn_tail_is_cut_and_repeats_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let mut sink = JsonLinesSink::open(&path).unwrap();
        sink.commit(&[form("cd_id=1&cd_status=OK"), form("cd_id=2")])
            .unwrap();
        drop(sink);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"call_id":"3","sta"#).unwrap();
        drop(f);
        let mut sink = JsonLinesSink::open(&path).unwrap();
        sink.commit(&[form("cd_id=2&cd_status=BUSY"), form("cd_id=3")])
            .unwrap();
        let got = lines(&path);
        let ids: Vec<&str> = got.iter().map(|l| l["call_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["1", "2", "2", "3"]);
        let repeats: Vec<bool> = got
            .iter()
            .map(|l| l["delivery"]["repeat"].as_bool().unwrap())
            .collect();
        assert_eq!(repeats, [false, false, true, false]);
        assert_eq!(got[2]["status"], "BUSY");
    }

    #[test]
    fn unreadable_json_entries_go_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let mut sink = JsonLinesSink::open(&path).unwrap();
        let body = r#"{"return":{"status_code":"0"},"calls":[{"cd_id":5},{"cd_status":"OK"}]}"#;
        let d =
            Delivery::decode(WebhookMethod::Post, Some("application/json"), body.into()).unwrap();
        sink.commit(&[d]).unwrap();
        let good = lines(&path);
        assert_eq!(good.len(), 1);
        assert_eq!(good[0]["delivery"]["format"], "json");
        assert_eq!(good[0]["delivery"]["calls"], 1);
        let bad = lines(sink.rejected_path().unwrap());
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0]["index"], 1);
        assert_eq!(bad[0]["raw"], r#"{"cd_status":"OK"}"#);
        assert!(bad[0]["problem"]["rule"].is_string());
    }

    #[test]
    fn a_file_is_pipelined_and_stdout_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = JsonLinesSink::open(dir.path().join("d.jsonl")).unwrap();
        assert!(file.syncer().is_some());
        assert!(JsonLinesSink::stdout().syncer().is_none());
    }

    #[test]
    fn every_acknowledged_delivery_of_a_pipelined_file_is_on_disk_once() {
        use std::sync::Arc;

        use crate::commit::Committer;
        use crate::metrics::Metrics;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let sink = JsonLinesSink::open(&path).unwrap();
        let metrics = Arc::new(Metrics::new());
        let committer = Arc::new(Committer::start(sink, 64, 256, Arc::clone(&metrics)).unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut sequences: Vec<u64> = rt.block_on(async {
            let tasks: Vec<_> = (0..2_000u64)
                .map(|n| {
                    let c = Arc::clone(&committer);
                    tokio::spawn(async move {
                        let body = format!("cd_id={n}&cd_status=OK");
                        let d = Delivery::decode(WebhookMethod::Post, None, body.into()).unwrap();
                        c.submit(d).await
                    })
                })
                .collect();
            let mut acked = Vec::new();
            for t in tasks {
                acked.push(t.await.unwrap().unwrap());
            }
            acked
        });
        committer.close().unwrap();
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=2_000).collect::<Vec<u64>>());
        let got = lines(&path);
        assert_eq!(got.len(), 2_000);
        let mut in_file: Vec<u64> = got
            .iter()
            .map(|l| l["delivery"]["sequence"].as_u64().unwrap())
            .collect();
        in_file.sort_unstable();
        assert_eq!(in_file, sequences);
        let snapshot = metrics.snapshot();
        assert!(snapshot.durable_writes >= 1 && snapshot.durable_writes <= 2_000);
    }

    #[test]
    fn the_window_bounds_memory() {
        let mut idx = RepeatIndex::new(4);
        for n in 0..100u64 {
            let k = idx.key(&CallId::new(n));
            idx.insert(k);
            assert!(idx.current.len() + idx.previous.len() <= 4);
        }
        let last = idx.key(&CallId::new(99));
        let old = idx.key(&CallId::new(0));
        assert!(idx.contains(last));
        assert!(!idx.contains(old));
        let off = RepeatIndex::new(0);
        assert!(!off.contains(last));
    }
}
