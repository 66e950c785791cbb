//! `lockwatch watch` and `lockwatch check`: each interval, per location, the bucket's posture
//! is read and compared with its baseline, the versions are listed and compared with the last
//! listing, and what is found becomes events (JSON lines, `--on-alert`), metrics (`/metrics`)
//! and the location's `status.json`, which `check` and the UI read.
//!
//! The judging is pure (`crate::domain::watch`); this module reads, keeps and tells.

pub mod alert;
pub mod locks;
pub mod notify;
pub mod records;
pub mod scan;
pub mod serve;
pub mod state;

use crate::domain::format::json_time;
use crate::domain::location::S3Location;
use crate::domain::posture::Severity;
use crate::domain::watch::notice::{self, Confirmed, Verdict};
use crate::domain::watch::posture::{Snapshot, Window, accept, advance, weakenings};
use crate::domain::watch::status::{Perf, Status, render};
use crate::domain::watch::storm::{self, Thresholds};
use crate::domain::watch::{Event, Finding, Kind, Level, metrics};
use crate::s3::S3;
use serde::{Deserialize, Serialize};
use state::{Identity, StateDir};
use std::collections::BTreeMap;

/// What a location's watcher says of itself after each interval (`status.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchStatus {
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
    /// Seconds between intervals (0: one look, `check` or `--once`).
    pub interval_seconds: u64,
    /// The server's time at the end of the last interval.
    pub updated_at: String,
    /// The server's time at the end of the last interval that read everything.
    pub last_success: Option<String>,
    /// Why the last interval could not read everything.
    pub failing: Option<String>,
    /// Weakenings alerted and neither restored nor accepted.
    pub weakened: Vec<Event>,
    /// The storm under way.
    pub storm: Option<storm::Active>,
    /// The recovery window (none: unknown).
    pub window: Option<Window>,
    /// Risks of the posture by severity.
    pub risks: BTreeMap<String, u64>,
    /// What the last listing saw and changed.
    pub listed: Option<u64>,
    /// The server's time when the last whole listing ended.
    #[serde(default)]
    pub listed_at: Option<String>,
    /// A listing under way over several looks (it outlasted an interval, or failed and kept
    /// what it listed): the entries listed so far.
    #[serde(default)]
    pub listing_so_far: Option<u64>,
    pub last_changes: Option<storm::Counts>,
    /// The last alerts (at most `KEPT_ALERTS`), newest last, for the UI.
    pub alerts: Vec<Event>,
    /// Requests the last interval sent.
    #[serde(default)]
    pub requests: u64,
    /// What the last lock count found.
    #[serde(default)]
    pub locks: Option<locks::Counted>,
    /// Legal holds released and retentions shortened, alerted until accepted (`--accept`).
    #[serde(default)]
    pub lock_changes: Vec<Event>,
    /// The protection of current versions runs out within the horizon (alerted once).
    #[serde(default)]
    pub running_out: Option<Event>,
    /// What became of the last interval's bucket notifications (`--notifications`).
    #[serde(default)]
    pub notices: Option<notice::Tally>,
}

/// Alerts kept in `status.json`.
pub const KEPT_ALERTS: usize = 20;

/// How a location is watched.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: String,
    pub thresholds: Thresholds,
    /// Take the posture now as the baseline (weakenings alerted so far are accepted).
    pub accept: bool,
    /// Leave the listing out: posture only.
    pub no_listing: bool,
    pub interval_seconds: u64,
    /// Seconds between lock counts (0: none).
    pub locks_every: u64,
    /// Protection running out: within this many days.
    pub horizon_days: u64,
    /// Smaller listing pages (tests).
    pub max_keys: Option<i32>,
    /// Changes come as bucket notifications (`--notifications`): the versions are listed at
    /// the first look of a run only (and every interval once the bucket no longer sends).
    pub notifications: bool,
    /// Set when the watcher is asked to stop: a listing under way stops at the next key and
    /// keeps what it listed, and no lock count begins.
    pub stopping: scan::Stop,
}

/// One watched location, with what is kept between intervals.
pub struct Watched {
    pub location: S3Location,
    pub dir: StateDir,
    baseline: Option<Snapshot>,
    storm: storm::State,
    pub status: WatchStatus,
    pub metrics: metrics::Location,
    /// Notices received since the last interval (`--notifications`).
    pub pending: notify::Pending,
    /// What `--notifications` set up for this location.
    pub made: Option<notify::Made>,
    /// Whether this run listed the versions already.
    listed_this_run: bool,
    /// Versions notices told created, and those counted already (`--notifications`).
    created: notify::Recent,
    counted: notify::Recent,
    /// With notifications: what the notices told since the last listing, when that listing
    /// was (server seconds), and a listing's changes waiting to be compared with the notices
    /// (at the next interval, so that notices still on their way count).
    told: storm::Counts,
    listed_at: Option<i64>,
    reconciling: Option<Reconciling>,
    /// The server's time when the last interval began.
    started_at: Option<jiff::Timestamp>,
}

/// A listing's changes, to compare with what the notices told over the same span.
struct Reconciling {
    listed: storm::Counts,
    told_before: storm::Counts,
    since: String,
}

