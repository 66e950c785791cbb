//! The lock-coverage report: what protects each version under a prefix, summed up for an
//! auditor. Pure: versions and their HEAD results go in, counts come out (`Coverage`), written
//! as Markdown (`markdown`) or CSV (`csv`).

mod csv;
mod markdown;
#[cfg(test)]
mod tests;

pub use csv::{CSV_HEADER, csv_field, csv_row};

use super::lock::{LegalHold, LockInfo, LockState, RetainUntil, RetentionMode};
use super::{BucketLock, HistoryEntry, Versioning, format, text};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What protects one version at the moment of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// COMPLIANCE retention in force: nobody can delete it before the date.
    Compliance,
    /// GOVERNANCE retention in force: only with the bypass permission.
    Governance,
    /// No retention in force, but a legal hold.
    LegalHold,
    /// Its retention date has passed and no legal hold stays.
    Expired,
    /// No retention, no hold.
    None,
    /// Its HEAD failed: not known.
    Unknown,
}

impl Protection {
    pub const ALL: [Protection; 6] = [
        Protection::Compliance,
        Protection::Governance,
        Protection::LegalHold,
        Protection::Expired,
        Protection::None,
        Protection::Unknown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Protection::Compliance => "COMPLIANCE (retained)",
            Protection::Governance => "GOVERNANCE (retained)",
            Protection::LegalHold => "legal hold only",
            Protection::Expired => "retention expired",
            Protection::None => "none",
            Protection::Unknown => "unknown (HEAD failed)",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Protection::Compliance => "compliance",
            Protection::Governance => "governance",
            Protection::LegalHold => "legal-hold",
            Protection::Expired => "expired",
            Protection::None => "none",
            Protection::Unknown => "unknown",
        }
    }

    /// Whether the version can be deleted at the time of the report (without a bypass).
    pub fn deletable(self) -> bool {
        matches!(self, Protection::Expired | Protection::None)
    }
}

/// The protection a lock gives at `now`.
pub fn protection(lock: &LockInfo, now: Timestamp) -> Protection {
    match lock.state(now) {
        LockState::Retained {
            mode: RetentionMode::Compliance,
            ..
        } => Protection::Compliance,
        LockState::Retained {
            mode: RetentionMode::Governance,
            ..
        } => Protection::Governance,
        // A mode lockwatch cannot read may protect the version: never counted as unprotected.
        LockState::Retained { .. } => Protection::Unknown,
        _ if lock.legal_hold.is_on() => Protection::LegalHold,
        _ if lock.legal_hold.may_block() => Protection::Unknown,
        LockState::Expired { .. } => Protection::Expired,
        LockState::None => Protection::None,
    }
}

/// Ages of delete markers, in days: `(label, upper bound in days)`.
pub const MARKER_AGES: [(&str, Option<i64>); 5] = [
    ("under 1 day", Some(1)),
    ("1 to 7 days", Some(7)),
    ("7 to 30 days", Some(30)),
    ("30 to 90 days", Some(90)),
    ("over 90 days", None),
];

/// One value for each protection state, written as an object keyed by the state's name, so
/// that a tool reads `.by_protection.compliance.versions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ByProtection<T> {
    pub compliance: T,
    pub governance: T,
    pub legal_hold: T,
    pub expired: T,
    pub none: T,
    pub unknown: T,
}

impl<T> ByProtection<T> {
    /// The value of each state, from `f`.
    pub fn from_fn(mut f: impl FnMut(Protection) -> T) -> Self {
        ByProtection {
            compliance: f(Protection::Compliance),
            governance: f(Protection::Governance),
            legal_hold: f(Protection::LegalHold),
            expired: f(Protection::Expired),
            none: f(Protection::None),
            unknown: f(Protection::Unknown),
        }
    }

    pub fn get(&self, p: Protection) -> &T {
        match p {
            Protection::Compliance => &self.compliance,
            Protection::Governance => &self.governance,
            Protection::LegalHold => &self.legal_hold,
            Protection::Expired => &self.expired,
            Protection::None => &self.none,
            Protection::Unknown => &self.unknown,
        }
    }

    pub fn get_mut(&mut self, p: Protection) -> &mut T {
        match p {
            Protection::Compliance => &mut self.compliance,
            Protection::Governance => &mut self.governance,
            Protection::LegalHold => &mut self.legal_hold,
            Protection::Expired => &mut self.expired,
            Protection::None => &mut self.none,
            Protection::Unknown => &mut self.unknown,
        }
    }

    /// Each state with its value, in `Protection::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Protection, &T)> {
        Protection::ALL.into_iter().map(|p| (p, self.get(p)))
    }
}

