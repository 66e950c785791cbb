//! Watching buckets while it happens (`lockwatch watch` and `lockwatch check`): what is judged
//! an alert and how it is said. Pure: the watcher reads the server and keeps the state on
//! disk; this module compares what it read with what it kept.
//!
//! - `posture`: a bucket's posture as kept between intervals, and what a change of it weakens
//!   (default retention removed, shortened or made GOVERNANCE; versioning suspended; a
//!   lifecycle rule that expires versions; a policy that grants what removes them; replication
//!   or encryption removed).
//! - `scan`: what one key's versions and delete markers became between two listings.
//! - `storm`: deletions and overwrites per interval against thresholds, one alert per storm.
//! - `status`: the Monitoring Plugins status line and performance data of `lockwatch check`.
//! - `metrics`: the Prometheus exposition of `--metrics`.
//! - `notice`: bucket notifications read, and confirmed by reading the key back.

pub mod metrics;
pub mod notice;
pub mod posture;
pub mod scan;
pub mod status;
pub mod storm;
#[cfg(test)]
mod tests;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How much an event matters: `Critical` and `Warning` are alerts (they go to `--on-alert`
/// and make `check` say so); `Info` is said and kept, never alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
    Critical,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }

    pub fn is_alert(self) -> bool {
        self != Level::Info
    }
}

/// What happened, by name: the `event` field of a JSON line, the `event` label of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Delete markers, deleted versions and overwrites past the thresholds at one look.
    DeletionStorm,
    /// An interval under the thresholds after a storm: what it came to in all.
    StormEnded,
    VersioningSuspended,
    /// The bucket's default retention (or its Object Lock) is gone.
    DefaultRetentionRemoved,
    DefaultRetentionShortened,
    /// The default retention's mode went from COMPLIANCE to GOVERNANCE (or a mode S3 does not
    /// define).
    DefaultRetentionWeakened,
    /// A lifecycle rule that expires versions was added or changed.
    LifecycleExpiresVersions,
    /// A bucket policy statement allows an action that removes or unprotects versions.
    PolicyGrantsDangerous,
    /// The server judges the bucket policy public.
    PolicyPublic,
    ReplicationRemoved,
    EncryptionRemoved,
    /// Legal holds that were on are off (the lock count).
    LegalHoldReleased,
    /// Retentions in force end sooner, or are gone (the lock count).
    RetentionShortened,
    /// The protection of current versions ends within the horizon.
    RetentionRunningOut,
    /// No current version's protection ends within the horizon any more.
    RetentionRenewed,
    /// A weakening alerted before is undone: the posture is back to what it was.
    PostureRestored,
    /// The posture now is taken as the one to compare with (`--accept`).
    PostureAccepted,
    /// The first look at a location: what later intervals are compared with.
    Baseline,
    /// The watcher could not read what it watches (denied, failed, cut short).
    WatcherFailing,
    /// The watcher reads again after failing.
    WatcherRecovered,
    /// With notifications: a listing found more deletions than the notices told since the
    /// last listing (notices lost by the server, the network or a full queue).
    NoticesMissed,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::DeletionStorm => "deletion_storm",
            Kind::StormEnded => "storm_ended",
            Kind::VersioningSuspended => "versioning_suspended",
            Kind::DefaultRetentionRemoved => "default_retention_removed",
            Kind::DefaultRetentionShortened => "default_retention_shortened",
            Kind::DefaultRetentionWeakened => "default_retention_weakened",
            Kind::LifecycleExpiresVersions => "lifecycle_expires_versions",
            Kind::PolicyGrantsDangerous => "policy_grants_dangerous",
            Kind::PolicyPublic => "policy_public",
            Kind::ReplicationRemoved => "replication_removed",
            Kind::EncryptionRemoved => "encryption_removed",
            Kind::LegalHoldReleased => "legal_hold_released",
            Kind::RetentionShortened => "retention_shortened",
            Kind::RetentionRunningOut => "retention_running_out",
            Kind::RetentionRenewed => "retention_renewed",
            Kind::PostureRestored => "posture_restored",
            Kind::PostureAccepted => "posture_accepted",
            Kind::Baseline => "baseline",
            Kind::WatcherFailing => "watcher_failing",
            Kind::WatcherRecovered => "watcher_recovered",
            Kind::NoticesMissed => "notices_missed",
        }
    }

    /// The part of the posture a weakening is of: two weakenings of one part (a retention
    /// made GOVERNANCE, then removed) replace each other, and the part is restored only when
    /// none is left.
    pub fn part(self) -> Option<&'static str> {
        match self {
            Kind::VersioningSuspended => Some("versioning"),
            Kind::DefaultRetentionRemoved
            | Kind::DefaultRetentionShortened
            | Kind::DefaultRetentionWeakened => Some("object lock"),
            Kind::LifecycleExpiresVersions => Some("lifecycle"),
            Kind::PolicyGrantsDangerous | Kind::PolicyPublic => Some("policy"),
            Kind::ReplicationRemoved => Some("replication"),
            Kind::EncryptionRemoved => Some("encryption"),
            _ => None,
        }
    }

    /// Every kind, in the order the README's table and the metrics list them.
    pub const ALL: [Kind; 21] = [
        Kind::DeletionStorm,
        Kind::StormEnded,
        Kind::VersioningSuspended,
        Kind::DefaultRetentionRemoved,
        Kind::DefaultRetentionShortened,
        Kind::DefaultRetentionWeakened,
        Kind::LifecycleExpiresVersions,
        Kind::PolicyGrantsDangerous,
        Kind::PolicyPublic,
        Kind::ReplicationRemoved,
        Kind::EncryptionRemoved,
        Kind::LegalHoldReleased,
        Kind::RetentionShortened,
        Kind::RetentionRunningOut,
        Kind::RetentionRenewed,
        Kind::PostureRestored,
        Kind::PostureAccepted,
        Kind::Baseline,
        Kind::WatcherFailing,
        Kind::WatcherRecovered,
        Kind::NoticesMissed,
    ];
}

