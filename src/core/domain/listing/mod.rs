//! One level of a bucket (a prefix with `/` as delimiter), built up page by page.

use super::{EntryKind, HistoryEntry, ObjectEntry};
use jiff::Timestamp;
use std::cmp::Ordering;
use std::sync::Arc;

/// A key at this level whose latest entry is a delete marker: the "disappeared" file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedObject<'a> {
    pub key: &'a str,
    pub marker_version_id: &'a str,
    pub deleted_at: Option<Timestamp>,
}

/// A key at this level whose latest entry is a version carrying data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresentObject<'a> {
    pub key: &'a str,
    pub size: Option<u64>,
    pub last_modified: Option<Timestamp>,
    pub storage_class: Option<&'a str>,
}

/// An object row of a level, as borrowed from it: present, or hidden behind a delete marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelObject<'a> {
    Present(PresentObject<'a>),
    Deleted(DeletedObject<'a>),
}

impl<'a> LevelObject<'a> {
    pub fn key(&self) -> &'a str {
        match self {
            LevelObject::Present(o) => o.key,
            LevelObject::Deleted(d) => d.key,
        }
    }
}

/// One row of a level as it is shown: sub-prefixes first, then objects, each in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelRow<'a> {
    Prefix(&'a Arc<str>),
    Object(LevelObject<'a>),
}

/// One object row as it is held, in 24 bytes (a level can hold ten million). Its key lives in
/// the level's key buffer, from its start to the next row's start; its storage class in the
/// level's small table of classes; a deleted object's marker id in the level's table of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeldObject {
    /// Low 48 bits: where the key starts in the key buffer. High 16 bits: the storage class
    /// (its index in `Level::classes` plus one; 0 when the server named none), or `DELETED`.
    key_and_class: u64,
    /// Last modified, or for a deleted object the time of its delete marker, in milliseconds
    /// since the epoch (S3 dates carry milliseconds at most); `NO_TIME` when unknown.
    millis: i64,
    /// A present object's size (`NO_SIZE` when unknown); a deleted object's index in
    /// `Level::marker_ids`.
    size_or_marker: u64,
}

const KEY_BITS: u32 = 48;
const KEY_MASK: u64 = (1 << KEY_BITS) - 1;
/// The class bits of a deleted object.
const DELETED: u16 = u16::MAX;
const NO_TIME: i64 = i64::MIN;
const NO_SIZE: u64 = u64::MAX;

impl HeldObject {
    fn new(key_start: usize, class: u16, time: Option<Timestamp>, size_or_marker: u64) -> Self {
        HeldObject {
            key_and_class: (key_start as u64 & KEY_MASK) | (u64::from(class) << KEY_BITS),
            millis: time.map_or(NO_TIME, |t| t.as_millisecond()),
            size_or_marker,
        }
    }

    fn key_start(&self) -> usize {
        (self.key_and_class & KEY_MASK) as usize
    }

    fn class(&self) -> u16 {
        (self.key_and_class >> KEY_BITS) as u16
    }

    fn is_deleted(&self) -> bool {
        self.class() == DELETED
    }

    fn time(&self) -> Option<Timestamp> {
        (self.millis != NO_TIME)
            .then(|| Timestamp::from_millisecond(self.millis).ok())
            .flatten()
    }
}

/// The prefixes and objects of one level. Pages arrive in key order, so each page's prefixes
/// and objects are appended after those already held.
///
/// A level can hold a million objects, so they are stored compactly: every key in one buffer
/// (a filter then reads memory in order instead of chasing a pointer per row), the storage
/// class as a small index, and only a deleted object's marker id on the heap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Level {
    pub prefixes: Vec<Arc<str>>,
    keys: String,
    objects: Vec<HeldObject>,
    /// The storage classes seen at this level (a handful at most).
    classes: Vec<Box<str>>,
    /// The version ids of the delete markers of deleted objects, in order.
    marker_ids: Vec<Box<str>>,
    /// Whether the object held last was decided by an entry flagged latest; a version listing
    /// can continue that key on the next page.
    last_decided: bool,
    /// How many objects are deleted, kept up to date page by page (a pane's title shows it on
    /// every frame; counting a million rows each time would not do).
    deleted: usize,
    /// Shown as it was at this time: each key by the newest entry written up to then (entries
    /// written later are ignored, and so is `IsLatest`, which speaks of now).
    as_of: Option<Timestamp>,
}

impl Level {
    /// An empty level shown as it was at `as_of` (as it is now with `None`).
    pub fn as_of(as_of: Option<Timestamp>) -> Level {
        Level {
            as_of,
            ..Level::default()
        }
    }

