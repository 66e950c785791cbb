//! Bucket notifications as the watcher receives them (`watch --notifications`): the body a
//! server posts for each change, read strictly, and what a read-back of the key makes of each
//! notice. A notice is never taken as fact where it would raise an alert: the key's history,
//! read again, confirms it or not.
//!
//! The body is the S3 event format Ceph RGW sends (`{"Records": [...]}`, one record per post
//! from RGW, several allowed). The key is taken as sent: Ceph RGW sends it as written, where
//! AWS would URL-encode it.

use super::storm::Counts;
use crate::domain::{EntryKind, HistoryEntry};

fn is_marker(e: &HistoryEntry) -> bool {
    matches!(e.kind, EntryKind::DeleteMarker)
}
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The events a watcher asks a bucket to send.
pub const EVENTS: [&str; 2] = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"];

/// The largest body read (a Ceph record is about 1 KB).
pub const MAX_BODY: usize = 256 * 1024;
/// The most records one body may carry.
pub const MAX_RECORDS: usize = 100;
/// S3 keys are at most 1,024 bytes.
const MAX_KEY: usize = 1024;
/// A delete marker whose notice names no version (Ceph RGW 16 sends none) is the marker of
/// the key written within this many seconds of the notice's time.
pub const MARKER_SLACK_SECONDS: i64 = 2;

/// What a notice says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// `ObjectCreated:*`: a new version (an overwrite when the key had a version on top).
    Created,
    /// `ObjectRemoved:DeleteMarkerCreated`: the key hidden.
    MarkerCreated,
    /// `ObjectRemoved:Delete` of a version with data: gone for good.
    VersionDeleted,
    /// `ObjectRemoved:Delete` of a delete marker (no ETag): an undelete, or a cleanup.
    MarkerRemoved,
}

/// One change as a notice told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The id of the topic configuration that sent it (`s3.configurationId`): which watched
    /// location it is for.
    pub configuration: String,
    pub bucket: String,
    pub key: String,
    /// Empty when the notice names none.
    pub version_id: String,
    pub change: Change,
    /// The server's time of the change.
    pub at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName")]
    event_name: String,
    #[serde(rename = "eventTime", default)]
    event_time: Option<String>,
    s3: S3Part,
}

#[derive(Deserialize)]
struct S3Part {
    #[serde(rename = "configurationId", default)]
    configuration_id: String,
    bucket: BucketPart,
    object: ObjectPart,
}

#[derive(Deserialize)]
struct BucketPart {
    name: String,
}

#[derive(Deserialize)]
struct ObjectPart {
    key: String,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
    #[serde(rename = "eTag", default)]
    etag: Option<String>,
}

/// The notices of one posted body, or why it is refused (all of it: a body with one bad
/// record is not partly believed).
pub fn parse(body: &[u8]) -> Result<Vec<Notice>, String> {
    if body.len() > MAX_BODY {
        return Err(format!("a body of more than {MAX_BODY} bytes"));
    }
    let body: Body =
        serde_json::from_slice(body).map_err(|e| format!("not an S3 event body: {e}"))?;
    if body.records.is_empty() {
        return Err("no records".into());
    }
    if body.records.len() > MAX_RECORDS {
        return Err(format!("more than {MAX_RECORDS} records"));
    }
    body.records.into_iter().map(notice).collect()
}

fn notice(r: Record) -> Result<Notice, String> {
    let name = r.event_name.strip_prefix("s3:").unwrap_or(&r.event_name);
    let etag_empty = r.s3.object.etag.as_deref().is_none_or(str::is_empty);
    let change = if name.starts_with("ObjectCreated:") {
        Change::Created
    } else if name == "ObjectRemoved:DeleteMarkerCreated" {
        Change::MarkerCreated
    } else if name == "ObjectRemoved:Delete" {
        if etag_empty {
            Change::MarkerRemoved
        } else {
            Change::VersionDeleted
        }
    } else {
        return Err(format!(
            "an event this watcher does not ask for: {}",
            crate::domain::text::name(&r.event_name)
        ));
    };
    if r.s3.object.key.is_empty() || r.s3.object.key.len() > MAX_KEY {
        return Err("a key that is empty or longer than 1,024 bytes".into());
    }
    if r.s3.bucket.name.is_empty() || r.s3.bucket.name.len() > 255 {
        return Err("a bucket name that is empty or too long".into());
    }
    let version_id = r.s3.object.version_id.unwrap_or_default();
    if version_id.len() > MAX_KEY {
        return Err("a version id longer than 1,024 bytes".into());
    }
    let at = match r.event_time.as_deref() {
        None | Some("") => None,
        Some(t) => Some(t.parse::<Timestamp>().map_err(|_| {
            format!(
                "an eventTime that is not a time: {}",
                crate::domain::text::name(t)
            )
        })?),
    };
    Ok(Notice {
        configuration: r.s3.configuration_id,
        bucket: r.s3.bucket.name,
        key: r.s3.object.key,
        version_id,
        change,
        at,
    })
}

/// What reading the key back made of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The history shows it: counted as this.
    Confirmed(Confirmed),
    /// The history does not show it (gone since, or never so): not counted.
    Unconfirmed,
}

/// A change the history confirms, by what it counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    MarkerCreated,
    VersionDeleted,
    Overwrite,
    VersionCreated,
    MarkerRemoved,
}

