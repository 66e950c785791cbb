//! The lock-coverage report: what protects each version under a prefix, summed up for an
//! auditor. Pure: versions and their HEAD results go in, counts and a Markdown text come out.

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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub versions: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRef {
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
    /// Per protection state, in `Protection::ALL` order.
    pub by_protection: Vec<(Protection, Tally)>,
    /// Versions under a legal hold, whatever their retention.
    pub legal_holds: u64,
    /// The versions under a legal hold, by name (the first `LISTED_UNPROTECTED`).
    pub held: Vec<VersionRef>,
    pub earliest_retain_until: Option<Bound>,
    pub latest_retain_until: Option<Bound>,
    /// Current objects (the latest entry of their key is a version) that can be deleted.
    pub unprotected_current: Vec<VersionRef>,
    pub unprotected_current_count: u64,
    /// Delete markers by age, in `MARKER_AGES` order: (all markers, markers that are the latest
    /// entry of their key, i.e. keys deleted now).
    pub markers_by_age: Vec<(String, u64, u64)>,
    /// Versions whose HEAD failed, with why.
    pub unknown: Vec<(VersionRef, String)>,
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
    /// Per protection state, in `Protection::ALL` order, with 95% confidence intervals.
    pub by_protection: Vec<(Protection, super::sample::Estimate)>,
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
            taken_at: now.to_string(),
            local_time: local.to_string(),
            server_clock_offset_seconds: offset.map(|o| o.as_secs()),
            versioning: None,
            object_lock: None,
            keys: 0,
            versions: 0,
            delete_markers: 0,
            by_protection: Protection::ALL
                .iter()
                .map(|p| (*p, Tally::default()))
                .collect(),
            legal_holds: 0,
            held: Vec::new(),
            earliest_retain_until: None,
            latest_retain_until: None,
            unprotected_current: Vec::new(),
            unprotected_current_count: 0,
            markers_by_age: MARKER_AGES
                .iter()
                .map(|(l, _)| (l.to_string(), 0, 0))
                .collect(),
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
        let r = version_ref(entry);
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
                        retain_until: until.rfc3339(),
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
        if let Some((_, t)) = self.by_protection.iter_mut().find(|(q, _)| *q == p) {
            t.versions += 1;
            t.bytes += entry.size().unwrap_or(0);
        }
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
        if let Some(row) = self.markers_by_age.get_mut(slot) {
            row.1 += 1;
            if entry.is_latest {
                row.2 += 1;
            }
        }
    }

    fn protection_markdown(&self, m: &mut String) {
        m.push_str("## Versions by protection\n\n");
        if self.locks_not_read {
            m.push_str("Object Lock is not enabled on this bucket: no version can carry a retention or a legal hold, so no version's lock was read (no HEAD requests).\n\n");
        }
        m.push_str("| protection | versions | bytes |\n|---|---:|---:|\n");
        for (p, t) in &self.by_protection {
            m.push_str(&format!(
                "| {} | {} | {} |\n",
                p.label(),
                t.versions,
                format::size_exact(t.bytes)
            ));
        }
        m.push_str(&format!(
            "\nVersions under a legal hold, whatever their retention: {}.\n\n",
            self.legal_holds
        ));
        if !self.held.is_empty() {
            m.push_str("| held key | version | last modified (UTC) |\n|---|---|---|\n");
            for v in &self.held {
                m.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    cell(&v.key),
                    cell(&v.version_id),
                    v.last_modified.as_deref().map_or("?".into(), time)
                ));
            }
            if self.legal_holds > self.held.len() as u64 {
                m.push_str(&format!(
                    "\n(The first {} are listed; `--format csv` lists every version.)\n",
                    self.held.len()
                ));
            }
            m.push('\n');
        }
        match (&self.earliest_retain_until, &self.latest_retain_until) {
            (Some(e), Some(l)) => m.push_str(&format!(
                "Retention in force runs out from {} UTC (`{}` version `{}`) to {} UTC (`{}` version `{}`).\n\n",
                time(&e.retain_until),
                cell(&e.key),
                cell(&e.version_id),
                time(&l.retain_until),
                cell(&l.key),
                cell(&l.version_id)
            )),
            _ => m.push_str("No version has retention in force.\n\n"),
        }

        m.push_str(&format!(
            "## Current objects without protection\n\n{} current object{} can be deleted now (no retention in force, no legal hold).\n",
            self.unprotected_current_count,
            if self.unprotected_current_count == 1 { "" } else { "s" }
        ));
        if !self.unprotected_current.is_empty() {
            m.push('\n');
            objects_table(&self.unprotected_current, m);
            if self.unprotected_current_count > self.unprotected_current.len() as u64 {
                m.push_str(&format!(
                    "\n(The first {} are listed; `--format csv` lists every version.)\n",
                    self.unprotected_current.len()
                ));
            }
        }
        m.push('\n');
    }

    fn sampled_markdown(&self, sample: &SampleSummary, m: &mut String) {
        let share = |e: &super::sample::Estimate| {
            format!(
                "{:.1}% ({:.1}–{:.1}%)",
                e.proportion * 100.0,
                e.low * 100.0,
                e.high * 100.0
            )
        };
        m.push_str(&format!(
            "## Versions by protection (sampled: {} of {})\n\n| protection | sampled versions | share (95% interval) | versions, of {} listed |\n|---|---:|---:|---:|\n",
            sample.size, sample.population, sample.population
        ));
        for (p, e) in &sample.by_protection {
            m.push_str(&format!(
                "| {} | {} | {} | {}–{} |\n",
                p.label(),
                e.sampled,
                share(e),
                e.versions_low,
                e.versions_high
            ));
        }
        let hold = &sample.legal_hold;
        m.push_str(&format!(
            "\nVersions under a legal hold, whatever their retention: {} sampled, {}: {}–{} versions.\n\n",
            hold.sampled,
            share(hold),
            hold.versions_low,
            hold.versions_high
        ));
        let u = &sample.unprotected_current;
        m.push_str(&format!(
            "## Current objects without protection (sampled)\n\n{} of the {} sampled current objects can be deleted now (no retention in force, no legal hold): {} of the {} current objects, {}–{}.\n",
            u.sampled,
            sample.current_sampled,
            share(u),
            self.current_versions,
            u.versions_low,
            u.versions_high
        ));
        if !self.unprotected_current.is_empty() {
            m.push_str("\nThose found in the sample:\n\n");
            objects_table(&self.unprotected_current, m);
        }
        m.push('\n');
    }

    /// The report as Markdown, to read and attach as it is.
    fn note_unknown(&mut self, r: &VersionRef, why: String) {
        self.unknown_count += 1;
        if self.unknown.len() < LISTED_UNPROTECTED {
            self.unknown.push((r.clone(), why));
        }
    }

    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let location = format!(
            "s3://{}/{}",
            text::sanitize(&self.bucket),
            text::sanitize(&self.prefix)
        );
        m.push_str(&format!("# Object Lock coverage of `{location}`\n\n"));
        if let Some(sample) = &self.sample {
            m.push_str(&format!(
                "**Sampled report: estimates.** The locks of {} of the {} listed versions were read, chosen uniformly at random over the whole listing (seed {}); the figures below for versions are estimates with 95% confidence intervals. `lockwatch report` without `--sample` reads every version.\n\n",
                sample.size, sample.population, sample.seed
            ));
        }
        m.push_str("| | |\n|---|---|\n");
        m.push_str(&format!(
            "| Taken at | {} UTC by the server's clock |\n",
            time(&self.taken_at)
        ));
        m.push_str(&format!(
            "| This machine's clock | {} UTC{} |\n",
            time(&self.local_time),
            match self.server_clock_offset_seconds {
                Some(s) => format!(
                    " (the server's is {} {})",
                    super::lock::format_remaining(SignedDuration::from_secs(s.abs())),
                    if s < 0 { "behind" } else { "ahead" }
                ),
                None => " (in step with the server's, within 2 s)".into(),
            }
        ));
        m.push_str(&format!("| Endpoint | {} |\n", cell(&self.endpoint)));
        if let Some(listed) = &self.listed {
            m.push_str(&format!(
                "| Listed | {} |\n",
                cell(&capitalized(&listed.describe()))
            ));
        }
        if let Some(source) = &self.source {
            m.push_str(&format!("| Locks read from | {} |\n", cell(source)));
        } else if self.head_requests > 0 {
            m.push_str(&format!(
                "| Locks read with | {} HEAD requests, up to {} at once{} |\n",
                self.head_requests,
                self.head_concurrency_peak,
                match self.slowed_down {
                    0 => String::new(),
                    n => format!(
                        "; the server asked to slow down {n} times (each asked again later)"
                    ),
                }
            ));
        }
        if let Some(who) = &self.taken_by {
            m.push_str(&format!("| Taken by | {} |\n", cell(who)));
        }
        m.push_str(&format!(
            "| Versioning | {} |\n",
            cell(self.versioning.as_deref().unwrap_or("unknown"))
        ));
        m.push_str(&format!(
            "| Object Lock | {} |\n",
            cell(self.object_lock.as_deref().unwrap_or("unknown"))
        ));
        m.push_str(&format!(
            "| Keys, versions, delete markers | {}, {}, {} |\n\n",
            self.keys, self.versions, self.delete_markers
        ));

        if let Some(p) = &self.posture {
            m.push_str(&format!(
                "## Recovery window\n\n{}.\n\n",
                cell(&capitalized(&p.recovery_window))
            ));
            for reason in &p.reasons {
                m.push_str(&format!("- because {}\n", cell(reason)));
            }
            m.push('\n');
            m.push_str("## Risks\n\n");
            if p.risks.is_empty() {
                m.push_str("None found in what the server reported.\n\n");
            } else {
                m.push_str("| severity | finding | evidence |\n|---|---|---|\n");
                for r in &p.risks {
                    m.push_str(&format!(
                        "| {} | {} | {} |\n",
                        r.severity,
                        cell(&r.finding),
                        cell(&r.evidence)
                    ));
                }
                m.push('\n');
            }
            m.push_str("## Bucket posture\n\n| | |\n|---|---|\n");
            for (name, value) in &p.lines {
                m.push_str(&format!("| {} | {} |\n", cell(name), cell(value)));
            }
            m.push('\n');
        }
        if self.parts.len() > 1 {
            m.push_str(&format!(
                "## Read in {} parts\n\nThis report was cut and resumed from its checkpoint (`--checkpoint`); each part's versions were judged at the time it was read.\n\n| part | started (UTC) | ended (UTC) | from key | entries | cut by |\n|---:|---|---|---|---:|---|\n",
                self.parts.len()
            ));
            for (i, part) in self.parts.iter().enumerate() {
                m.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    i + 1,
                    time(&part.started_at),
                    time(&part.ended_at),
                    part.from_key
                        .as_deref()
                        .map_or("(the beginning)".to_string(), |k| format!("`{}`", cell(k))),
                    part.entries,
                    part.cut.as_deref().map_or(String::new(), cell)
                ));
            }
            m.push('\n');
        }
        if let Some(sample) = &self.sample {
            self.sampled_markdown(sample, &mut m);
        } else {
            self.protection_markdown(&mut m);
        }

        m.push_str("## Delete markers by age\n\n| age | delete markers | of which hide their key now |\n|---|---:|---:|\n");
        for (label, all, latest) in &self.markers_by_age {
            m.push_str(&format!("| {label} | {all} | {latest} |\n"));
        }
        m.push('\n');

        if !self.unknown.is_empty() {
            m.push_str("## Versions whose lock could not be read\n\n| key | version | error |\n|---|---|---|\n");
            for (v, why) in &self.unknown {
                m.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    cell(&v.key),
                    cell(&v.version_id),
                    cell(why)
                ));
            }
            if self.unknown_count > self.unknown.len() as u64 {
                m.push_str(&format!(
                    "\n({} in all; the first {} are listed; `--format csv` lists every version.)\n",
                    self.unknown_count,
                    self.unknown.len()
                ));
            }
            m.push('\n');
        }
        m.push_str("Protections are judged at the time above, by the server's clock. Generated by lockwatch.\n");
        m
    }
}