/// What the watcher found, before it is placed (bucket, prefix) and timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub level: Level,
    /// One sentence: what happened, with the numbers.
    pub summary: String,
    /// What it was read from, one line each ("GetBucketVersioning: Status Suspended, was
    /// Enabled").
    pub evidence: Vec<String>,
    /// For a storm: the counts it is judged on.
    pub counts: Option<storm::Counts>,
}

/// One event as written (a JSON line, the audit trail, `--on-alert`'s standard input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub event: Kind,
    pub level: Level,
    pub bucket: String,
    pub prefix: String,
    /// The server's clock when it was seen (RFC 3339, milliseconds).
    pub at: String,
    pub summary: String,
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<storm::Counts>,
    /// The keys it names (at most ten), exactly as the server sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

/// What a watcher says of one location, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alerts {
    pub bucket: String,
    pub prefix: String,
    /// The worst level of what is in force (`None`: nothing).
    pub level: Option<Level>,
    /// What is in force, one sentence each, worst first.
    pub now: Vec<(Level, String)>,
    /// The last alerts, newest last.
    pub recent: Vec<Event>,
    /// The server's time at the end of the watcher's last interval.
    pub updated_at: String,
}

impl Alerts {
    /// The alerts that name `key`.
    pub fn naming<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.recent
            .iter()
            .filter(move |e| e.keys.iter().any(|k| k == key))
    }
}

impl Event {
    pub fn new(finding: Finding, bucket: &str, prefix: &str, at: Timestamp) -> Event {
        Event {
            event: finding.kind,
            level: finding.level,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            at: super::format::json_time(at),
            summary: finding.summary,
            evidence: finding.evidence,
            counts: finding.counts,
            keys: Vec::new(),
        }
    }
}