impl Watched {
    /// Takes the location's state folder under `base/role` and reads what it kept.
    pub fn open(
        base: &std::path::Path,
        role: &str,
        endpoint: &str,
        location: &S3Location,
    ) -> Result<Watched, String> {
        let identity = Identity {
            endpoint: endpoint.to_string(),
            bucket: location.bucket.clone(),
            prefix: location.prefix.clone(),
        };
        let dir = StateDir::open(base, role, &identity)?;
        let baseline = dir.load::<Snapshot>("baseline.json")?;
        let storm = dir.load::<storm::State>("storm.json")?.unwrap_or_default();
        let status = dir
            .load::<WatchStatus>("status.json")?
            .unwrap_or(WatchStatus {
                endpoint: endpoint.to_string(),
                bucket: location.bucket.clone(),
                prefix: location.prefix.clone(),
                ..WatchStatus::default()
            });
        let metrics = metrics::Location {
            bucket: location.bucket.clone(),
            prefix: location.prefix.clone(),
            ..Default::default()
        };
        Ok(Watched {
            location: location.clone(),
            dir,
            baseline,
            storm,
            status,
            metrics,
            pending: notify::Pending::default(),
            made: None,
            listed_this_run: false,
            created: notify::Recent::default(),
            counted: notify::Recent::default(),
            told: storm::Counts::default(),
            listed_at: None,
            reconciling: None,
            started_at: None,
        })
    }

    fn event(&self, finding: Finding, at: jiff::Timestamp) -> Event {
        Event::new(finding, &self.location.bucket, &self.location.prefix, at)
    }

    /// One interval: reads, compares, keeps; returns the events, in the order found.
    pub async fn interval(&mut self, s3: &S3, settings: &Settings) -> Vec<Event> {
        let requests_before = s3.requests_sent();
        // The notices this interval takes were sent since the last interval began (the loop
        // takes the queue just before each): a change older than that is not new.
        let previous_start = self.started_at.replace(s3.server_now());
        let bucket = self.location.bucket.clone();
        let prefix = self.location.prefix.clone();
        let posture = s3.bucket_posture(&bucket).await;
        let snapshot = Snapshot::of(&posture);
        let window = crate::domain::posture::recovery_window(&posture);
        let mut events = Vec::new();
        let mut failures: Vec<String> = snapshot.unread.clone();
        let denied = matches!(
            posture.versioning,
            crate::domain::posture::Answer::Denied(_)
        ) || snapshot.unread.iter().any(|u| u.contains("access denied"));
        let first = self.baseline.is_none();
        let since_last = self
            .status
            .updated_at
            .parse::<jiff::Timestamp>()
            .ok()
            .and_then(|t| u64::try_from(s3.server_now().duration_since(t).as_secs()).ok());

        // The posture.
        self.judge_posture(s3, settings, &snapshot, &mut events);

        // The bucket's notifications, where they are set up: still sending to this watcher?
        let mut by_notices = settings.notifications && self.listed_this_run;
        if let Some(made) = &self.made {
            match notify::in_place(s3, made).await {
                Ok(true) => {}
                Ok(false) => {
                    failures.push(format!(
                        "the notification configuration of {bucket} no longer sends to this watcher ({} is gone): the versions are listed each interval instead",
                        made.id
                    ));
                    by_notices = false;
                }
                Err(e) => failures.push(e),
            }
        }
        // The changes: from the notices, or from a listing. With notifications, the versions
        // are listed again every --locks-every seconds, and what that listing found is
        // compared with what the notices told.
        let mut listed_ok = true;
        let reconcile = by_notices
            && settings.locks_every > 0
            && self.listed_at.is_some_and(|t| {
                s3.server_now().as_second().saturating_sub(t)
                    >= i64::try_from(settings.locks_every).unwrap_or(i64::MAX)
            });
        if by_notices {
            self.count_notices(
                s3,
                settings,
                previous_start,
                since_last,
                &mut events,
                &mut failures,
            )
            .await;
        }
        if !settings.no_listing && (!by_notices || reconcile) {
            listed_ok = self
                .list_changes(
                    s3,
                    settings,
                    reconcile,
                    first,
                    since_last,
                    &mut events,
                    &mut failures,
                )
                .await;
        }
        // The lock count, when due (and at the first look).
        self.count_locks(s3, settings, &mut events, &mut failures)
            .await;
        // Running out, judged each interval from the last count (its dates do not move).
        self.judge_running_out(s3, settings, &mut events);

        let at = s3.server_now();
        if first {
            events.insert(
                0,
                self.event(
                    Finding {
                        kind: Kind::Baseline,
                        level: Level::Info,
                        summary: format!(
                            "watching s3://{}/{}: versioning {}, default retention {}, recovery window {}",
                            bucket,
                            prefix,
                            snapshot.versioning.as_deref().unwrap_or("unknown"),
                            snapshot
                                .lock
                                .as_ref()
                                .map_or("unknown".to_string(), |l| match &l.default {
                                    Some(r) => format!("{} for {}", r.mode, r.written),
                                    None => "none".into(),
                                }),
                            match snapshot.window {
                                None => "unknown".to_string(),
                                Some(w) => w.described(),
                            }
                        ),
                        evidence: match (self.status.listed, self.status.listing_so_far) {
                            (_, Some(n)) if listed_ok && !settings.no_listing => vec![format!(
                                "{} listed so far: the listing goes on at the next look",
                                entries(n)
                            )],
                            (Some(n), _) if listed_ok && !settings.no_listing => {
                                vec![format!("{} listed", entries(n))]
                            }
                            _ => Vec::new(),
                        },
                        counts: None,
                    },
                    at,
                ),
            );
        }

        // The watcher itself.
        let failing = (!failures.is_empty()).then(|| failures.join("; "));
        match (&self.status.failing, &failing) {
            (None, Some(why)) => events.push(self.event(
                Finding {
                    kind: Kind::WatcherFailing,
                    level: Level::Critical,
                    summary: format!("the watcher cannot read what it watches: {why}"),
                    evidence: failures.clone(),
                    counts: None,
                },
                at,
            )),
            (Some(was), None) => events.push(self.event(
                Finding {
                    kind: Kind::WatcherRecovered,
                    level: Level::Info,
                    summary: "the watcher reads everything again".into(),
                    evidence: vec![format!("it could not: {was}")],
                    counts: None,
                },
                at,
            )),
            _ => {}
        }
        if failing.is_some() {
            *self
                .metrics
                .errors
                .entry(if denied { "denied" } else { "failed" })
                .or_insert(0) += 1;
        } else {
            self.status.last_success = Some(json_time(at));
            self.metrics.last_success = Some(at.as_millisecond() as f64 / 1000.0);
        }
        self.metrics.up = failing.is_none();
        self.status.failing = failing;
        self.status.updated_at = json_time(at);
        self.status.interval_seconds = settings.interval_seconds;
        self.status.storm = self.storm.active.clone();
        self.status.window = snapshot.window;
        let mut risks = BTreeMap::new();
        for r in &window.risks {
            *risks.entry(r.severity.label().to_string()).or_insert(0) += 1;
        }
        self.metrics.risks = [Severity::High, Severity::Medium, Severity::Low]
            .iter()
            .map(|s| (s.label(), risks.get(s.label()).copied().unwrap_or(0)))
            .collect();
        self.status.risks = risks;
        self.metrics.window = snapshot.window;
        self.metrics.storm_active = self.storm.active.is_some();
        self.metrics.listing_so_far = self.status.listing_so_far;
        self.metrics.weakened = BTreeMap::new();
        for e in &self.status.weakened {
            *self.metrics.weakened.entry(e.event).or_insert(0) += 1;
        }
        for e in &events {
            *self.metrics.events.entry(e.event).or_insert(0) += 1;
            if e.level.is_alert() {
                self.status.alerts.push(e.clone());
            }
        }
        let excess = self.status.alerts.len().saturating_sub(KEPT_ALERTS);
        self.status.alerts.drain(..excess);
        if let Some(c) = &self.status.locks {
            self.metrics.versions = c.by_protection.clone();
            self.metrics.legal_holds = Some(c.legal_holds);
            self.metrics.current_ending = Some((c.horizon_days, c.current_ending));
            self.metrics.last_lock_count = Some(c.at_seconds as f64);
            self.metrics.earliest_current_until =
                c.earliest_current.as_ref().map(|e| e.until_seconds as f64);
        }
        for e in &self.status.lock_changes {
            *self.metrics.weakened.entry(e.event).or_insert(0) += 1;
        }
        self.metrics.requests = s3.requests_sent().saturating_sub(requests_before);
        self.status.requests = self.metrics.requests;
        events
    }