/// A table of versions by name: key, version, size, last modified.
fn objects_table(versions: &[VersionRef], m: &mut String) {
    m.push_str("| key | version | size | last modified (UTC) |\n|---|---|---:|---|\n");
    for v in versions {
        m.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            cell(&v.key),
            cell(&v.version_id),
            format::maybe_size(v.size),
            v.last_modified.as_deref().map_or("?".into(), time)
        ));
    }
}

fn version_ref(entry: &HistoryEntry) -> VersionRef {
    VersionRef {
        key: entry.key.to_string(),
        version_id: entry.version_id.clone(),
        size: entry.size(),
        last_modified: entry.last_modified.map(|t| t.to_string()),
    }
}

/// `2026-11-27 01:52:15` from an RFC 3339 time (one past jiff's calendar is rewritten as is).
fn time(rfc3339: &str) -> String {
    rfc3339.parse::<Timestamp>().map_or_else(
        |_| cell(&rfc3339.replacen('T', " ", 1).replace('Z', "")),
        format::timestamp,
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text for a Markdown table cell: control characters escaped, pipes and backticks too.
fn cell(s: &str) -> String {
    text::sanitize(s).replace('|', "\\|").replace('`', "'")
}

/// A CSV field for people's tools: escaped, formula-neutralised, quoted when needed.
pub fn csv_field(s: &str) -> String {
    let safe = text::sanitize(s);
    let safe = if safe.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{safe}")
    } else {
        safe.into_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// The CSV header of `csv_row`.
pub const CSV_HEADER: &str = "key,version_id,is_latest,delete_marker,size,last_modified,protection,mode,retain_until,legal_hold,error,owner_id,owner_name";

/// One entry as a CSV line (RFC 4180 quoting). Text from the server is escaped as on screen
/// (no control sequence reaches a terminal that shows the file) and a field that a spreadsheet
/// would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`;
/// `--format json` keeps every byte exactly.
pub fn csv_row(
    entry: &HistoryEntry,
    lock: Option<&Result<LockInfo, String>>,
    protection: Option<Protection>,
) -> String {
    let q = csv_field;
    let (mode, until, hold, error) = match lock {
        Some(Ok(l)) => (
            l.mode.as_ref().map_or("", |m| m.as_str()).to_string(),
            l.retain_until.map(|t| t.rfc3339()).unwrap_or_default(),
            match &l.legal_hold {
                LegalHold::On => "true".to_string(),
                LegalHold::Off => "false".to_string(),
                LegalHold::Unknown(s) => format!("unknown:{s}"),
            },
            String::new(),
        ),
        Some(Err(e)) => (String::new(), String::new(), String::new(), e.clone()),
        None => Default::default(),
    };
    [
        q(&entry.key),
        q(&entry.version_id),
        entry.is_latest.to_string(),
        entry.is_delete_marker().to_string(),
        entry.size().map(|s| s.to_string()).unwrap_or_default(),
        entry
            .last_modified
            .map(|t| t.to_string())
            .unwrap_or_default(),
        protection.map(|p| p.code()).unwrap_or("").to_string(),
        q(&mode),
        until,
        q(&hold),
        q(&error),
        q(entry.owner.as_ref().map_or("", |o| o.id.as_str())),
        q(entry
            .owner
            .as_ref()
            .and_then(|o| o.display_name.as_deref())
            .unwrap_or("")),
    ]
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryKind;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn version(key: &str, id: &str, latest: bool, size: u64) -> HistoryEntry {
        HistoryEntry {
            key: Arc::from(key),
            version_id: id.into(),
            kind: EntryKind::Version {
                size: Some(size),
                etag: None,
                storage_class: None,
            },
            is_latest: latest,
            last_modified: Some(at("2026-11-01T00:00:00Z")),
            owner: None,
        }
    }

    fn marker(key: &str, id: &str, latest: bool, when: &str) -> HistoryEntry {
        HistoryEntry {
            kind: EntryKind::DeleteMarker,
            last_modified: Some(at(when)),
            ..version(key, id, latest, 0)
        }
    }

    fn lock(mode: Option<RetentionMode>, until: Option<&str>, hold: bool) -> LockInfo {
        LockInfo {
            mode,
            retain_until: until.map(|u| RetainUntil::at(at(u))),
            legal_hold: if hold { LegalHold::On } else { LegalHold::Off },
        }
    }

    const NOW: &str = "2026-11-27T00:00:00Z";

    #[test]
    fn each_version_counts_once_by_what_protects_it_now() {
        let now = at(NOW);
        let mut c = Coverage::new("b", "", "http://127.0.0.1", now, now, None);
        let compliance = lock(
            Some(RetentionMode::Compliance),
            Some("2026-12-01T00:00:00Z"),
            false,
        );
        let governance_held = lock(
            Some(RetentionMode::Governance),
            Some("2027-01-01T00:00:00Z"),
            true,
        );
        let expired_held = lock(
            Some(RetentionMode::Compliance),
            Some("2026-11-01T00:00:00Z"),
            true,
        );
        let expired = lock(
            Some(RetentionMode::Governance),
            Some("2026-11-26T00:00:00Z"),
            false,
        );
        let rows = [
            (version("a", "a2", true, 10), Ok(compliance)),
            (version("a", "a1", false, 20), Ok(governance_held)),
            (version("b", "b1", true, 30), Ok(expired_held)),
            (version("c", "c1", true, 40), Ok(expired)),
            (version("d", "d1", true, 50), Ok(LockInfo::default())),
            (
                version("e", "e1", false, 60),
                Err("AccessDenied".to_string()),
            ),
        ];
        for (e, l) in &rows {
            c.add_version(e, l);
        }
        c.add_marker(&marker("e", "em", true, "2026-11-26T12:00:00Z"));
        c.add_marker(&marker("f", "fm", false, "2026-06-01T00:00:00Z"));
        let get = |p: Protection| {
            c.by_protection
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, t)| (t.versions, t.bytes))
        };
        assert_eq!(get(Protection::Compliance), Some((1, 10)));
        assert_eq!(get(Protection::Governance), Some((1, 20)));
        assert_eq!(get(Protection::LegalHold), Some((1, 30)));
        assert_eq!(get(Protection::Expired), Some((1, 40)));
        assert_eq!(get(Protection::None), Some((1, 50)));
        assert_eq!(get(Protection::Unknown), Some((1, 60)));
        assert_eq!((c.keys, c.versions, c.delete_markers), (6, 6, 2));
        assert_eq!(c.legal_holds, 2);
        let held: Vec<&str> = c.held.iter().map(|v| v.version_id.as_str()).collect();
        assert_eq!(held, ["a1", "b1"], "the held versions are named");
        assert!(c.markdown().contains("| `b` | `b1` |"), "{}", c.markdown());
        assert_eq!(
            c.earliest_retain_until
                .as_ref()
                .map(|b| b.version_id.as_str()),
            Some("a2")
        );
        assert_eq!(
            c.latest_retain_until
                .as_ref()
                .map(|b| b.version_id.as_str()),
            Some("a1")
        );
        // c and d are current and deletable; b is held; e's current entry is a marker.
        let current: Vec<&str> = c
            .unprotected_current
            .iter()
            .map(|v| v.key.as_str())
            .collect();
        assert_eq!(current, ["c", "d"]);
        assert_eq!(c.markers_by_age[0], ("under 1 day".to_string(), 1, 1));
        assert_eq!(c.markers_by_age[4], ("over 90 days".to_string(), 1, 0));
        let md = c.markdown();
        for needle in [
            "| COMPLIANCE (retained) | 1 | 10 bytes |",
            "Versions under a legal hold, whatever their retention: 2.",
            "2 current objects can be deleted now",
            "| under 1 day | 1 | 1 |",
            "AccessDenied",
        ] {
            assert!(md.contains(needle), "{needle:?} missing from\n{md}");
        }
    }

    #[test]
    fn hostile_names_cannot_break_the_markdown_or_the_csv() {
        let now = at(NOW);
        let mut c = Coverage::new("b", "", "e", now, now, None);
        let e = version("x|`y`\u{1b}[31m,\"z\"\n", "v1", true, 1);
        c.add_version(&e, &Ok(LockInfo::default()));
        let md = c.markdown();
        assert!(!md.contains('\u{1b}'));
        assert!(md.contains("x\\|'y'"), "{md}");
        let row = csv_row(&e, Some(&Ok(LockInfo::default())), Some(Protection::None));
        // Escaped as on screen: no control character reaches whoever shows the file.
        assert!(!row.contains(['\u{1b}', '\n']), "{row}");
        assert!(
            row.starts_with("\"x|`y`\\x1b[31m,\"\"z\"\"\\x0a\",v1,true,"),
            "{row}"
        );
    }

    #[test]
    fn csv_fields_a_spreadsheet_would_run_are_neutralised() {
        for (key, field) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "\\x09x"),
            ("plain=ok", "plain=ok"),
        ] {
            assert_eq!(csv_field(key), field, "{key:?}");
        }
        let e = version("=1+1", "v1", true, 1);
        let row = csv_row(&e, Some(&Ok(LockInfo::default())), Some(Protection::None));
        assert!(row.starts_with("'=1+1,v1,"), "{row}");
    }

    #[test]
    fn unreadable_locks_are_counted_unknown_never_unprotected() {
        let now = at(NOW);
        let mut c = Coverage::new("b", "", "e", now, now, None);
        let future = Some(RetainUntil::at(at("2027-01-01T00:00:00Z")));
        let foo = LockInfo {
            mode: Some(RetentionMode::parse("FOO")),
            retain_until: future,
            legal_hold: LegalHold::Off,
        };
        let hold = LockInfo {
            legal_hold: LegalHold::parse("MAYBE"),
            ..LockInfo::default()
        };
        let forever = LockInfo {
            mode: Some(RetentionMode::Compliance),
            retain_until: Some(RetainUntil::from_unix(253_402_300_799, 0)),
            legal_hold: LegalHold::Off,
        };
        assert_eq!(
            c.add_version(&version("a", "1", true, 1), &Ok(foo)),
            Protection::Unknown
        );
        assert_eq!(
            c.add_version(&version("b", "1", true, 1), &Ok(hold)),
            Protection::Unknown
        );
        assert_eq!(
            c.add_version(&version("c", "1", true, 1), &Ok(forever.clone())),
            Protection::Compliance
        );
        assert_eq!(c.unprotected_current_count, 0);
        assert_eq!(c.unknown.len(), 2);
        assert_eq!(c.unknown_count, 2);
        assert!(c.unknown[0].1.contains("FOO"), "{:?}", c.unknown);
        assert_eq!(
            c.latest_retain_until
                .as_ref()
                .map(|b| b.retain_until.as_str()),
            Some("9999-12-31T23:59:59Z")
        );
        let md = c.markdown();
        assert!(md.contains("9999-12-31 23:59:59 UTC"), "{md}");
        let row = csv_row(
            &version("c", "1", true, 1),
            Some(&Ok(forever)),
            Some(Protection::Compliance),
        );
        assert!(
            row.contains(",COMPLIANCE,9999-12-31T23:59:59Z,false,"),
            "{row}"
        );
    }

    #[test]
    fn a_bucket_whose_every_head_fails_keeps_the_report_bounded() {
        let mut c = Coverage::new(
            "b",
            "",
            "e",
            at("2026-11-27T12:00:00Z"),
            at("2026-11-27T12:00:00Z"),
            None,
        );
        for n in 0..(LISTED_UNPROTECTED + 500) {
            let v = version(&format!("k{n:06}"), "v", true, 1);
            c.add_version(&v, &Err("AccessDenied".to_string()));
        }
        assert_eq!(c.unknown.len(), LISTED_UNPROTECTED);
        assert_eq!(c.unknown_count, (LISTED_UNPROTECTED + 500) as u64);
        assert!(c.markdown().contains("1500 in all"), "the count is said");
    }
}
