//! What `lockwatch watch --metrics` serves on `/metrics`: the Prometheus text exposition
//! format (version 0.0.4), one family per metric, every label value escaped.

use super::Kind;
use super::storm::Counts;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the watcher knows of one location, as the metrics give it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub bucket: String,
    pub prefix: String,
    /// 1 when the last interval read everything it reads.
    pub up: bool,
    /// Unix time of the last interval that read everything.
    pub last_success: Option<f64>,
    /// Intervals that failed, by why (`denied`, `failed`, `cut`).
    pub errors: BTreeMap<&'static str, u64>,
    /// Events seen, by kind.
    pub events: BTreeMap<Kind, u64>,
    /// Changes seen, added up over every interval.
    pub changes: Counts,
    pub storm_active: bool,
    /// Weakenings alerted and not restored or accepted, by kind.
    pub weakened: BTreeMap<Kind, u64>,
    /// The recovery window (`None`: unknown).
    pub window: Option<super::posture::Window>,
    /// Risks of the posture by severity (high, medium, low).
    pub risks: BTreeMap<&'static str, u64>,
    /// Versions and delete markers the last listing saw (`None`: no listing finished yet).
    pub listed: Option<u64>,
    /// Seconds the last listing took.
    pub listing_seconds: Option<f64>,
    /// Versions and delete markers listed so far by a listing under way over several looks
    /// (`None`: none is).
    pub listing_so_far: Option<u64>,
    /// Requests the last interval sent.
    pub requests: u64,
    /// From the last lock count: versions by protection (its code), legal holds, current
    /// versions whose protection ends within the horizon, and its time (Unix seconds).
    pub versions: BTreeMap<String, u64>,
    pub legal_holds: Option<u64>,
    pub current_ending: Option<(u64, u64)>,
    pub last_lock_count: Option<f64>,
    /// Unix seconds at which the earliest retention of a current version ends.
    pub earliest_current_until: Option<f64>,
    /// Bucket notifications received and what became of them, since the watcher started
    /// (`None`: not watched with --notifications).
    pub notices: Option<super::notice::Tally>,
}