    pub fn len(&self) -> usize {
        self.prefixes.len() + self.objects.len()
    }

    /// Drops the level, handing its memory back a few megabytes at a time (see
    /// `release_gradually`): for a level of millions of rows, on a thread of its own.
    pub fn release(self) {
        super::release_gradually(self.objects);
        super::release_gradually(self.keys.into_bytes());
        super::release_gradually(self.marker_ids);
        super::release_gradually(self.prefixes);
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many object rows (not prefixes) the level holds.
    pub fn objects_len(&self) -> usize {
        self.objects.len()
    }

    /// Objects whose latest entry is a delete marker.
    pub fn deleted_count(&self) -> usize {
        self.deleted
    }

    fn key_range(&self, index: usize) -> std::ops::Range<usize> {
        let start = self.objects[index].key_start();
        let end = self
            .objects
            .get(index + 1)
            .map_or(self.keys.len(), |next| next.key_start());
        start..end
    }

    /// The key of object `index` (counted among objects, not rows).
    pub fn object_key(&self, index: usize) -> Option<&str> {
        (index < self.objects.len()).then(|| &self.keys[self.key_range(index)])
    }

    /// Object `index` (counted among objects, not rows).
    pub fn object(&self, index: usize) -> Option<LevelObject<'_>> {
        let held = self.objects.get(index)?;
        let key = &self.keys[self.key_range(index)];
        Some(if held.is_deleted() {
            LevelObject::Deleted(DeletedObject {
                key,
                marker_version_id: usize::try_from(held.size_or_marker)
                    .ok()
                    .and_then(|i| self.marker_ids.get(i))
                    .map_or("", |m| m.as_ref()),
                deleted_at: held.time(),
            })
        } else {
            LevelObject::Present(PresentObject {
                key,
                size: (held.size_or_marker != NO_SIZE).then_some(held.size_or_marker),
                last_modified: held.time(),
                storage_class: held
                    .class()
                    .checked_sub(1)
                    .and_then(|i| self.classes.get(usize::from(i)))
                    .map(|c| c.as_ref()),
            })
        })
    }