    /// The posture compared with the baseline: each weakening once, each part restored once,
    /// and the baseline taken on (with `--accept`, the posture now).
    fn judge_posture(
        &mut self,
        s3: &S3,
        settings: &Settings,
        snapshot: &Snapshot,
        events: &mut Vec<Event>,
    ) {
        let baseline = match self.baseline.take() {
            None => snapshot.clone(),
            Some(b) if settings.accept => {
                let accepted: Vec<Finding> = weakenings(&b, snapshot)
                    .into_iter()
                    .chain(self.status.lock_changes.iter().map(|e| Finding {
                        kind: e.event,
                        level: e.level,
                        summary: e.summary.clone(),
                        evidence: Vec::new(),
                        counts: None,
                    }))
                    .collect();
                if !accepted.is_empty() {
                    let at = s3.server_now();
                    events.push(self.event(
                        Finding {
                            kind: Kind::PostureAccepted,
                            level: Level::Info,
                            summary: format!(
                                "the posture now is accepted as the baseline: {} weakening{} no longer alerted",
                                accepted.len(),
                                if accepted.len() == 1 { "" } else { "s" }
                            ),
                            evidence: accepted.iter().map(|f| f.summary.clone()).collect(),
                            counts: None,
                        },
                        at,
                    ));
                }
                // Nothing accepted is said restored; what could not be read now keeps what
                // was known.
                self.status.weakened.clear();
                self.status.lock_changes.clear();
                accept(&b, snapshot)
            }
            Some(b) => b,
        };
        let weak = weakenings(&baseline, snapshot);
        let at = s3.server_now();
        let was: Vec<Kind> = self.status.weakened.iter().map(|e| e.event).collect();
        let mut still = Vec::new();
        for f in weak {
            let kind = f.kind;
            let event = self.event(f, at);
            if !was.contains(&kind) {
                events.push(event.clone());
            }
            still.push(event);
        }
        // A part is restored when no weakening of it is left (one replaced by another of the
        // same part is not a restoration).
        let mut restored: Vec<&Event> = Vec::new();
        for gone in self.status.weakened.iter().filter(|e| {
            !still
                .iter()
                .any(|s| s.event == e.event || s.event.part() == e.event.part())
        }) {
            if restored.iter().any(|r| r.event.part() == gone.event.part()) {
                continue;
            }
            restored.push(gone);
        }
        for gone in restored {
            // Restored only when the part is read again (an unread part says nothing).
            events.push(self.event(
                Finding {
                    kind: Kind::PostureRestored,
                    level: Level::Info,
                    summary: format!("restored: {}", gone.summary),
                    evidence: vec![format!("alerted at {} as {}", gone.at, gone.event.code())],
                    counts: None,
                },
                at,
            ));
        }
        self.status.weakened = still;
        self.baseline = Some(advance(&baseline, snapshot));
    }