impl Confirmed {
    pub fn count(self, counts: &mut Counts) {
        let slot = match self {
            Confirmed::MarkerCreated => &mut counts.markers_created,
            Confirmed::VersionDeleted => &mut counts.versions_deleted,
            Confirmed::Overwrite => &mut counts.overwrites,
            Confirmed::VersionCreated => &mut counts.versions_created,
            Confirmed::MarkerRemoved => &mut counts.markers_removed,
        };
        *slot = slot.saturating_add(1);
    }
}

/// The most a set of notices can come to, unconfirmed: every creation counted as an
/// overwrite. Under the storm thresholds, the truth is too.
pub fn upper_bound<'a>(notices: impl IntoIterator<Item = &'a Notice>) -> Counts {
    let mut c = Counts::default();
    for n in notices {
        let slot = match n.change {
            Change::Created => &mut c.overwrites,
            Change::MarkerCreated => &mut c.markers_created,
            Change::VersionDeleted => &mut c.versions_deleted,
            Change::MarkerRemoved => &mut c.markers_removed,
        };
        *slot = slot.saturating_add(1);
    }
    c
}

/// What a read-back judges a notice by, besides the key's history.
pub struct Known<'a> {
    /// The watcher's previous look: a marker or version older than this (less the slack) is
    /// not new, whatever a notice says.
    pub since: Option<Timestamp>,
    /// Whether a version id of the key was known to exist: in the last listing, or told
    /// created by a notice. A version never known to exist is not "deleted" by its absence.
    pub existed: &'a dyn Fn(&str) -> bool,
    /// Whether a version id of the key was counted already (a notice sent again, or
    /// replayed, counts once).
    pub counted: &'a dyn Fn(&str) -> bool,
}

/// What `history` (the key's versions and delete markers, newest first, read after the
/// notice) makes of `notice`, and the version id it was confirmed by (to be counted once).
pub fn confirm(notice: &Notice, history: &[HistoryEntry], known: &Known<'_>) -> (Verdict, String) {
    let unconfirmed = (Verdict::Unconfirmed, String::new());
    let own: Vec<&HistoryEntry> = history.iter().filter(|e| *e.key == *notice.key).collect();
    let new_since = |e: &HistoryEntry| match (known.since, e.last_modified) {
        (Some(since), Some(m)) => m.as_second() >= since.as_second() - MARKER_SLACK_SECONDS,
        _ => true,
    };
    match notice.change {
        Change::MarkerCreated => {
            let found = own.iter().find(|e| {
                is_marker(e)
                    && new_since(e)
                    && !(known.counted)(&e.version_id)
                    && if notice.version_id.is_empty() {
                        // Ceph RGW 16 names no version: the marker written at the notice's time.
                        notice.at.is_some_and(|at| {
                            e.last_modified.is_some_and(|m| {
                                (m.as_second() - at.as_second()).abs() <= MARKER_SLACK_SECONDS
                            })
                        })
                    } else {
                        e.version_id == notice.version_id
                    }
            });
            match found {
                Some(e) => (
                    Verdict::Confirmed(Confirmed::MarkerCreated),
                    e.version_id.clone(),
                ),
                None => unconfirmed,
            }
        }
        Change::VersionDeleted | Change::MarkerRemoved => {
            let id = notice.version_id.as_str();
            if id.is_empty()
                || own.iter().any(|e| e.version_id == id)
                || !(known.existed)(id)
                || (known.counted)(id)
            {
                return unconfirmed;
            }
            let c = if notice.change == Change::VersionDeleted {
                Confirmed::VersionDeleted
            } else {
                Confirmed::MarkerRemoved
            };
            (Verdict::Confirmed(c), id.to_string())
        }
        Change::Created => {
            let Some(i) = own
                .iter()
                .position(|e| e.version_id == notice.version_id && !is_marker(e))
            else {
                return unconfirmed;
            };
            if !new_since(own[i]) || (known.counted)(&notice.version_id) {
                return unconfirmed;
            }
            // The entry just older than the new version: a version means data replaced.
            let overwrite = own.get(i + 1).is_some_and(|older| !is_marker(older));
            (
                Verdict::Confirmed(if overwrite {
                    Confirmed::Overwrite
                } else {
                    Confirmed::VersionCreated
                }),
                notice.version_id.clone(),
            )
        }
    }
}

/// What became of the notices of an interval (or, added up, of a watcher's run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Notices taken from the queue.
    pub received: u64,
    /// Keys read back.
    pub keys_read_back: u64,
    /// Notices the read-back confirmed, and did not.
    pub confirmed: u64,
    pub unconfirmed: u64,
    /// Notices counted without a read-back: the interval was under the storm thresholds even
    /// with every notice counted at its worst.
    pub counted_unread: u64,
    /// Notices not read back: more keys than one interval reads back.
    pub not_read_back: u64,
    /// Notices dropped: more were waiting than the watcher keeps.
    pub dropped: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        for (a, b) in [
            (&mut self.received, o.received),
            (&mut self.keys_read_back, o.keys_read_back),
            (&mut self.confirmed, o.confirmed),
            (&mut self.unconfirmed, o.unconfirmed),
            (&mut self.counted_unread, o.counted_unread),
            (&mut self.not_read_back, o.not_read_back),
            (&mut self.dropped, o.dropped),
        ] {
            *a = a.saturating_add(b);
        }
    }
}