/// Delete markers of one age: all of them, and those that are the latest entry of their key
/// (keys deleted now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkerCount {
    pub markers: u64,
    pub keys_deleted_now: u64,
}

/// Delete markers by age (`MARKER_AGES`), written as an object keyed by the age's name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkersByAge {
    pub under_1_day: MarkerCount,
    pub days_1_to_7: MarkerCount,
    pub days_7_to_30: MarkerCount,
    pub days_30_to_90: MarkerCount,
    pub over_90_days: MarkerCount,
}

impl MarkersByAge {
    /// Each age's label (as `MARKER_AGES` has it) and its count, youngest first.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, MarkerCount)> {
        let counts = [
            self.under_1_day,
            self.days_1_to_7,
            self.days_7_to_30,
            self.days_30_to_90,
            self.over_90_days,
        ];
        MARKER_AGES.iter().map(|(label, _)| *label).zip(counts)
    }

    /// The count of the age at `slot` of `MARKER_AGES` (the oldest beyond it).
    fn slot_mut(&mut self, slot: usize) -> &mut MarkerCount {
        match slot {
            0 => &mut self.under_1_day,
            1 => &mut self.days_1_to_7,
            2 => &mut self.days_7_to_30,
            3 => &mut self.days_30_to_90,
            _ => &mut self.over_90_days,
        }
    }
}

/// A version whose lock could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownVersion {
    #[serde(flatten)]
    pub version: ListedVersion,
    pub error: String,
}

/// How many versions, and how many bytes they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub versions: u64,
    pub bytes: u64,
}

/// A version the report names (held, unprotected, unknown): its key, id, size and age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedVersion {
    pub key: String,
    pub version_id: String,
    pub size: Option<u64>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    pub retain_until: String,
    pub key: String,
    pub version_id: String,
}

/// Everything the report says. Built entry by entry with `add_version` and `add_marker`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: String,
    /// Who took it: the user the server says these credentials are, the key, the local user.
    pub taken_by: Option<String>,
    /// The server's time when the report was taken (the moment protections are judged at).
    pub taken_at: String,
    /// This machine's clock at the same moment.
    pub local_time: String,
    /// The server's clock minus this machine's, in seconds, when it differs.
    pub server_clock_offset_seconds: Option<i64>,
    pub versioning: Option<String>,
    pub object_lock: Option<String>,
    pub keys: u64,
    pub versions: u64,
    pub delete_markers: u64,
    /// Per protection state.
    pub by_protection: ByProtection<Count>,
    /// Versions under a legal hold, whatever their retention.
    pub legal_holds: u64,
    /// The versions under a legal hold, by name (the first `LISTED_UNPROTECTED`).
    pub held: Vec<ListedVersion>,
    pub earliest_retain_until: Option<Bound>,
    pub latest_retain_until: Option<Bound>,
    /// Current objects (the latest entry of their key is a version) that can be deleted.
    pub unprotected_current: Vec<ListedVersion>,
    pub unprotected_current_count: u64,
    /// Delete markers by age.
    pub markers_by_age: MarkersByAge,
    /// Versions whose HEAD failed, with why.
    pub unknown: Vec<UnknownVersion>,
    /// All of them (the list keeps the first `LISTED_UNPROTECTED`, so that a bucket whose
    /// every HEAD fails cannot grow the report without bound).
    pub unknown_count: u64,
    /// Object Lock is not enabled on the bucket, so no version's lock was read (no HEADs):
    /// none can carry a retention or a legal hold.
    pub locks_not_read: bool,
    /// The bucket's posture, the recovery window and the risks, when read (again when a
    /// report is resumed).
    #[serde(skip_deserializing)]
    pub posture: Option<super::posture::Summary>,
    /// Where the locks came from when not from HEAD requests (an S3 Inventory report).
    pub source: Option<String>,
    /// How the versions were listed (none: not listed, read from an inventory).
    #[serde(default)]
    pub listed: Option<super::pages::ListedAs>,
    /// HEAD requests sent, the most in flight at once, and how many answers said the server
    /// was overloaded (each was asked again later).
    pub head_requests: u64,
    pub head_concurrency_peak: usize,
    pub slowed_down: u64,
    /// When the report was cut (a failure, Ctrl-C) and resumed from a checkpoint: each part,
    /// in order. Empty for a report read in one go.
    pub parts: Vec<Part>,
    /// Set for `--sample`: the versions by protection are those of the sample, and this says
    /// what they mean for every listed version.
    pub sample: Option<SampleSummary>,
    /// Current objects (keys whose latest entry is a version), counted from the listing.
    pub current_versions: u64,
    /// What went wrong beside the report itself (a checkpoint that could not be saved):
    /// said on standard error, and the command exits 1.
    #[serde(skip)]
    pub warnings: Vec<String>,
    #[serde(skip)]
    now: Timestamp,
    #[serde(skip)]
    last_key: Option<Arc<str>>,
    #[serde(skip)]
    earliest: Option<RetainUntil>,
    #[serde(skip)]
    latest: Option<RetainUntil>,
    /// Keys are counted by their latest entry (an inventory, not in key order), not by
    /// changes of key along a listing.
    #[serde(skip)]
    keys_by_latest: bool,
}

