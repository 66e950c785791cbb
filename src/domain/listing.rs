//! One level of a bucket (a prefix with `/` as delimiter), built up page by page.

use super::{EntryKind, HistoryEntry, ObjectEntry};
use jiff::Timestamp;
use std::cmp::Ordering;
use std::sync::Arc;

/// A key at this level whose latest entry is a delete marker: the "disappeared" file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedObject {
    pub key: Arc<str>,
    pub marker_version_id: String,
    pub deleted_at: Option<Timestamp>,
}

/// An object row of a level: present, or hidden behind a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelObject {
    Present(ObjectEntry),
    Deleted(DeletedObject),
}

impl LevelObject {
    pub fn key(&self) -> &Arc<str> {
        match self {
            LevelObject::Present(o) => &o.key,
            LevelObject::Deleted(d) => &d.key,
        }
    }
}

/// One row of a level as it is shown: sub-prefixes first, then objects, each in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelRow<'a> {
    Prefix(&'a Arc<str>),
    Object(&'a LevelObject),
}

/// The prefixes and objects of one level. Pages arrive in key order, so each page's prefixes
/// and objects are appended after those already held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Level {
    pub prefixes: Vec<Arc<str>>,
    pub objects: Vec<LevelObject>,
    /// Whether the object held last was decided by an entry flagged latest; a version listing
    /// can continue that key on the next page.
    last_decided: bool,
    /// How many objects are deleted, kept up to date page by page (a pane's title shows it on
    /// every frame; counting a million rows each time would not do).
    deleted: usize,
}

impl Level {
    pub fn len(&self) -> usize {
        self.prefixes.len() + self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Objects whose latest entry is a delete marker.
    pub fn deleted_count(&self) -> usize {
        self.deleted
    }

    pub fn row(&self, index: usize) -> Option<LevelRow<'_>> {
        match self.prefixes.get(index) {
            Some(p) => Some(LevelRow::Prefix(p)),
            None => self
                .objects
                .get(index - self.prefixes.len())
                .map(LevelRow::Object),
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = LevelRow<'_>> {
        self.prefixes
            .iter()
            .map(LevelRow::Prefix)
            .chain(self.objects.iter().map(LevelRow::Object))
    }

    fn push_prefixes(&mut self, prefixes: Vec<String>) {
        for p in prefixes {
            // A version listing may repeat a prefix on the next page.
            if self.prefixes.last().map(|l| l.as_ref()) != Some(p.as_str()) {
                self.prefixes.push(Arc::from(p));
            }
        }
    }

    /// Adds a page of a plain listing (ListObjectsV2): only present objects.
    pub fn absorb_objects_page(&mut self, objects: Vec<ObjectEntry>, prefixes: Vec<String>) {
        self.push_prefixes(prefixes);
        self.objects
            .extend(objects.into_iter().map(LevelObject::Present));
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
        // The last object may be replaced by this page (same key): it is counted again below.
        let recount_from = self.objects.len().saturating_sub(1);
        self.deleted -= self.objects[recount_from..]
            .iter()
            .filter(|o| matches!(o, LevelObject::Deleted(_)))
            .count();
        self.absorb_entries(versions, markers);
        self.deleted += self.objects[recount_from..]
            .iter()
            .filter(|o| matches!(o, LevelObject::Deleted(_)))
            .count();
    }

    fn absorb_entries(&mut self, versions: Vec<HistoryEntry>, markers: Vec<HistoryEntry>) {
        let mut entries: Vec<HistoryEntry> = versions.into_iter().chain(markers).collect();
        entries.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| b.is_latest.cmp(&a.is_latest))
                .then_with(|| b.last_modified.cmp(&a.last_modified))
        });
        for entry in entries {
            let same_key = self
                .objects
                .last()
                .is_some_and(|last| last.key() == &entry.key);
            if same_key {
                if self.last_decided {
                    continue;
                }
                let held_time = match self.objects.last() {
                    Some(LevelObject::Present(o)) => o.last_modified,
                    Some(LevelObject::Deleted(d)) => d.deleted_at,
                    None => None,
                };
                if !entry.is_latest && entry.last_modified.cmp(&held_time) != Ordering::Greater {
                    continue;
                }
                self.objects.pop();
            }
            self.last_decided = entry.is_latest;
            self.objects.push(level_object(entry));
        }
    }
}

fn level_object(entry: HistoryEntry) -> LevelObject {
    match entry.kind {
        EntryKind::DeleteMarker => LevelObject::Deleted(DeletedObject {
            key: entry.key,
            marker_version_id: entry.version_id,
            deleted_at: entry.last_modified,
        }),
        EntryKind::Version {
            size,
            storage_class,
            ..
        } => LevelObject::Present(ObjectEntry {
            key: entry.key,
            size,
            last_modified: entry.last_modified,
            storage_class,
        }),
    }
}

