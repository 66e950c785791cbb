//! `lockwatch report`: the lock-coverage report of a bucket or prefix, for an auditor. Lists
//! every version and reads each one's lock with HEAD, and writes Markdown (to read and
//! attach), JSON (for tools) or CSV (one row per version and delete marker, streamed).
//!
//! A pipeline: the listing runs ahead in its own task (a few pages) while the HEADs of the
//! pages before it run, as many at once as pays (`adaptive`), in listing order. With
//! `--checkpoint` the progress is saved as it goes and a cut report resumes (`checkpoint`);
//! `--sample N` reads the locks of N versions chosen at random over the whole listing;
//! `--inventory` reads the locks from an S3 Inventory report instead (`inventory`).

pub mod adaptive;
pub mod checkpoint;
pub mod inventory;

use crate::domain::coverage::{
    ByProtection, CSV_HEADER, Coverage, Part, Protection, SampleSummary, csv_row,
};
use crate::domain::format::json_time;
use crate::domain::location::S3Location;
use crate::domain::pages::ListedAs;
use crate::domain::pages::VersionMarker;
use crate::domain::sample::{Reservoir, Rng, estimate};
use crate::domain::{HistoryEntry, LockInfo};
use crate::s3::{S3, S3Error, VersionPager};
use crate::work::listing::Split;
use adaptive::Adaptive;
use checkpoint::{CheckpointFile, Identity};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use jiff::Timestamp;
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pages listed ahead of the HEADs (in the channel, then waiting for their HEADs).
const LIST_AHEAD: usize = 2;
const PAGES_IN_WORK: usize = 3;
/// An overloaded answer is asked again this many times before the version counts as unknown.
const MAX_TRIES: u32 = 10;
/// How often the checkpoint is saved while the report runs (and when it ends or is cut).
const SAVE_EVERY: Duration = Duration::from_secs(5);
/// The largest `--sample`: the sample is held in memory (about 150 bytes a version), and a
/// million already gives intervals of ±0.1%.
pub const MAX_SAMPLE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
    Csv,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// How to take the report.
pub struct Options {
    pub format: Format,
    /// The most HEADs in flight at once (the adaptive limit stays at or below it).
    pub concurrency: usize,
    pub checkpoint: Option<PathBuf>,
    /// Read the locks of this many versions only, chosen at random.
    pub sample: Option<u64>,
    /// The seed of that choice (random when not given).
    pub seed: Option<u64>,
    /// Resolves when the report should stop: pages under way finish, the checkpoint is
    /// saved, and `ReportError::Stopped` is returned.
    pub stop: Option<BoxFuture<'static, ()>>,
    /// Smaller listing pages (tests).
    pub max_keys: Option<i32>,
    /// Given each version and delete marker as it is counted, in listing order: the entry,
    /// and for a version what its HEAD said and its protection (the watcher keeps them).
    pub each: Option<Each>,
}

/// What `Options::each` is.
pub type Each =
    Box<dyn FnMut(&HistoryEntry, Option<(&Result<LockInfo, String>, Protection)>) + Send>;

impl Options {
    pub fn new(format: Format) -> Options {
        Options {
            format,
            concurrency: adaptive::DEFAULT_CAP,
            checkpoint: None,
            sample: None,
            seed: None,
            stop: None,
            max_keys: None,
            each: None,
        }
    }
}

/// Where the report is, for progress lines.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Versions whose lock was read (or counted, for a sample's listing).
    pub versions: u64,
    /// HEADs allowed in flight now.
    pub in_flight: usize,
    /// For a sample: (read, to read) once the listing is done.
    pub sample: Option<(u64, u64)>,
    /// Something the user must read now, terminal or not (a checkpoint that could not be
    /// saved), said once.
    pub warning: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("listing the versions failed after {versions} versions: {error}{}", if *.saved { " (the checkpoint resumes from there)" } else { "" })]
    Listing {
        error: S3Error,
        versions: u64,
        saved: bool,
    },
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
    #[error("{0}")]
    Checkpoint(String),
    #[error("stopped after {versions} versions{}", match .path { Some(p) => format!("; the checkpoint {} resumes it: run the same command again", p.display()), None => String::new() })]
    Stopped {
        versions: u64,
        path: Option<PathBuf>,
    },
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Inventory(String),
    /// Quit at once (a second Ctrl-C): the checkpoint holds what was saved last.
    #[error("{0}")]
    Interrupted(String),
}