    pub fn objects(&self) -> impl Iterator<Item = LevelObject<'_>> {
        (0..self.objects.len()).filter_map(|i| self.object(i))
    }

    /// The object keys from object `from` on, in order: read straight from the key buffer.
    pub fn object_keys_from(&self, from: usize) -> impl Iterator<Item = &str> {
        let starts = self.objects.get(from..).unwrap_or_default();
        let ends = starts
            .iter()
            .skip(1)
            .map(|o| o.key_start())
            .chain(std::iter::once(self.keys.len()));
        starts
            .iter()
            .zip(ends)
            .map(|(o, end)| &self.keys[o.key_start()..end])
    }

    /// The row of the prefix or object named `name` (a full key or prefix), searching only
    /// prefixes from `prefixes_from` and objects from `objects_from` on.
    pub fn position_from(
        &self,
        name: &str,
        prefixes_from: usize,
        objects_from: usize,
    ) -> Option<usize> {
        let prefixes = self.prefixes.get(prefixes_from..).unwrap_or_default();
        if let Some(j) = prefixes.iter().position(|p| p.as_ref() == name) {
            return Some(prefixes_from + j);
        }
        self.object_keys_from(objects_from)
            .position(|k| k == name)
            .map(|j| self.prefixes.len() + objects_from + j)
    }

    pub fn row(&self, index: usize) -> Option<LevelRow<'_>> {
        match self.prefixes.get(index) {
            Some(p) => Some(LevelRow::Prefix(p)),
            None => self
                .object(index - self.prefixes.len())
                .map(LevelRow::Object),
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = LevelRow<'_>> {
        self.prefixes
            .iter()
            .map(LevelRow::Prefix)
            .chain(self.objects().map(LevelRow::Object))
    }

    fn push_prefixes(&mut self, prefixes: Vec<String>) {
        for p in prefixes {
            // A version listing may repeat a prefix on the next page.
            if self.prefixes.last().map(|l| l.as_ref()) != Some(p.as_str()) {
                self.prefixes.push(Arc::from(p));
            }
        }
    }

    fn class_index(&mut self, class: Option<&str>) -> u16 {
        let Some(class) = class else { return 0 };
        if let Some(i) = self.classes.iter().position(|c| c.as_ref() == class) {
            return (i + 1) as u16;
        }
        // A server naming more classes than fit is not credible; show such rows without one.
        if self.classes.len() >= usize::from(DELETED - 1) {
            return 0;
        }
        self.classes.push(class.into());
        self.classes.len() as u16
    }

    fn push(&mut self, key: &str, held: HeldObject) {
        if held.is_deleted() {
            self.deleted += 1;
        }
        self.objects.push(held);
        self.keys.push_str(key);
    }

    fn push_deleted(&mut self, key: &str, time: Option<Timestamp>, marker_version_id: String) {
        let marker = self.marker_ids.len() as u64;
        self.marker_ids.push(marker_version_id.into());
        self.push(key, HeldObject::new(self.keys.len(), DELETED, time, marker));
    }

    fn pop(&mut self) {
        if let Some(held) = self.objects.pop() {
            self.keys.truncate(held.key_start());
            if held.is_deleted() {
                self.deleted -= 1;
                self.marker_ids.pop();
            }
        }
    }

    fn push_present(&mut self, o: ObjectEntry) {
        let class = self.class_index(o.storage_class.as_deref());
        // A size of 2^64 - 1 bytes cannot exist; it stands for "unknown" here.
        let size = o.size.map_or(NO_SIZE, |s| s.min(NO_SIZE - 1));
        let held = HeldObject::new(self.keys.len(), class, o.last_modified, size);
        self.push(&o.key, held);
    }

    /// Adds a page of a plain listing (ListObjectsV2): only present objects.
    pub fn absorb_objects_page(&mut self, objects: Vec<ObjectEntry>, prefixes: Vec<String>) {
        self.push_prefixes(prefixes);
        self.objects.reserve(objects.len());
        for o in objects {
            self.push_present(o);
        }
    }

    /// Adds a page of a version listing: each key is shown by its latest entry, so a key whose
    /// latest entry is a delete marker becomes a deleted object.
    pub fn absorb_versions_page(
        &mut self,
        versions: Vec<HistoryEntry>,
        markers: Vec<HistoryEntry>,
        prefixes: Vec<String>,
    ) {
        self.push_prefixes(prefixes);
        // The server's order, versions and markers interleaved as a key's history holds them
        // (`merge_page`: a marker before a version it ties with in time).
        let mut entries = super::history::merge_page(versions, markers);
        if let Some(t) = self.as_of {
            // As `history::state_at` judges: entries written by `t`, the newest first, a tie
            // kept in the history's order (the sort is stable). An entry without a time
            // cannot be placed before or after `t`: left out.
            entries.retain(|e| e.last_modified.is_some_and(|m| m <= t));
            for e in &mut entries {
                e.is_latest = false;
            }
        }
        entries.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| b.is_latest.cmp(&a.is_latest))
                .then_with(|| b.last_modified.cmp(&a.last_modified))
        });
        for entry in entries {
            let last = self.objects.len().checked_sub(1);
            let same_key = last.is_some_and(|i| self.object_key(i) == Some(&*entry.key));
            if same_key {
                if self.last_decided {
                    continue;
                }
                // Compared as held: to the millisecond.
                let held_time = self.objects.last().and_then(|o| o.time());
                let time = entry
                    .last_modified
                    .and_then(|t| Timestamp::from_millisecond(t.as_millisecond()).ok());
                if !entry.is_latest && time.cmp(&held_time) != Ordering::Greater {
                    continue;
                }
                self.pop();
            }
            self.last_decided = entry.is_latest;
            match entry.kind {
                EntryKind::DeleteMarker => {
                    self.push_deleted(&entry.key, entry.last_modified, entry.version_id)
                }
                EntryKind::Version {
                    size,
                    storage_class,
                    ..
                } => self.push_present(ObjectEntry {
                    key: entry.key,
                    size,
                    last_modified: entry.last_modified,
                    storage_class,
                }),
            }
        }
    }
}

/// The last segment of a key or prefix below `parent`, as shown in the objects pane.
pub fn display_name<'a>(full: &'a str, parent: &str) -> &'a str {
    // Compared byte by byte: a filter calls this for every row, and a call out to `memcmp`
    // for a few bytes cost more than the match itself.
    let (f, p) = (full.as_bytes(), parent.as_bytes());
    if f.len() >= p.len() && f.iter().zip(p).all(|(a, b)| a == b) {
        // Both are str and `parent` ends on a character boundary of `full`.
        full.get(p.len()..).unwrap_or(full)
    } else {
        full
    }
}

/// The parent of a prefix: `a/b/` → `a/`, `a/` → ``.
pub fn parent_prefix(prefix: &str) -> String {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    match trimmed.rfind('/') {
        Some(i) => trimmed[..=i].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