    /// The changes the notices of the interval told (read back where they could be a storm),
    /// judged for a storm; and, a listing before, whether notices were missed.
    async fn count_notices(
        &mut self,
        s3: &S3,
        settings: &Settings,
        previous_start: Option<jiff::Timestamp>,
        since_last: Option<u64>,
        events: &mut Vec<Event>,
        failures: &mut Vec<String>,
    ) {
        let pending = std::mem::take(&mut self.pending);
        self.told.add(&notice::upper_bound(&pending.notices));
        let (counts, examples, keys, tally, errors) = self
            .changes_told(s3, settings, pending, previous_start)
            .await;
        failures.extend(errors);
        self.status.notices = Some(tally);
        self.metrics
            .notices
            .get_or_insert_with(Default::default)
            .add(&tally);
        let at = s3.server_now();
        if let Some(event) = self.observe(settings, &counts, &examples, keys, since_last, at) {
            events.push(event);
        }
        if let Some(r) = self.reconciling.take()
            && let Some(f) = missed(&r, &self.told, &settings.thresholds)
        {
            events.push(self.event(f, at));
        }
    }

    /// The listing scan, compared with the last one: the changes judged for a storm (or, with
    /// notifications, kept to weigh the notices against). Whether it listed.
    #[allow(clippy::too_many_arguments)]
    async fn list_changes(
        &mut self,
        s3: &S3,
        settings: &Settings,
        reconcile: bool,
        first: bool,
        since_last: Option<u64>,
        events: &mut Vec<Event>,
        failures: &mut Vec<String>,
    ) -> bool {
        let bucket = self.location.bucket.clone();
        let prefix = self.location.prefix.clone();
        let mut listed_ok = true;
        // Where notices count the changes, the listing is one whole (the notices before
        // it are dropped once it is done); otherwise it goes on from where an earlier
        // look stopped, and one that outlasts the interval stops there for the next.
        let plan = scan::Plan {
            resumable: !settings.notifications,
            budget: (!settings.notifications && settings.interval_seconds > 0)
                .then(|| std::time::Duration::from_secs(settings.interval_seconds)),
            stop: settings.stopping.clone(),
        };
        let since_listed = self
            .status
            .listed_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .and_then(|t| u64::try_from(s3.server_now().duration_since(t).as_secs()).ok());
        match scan::scan(
            s3,
            &bucket,
            &prefix,
            self.dir.dir(),
            settings.max_keys,
            plan,
        )
        .await
        {
            Ok(scanned) if scanned.goes_on_after.is_some() => {
                // A piece: judged once the listing is whole.
                self.status.listing_so_far = Some(scanned.entries);
            }
            Ok(scanned) => {
                let at = s3.server_now();
                self.status.listing_so_far = None;
                self.status.listed_at = Some(json_time(at));
                self.status.listed = Some(scanned.entries);
                self.metrics.listed = Some(scanned.entries);
                self.metrics.listing_seconds = Some(scanned.seconds);
                // With notifications, the first listing of a run starts the count again:
                // what it finds since the last listing is what notices told before, and
                // what happened while no watcher ran.
                let rebaseline = settings.notifications && !self.listed_this_run && !first;
                self.listed_this_run = true;
                let previous = self.listed_at.replace(at.as_second());
                if settings.notifications && !reconcile {
                    // What arrived before this listing, it saw.
                    self.pending = notify::Pending::default();
                    self.told = storm::Counts::default();
                }
                if reconcile && scanned.baseline.is_none() {
                    self.reconciling = Some(Reconciling {
                        listed: scanned.counts,
                        told_before: std::mem::take(&mut self.told),
                        since: previous.map_or("the last listing".into(), |t| {
                            jiff::Timestamp::from_second(t)
                                .map_or("the last listing".into(), json_time)
                        }),
                    });
                } else if scanned.baseline.is_none() && !rebaseline {
                    // The span the changes happened in: since the last whole listing.
                    if let Some(event) = self.observe(
                        settings,
                        &scanned.counts,
                        &scanned.examples,
                        scanned.example_keys.clone(),
                        since_listed.or(since_last),
                        at,
                    ) {
                        events.push(event);
                    }
                } else if !first {
                    // A damaged or lost scan, or the first listing of a run with
                    // notifications: said, and what follows compares with it.
                    events.push(self.event(
                        Finding {
                            kind: Kind::Baseline,
                            level: Level::Info,
                            summary: match scanned.baseline {
                                // The first listing, in pieces since the first look.
                                Some(_) if scanned.first && scanned.resumed.is_some() => {
                                    "the first listing of this location is whole: later listings compare with it".to_string()
                                }
                                Some(why) => {
                                    format!("the listing starts again from this scan: {why}")
                                }
                                None => format!(
                                    "the listing starts again from this scan, and notices from now on: since the last listing, {}",
                                    scanned.counts.described()
                                ),
                            },
                            evidence: vec![format!("{} listed", entries(scanned.entries))],
                            counts: None,
                        },
                        at,
                    ));
                }
            }
            Err(e) => {
                listed_ok = false;
                // What was listed is kept for the next look, or nothing is.
                self.status.listing_so_far = match &e {
                    scan::ScanError::Listing {
                        entries,
                        kept_after: Some(_),
                        ..
                    } => Some(*entries),
                    _ => None,
                };
                failures.push(e.to_string());
            }
        }
        listed_ok
    }