/// Builds the report; writes CSV rows to `out` as they come (the other formats are written
/// by the caller from the returned coverage).
pub async fn build(
    s3: &S3,
    endpoint: &str,
    location: &S3Location,
    mut options: Options,
    out: &mut impl Write,
    mut progress: impl FnMut(Progress),
) -> Result<Coverage, ReportError> {
    if options.sample.is_some() {
        if options.format == Format::Csv {
            return Err(ReportError::Refused(
                "--sample reads the locks of a few versions and --format csv lists every version: use one or the other".into(),
            ));
        }
        if options.checkpoint.is_some() {
            return Err(ReportError::Refused(
                "--sample is not resumable: a sampled report's listing is read again from the start; leave out --checkpoint".into(),
            ));
        }
    }
    if options.sample == Some(0) || options.sample.is_some_and(|n| n > MAX_SAMPLE) {
        return Err(ReportError::Refused(format!(
            "--sample takes 1 to {MAX_SAMPLE} versions"
        )));
    }
    let identity = Identity {
        endpoint: endpoint.to_string(),
        bucket: location.bucket.clone(),
        prefix: location.prefix.clone(),
        format: options.format.code().to_string(),
    };
    // Taken (and refused) before a request is sent.
    let checkpoint = match &options.checkpoint {
        Some(path) => Some(CheckpointFile::open(path, &identity).map_err(ReportError::Checkpoint)?),
        None => None,
    };
    let (mut coverage, no_lock) = start(s3, endpoint, location).await;
    let (file, resumed) = match checkpoint {
        Some((file, loaded)) => (Some(file), loaded),
        None => (None, None),
    };
    let mut next = None;
    if let Some(saved) = resumed {
        let fresh = coverage;
        coverage = Coverage::resume(saved.state, fresh.now());
        // What the bucket is now, not when the report began.
        coverage.versioning = fresh.versioning;
        coverage.object_lock = fresh.object_lock;
        coverage.posture = fresh.posture;
        next = saved.next.map(Into::into);
    } else if options.format == Format::Csv {
        writeln!(out, "{CSV_HEADER}").map_err(ReportError::Output)?;
    }
    let pages = list_ahead(s3, location, next.clone(), options.max_keys);
    let stop = options.stop.take();
    let seed = options.seed.unwrap_or_else(random_seed);
    if let Some(size) = options.sample {
        let heads = Heads::new(s3, &location.bucket, options.concurrency, seed);
        return sample(coverage, pages, heads, no_lock, size, seed, progress).await;
    }
    let heads = Heads::new(s3, &location.bucket, options.concurrency, seed);
    let listed_before = coverage.listed;
    let listed = pages.listed.clone();
    let mut run = Run {
        save_failed: false,
        listed_before,
        listed,
        coverage,
        heads,
        no_lock,
        part: Part {
            started_at: json_time(Timestamp::now()),
            ended_at: String::new(),
            from_key: next.as_ref().map(|m| m.key.clone()),
            entries: 0,
            cut: None,
        },
        next: next.map(|m| (&m).into()),
        checkpoint: file.map(|f| (f, identity, Instant::now())),
        each: options.each.take(),
    };
    run.part.started_at = json_time(run.server_now());
    let ended = run
        .full(pages, stop, options.format, out, &mut progress)
        .await;
    run.finish(ended, options.checkpoint)
}

/// Reads what the report says about the bucket itself, and the time it is judged at.
async fn start(s3: &S3, endpoint: &str, location: &S3Location) -> (Coverage, bool) {
    let bucket = &location.bucket;
    // Read first: the answers also tell the server's clock.
    let versioning = s3.bucket_versioning(bucket).await.ok();
    let lock = s3.bucket_lock(bucket).await.ok();
    let local = Timestamp::now();
    let offset = s3.server_clock_offset();
    let now = offset
        .and_then(|o| local.checked_add(o).ok())
        .unwrap_or(local);
    let mut coverage = Coverage::new(bucket, &location.prefix, endpoint, now, local, offset);
    coverage.set_bucket(versioning, lock.as_ref());
    // Without Object Lock no version can carry a retention or a legal hold (S3 refuses both
    // there): no HEAD can say anything, so none is sent.
    let no_lock = lock == Some(crate::domain::BucketLock::Disabled);
    coverage.locks_not_read = no_lock;
    coverage.posture = Some(crate::domain::posture::Summary::of(
        &s3.bucket_posture(bucket).await,
    ));
    (coverage, no_lock)
}