/// One stretch of a report read in parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// By the server's clock.
    pub started_at: String,
    pub ended_at: String,
    /// Where its listing started (none: at the beginning).
    pub from_key: Option<String>,
    /// Versions and delete markers read in it.
    pub entries: u64,
    /// Why it ended before the listing did, when it did.
    pub cut: Option<String>,
}

/// What a sampled report measured, and how far it can be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    /// Versions whose lock was read, chosen uniformly at random over the whole listing.
    pub size: u64,
    /// Versions listed.
    pub population: u64,
    /// The seed of the choice: the same seed over the same listing chooses the same versions.
    pub seed: u64,
    /// Per protection state, with 95% confidence intervals.
    pub by_protection: ByProtection<super::sample::Estimate>,
    pub legal_hold: super::sample::Estimate,
    /// Sampled current objects, and those of them that can be deleted now.
    pub current_sampled: u64,
    pub unprotected_current: super::sample::Estimate,
}

/// A report's state as a checkpoint keeps it: the coverage so far and what it needs to go on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resumable {
    pub coverage: Coverage,
    last_key: Option<String>,
    earliest: Option<(i64, u32)>,
    latest: Option<(i64, u32)>,
}

/// At most this many unprotected current objects are listed by name (all are counted).
pub const LISTED_UNPROTECTED: usize = 1000;

impl Coverage {
    pub fn new(
        bucket: &str,
        prefix: &str,
        endpoint: &str,
        now: Timestamp,
        local: Timestamp,
        offset: Option<SignedDuration>,
    ) -> Coverage {
        Coverage {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint: endpoint.into(),
            taken_by: None,
            locks_not_read: false,
            posture: None,
            taken_at: format::json_time(now),
            local_time: format::json_time(local),
            server_clock_offset_seconds: offset.map(|o| o.as_secs()),
            versioning: None,
            object_lock: None,
            keys: 0,
            versions: 0,
            delete_markers: 0,
            by_protection: ByProtection::default(),
            legal_holds: 0,
            held: Vec::new(),
            earliest_retain_until: None,
            latest_retain_until: None,
            unprotected_current: Vec::new(),
            unprotected_current_count: 0,
            markers_by_age: MarkersByAge::default(),
            unknown: Vec::new(),
            unknown_count: 0,
            source: None,
            listed: None,
            warnings: Vec::new(),
            head_requests: 0,
            head_concurrency_peak: 0,
            slowed_down: 0,
            parts: Vec::new(),
            sample: None,
            current_versions: 0,
            now,
            last_key: None,
            earliest: None,
            latest: None,
            keys_by_latest: false,
        }
    }

    /// The state to save in a checkpoint.
    pub fn resumable(&self) -> Resumable {
        let pair = |r: RetainUntil| (r.unix_seconds(), r.subsec_nanos());
        Resumable {
            coverage: self.clone(),
            last_key: self.last_key.as_deref().map(str::to_string),
            earliest: self.earliest.map(pair),
            latest: self.latest.map(pair),
        }
    }

    /// Goes on from a checkpoint; what is read from now on is judged at `now`.
    pub fn resume(saved: Resumable, now: Timestamp) -> Coverage {
        let at = |(secs, nanos): (i64, u32)| RetainUntil::from_unix(secs, nanos);
        Coverage {
            now,
            last_key: saved.last_key.map(Arc::from),
            earliest: saved.earliest.map(at),
            latest: saved.latest.map(at),
            ..saved.coverage
        }
    }

    /// The moment protections are judged at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Counts keys by their latest entry rather than along a sorted listing.
    pub fn count_keys_by_latest(&mut self) {
        self.keys_by_latest = true;
    }

    pub fn set_bucket(&mut self, versioning: Option<Versioning>, lock: Option<&BucketLock>) {
        self.versioning = versioning.map(|v| v.label().to_string());
        self.object_lock = lock.map(|l| match l {
            BucketLock::Disabled => "disabled".to_string(),
            BucketLock::Enabled {
                default_retention: None,
            } => "enabled, no default retention".to_string(),
            BucketLock::Enabled {
                default_retention: Some((mode, period)),
            } => format!("enabled, default {} {period}", mode.as_str()),
        });
    }

