//! Deletion and overwrite storms: what one interval changed, judged against an absolute
//! threshold and against the location's own recent rate, with one alert per storm.
//!
//! A storm begins with the first interval at or past a threshold and raises one alert; it
//! goes on (no new alert, its counts added up) while intervals stay past; the first interval
//! under both thresholds ends it with one `storm_ended` event giving the totals. Intervals of
//! a storm never enter the recent rate, so a long storm does not become the normal.

use super::{Finding, Kind, Level};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// What changed between two looks at a location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Delete markers that appeared: objects hidden ("deleted").
    pub markers_created: u64,
    /// Versions that are gone: deleted for good.
    pub versions_deleted: u64,
    /// New versions of keys whose current entry was a version: the data before is now
    /// noncurrent (or gone, where versioning is off).
    pub overwrites: u64,
    /// Delete markers that are gone (an undelete, or a cleanup).
    pub markers_removed: u64,
    /// New versions of keys that had none, or whose current entry was a delete marker.
    pub versions_created: u64,
}

impl Counts {
    /// What a storm is judged on: everything that hides, removes or replaces data.
    pub fn destructive(&self) -> u64 {
        self.markers_created
            .saturating_add(self.versions_deleted)
            .saturating_add(self.overwrites)
    }

    pub fn add(&mut self, other: &Counts) {
        self.markers_created = self.markers_created.saturating_add(other.markers_created);
        self.versions_deleted = self.versions_deleted.saturating_add(other.versions_deleted);
        self.overwrites = self.overwrites.saturating_add(other.overwrites);
        self.markers_removed = self.markers_removed.saturating_add(other.markers_removed);
        self.versions_created = self.versions_created.saturating_add(other.versions_created);
    }

    /// "1200 delete markers, 3 versions deleted, 0 overwrites".
    pub fn described(&self) -> String {
        format!(
            "{} delete marker{}, {} version{} deleted, {} overwrite{}",
            self.markers_created,
            if self.markers_created == 1 { "" } else { "s" },
            self.versions_deleted,
            if self.versions_deleted == 1 { "" } else { "s" },
            self.overwrites,
            if self.overwrites == 1 { "" } else { "s" },
        )
    }
}

/// When an interval is a storm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// This many destructive changes at one look are a storm, whatever the usual rate.
    pub count: u64,
    /// This many times the recent rate is a storm too, once at least `floor` changes and
    /// `MIN_HISTORY` earlier intervals are known.
    pub factor: f64,
    pub floor: u64,
}

impl Thresholds {
    pub fn new(count: u64, factor: f64) -> Thresholds {
        Thresholds {
            count: count.max(1),
            factor,
            // A tenth of the absolute threshold, at least 10: a bucket that sees nothing
            // deleted for days must not alarm at 3 deletions.
            floor: (count / 10).max(10),
        }
    }
}

/// Earlier intervals the recent rate is the mean of.
pub const HISTORY: usize = 12;
/// Earlier intervals needed before the relative threshold applies.
pub const MIN_HISTORY: usize = 3;
/// Example keys kept with a storm (for its evidence).
pub const EXAMPLES: usize = 10;

/// A storm under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    /// When it was first seen (RFC 3339).
    pub since: String,
    pub intervals: u64,
    pub totals: Counts,
}

/// What the detector keeps between intervals (in the state folder).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Destructive changes of the last intervals that were not storms, oldest first.
    pub recent: VecDeque<u64>,
    pub active: Option<Active>,
}

impl State {
    /// The recent rate: the mean of the remembered intervals, once enough are.
    pub fn baseline(&self) -> Option<f64> {
        (self.recent.len() >= MIN_HISTORY)
            .then(|| self.recent.iter().sum::<u64>() as f64 / self.recent.len() as f64)
    }

    /// Whether `counts` would be judged a storm (nothing is kept).
    pub fn is_storm(&self, thresholds: &Thresholds, counts: &Counts) -> bool {
        self.judge(thresholds, counts).is_some()
    }

    /// Why `counts` is a storm, or `None`.
    fn judge(&self, thresholds: &Thresholds, counts: &Counts) -> Option<String> {
        let n = counts.destructive();
        if n >= thresholds.count {
            return Some(format!(
                "{n} destructive changes since the last look, at or past the threshold of {}",
                thresholds.count
            ));
        }
        let base = self.baseline()?;
        let relative = (thresholds.factor * base.max(1.0)).ceil();
        (n >= thresholds.floor && n as f64 >= relative).then(|| {
            format!(
                "{n} destructive changes since the last look, {:.0} times the recent rate of {base:.1} a look (threshold: {} times, at least {})",
                n as f64 / base.max(1.0),
                thresholds.factor,
                thresholds.floor
            )
        })
    }

    /// One interval's counts, seen at `at` (RFC 3339), with example keys: a finding when a
    /// storm begins or ends.
    pub fn observe(
        &mut self,
        thresholds: &Thresholds,
        counts: &Counts,
        at: &str,
        seconds: u64,
        examples: &[String],
    ) -> Option<Finding> {
        let why = self.judge(thresholds, counts);
        match (why, &mut self.active) {
            (Some(_), Some(active)) => {
                active.intervals += 1;
                active.totals.add(counts);
                None
            }
            (Some(why), None) => {
                self.active = Some(Active {
                    since: at.to_string(),
                    intervals: 1,
                    totals: *counts,
                });
                let mut evidence = vec![
                    format!(
                        "in {seconds} s: {}; {} new versions, {} delete markers removed",
                        counts.described(),
                        counts.versions_created,
                        counts.markers_removed
                    ),
                    why,
                ];
                evidence.extend(
                    examples
                        .iter()
                        .take(EXAMPLES)
                        .map(|e| format!("for example: {e}")),
                );
                Some(Finding {
                    kind: Kind::DeletionStorm,
                    level: Level::Critical,
                    summary: format!("deletion storm: {} in {seconds} s", counts.described()),
                    evidence,
                    counts: Some(*counts),
                })
            }
            (None, active) => {
                let ended = active.take();
                self.recent.push_back(counts.destructive());
                while self.recent.len() > HISTORY {
                    self.recent.pop_front();
                }
                ended.map(|a| Finding {
                    kind: Kind::StormEnded,
                    level: Level::Info,
                    summary: format!(
                        "the deletion storm seen since {} is over: {} in all, over {} interval{}",
                        a.since,
                        a.totals.described(),
                        a.intervals,
                        if a.intervals == 1 { "" } else { "s" }
                    ),
                    evidence: vec![format!(
                        "this interval: {} ({} s)",
                        counts.described(),
                        seconds
                    )],
                    counts: Some(a.totals),
                })
            }
        }
    }
}