fn random_seed() -> u64 {
    let t = Timestamp::now();
    let mut rng =
        Rng::new(t.as_nanosecond() as u64 ^ u64::from(std::process::id()).rotate_left(32));
    rng.next_u64() % 1_000_000_000
}

/// The listing, running ahead in its own task: pages of entries in key order with where a
/// listing started again would go on after each, then the end (the channel closes) or an
/// error (the last item). Stopped when the receiver is dropped.
type ListedPage = (Vec<HistoryEntry>, Option<VersionMarker>);

struct Listing {
    pages: tokio::sync::mpsc::Receiver<Result<ListedPage, S3Error>>,
    task: tokio::task::JoinHandle<()>,
    /// How the pages given so far were listed.
    listed: Arc<std::sync::Mutex<ListedAs>>,
}

/// How a listing's pages so far were listed, as its task last said.
fn listed(shared: &std::sync::Mutex<ListedAs>) -> ListedAs {
    match shared.lock() {
        Ok(l) => *l,
        Err(poisoned) => *poisoned.into_inner(),
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Split over folders, several listings at once (`crate::work::listing`), from the beginning or
/// from a checkpoint's marker.
fn list_ahead(
    s3: &S3,
    location: &S3Location,
    resume: Option<VersionMarker>,
    max_keys: Option<i32>,
) -> Listing {
    let (tx, rx) = tokio::sync::mpsc::channel(LIST_AHEAD);
    let (s3, bucket, prefix) = (s3.clone(), location.bucket.clone(), location.prefix.clone());
    let listed = Arc::new(std::sync::Mutex::new(ListedAs::default()));
    let shared = listed.clone();
    let task = tokio::spawn(async move {
        let mut pages =
            Split::<VersionPager>::resume(&s3, &bucket, &prefix, s3.listings(), max_keys, resume);
        while let Some(page) = pages.next_page().await {
            if let Ok(mut l) = shared.lock() {
                *l = pages.listed_as();
            }
            let failed = page.is_err();
            let page = page.map(|entries| {
                let next = entries.last().map(Split::position);
                (entries, next)
            });
            if tx.send(page).await.is_err() || failed {
                break;
            }
        }
    });
    Listing {
        pages: rx,
        task,
        listed,
    }
}

type Answer<T> = (T, u32, Arc<str>, String, Result<LockInfo, S3Error>);

/// HEAD requests in flight, as many as the adaptive limit allows; an overloaded answer is
/// asked again after a back-off (a HEAD changes nothing), holding its place meanwhile.
struct Heads<T> {
    s3: S3,
    bucket: Arc<str>,
    adaptive: Adaptive,
    in_flight: FuturesUnordered<BoxFuture<'static, Answer<T>>>,
    waiting: Vec<(Instant, T, u32, Arc<str>, String)>,
    rng: Rng,
    sent: u64,
    slowed_down: u64,
}

impl<T: Send + 'static> Heads<T> {
    fn new(s3: &S3, bucket: &str, cap: usize, seed: u64) -> Heads<T> {
        Heads {
            s3: s3.clone(),
            bucket: Arc::from(bucket),
            adaptive: Adaptive::new(cap, Instant::now()),
            in_flight: FuturesUnordered::new(),
            waiting: Vec::new(),
            rng: Rng::new(seed ^ 0x5EED),
            sent: 0,
            slowed_down: 0,
        }
    }

    fn room(&self) -> usize {
        self.adaptive
            .limit()
            .saturating_sub(self.in_flight.len() + self.waiting.len())
    }

    fn idle(&self) -> bool {
        self.in_flight.is_empty() && self.waiting.is_empty()
    }

    fn start(&mut self, ticket: T, key: Arc<str>, version_id: String) {
        self.launch(ticket, 0, key, version_id);
    }

    fn launch(&mut self, ticket: T, tries: u32, key: Arc<str>, version_id: String) {
        self.sent += 1;
        let (s3, bucket) = (self.s3.clone(), self.bucket.clone());
        self.in_flight.push(Box::pin(async move {
            let answer = s3.head_lock(&bucket, &key, &version_id).await;
            (ticket, tries, key, version_id, answer)
        }));
    }

    /// The next answer, in no particular order; `None` when nothing is under way. Overloaded
    /// answers are not returned: they are asked again (up to `MAX_TRIES` times).
    async fn next(&mut self) -> Option<(T, Result<LockInfo, String>)> {
        loop {
            if self.idle() {
                return None;
            }
            let now = Instant::now();
            let mut i = 0;
            while i < self.waiting.len() {
                if self.waiting[i].0 <= now {
                    let (_, ticket, tries, key, version_id) = self.waiting.swap_remove(i);
                    self.launch(ticket, tries, key, version_id);
                } else {
                    i += 1;
                }
            }
            let due = self.waiting.iter().map(|w| w.0).min();
            let sleep = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => futures::future::pending().await,
                }
            };
            tokio::select! {
                Some((ticket, tries, key, version_id, answer)) = self.in_flight.next() => {
                    let now = Instant::now();
                    match answer {
                        Err(e) if e.is_slow_down() && tries + 1 < MAX_TRIES => {
                            self.slowed_down += 1;
                            self.adaptive.overloaded(now);
                            let wait = crate::domain::backoff::back_off(tries, self.rng.below(1000));
                            self.waiting.push((now + wait, ticket, tries + 1, key, version_id));
                        }
                        answer => {
                            match &answer {
                                Err(e) if e.is_slow_down() => self.slowed_down += 1,
                                Err(e) if e.is_server_trouble() => self.adaptive.overloaded(now),
                                _ => self.adaptive.completed(now),
                            }
                            return Some((ticket, answer.map_err(|e| e.to_string())));
                        }
                    }
                }
                () = sleep => {}
            }
        }
    }
}