    fn count_key(&mut self, entry: &HistoryEntry) {
        if self.keys_by_latest {
            if entry.is_latest {
                self.keys += 1;
            }
            return;
        }
        let key = &entry.key;
        if self.last_key.as_ref() != Some(key) {
            self.keys += 1;
            self.last_key = Some(key.clone());
        }
    }

    /// Adds a version with what its HEAD said (or why it failed). Returns its protection.
    pub fn add_version(
        &mut self,
        entry: &HistoryEntry,
        lock: &Result<LockInfo, String>,
    ) -> Protection {
        self.count_key(entry);
        self.versions += 1;
        if entry.is_latest {
            self.current_versions += 1;
        }
        let r = listed_version(entry);
        let p = match lock {
            Ok(lock) => {
                let p = protection(lock, self.now);
                if lock.legal_hold.is_on() {
                    self.legal_holds += 1;
                    if self.held.len() < LISTED_UNPROTECTED {
                        self.held.push(r.clone());
                    }
                }
                if p == Protection::Unknown {
                    self.note_unknown(
                        &r,
                        lock.unreadable()
                            .unwrap_or_else(|| "a lock lockwatch cannot read".into()),
                    );
                }
                if matches!(p, Protection::Compliance | Protection::Governance)
                    && let Some(until) = lock.retain_until
                {
                    let bound = || Bound {
                        retain_until: until.rfc3339_millis(),
                        key: entry.key.to_string(),
                        version_id: entry.version_id.clone(),
                    };
                    if self.earliest.is_none_or(|e| until < e) {
                        self.earliest = Some(until);
                        self.earliest_retain_until = Some(bound());
                    }
                    if self.latest.is_none_or(|l| until > l) {
                        self.latest = Some(until);
                        self.latest_retain_until = Some(bound());
                    }
                }
                p
            }
            Err(why) => {
                self.note_unknown(&r, why.clone());
                Protection::Unknown
            }
        };
        let t = self.by_protection.get_mut(p);
        t.versions += 1;
        t.bytes += entry.size().unwrap_or(0);
        if entry.is_latest && p.deletable() {
            self.unprotected_current_count += 1;
            if self.unprotected_current.len() < LISTED_UNPROTECTED {
                self.unprotected_current.push(r);
            }
        }
        p
    }

    /// Counts a listed version whose lock is not read (a sampled report reads a few).
    pub fn add_listed_version(&mut self, entry: &HistoryEntry) {
        self.count_key(entry);
        self.versions += 1;
        if entry.is_latest {
            self.current_versions += 1;
        }
    }

    /// Tallies a sampled version by what its HEAD said (its listing was counted already).
    pub fn add_sampled(
        &mut self,
        entry: &HistoryEntry,
        lock: &Result<LockInfo, String>,
    ) -> Protection {
        let (keys, versions, current, last_key) = (
            self.keys,
            self.versions,
            self.current_versions,
            self.last_key.clone(),
        );
        let p = self.add_version(entry, lock);
        (
            self.keys,
            self.versions,
            self.current_versions,
            self.last_key,
        ) = (keys, versions, current, last_key);
        p
    }

    pub fn add_marker(&mut self, entry: &HistoryEntry) {
        self.count_key(entry);
        self.delete_markers += 1;
        let age_days = entry
            .last_modified
            .map(|t| self.now.duration_since(t).as_secs() / 86_400);
        let slot = MARKER_AGES
            .iter()
            .position(|(_, max)| match (age_days, max) {
                (Some(a), Some(m)) => a < *m,
                (None, _) => true,
                (_, None) => true,
            })
            .unwrap_or(MARKER_AGES.len() - 1);
        let count = self.markers_by_age.slot_mut(slot);
        count.markers += 1;
        if entry.is_latest {
            count.keys_deleted_now += 1;
        }
    }

    fn note_unknown(&mut self, r: &ListedVersion, why: String) {
        self.unknown_count += 1;
        if self.unknown.len() < LISTED_UNPROTECTED {
            self.unknown.push(UnknownVersion {
                version: r.clone(),
                error: why,
            });
        }
    }
}

fn listed_version(entry: &HistoryEntry) -> ListedVersion {
    ListedVersion {
        key: entry.key.to_string(),
        version_id: entry.version_id.clone(),
        size: entry.size(),
        last_modified: entry.last_modified.map(format::json_time),
    }
}