    /// The lock count, when due: legal holds released and retentions shortened since the last.
    async fn count_locks(
        &mut self,
        s3: &S3,
        settings: &Settings,
        events: &mut Vec<Event>,
        failures: &mut Vec<String>,
    ) {
        let due = !settings.no_listing
            && !settings.stopping.is_set()
            && settings.locks_every > 0
            && self.status.locks.as_ref().is_none_or(|c| {
                s3.server_now().as_second().saturating_sub(c.at_seconds)
                    >= i64::try_from(settings.locks_every).unwrap_or(i64::MAX)
            });
        if due {
            match locks::count(
                s3,
                &settings.endpoint,
                &self.location,
                self.dir.dir(),
                settings.horizon_days,
                settings.max_keys,
            )
            .await
            {
                Ok(counted) => {
                    let at = s3.server_now();
                    for (kind, n, examples, keys, what) in [
                        (
                            Kind::LegalHoldReleased,
                            counted.released_count,
                            &counted.released,
                            &counted.released_keys,
                            "legal holds released",
                        ),
                        (
                            Kind::RetentionShortened,
                            counted.shortened_count,
                            &counted.shortened,
                            &counted.shortened_keys,
                            "retentions shortened or removed",
                        ),
                    ] {
                        if n == 0 || counted.first {
                            continue;
                        }
                        let mut event = self.event(
                            Finding {
                                kind,
                                level: Level::Critical,
                                summary: format!(
                                    "{what} on {n} version{} since the lock count of {}",
                                    if n == 1 { "" } else { "s" },
                                    self.status
                                        .locks
                                        .as_ref()
                                        .map_or("before", |c| c.at.as_str())
                                ),
                                evidence: examples.clone(),
                                counts: None,
                            },
                            at,
                        );
                        event.keys = keys.clone();
                        events.push(event.clone());
                        self.status.lock_changes.push(event);
                    }
                    self.status.locks = Some(counted);
                }
                Err(e) => failures.push(e),
            }
        }
    }

    /// Protection running out, from the last lock count: alerted once, and once renewed.
    fn judge_running_out(&mut self, s3: &S3, settings: &Settings, events: &mut Vec<Event>) {
        let now_seconds = s3.server_now().as_second();
        let ending = self.status.locks.as_ref().and_then(|c| {
            let earliest = c.earliest_current.as_ref()?;
            let horizon = i64::try_from(settings.horizon_days.saturating_mul(86_400)).ok()?;
            (earliest.until_seconds <= now_seconds.saturating_add(horizon)
                && earliest.until_seconds > now_seconds)
                .then_some((c, earliest))
        });
        match (ending, &self.status.running_out) {
            (Some((c, earliest)), None) => {
                let mut event = self.event(
                    Finding {
                        kind: Kind::RetentionRunningOut,
                        level: Level::Warning,
                        summary: format!(
                            "the protection of {} current version{} ends within {} days: the first, {} (version {}), is {} until {}",
                            c.current_ending.max(1),
                            if c.current_ending > 1 { "s" } else { "" },
                            settings.horizon_days,
                            crate::domain::text::sanitize(&earliest.key),
                            crate::domain::text::sanitize(&earliest.version_id),
                            earliest.mode,
                            earliest.until
                        ),
                        evidence: vec![format!(
                            "the lock count of {}: {} current versions, {} protected{}",
                            c.at,
                            c.current_versions,
                            c.current_protected,
                            match c.current_unknown {
                                0 => String::new(),
                                n => format!(", {n} whose lock could not be read whole"),
                            }
                        )],
                        counts: None,
                    },
                    s3.server_now(),
                );
                event.keys = vec![earliest.key.clone()];
                events.push(event.clone());
                self.status.running_out = Some(event);
            }
            (None, Some(was)) if self.status.locks.is_some() => {
                events.push(self.event(
                    Finding {
                        kind: Kind::RetentionRenewed,
                        level: Level::Info,
                        summary: format!(
                            "no current version's protection ends within {} days any more",
                            settings.horizon_days
                        ),
                        evidence: vec![format!("alerted at {}: {}", was.at, was.summary)],
                        counts: None,
                    },
                    s3.server_now(),
                ));
                self.status.running_out = None;
            }
            _ => {}
        }
    }