/// A page waiting for its HEADs.
struct Pending {
    entries: Vec<HistoryEntry>,
    locks: Vec<Option<Result<LockInfo, String>>>,
    /// HEADs not answered yet.
    missing: usize,
    /// Entries looked at for a HEAD so far.
    issued: usize,
    next: Option<checkpoint::Marker>,
}

/// How the full report's loop ended.
enum Ended {
    Complete,
    Failed(S3Error),
    Stopped,
    Output(std::io::Error),
}

struct Run {
    coverage: Coverage,
    heads: Heads<(u64, usize)>,
    no_lock: bool,
    part: Part,
    /// Where the listing goes on after the pages written so far.
    next: Option<checkpoint::Marker>,
    checkpoint: Option<(CheckpointFile, Identity, Instant)>,
    /// A periodic save failed (said once).
    save_failed: bool,
    /// How the parts before this one were listed, and this one's listing.
    listed_before: Option<ListedAs>,
    listed: Arc<std::sync::Mutex<ListedAs>>,
    each: Option<Each>,
}

impl Run {
    /// How everything read so far was listed, every part.
    fn listed(&self) -> ListedAs {
        let now = listed(&self.listed);
        self.listed_before.map_or(now, |before| before.and(now))
    }

    fn server_now(&self) -> Timestamp {
        let offset = self.coverage.server_clock_offset_seconds.unwrap_or(0);
        Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(offset))
            .unwrap_or_else(|_| Timestamp::now())
    }

    async fn full(
        &mut self,
        mut listing: Listing,
        stop: Option<BoxFuture<'static, ()>>,
        format: Format,
        out: &mut impl Write,
        progress: &mut impl FnMut(Progress),
    ) -> Ended {
        let mut stop = stop;
        let mut pending: VecDeque<Pending> = VecDeque::new();
        // The sequence number of `pending[0]`.
        let mut first: u64 = 0;
        let mut listing_done = false;
        let mut failure = None;
        let mut stopping = false;
        loop {
            // HEADs for the pages in work, in listing order, as many as the limit allows.
            'fill: for (i, page) in pending.iter_mut().enumerate() {
                while page.issued < page.entries.len() {
                    if self.heads.room() == 0 {
                        break 'fill;
                    }
                    let index = page.issued;
                    page.issued += 1;
                    let entry = &page.entries[index];
                    if !entry.is_delete_marker() && !self.no_lock {
                        self.heads.start(
                            (first + i as u64, index),
                            entry.key.clone(),
                            entry.version_id.clone(),
                        );
                    }
                }
            }
            while pending
                .front()
                .is_some_and(|p| p.missing == 0 && p.issued == p.entries.len())
            {
                if let Some(page) = pending.pop_front() {
                    first += 1;
                    if let Err(e) = self.write_page(page, format, out) {
                        return Ended::Output(e);
                    }
                    let mut warning = None;
                    if let Some(Err(e)) = self.save(Save::IfDue) {
                        tracing::warn!(error = %e, "checkpoint not saved");
                        if !self.save_failed {
                            warning = Some(format!(
                                "{e}: the report goes on, but a run cut now could not be resumed from here (said once; each later save is tried too)"
                            ));
                        }
                        self.save_failed = true;
                    }
                    progress(Progress {
                        versions: self.coverage.versions,
                        in_flight: self.heads.adaptive.limit(),
                        sample: None,
                        warning,
                    });
                }
            }
            if pending.is_empty() && (listing_done || stopping) {
                break;
            }
            let room_for_pages = !listing_done && !stopping && pending.len() < PAGES_IN_WORK;
            tokio::select! {
                biased;
                () = async { match stop.as_mut() { Some(s) => s.await, None => futures::future::pending().await } }, if !stopping => {
                    stopping = true;
                }
                Some((ticket, answer)) = self.heads.next(), if !self.heads.idle() => {
                    let (seq, index) = ticket;
                    if let Some(page) = seq.checked_sub(first).and_then(|i| pending.get_mut(i as usize))
                        && let Some(slot) = page.locks.get_mut(index)
                    {
                        *slot = Some(answer);
                        page.missing = page.missing.saturating_sub(1);
                    }
                }
                page = listing.pages.recv(), if room_for_pages => match page {
                    Some(Ok((entries, next))) => {
                        let next = next.as_ref().map(Into::into);
                        let missing = if self.no_lock {
                            0
                        } else {
                            entries.iter().filter(|e| !e.is_delete_marker()).count()
                        };
                        let locks = vec![None; entries.len()];
                        pending.push_back(Pending { entries, locks, missing, issued: 0, next });
                    }
                    Some(Err(e)) => {
                        failure = Some(e);
                        listing_done = true;
                    }
                    None => listing_done = true,
                },
            }
        }
        match (failure, stopping) {
            (Some(e), _) => Ended::Failed(e),
            (None, true) if !listing_done => Ended::Stopped,
            _ => Ended::Complete,
        }
    }

    fn write_page(
        &mut self,
        page: Pending,
        format: Format,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        for (entry, lock) in page.entries.iter().zip(page.locks) {
            let lock = if entry.is_delete_marker() {
                None
            } else if self.no_lock {
                Some(Ok(LockInfo::default()))
            } else {
                Some(lock.unwrap_or_else(|| Err("no answer was kept for this HEAD".into())))
            };
            let protection = match &lock {
                Some(l) => Some(self.coverage.add_version(entry, l)),
                None => {
                    self.coverage.add_marker(entry);
                    None
                }
            };
            if let Some(each) = &mut self.each {
                each(entry, lock.as_ref().zip(protection));
            }
            self.part.entries += 1;
            if format == Format::Csv {
                writeln!(out, "{}", csv_row(entry, lock.as_ref(), protection))?;
            }
        }
        // Rows reach the file before the checkpoint says they were read: a crash between the
        // two writes some rows twice on resume, never loses one.
        out.flush()?;
        self.next = page.next;
        Ok(())
    }

    fn save(&mut self, when: Save) -> Option<Result<(), String>> {
        let listed = self.listed();
        let (file, identity, last) = self.checkpoint.as_mut()?;
        if when == Save::IfDue && last.elapsed() < SAVE_EVERY {
            return None;
        }
        *last = Instant::now();
        let complete = when == Save::Complete;
        let mut state = self.coverage.clone();
        state.listed = Some(listed);
        let mut part = self.part.clone();
        if part.ended_at.is_empty() {
            part.ended_at = json_time(Timestamp::now());
        }
        if part.cut.is_none() && !complete {
            part.cut = Some(
                "the report ended without saying why (the process was killed or the machine stopped)"
                    .into(),
            );
        }
        state.parts.push(part);
        let mut saved = checkpoint::new_checkpoint(identity, state.resumable());
        saved.next = self.next.clone();
        saved.complete = complete;
        Some(file.save(&saved))
    }

    fn finish(mut self, ended: Ended, path: Option<PathBuf>) -> Result<Coverage, ReportError> {
        self.coverage.listed = Some(self.listed());
        self.coverage.head_requests += self.heads.sent;
        self.coverage.head_concurrency_peak =
            self.coverage
                .head_concurrency_peak
                .max(if self.heads.sent > 0 {
                    self.heads.adaptive.peak
                } else {
                    0
                });
        self.coverage.slowed_down += self.heads.slowed_down;
        self.part.ended_at = json_time(self.server_now());
        let versions = self.coverage.versions;
        let (cut, error) = match ended {
            Ended::Complete => (None, None),
            Ended::Stopped => (
                Some("stopped (Ctrl-C)".to_string()),
                Some(ReportError::Stopped { versions, path }),
            ),
            Ended::Failed(e) => (
                Some(format!("the listing failed: {}", e.failure_sentence())),
                Some(ReportError::Listing {
                    error: e,
                    versions,
                    saved: self.checkpoint.is_some(),
                }),
            ),
            Ended::Output(e) => (
                Some(format!("the report could not be written: {e}")),
                Some(ReportError::Output(e)),
            ),
        };
        self.part.cut = cut;
        if let Some(error) = error {
            if let Some(Err(e)) = self.save(Save::Now) {
                return Err(ReportError::Checkpoint(format!("{e} (after: {error})")));
            }
            return Err(error);
        }
        let part = self.part.clone();
        match self.save(Save::Complete) {
            // The report is whole: it is given, with why the checkpoint is not marked
            // finished (a run of the same command would take it again from the last save).
            Some(Err(e)) => self.coverage.warnings.push(format!(
                "{e}: the report is whole, but its checkpoint is not marked finished (the same command would go on from the last checkpoint saved; remove it to start again)"
            )),
            _ => {
                if let Some((file, _, _)) = self.checkpoint.take() {
                    file.release();
                }
            }
        }
        self.coverage.parts.push(part);
        Ok(self.coverage)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Save {
    /// When the last save is `SAVE_EVERY` old.
    IfDue,
    Now,
    /// The report is done: the checkpoint says so, and a new run is refused.
    Complete,
}

/// `--sample N`: the whole listing (every version and marker counted), then the locks of N
/// versions chosen uniformly at random among all listed, read in listing order.
async fn sample(
    mut coverage: Coverage,
    mut listing: Listing,
    mut heads: Heads<usize>,
    no_lock: bool,
    size: u64,
    seed: u64,
    mut progress: impl FnMut(Progress),
) -> Result<Coverage, ReportError> {
    let mut reservoir = Reservoir::new(usize::try_from(size).unwrap_or(usize::MAX), seed);
    while let Some(page) = listing.pages.recv().await {
        let page = page.map_err(|error| ReportError::Listing {
            error,
            versions: coverage.versions,
            saved: false,
        })?;
        for entry in page.0 {
            if entry.is_delete_marker() {
                coverage.add_marker(&entry);
            } else {
                coverage.add_listed_version(&entry);
                reservoir.offer(entry);
            }
        }
        progress(Progress {
            versions: coverage.versions,
            in_flight: 0,
            sample: None,
            warning: None,
        });
    }
    let chosen = reservoir.into_sorted();
    let total = chosen.len() as u64;
    let mut answers: Vec<Option<Result<LockInfo, String>>> = vec![None; chosen.len()];
    let mut issued = 0;
    let mut done = 0u64;
    loop {
        while issued < chosen.len() && heads.room() > 0 && !no_lock {
            let entry = &chosen[issued];
            heads.start(issued, entry.key.clone(), entry.version_id.clone());
            issued += 1;
        }
        match heads.next().await {
            Some((i, answer)) => {
                if let Some(slot) = answers.get_mut(i) {
                    *slot = Some(answer);
                }
                done += 1;
                progress(Progress {
                    versions: coverage.versions,
                    in_flight: heads.adaptive.limit(),
                    sample: Some((done, total)),
                    warning: None,
                });
            }
            None if issued >= chosen.len() || no_lock => break,
            None => {}
        }
    }
    for (entry, answer) in chosen.iter().zip(answers) {
        let lock = if no_lock {
            Ok(LockInfo::default())
        } else {
            answer.unwrap_or_else(|| Err("no answer was kept for this HEAD".into()))
        };
        coverage.add_sampled(entry, &lock);
    }
    let population = coverage.versions;
    let current_sampled = chosen.iter().filter(|e| e.is_latest).count() as u64;
    coverage.sample = Some(SampleSummary {
        size: total,
        population,
        seed,
        by_protection: ByProtection::from_fn(|p| {
            estimate(coverage.by_protection.get(p).versions, total, population)
        }),
        legal_hold: estimate(coverage.legal_holds, total, population),
        current_sampled,
        unprotected_current: estimate(
            coverage.unprotected_current_count,
            current_sampled,
            coverage.current_versions,
        ),
    });
    coverage.head_requests = heads.sent;
    coverage.head_concurrency_peak = if heads.sent > 0 {
        heads.adaptive.peak
    } else {
        0
    };
    coverage.slowed_down = heads.slowed_down;
    coverage.listed = Some(listed(&listing.listed));
    Ok(coverage)
}
