//! Pages of a listing as the S3 layer hands them up, and what single requests report; and
//! `PageGuard`, which stops a paginated listing a server would never end: a continuation token
//! or marker already seen (A, B, A, B …), keys that do not advance (S3 lists keys in strictly
//! increasing order), an entry listed twice, or pages that list nothing new. Memory stays
//! bounded by the pages read: one 64-bit hash per token, and per version id of the key that
//! spans pages.

use super::{HistoryEntry, LockInfo, ObjectEntry};
use jiff::Timestamp;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Consecutive pages that may list nothing new (no key past the last one, no new version of
/// it) before the listing is stopped.
pub const EMPTY_PAGES_ALLOWED: u32 = 16;

/// One page of a plain listing.
#[derive(Debug, Clone, Default)]
pub struct ObjectsPage {
    pub objects: Vec<ObjectEntry>,
    pub prefixes: Vec<String>,
    pub next_token: Option<String>,
}

/// Where the next page of a version listing starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMarker {
    pub key: String,
    pub version_id: Option<String>,
}

/// Why a key's versions cannot be shown when the server altered names in its listing.
pub const ALTERED_KEYS: &str = "the server listed versions under altered names: it replaced characters that XML cannot carry with U+FFFD (it ignores encoding-type=url in version listings), so the versions of a key holding such characters cannot be listed";

/// One page of a version listing. Versions and delete markers come as separate lists.
#[derive(Debug, Clone, Default)]
pub struct VersionsPage {
    pub versions: Vec<HistoryEntry>,
    pub markers: Vec<HistoryEntry>,
    pub prefixes: Vec<String>,
    pub next: Option<VersionMarker>,
    /// The server ignored `encoding-type=url` and sent a key holding U+FFFD: it may have
    /// replaced characters XML cannot carry, so a listed name may not be the stored one.
    pub altered_keys: bool,
}

/// What a DeleteObject did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version id of the marker created, or of the version or marker removed.
    pub version_id: Option<String>,
    /// Whether the request created or removed a delete marker.
    pub delete_marker: bool,
}

/// What HeadObject reports about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDetails {
    pub version_id: Option<String>,
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub storage_class: Option<String>,
    pub last_modified: Option<Timestamp>,
    pub lock: LockInfo,
    /// User metadata (x-amz-meta-*), sorted by name.
    pub metadata: Vec<(String, String)>,
}

/// S3 keys are at most 1,024 bytes (UTF-8); a longer "key" is not a key, and drawing it on
/// every frame would cost the UI for nothing.
pub const MAX_KEY_BYTES: usize = 1024;
/// Version ids and continuation tokens are opaque, but not unbounded.
pub const MAX_ID_BYTES: usize = 1024;

/// Which listing a guard watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Keys are unique: each page's keys come after the previous page's.
    Keys,
    /// Versions: one key's versions may continue on the next page, each version once.
    Versions,
}

#[derive(Debug)]
pub struct PageGuard {
    listing: Listing,
    tokens: HashSet<u64>,
    last_key: Option<String>,
    /// Version ids listed for `last_key` (a key whose versions span pages).
    ids_of_last_key: HashSet<u64>,
    empty_pages: u32,
}

