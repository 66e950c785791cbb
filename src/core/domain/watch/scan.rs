//! What one key's versions and delete markers became between two listings. The watcher walks
//! the last listing (kept on disk, in key order) beside the new one and hands each key's two
//! groups here.

use super::storm::Counts;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A version or delete marker as a listing gave it, as much as the comparison needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub version_id: String,
    pub marker: bool,
    pub latest: bool,
    /// LastModified, in milliseconds since 1970: a `null` version written again keeps its id
    /// and changes only this.
    pub modified: Option<i64>,
    /// A version's lock, in the lock count's file (`None`: not read, or a delete marker).
    pub lock: Option<Lock>,
}

/// A version's lock as its HEAD said.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lock {
    /// COMPLIANCE, GOVERNANCE or what else the server said; empty: no retention.
    pub mode: String,
    /// The retain-until date, as Unix seconds and nanoseconds (any year a server sends).
    pub until: Option<(i64, u32)>,
    /// A legal hold (ON, or a status lockwatch does not know, which may protect it).
    pub hold: bool,
}

impl Lock {
    pub fn of(info: &crate::domain::LockInfo) -> Lock {
        Lock {
            mode: info
                .mode
                .as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            until: info
                .retain_until
                .map(|u| (u.unix_seconds(), u.subsec_nanos())),
            hold: !matches!(info.legal_hold, crate::domain::LegalHold::Off),
        }
    }

    /// Whether a retention holds it at `now` (Unix seconds).
    pub fn retained_at(&self, now: i64) -> bool {
        !self.mode.is_empty() && self.until.is_some_and(|(s, _)| s > now)
    }

    fn described(&self) -> String {
        let until = |u: Option<(i64, u32)>| {
            u.map_or("no date".to_string(), |(s, n)| {
                crate::domain::RetainUntil::from_unix(s, n).rfc3339_millis()
            })
        };
        let retention = if self.mode.is_empty() {
            "no retention".to_string()
        } else {
            format!("{} until {}", self.mode, until(self.until))
        };
        format!("{retention}{}", if self.hold { ", legal hold" } else { "" })
    }
}

/// A change of one version's lock between two lock counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockChange {
    /// Its legal hold was on and is off.
    HoldReleased { version_id: String },
    /// Its retention, in force, ends sooner than it did, or is gone, or went from COMPLIANCE
    /// to another mode.
    Shortened {
        version_id: String,
        from: String,
        to: String,
    },
}

/// What changed of the locks of one key's versions that both counts read, judged at `now`
/// (Unix seconds): a retention that had already ended may go without it being a change.
pub fn lock_changes(old: &[Entry], new: &[Entry], now: i64) -> Vec<LockChange> {
    let before: HashMap<&str, &Lock> = old
        .iter()
        .filter(|e| !e.marker)
        .filter_map(|e| Some((e.version_id.as_str(), e.lock.as_ref()?)))
        .collect();
    let mut changes = Vec::new();
    for e in new.iter().filter(|e| !e.marker) {
        let (Some(was), Some(is)) = (before.get(e.version_id.as_str()), &e.lock) else {
            continue;
        };
        if was.hold && !is.hold {
            changes.push(LockChange::HoldReleased {
                version_id: e.version_id.clone(),
            });
        }
        if was.retained_at(now) {
            let sooner = match (was.until, is.until) {
                (Some(w), Some(i)) => i < w,
                (Some(_), None) => true,
                _ => false,
            };
            let weaker =
                is.mode.is_empty() || (was.mode == "COMPLIANCE" && is.mode != "COMPLIANCE");
            if sooner || weaker {
                changes.push(LockChange::Shortened {
                    version_id: e.version_id.clone(),
                    from: was.described(),
                    to: is.described(),
                });
            }
        }
    }
    changes
}

/// What happened to one key between the listing before (`old`) and now (`new`).
pub fn compare(old: &[Entry], new: &[Entry]) -> Counts {
    let mut counts = Counts::default();
    let before: HashMap<(&str, bool), Option<i64>> = old
        .iter()
        .map(|e| ((e.version_id.as_str(), e.marker), e.modified))
        .collect();
    let after: HashMap<(&str, bool), Option<i64>> = new
        .iter()
        .map(|e| ((e.version_id.as_str(), e.marker), e.modified))
        .collect();
    // A key whose current entry was a version: a new version replaces data someone sees.
    let had_current = old.iter().any(|e| e.latest && !e.marker);
    for e in new {
        match before.get(&(e.version_id.as_str(), e.marker)) {
            // The same entry.
            Some(was) if *was == e.modified => continue,
            // The same id written again: the `null` version of a bucket whose versioning is
            // off or suspended, replaced (its data before is gone).
            Some(_) => {
                if e.marker {
                    counts.markers_created += 1;
                } else {
                    counts.overwrites += 1;
                }
                continue;
            }
            None => {}
        }
        if e.marker {
            counts.markers_created += 1;
        } else if had_current {
            counts.overwrites += 1;
        } else {
            counts.versions_created += 1;
        }
    }
    for e in old {
        if after.contains_key(&(e.version_id.as_str(), e.marker)) {
            continue;
        }
        if e.marker {
            counts.markers_removed += 1;
        } else {
            counts.versions_deleted += 1;
        }
    }
    counts
}