/// The last segment of a key or prefix below `parent`, as shown in the objects pane.
pub fn display_name<'a>(full: &'a str, parent: &str) -> &'a str {
    full.strip_prefix(parent).unwrap_or(full)
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
mod tests {
    use super::*;

    fn entry(key: &str, id: &str, at: &str, latest: bool, marker: bool) -> HistoryEntry {
        HistoryEntry {
            key: Arc::from(key),
            version_id: id.into(),
            kind: if marker {
                EntryKind::DeleteMarker
            } else {
                EntryKind::Version {
                    size: Some(1),
                    etag: None,
                    storage_class: None,
                }
            },
            is_latest: latest,
            last_modified: Some(at.parse().expect("test time")),
        }
    }

    fn recount(level: &Level) -> usize {
        level
            .objects
            .iter()
            .filter(|o| matches!(o, LevelObject::Deleted(_)))
            .count()
    }

    #[test]
    fn the_deleted_count_follows_keys_that_span_pages() {
        let mut level = Level::default();
        // Without latest flags, a key continued on the next page can turn deleted or back.
        let pages = [
            (
                vec![entry("a", "a1", "2026-01-01T00:00:00Z", false, false)],
                vec![],
            ),
            (
                vec![],
                vec![entry("a", "am", "2026-01-03T00:00:00Z", false, true)],
            ),
            (
                vec![entry("a", "a2", "2026-01-04T00:00:00Z", false, false)],
                vec![],
            ),
            (
                vec![],
                vec![entry("b", "bm", "2026-01-02T00:00:00Z", true, true)],
            ),
            (
                vec![entry("c", "c1", "2026-01-01T00:00:00Z", true, false)],
                vec![],
            ),
        ];
        for (versions, markers) in pages {
            level.absorb_versions_page(versions, markers, vec![]);
            assert_eq!(level.deleted_count(), recount(&level));
        }
        assert_eq!(level.deleted_count(), 1);
    }

    #[test]
    fn key_whose_latest_is_a_marker_is_deleted() {
        let mut level = Level::default();
        level.absorb_versions_page(
            vec![
                entry("a", "a1", "2026-01-01T00:00:00Z", true, false),
                entry("b", "b1", "2026-01-01T00:00:00Z", false, false),
            ],
            vec![entry("b", "bm", "2026-01-02T00:00:00Z", true, true)],
            vec!["dir/".into()],
        );
        assert_eq!(level.len(), 3);
        assert!(matches!(level.row(0), Some(LevelRow::Prefix(p)) if p.as_ref() == "dir/"));
        assert!(
            matches!(level.row(1), Some(LevelRow::Object(LevelObject::Present(o))) if o.key.as_ref() == "a")
        );
        assert!(matches!(
            level.row(2),
            Some(LevelRow::Object(LevelObject::Deleted(d))) if d.marker_version_id == "bm"
        ));
    }

    #[test]
    fn a_key_continued_on_the_next_page_keeps_its_latest_entry() {
        let mut level = Level::default();
        level.absorb_versions_page(
            vec![],
            vec![entry("k", "m", "2026-01-03T00:00:00Z", true, true)],
            vec![],
        );
        level.absorb_versions_page(
            vec![entry("k", "v1", "2026-01-01T00:00:00Z", false, false)],
            vec![],
            vec![],
        );
        assert_eq!(level.objects.len(), 1);
        assert!(matches!(level.objects[0], LevelObject::Deleted(_)));
    }

    #[test]
    fn without_latest_flags_the_newest_entry_wins() {
        let mut level = Level::default();
        level.absorb_versions_page(
            vec![entry("k", "v1", "2026-01-01T00:00:00Z", false, false)],
            vec![],
            vec![],
        );
        level.absorb_versions_page(
            vec![],
            vec![entry("k", "m", "2026-01-03T00:00:00Z", false, true)],
            vec![],
        );
        assert_eq!(level.objects.len(), 1);
        assert!(matches!(level.objects[0], LevelObject::Deleted(_)));
    }

    #[test]
    fn repeated_prefix_on_the_next_page_is_listed_once() {
        let mut level = Level::default();
        level.absorb_versions_page(vec![], vec![], vec!["p/".into()]);
        level.absorb_versions_page(vec![], vec![], vec!["p/".into(), "q/".into()]);
        assert_eq!(level.prefixes.len(), 2);
    }

    #[test]
    fn parent_prefix_walks_up_one_segment() {
        assert_eq!(parent_prefix("a/b/"), "a/");
        assert_eq!(parent_prefix("a/"), "");
        assert_eq!(parent_prefix(""), "");
        assert_eq!(display_name("a/b/c.txt", "a/b/"), "c.txt");
    }
}