fn hash(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

impl PageGuard {
    pub fn new(listing: Listing) -> PageGuard {
        PageGuard {
            listing,
            tokens: HashSet::new(),
            last_key: None,
            ids_of_last_key: HashSet::new(),
            empty_pages: 0,
        }
    }

    /// Checks one page: `entries` are its (key, version id) pairs (prefixes as keys without
    /// an id; versions and delete markers may come as two lists, each in order), `next` the
    /// token or marker it continues with. An `Err` says why the listing must stop.
    pub fn check<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)> + Clone,
        next: Option<&[&str]>,
    ) -> Result<(), String> {
        let mut first: Option<&str> = None;
        let mut last: Option<&str> = None;
        for (key, id) in entries.clone() {
            if key.len() > MAX_KEY_BYTES {
                return Err(format!(
                    "the server listed a key of {} bytes; S3 keys are at most {MAX_KEY_BYTES}",
                    key.len()
                ));
            }
            if id.is_some_and(|id| id.len() > MAX_ID_BYTES) {
                return Err(format!(
                    "the server listed a version id of more than {MAX_ID_BYTES} bytes"
                ));
            }
            if first.is_none_or(|f| key < f) {
                first = Some(key);
            }
            if last.is_none_or(|l| key > l) {
                last = Some(key);
            }
        }
        if let (Some(first), Some(previous)) = (first, self.last_key.as_deref()) {
            // Equal is allowed: a folder (common prefix) may be listed again at the top of the
            // next page; a page that only repeats counts as listing nothing new, below.
            if first < previous {
                return Err(format!(
                    "the server's keys went back ({} after {}): S3 lists keys in increasing order",
                    super::text::name(first),
                    super::text::name(previous)
                ));
            }
        }
        let new_last = last.filter(|l| self.last_key.as_deref().is_none_or(|p| *l > p));
        let mut progress = new_last.is_some();
        if let Some(l) = new_last {
            self.last_key = Some(l.to_string());
            self.ids_of_last_key.clear();
        }
        if self.listing == Listing::Versions {
            // Versions of the key that may continue on the next page are remembered.
            for (key, id) in entries {
                if let Some(id) = id
                    && self.last_key.as_deref() == Some(key)
                    && !self.ids_of_last_key.insert(hash(&[id]))
                {
                    return Err(format!(
                        "the server listed version {} of {} twice",
                        super::text::name(id),
                        super::text::name(key)
                    ));
                }
                progress |= id.is_some() && self.last_key.as_deref() == Some(key);
            }
        }
        if progress {
            self.empty_pages = 0;
        } else {
            self.empty_pages += 1;
        }
        if let Some(next) = next {
            if self.empty_pages > EMPTY_PAGES_ALLOWED {
                return Err(format!(
                    "the server sent {} pages in a row that listed nothing new and said more follow",
                    self.empty_pages
                ));
            }
            if !self.tokens.insert(hash(next)) {
                return Err(
                    "the server sent a continuation it had sent before: the listing would never end"
                        .into(),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&'static str]) -> Vec<(&'static str, Option<&'static str>)> {
        names.iter().map(|k| (*k, None)).collect()
    }

    #[test]
    fn an_ordinary_listing_passes() {
        let mut g = PageGuard::new(Listing::Keys);
        assert!(g.check(keys(&["a", "b"]), Some(&["t1"])).is_ok());
        assert!(g.check(keys(&["c", "d"]), Some(&["t2"])).is_ok());
        assert!(g.check(keys(&["e"]), None).is_ok());
    }

    #[test]
    fn alternating_tokens_stop_the_listing() {
        let mut g = PageGuard::new(Listing::Versions);
        assert!(g.check([("a", Some("1"))], Some(&["a", "1"])).is_ok());
        assert!(g.check([("b", Some("1"))], Some(&["b", "1"])).is_ok());
        // The same marker again, even with keys that still advance.
        let err = g.check([("c", Some("1"))], Some(&["a", "1"]));
        assert!(err.is_err_and(|e| e.contains("sent before")));
    }

    #[test]
    fn fresh_tokens_with_the_same_keys_stop_the_listing() {
        let mut g = PageGuard::new(Listing::Keys);
        assert!(g.check(keys(&["a", "b"]), Some(&["t1"])).is_ok());
        let err = g.check(keys(&["a", "b"]), Some(&["t2"]));
        assert!(err.is_err_and(|e| e.contains("went back")));
        // The last key alone, again and again, with fresh tokens.
        let mut g = PageGuard::new(Listing::Keys);
        let tokens: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let stopped = tokens
            .iter()
            .position(|t| g.check(keys(&["z/"]), Some(&[t.as_str()])).is_err());
        assert_eq!(stopped, Some(EMPTY_PAGES_ALLOWED as usize + 1));
    }

    #[test]
    fn one_keys_versions_may_span_pages_but_never_repeat() {
        let mut g = PageGuard::new(Listing::Versions);
        assert!(
            g.check([("k", Some("3")), ("k", Some("2"))], Some(&["k", "2"]))
                .is_ok()
        );
        assert!(g.check([("k", Some("1"))], Some(&["k", "1"])).is_ok());
        let err = g.check([("k", Some("2"))], Some(&["k", "x"]));
        assert!(err.is_err_and(|e| e.contains("twice")), "{g:?}");
    }

    #[test]
    fn a_key_longer_than_s3_allows_stops_the_listing() {
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        let mut g = PageGuard::new(Listing::Keys);
        let err = g.check([(long.as_str(), None)], None);
        assert!(err.is_err_and(|e| e.contains("1025 bytes")));
        let fits = "k".repeat(MAX_KEY_BYTES);
        let mut g = PageGuard::new(Listing::Keys);
        assert!(g.check([(fits.as_str(), None)], None).is_ok());
    }

    #[test]
    fn endless_empty_pages_stop_the_listing() {
        let mut g = PageGuard::new(Listing::Keys);
        let tokens: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let stopped = tokens
            .iter()
            .position(|t| g.check(keys(&[]), Some(&[t.as_str()])).is_err());
        assert_eq!(stopped, Some(EMPTY_PAGES_ALLOWED as usize));
    }
}