/// Escapes a label value: backslash, double quote and line feed, as the format says.
fn label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn new(name: &'static str, kind: &'static str, help: &'static str) -> Family {
        Family {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, at: &Location, extra: &[(&'static str, &str)], value: f64) {
        let mut labels = vec![("bucket", at.bucket.clone()), ("prefix", at.prefix.clone())];
        labels.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        self.samples.push((labels, value));
    }
}

/// The exposition of every location's metrics, and the watcher's own.
/// `refused`: notices the listener refused, by reason (empty without --notifications).
pub fn render(locations: &[Location], started: f64, refused: &[(&str, u64)]) -> String {
    let mut families = vec![
        Family::new(
            "lockwatch_up",
            "gauge",
            "1 when the last interval read everything it reads (posture and listing), 0 when it could not",
        ),
        Family::new(
            "lockwatch_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last interval that read everything",
        ),
        Family::new(
            "lockwatch_errors_total",
            "counter",
            "Intervals that could not read everything, by reason (denied, failed)",
        ),
        Family::new(
            "lockwatch_events_total",
            "counter",
            "Events seen, by kind (the event field of the JSON lines)",
        ),
        Family::new(
            "lockwatch_changes_total",
            "counter",
            "Versions and delete markers that appeared or went, by change",
        ),
        Family::new(
            "lockwatch_storm_active",
            "gauge",
            "1 while a deletion storm goes on",
        ),
        Family::new(
            "lockwatch_posture_weakened",
            "gauge",
            "Weakenings of the posture alerted and not restored or accepted, by event",
        ),
        Family::new(
            "lockwatch_recovery_window_seconds",
            "gauge",
            "How long a file deleted or overwritten now can be brought back, at least, in seconds (whole days; +Inf: no rule removes versions)",
        ),
        Family::new(
            "lockwatch_risks",
            "gauge",
            "Risks of the bucket's posture, by severity",
        ),
        Family::new(
            "lockwatch_listed_entries",
            "gauge",
            "Versions and delete markers the last listing saw",
        ),
        Family::new(
            "lockwatch_listing_duration_seconds",
            "gauge",
            "Seconds the last listing took",
        ),
        Family::new(
            "lockwatch_requests",
            "gauge",
            "Requests the last interval sent",
        ),
        Family::new(
            "lockwatch_listing_progress_entries",
            "gauge",
            "Versions and delete markers listed so far by a listing that goes on over several looks (absent when none does)",
        ),
    ];
    for at in locations {
        families[0].add(at, &[], if at.up { 1.0 } else { 0.0 });
        if let Some(t) = at.last_success {
            families[1].add(at, &[], t);
        }
        for reason in ["denied", "failed"] {
            let n = at.errors.get(reason).copied().unwrap_or(0);
            families[2].add(at, &[("reason", reason)], n as f64);
        }
        for kind in Kind::ALL {
            let n = at.events.get(&kind).copied().unwrap_or(0);
            families[3].add(at, &[("event", kind.code())], n as f64);
        }
        let c = &at.changes;
        for (change, n) in [
            ("markers_created", c.markers_created),
            ("versions_deleted", c.versions_deleted),
            ("overwrites", c.overwrites),
            ("markers_removed", c.markers_removed),
            ("versions_created", c.versions_created),
        ] {
            families[4].add(at, &[("change", change)], n as f64);
        }
        families[5].add(at, &[], if at.storm_active { 1.0 } else { 0.0 });
        for (kind, n) in &at.weakened {
            families[6].add(at, &[("event", kind.code())], *n as f64);
        }
        if let Some(window) = at.window {
            families[7].add(at, &[], window.days() * 86_400.0);
        }
        for severity in ["high", "medium", "low"] {
            let n = at.risks.get(severity).copied().unwrap_or(0);
            families[8].add(at, &[("severity", severity)], n as f64);
        }
        if let Some(n) = at.listed {
            families[9].add(at, &[], n as f64);
        }
        if let Some(s) = at.listing_seconds {
            families[10].add(at, &[], s);
        }
        families[11].add(at, &[], at.requests as f64);
        if let Some(n) = at.listing_so_far {
            families[12].add(at, &[], n as f64);
        }
    }
    let mut lock_families = [
        Family::new(
            "lockwatch_versions",
            "gauge",
            "Versions by protection, from the last lock count",
        ),
        Family::new(
            "lockwatch_legal_holds",
            "gauge",
            "Versions under a legal hold, from the last lock count",
        ),
        Family::new(
            "lockwatch_current_protection_ending",
            "gauge",
            "Current versions whose retention ends within the horizon (days), from the last lock count",
        ),
        Family::new(
            "lockwatch_last_lock_count_timestamp_seconds",
            "gauge",
            "Unix time the last lock count began",
        ),
        Family::new(
            "lockwatch_earliest_current_retention_end_timestamp_seconds",
            "gauge",
            "Unix time the earliest retention of a current version ends (from the last lock count)",
        ),
    ];
    for at in locations {
        for (protection, n) in &at.versions {
            lock_families[0].add(at, &[("protection", protection)], *n as f64);
        }
        if let Some(n) = at.legal_holds {
            lock_families[1].add(at, &[], n as f64);
        }
        if let Some((days, n)) = at.current_ending {
            lock_families[2].add(at, &[("days", &days.to_string())], n as f64);
        }
        if let Some(t) = at.last_lock_count {
            lock_families[3].add(at, &[], t);
        }
        if let Some(t) = at.earliest_current_until {
            lock_families[4].add(at, &[], t);
        }
    }
    families.extend(lock_families);
    let mut notice_families = [
        Family::new(
            "lockwatch_notices_total",
            "counter",
            "Bucket notifications received, and what the read-back made of them (confirmed, unconfirmed), counted without a read-back (under the thresholds at worst), not read back, dropped",
        ),
        Family::new(
            "lockwatch_notices_refused_total",
            "counter",
            "Posts the notification listener refused, by reason (path, malformed, unwatched, queue_full)",
        ),
    ];
    for at in locations {
        if let Some(t) = &at.notices {
            for (result, n) in [
                ("received", t.received),
                ("confirmed", t.confirmed),
                ("unconfirmed", t.unconfirmed),
                ("counted_unread", t.counted_unread),
                ("not_read_back", t.not_read_back),
                ("dropped", t.dropped),
            ] {
                notice_families[0].add(at, &[("result", result)], n as f64);
            }
        }
    }
    for (reason, n) in refused {
        notice_families[1]
            .samples
            .push((vec![("reason", (*reason).to_string())], *n as f64));
    }
    families.extend(notice_families);
    let mut started_family = Family::new(
        "lockwatch_start_time_seconds",
        "gauge",
        "Unix time the watcher started",
    );
    started_family.samples.push((Vec::new(), started));
    families.push(started_family);

    let mut out = String::new();
    for f in families {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for (labels, value) in f.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label_value(v)))
                .collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {}", f.name, number(value));
            } else {
                let _ = writeln!(out, "{}{{{}}} {}", f.name, labels.join(","), number(value));
            }
        }
    }
    out
}
