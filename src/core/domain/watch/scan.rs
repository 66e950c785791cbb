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