    /// One interval's changes judged for a storm: the event when one begins or ends.
    fn observe(
        &mut self,
        settings: &Settings,
        counts: &storm::Counts,
        examples: &[String],
        keys: Vec<String>,
        since_last: Option<u64>,
        at: jiff::Timestamp,
    ) -> Option<Event> {
        self.status.last_changes = Some(*counts);
        self.metrics.changes.add(counts);
        // The span the changes happened in: since the last look.
        let seconds = since_last.unwrap_or(settings.interval_seconds).max(1);
        let f = self.storm.observe(
            &settings.thresholds,
            counts,
            &json_time(at),
            seconds,
            examples,
        )?;
        let mut event = self.event(f, at);
        if event.event == Kind::DeletionStorm {
            event.keys = keys;
        }
        Some(event)
    }

    /// The changes the notices of an interval come to. Under the storm thresholds even with
    /// each notice counted at its worst, they are counted as they say; otherwise each key is
    /// read back (at most `READ_BACK_KEYS`, `READ_BACKS` at once) and only what its history
    /// confirms is counted. Returns the counts, examples, keys, the tally and what failed.
    async fn changes_told(
        &mut self,
        s3: &S3,
        settings: &Settings,
        pending: notify::Pending,
        since: Option<jiff::Timestamp>,
    ) -> (
        storm::Counts,
        Vec<String>,
        Vec<String>,
        notice::Tally,
        Vec<String>,
    ) {
        use futures::StreamExt;
        const READ_BACK_KEYS: usize = 5_000;
        const READ_BACKS: usize = 8;
        let mut tally = notice::Tally {
            received: pending.notices.len() as u64,
            dropped: pending.dropped,
            ..Default::default()
        };
        for n in &pending.notices {
            if n.change == notice::Change::Created && !n.version_id.is_empty() {
                self.created.insert(&n.key, &n.version_id);
            }
        }
        let upper = notice::upper_bound(&pending.notices);
        if !self.storm.is_storm(&settings.thresholds, &upper) && pending.dropped == 0 {
            tally.counted_unread = tally.received;
            return (upper, Vec::new(), Vec::new(), tally, Vec::new());
        }
        let mut by_key: BTreeMap<&str, Vec<&notice::Notice>> = BTreeMap::new();
        for n in &pending.notices {
            by_key.entry(n.key.as_str()).or_default().push(n);
        }
        // The versions the last listing saw of the keys with a deletion.
        let deleting: Vec<String> = by_key
            .iter()
            .take(READ_BACK_KEYS)
            .filter(|(_, ns)| {
                ns.iter().any(|n| {
                    matches!(
                        n.change,
                        notice::Change::VersionDeleted | notice::Change::MarkerRemoved
                    )
                })
            })
            .map(|(k, _)| k.to_string())
            .collect();
        let listing = self.dir.path(scan::FILE);
        let listed: std::collections::HashMap<String, Vec<String>> =
            tokio::task::spawn_blocking(move || listed_versions(&listing, &deleting))
                .await
                .unwrap_or_default();
        let mut counts = storm::Counts::default();
        let mut examples = Vec::new();
        let mut keys = Vec::new();
        let mut errors = Vec::new();
        let bucket = self.location.bucket.as_str();
        // The futures made first: a stream mapping a closure over borrowed keys is not
        // `Send` for the compiler's higher-ranked check.
        let reads: Vec<_> = by_key
            .iter()
            .take(READ_BACK_KEYS)
            .map(|(key, notices)| {
                let key: &str = key;
                async move { (key, notices, s3.key_history(bucket, key).await) }
            })
            .collect();
        let mut read = futures::stream::iter(reads).buffered(READ_BACKS);
        while let Some((key, notices, history)) = read.next().await {
            tally.keys_read_back += 1;
            let history = match history {
                Ok(h) => h,
                Err(e) => {
                    tally.unconfirmed += notices.len() as u64;
                    if errors.len() < 3 {
                        errors.push(format!(
                            "reading back {}: {e}",
                            crate::domain::text::name(key)
                        ));
                    }
                    continue;
                }
            };
            for n in notices {
                let existed = |id: &str| {
                    listed.get(key).is_some_and(|v| v.iter().any(|l| l == id))
                        || self.created.contains(key, id)
                };
                let counted = |id: &str| self.counted.contains(key, id);
                let (verdict, by) = notice::confirm(
                    n,
                    &history,
                    &notice::Known {
                        since,
                        existed: &existed,
                        counted: &counted,
                    },
                );
                match verdict {
                    Verdict::Confirmed(c) => {
                        self.counted.insert(key, &by);
                        tally.confirmed += 1;
                        c.count(&mut counts);
                        let what = match c {
                            Confirmed::MarkerCreated => Some("delete marker created"),
                            Confirmed::VersionDeleted => Some("version deleted"),
                            Confirmed::Overwrite => Some("overwritten"),
                            _ => None,
                        };
                        if let Some(what) = what {
                            if examples.len() < storm::EXAMPLES {
                                examples.push(format!(
                                    "{}: {what}, read back",
                                    crate::domain::text::name(key)
                                ));
                            }
                            if keys.len() < storm::EXAMPLES && !keys.iter().any(|k| k == key) {
                                keys.push(key.to_string());
                            }
                        }
                    }
                    Verdict::Unconfirmed => tally.unconfirmed += 1,
                }
            }
        }
        drop(read);
        tally.not_read_back = by_key
            .values()
            .skip(READ_BACK_KEYS)
            .map(|v| v.len() as u64)
            .sum();
        (counts, examples, keys, tally, errors)
    }

    /// Keeps what the interval found; a state that cannot be saved is an error to say (the
    /// next interval compares with what was saved last).
    pub fn save(&self) -> Result<(), String> {
        if let Some(b) = &self.baseline {
            self.dir.save("baseline.json", b)?;
        }
        self.dir.save("storm.json", &self.storm)?;
        self.dir.save("status.json", &self.status)
    }
}

impl WatchStatus {
    /// What the UI shows of it.
    pub fn alerts(&self) -> crate::domain::watch::Alerts {
        let mut now: Vec<(Level, String)> = Vec::new();
        if let Some(why) = &self.failing {
            now.push((
                Level::Critical,
                format!("the watcher cannot read what it watches: {why}"),
            ));
        }
        if let Some(storm) = &self.storm {
            now.push((
                Level::Critical,
                format!(
                    "deletion storm since {}: {}",
                    storm.since,
                    storm.totals.described()
                ),
            ));
        }
        for e in self
            .weakened
            .iter()
            .chain(&self.lock_changes)
            .chain(&self.running_out)
        {
            now.push((e.level, e.summary.clone()));
        }
        now.sort_by_key(|(level, _)| std::cmp::Reverse(*level));
        // An alert of the last day marks the bucket too, though over (a storm that ended).
        let updated = self.updated_at.parse::<jiff::Timestamp>().ok();
        let lately = self
            .alerts
            .iter()
            .filter(|e| match (updated, e.at.parse::<jiff::Timestamp>().ok()) {
                (Some(u), Some(at)) => u.duration_since(at).as_secs() <= 86_400,
                _ => false,
            })
            .map(|e| e.level)
            .max();
        crate::domain::watch::Alerts {
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            level: now.first().map(|(l, _)| *l).max(lately),
            now,
            recent: self.alerts.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// The watchers' statuses under `base` for `endpoint` (at most `MAX_WATCHED` folders read;
/// one that cannot be read is left out).
pub fn read_alerts(base: &std::path::Path, endpoint: &str) -> Vec<crate::domain::watch::Alerts> {
    const MAX_WATCHED: usize = 1_000;
    let Ok(dirs) = std::fs::read_dir(base.join("watch")) else {
        return Vec::new();
    };
    let mut found: Vec<crate::domain::watch::Alerts> = dirs
        .flatten()
        .take(MAX_WATCHED)
        .filter_map(|d| state::load::<WatchStatus>(&d.path().join("status.json")).ok()?)
        .filter(|s| s.endpoint == endpoint)
        .map(|s| s.alerts())
        .collect();
    found.sort_by(|a, b| (&a.bucket, &a.prefix).cmp(&(&b.bucket, &b.prefix)));
    found
}

/// "1 version or delete marker", "40 versions and delete markers".
fn entries(n: u64) -> String {
    if n == 1 {
        "1 version or delete marker".into()
    } else {
        format!("{n} versions and delete markers")
    }
}

/// `check`'s judgement of a location's status: the plugin status, the summary, the details
/// and the performance data. `stale` is set when the watcher that keeps the status is not
/// running or has not finished an interval in time.
/// `check`'s thresholds on the protection of current versions running out, in days, and the
/// time (Unix seconds) they are judged at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expiry {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub now: i64,
}

pub fn judge(
    status: &WatchStatus,
    stale: Option<String>,
    expiry: Expiry,
) -> (Status, String, Vec<String>, Vec<Perf>) {
    let place = format!(
        "s3://{}/{}",
        crate::domain::text::sanitize(&status.bucket),
        crate::domain::text::sanitize(&status.prefix)
    );
    let mut worst = Status::Ok;
    let mut said = Vec::new();
    let mut details = Vec::new();
    if let Some(why) = &stale {
        worst = Status::Critical;
        said.push(why.clone());
    }
    if let Some(why) = &status.failing {
        worst = worst.worst(Status::Critical);
        said.push(format!("cannot read what it watches: {why}"));
    }
    if let Some(storm) = &status.storm {
        worst = worst.worst(Status::Critical);
        said.push(format!(
            "deletion storm since {}: {}",
            storm.since,
            storm.totals.described()
        ));
    }
    for w in status.weakened.iter().chain(&status.lock_changes) {
        worst = worst.worst(Status::of(w.level));
        said.push(w.summary.clone());
        for e in &w.evidence {
            details.push(format!("{}: {e}", w.event.code()));
        }
    }
    let mut ends_in = None;
    if expiry.warning.is_some() || expiry.critical.is_some() {
        match status.locks.as_ref() {
            None => {
                worst = worst.worst(Status::Unknown);
                said.push(
                    "no lock count yet, so the protection running out is not judged (see --locks-every)"
                        .into(),
                );
            }
            Some(c) => {
                if let Some(e) = &c.earliest_current {
                    let days = e.until_seconds.saturating_sub(expiry.now) as f64 / 86_400.0;
                    ends_in = Some(days);
                    let level = if expiry.critical.is_some_and(|c| days < c) {
                        Status::Critical
                    } else if expiry.warning.is_some_and(|w| days < w) {
                        Status::Warning
                    } else {
                        Status::Ok
                    };
                    if level != Status::Ok {
                        worst = worst.worst(level);
                        said.push(format!(
                            "the protection of {} (version {}) ends {} ({} until {}; lock count of {})",
                            crate::domain::text::sanitize(&e.key),
                            crate::domain::text::sanitize(&e.version_id),
                            if days < 0.0 {
                                format!("ended {:.1} days ago", -days)
                            } else {
                                format!("in {days:.1} days")
                            },
                            e.mode,
                            e.until,
                            c.at
                        ));
                    }
                }
            }
        }
    }
    let summary = if said.is_empty() {
        format!(
            "{place}: nothing weakened, no storm{}",
            match (status.listed, status.listing_so_far) {
                (_, Some(n)) => format!(", a listing under way ({} so far)", entries(n)),
                (Some(n), None) => format!(", {} listed", entries(n)),
                (None, None) => String::new(),
            }
        )
    } else {
        format!("{place}: {}", said.join("; "))
    };
    let mut perf = Vec::new();
    if let Some(c) = &status.last_changes {
        perf.push(Perf::new("markers_created", c.markers_created as f64, ""));
        perf.push(Perf::new("versions_deleted", c.versions_deleted as f64, ""));
        perf.push(Perf::new("overwrites", c.overwrites as f64, ""));
    }
    if let Some(n) = status.listed {
        perf.push(Perf::new("listed", n as f64, ""));
    }
    perf.push(Perf::new("requests", status.requests as f64, ""));
    if let Some(Window::Days(d)) = status.window {
        perf.push(Perf::new("recovery_window_days", f64::from(d), ""));
    }
    perf.push(Perf::new(
        "weakened",
        (status.weakened.len() + status.lock_changes.len()) as f64,
        "",
    ));
    if let Some(days) = ends_in {
        let mut p = Perf::new("protection_days_left", (days * 100.0).round() / 100.0, "");
        p.warn = expiry.warning;
        p.crit = expiry.critical;
        p.min = None;
        perf.push(p);
    }
    (worst, summary, details, perf)
}

/// `check`'s output for a status.
pub fn report(status: &WatchStatus, stale: Option<String>, expiry: Expiry) -> (Status, String) {
    let (s, summary, details, perf) = judge(status, stale, expiry);
    (s, render(s, &summary, &details, &perf))
}

/// The version ids the listing kept at `path` has of each of `keys` (sorted): empty when
/// there is no listing or it cannot be read (nothing is then known to have existed there).
fn listed_versions(
    path: &std::path::Path,
    keys: &[String],
) -> std::collections::HashMap<String, Vec<String>> {
    let mut found = std::collections::HashMap::new();
    let Ok(Some(mut walker)) = records::Walker::open(path) else {
        return found;
    };
    for key in keys {
        let entries = walker.until(key, &mut |_, _| {});
        if !entries.is_empty() {
            found.insert(
                key.clone(),
                entries.into_iter().map(|e| e.version_id).collect(),
            );
        }
    }
    found
}

/// What a listing found that the notices of the same span did not tell: delete markers and
/// deleted versions (a listing sees fewer than happened — a marker made and removed between
/// two listings is not seen — so more in the listing means notices were lost). `told` holds
/// the notices since the listing, counted too: some of its changes came after them.
fn missed(r: &Reconciling, told: &storm::Counts, thresholds: &Thresholds) -> Option<Finding> {
    let mut all = r.told_before;
    all.add(told);
    let markers = r.listed.markers_created.saturating_sub(all.markers_created);
    let deleted = r
        .listed
        .versions_deleted
        .saturating_sub(all.versions_deleted);
    let n = markers.saturating_add(deleted);
    if n == 0 {
        return None;
    }
    Some(Finding {
        kind: Kind::NoticesMissed,
        level: if n >= thresholds.count {
            Level::Critical
        } else {
            Level::Warning
        },
        summary: format!(
            "the listing found {n} deletion{} since {} that no notice told: notices were lost (by the server, the network, or a full queue), and the counts of those intervals were short",
            if n == 1 { "" } else { "s" },
            r.since
        ),
        evidence: vec![
            format!(
                "the listing: {} delete markers created, {} versions deleted",
                r.listed.markers_created, r.listed.versions_deleted
            ),
            format!(
                "the notices, from the listing before to the interval after: {} delete markers created, {} versions deleted",
                all.markers_created, all.versions_deleted
            ),
        ],
        counts: None,
    })
}
