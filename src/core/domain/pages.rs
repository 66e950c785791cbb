//! Pages of a listing as the S3 layer hands them up, and what single requests report; and
//! `PageGuard`, which checks every page of a listing whole: sizes, everything under the prefix
//! asked for and after where the listing stands (its marker, or the last page), in S3's byte
//! order, each key and version once, a key's latest entry first; and stops a listing a server
//! would never end (a continuation sent before, pages with nothing new). Memory stays bounded
//! by the pages read: one 64-bit hash per token, and per version id of the key that spans
//! pages.

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

/// Checks every page of one listing whole, so that a listing stops (and what was shown is
/// marked partial) rather than show an entry twice, skip one through its own order, or go on
/// for ever.
#[derive(Debug)]
pub struct PageGuard {
    listing: Listing,
    /// What was asked for: everything answered must lie under it.
    prefix: String,
    delimiter: Option<String>,
    tokens: HashSet<u64>,
    at: Position,
    empty_pages: u32,
}

fn hash(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// A name in a sentence: always in quotes, escaped where it must be (`text::name`).
fn name(s: &str) -> String {
    match super::text::name(s) {
        std::borrow::Cow::Borrowed(s) => format!("\"{s}\""),
        std::borrow::Cow::Owned(quoted) => quoted,
    }
}

/// Where a listing stands: every entry of the next page must come after it.
#[derive(Debug, Default)]
struct Position {
    /// The greatest key or common prefix listed so far, or the marker the listing started
    /// after.
    key: Option<String>,
    /// Whether more versions of `key` may follow: it was a version listing's key, not a
    /// common prefix, and not a marker sent without a version id.
    open: bool,
    /// The version ids of `key` listed so far (one 64-bit hash each): a key's versions may
    /// span pages, each version once.
    ids: HashSet<u64>,
}

impl Position {
    /// Where a listing stands after `key` (and, in a version listing, its version
    /// `version_id`: later versions of the key may follow, never that one again).
    fn after(listing: Listing, key: &str, version_id: Option<&str>) -> Position {
        Position {
            key: Some(key.to_string()),
            open: listing == Listing::Versions && version_id.is_some(),
            ids: version_id.map(|id| hash(&[id])).into_iter().collect(),
        }
    }
}

/// One entry of a page, as the guard reads it.
#[derive(Debug, Clone, Copy)]
struct Seen<'a> {
    key: &'a str,
    id: Option<&'a str>,
    latest: bool,
}

impl<'a> Seen<'a> {
    fn of(e: &'a HistoryEntry) -> Seen<'a> {
        Seen {
            key: &e.key,
            id: Some(e.version_id.as_str()),
            latest: e.is_latest,
        }
    }
}

/// Whether XML 1.0 can carry a character (its `Char` production).
fn xml_can_carry(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Which answer a guard reads, for its messages.
fn answer(listing: Listing) -> &'static str {
    match listing {
        Listing::Keys => "ListObjectsV2",
        Listing::Versions => "ListObjectVersions",
    }
}

impl PageGuard {
    pub fn new(listing: Listing) -> PageGuard {
        PageGuard {
            listing,
            prefix: String::new(),
            delimiter: None,
            tokens: HashSet::new(),
            at: Position::default(),
            empty_pages: 0,
        }
    }

    /// A guard for the listing of what is under `prefix`, rolled up at `delimiter`: every key
    /// and common prefix it answers must lie under `prefix`, and with a delimiter no key may
    /// hold it past the prefix (such keys are rolled up into their common prefix).
    pub fn under(listing: Listing, prefix: &str, delimiter: Option<&str>) -> PageGuard {
        PageGuard {
            prefix: prefix.to_string(),
            delimiter: delimiter.filter(|d| !d.is_empty()).map(str::to_string),
            ..PageGuard::new(listing)
        }
    }

    /// The listing starts after `key` (StartAfter, a key-marker without a version id):
    /// everything it answers must come after it.
    pub fn start_after(&mut self, key: &str) {
        self.at = Position::after(self.listing, key, None);
    }

    /// The version listing starts after `marker`: later versions of its key may follow
    /// (never the marker's own version again), then greater keys.
    pub fn start_after_version(&mut self, marker: &VersionMarker) {
        self.at = Position::after(Listing::Versions, &marker.key, marker.version_id.as_deref());
    }

    /// Checks one page of bucket names (ListBuckets): names in increasing order, no token
    /// sent twice. `next` is the token the listing continues with.
    pub fn check<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        next: Option<&[&str]>,
    ) -> Result<(), String> {
        let mut names: Vec<&str> = names.into_iter().collect();
        if next.is_none() {
            names.sort_unstable();
        }
        let mut names: Vec<Seen<'_>> = names
            .into_iter()
            .map(|key| Seen {
                key,
                id: None,
                latest: false,
            })
            .collect();
        self.entries(&mut names, next.is_some())?;
        let progress = self.advance(&names, &[]);
        self.continuation(progress, next)
    }

    /// Checks one page of ListObjectsV2 whole: sizes, every key and common prefix under the
    /// prefix asked and after where the listing stands, in order. A page the listing goes on
    /// from must be in S3's order (byte order), since where the next one starts depends on it;
    /// the page that ends the listing is put in order when it is not (nothing follows it that
    /// its order could skip or repeat). An `Err` says which answer and which keys.
    pub fn objects_page(&mut self, page: &mut ObjectsPage) -> Result<(), String> {
        let more = page.next_token.is_some();
        if !more {
            page.objects.sort_by(|a, b| a.key.cmp(&b.key));
            page.prefixes.sort();
        }
        let mut keys: Vec<Seen<'_>> = page
            .objects
            .iter()
            .map(|o| Seen {
                key: &o.key,
                id: None,
                latest: false,
            })
            .collect();
        self.entries(&mut keys, more)?;
        self.prefixes(&page.prefixes, more)?;
        self.scope(&keys, &page.prefixes, false)?;
        let progress = self.advance(&keys, &page.prefixes);
        let next = page.next_token.as_deref().map(|t| [t]);
        self.continuation(progress, next.as_ref().map(|n| &n[..]))
    }

    /// Checks one page of ListObjectVersions whole, as `objects_page` does, and each key's
    /// versions: each version once (also across pages), at most one flagged latest, and that
    /// one listed first (ListObjectVersions lists a key's entries newest first).
    pub fn versions_page(&mut self, page: &mut VersionsPage) -> Result<(), String> {
        let more = page.next.is_some();
        if !more {
            // Stable: each key's entries keep the server's order, newest first.
            page.versions.sort_by(|a, b| a.key.cmp(&b.key));
            page.markers.sort_by(|a, b| a.key.cmp(&b.key));
            page.prefixes.sort();
        }
        let mut versions: Vec<Seen<'_>> = page.versions.iter().map(Seen::of).collect();
        let mut markers: Vec<Seen<'_>> = page.markers.iter().map(Seen::of).collect();
        self.entries(&mut versions, more)?;
        self.entries(&mut markers, more)?;
        self.prefixes(&page.prefixes, more)?;
        // Both lists in one, by key (stable: each list's order within a key is kept).
        let mut all: Vec<Seen<'_>> = versions.into_iter().chain(markers).collect();
        all.sort_by(|a, b| a.key.cmp(b.key));
        self.scope(&all, &page.prefixes, page.altered_keys)?;
        self.histories(&all)?;
        let progress = self.advance(&all, &page.prefixes);
        let next = page
            .next
            .as_ref()
            .map(|m| [m.key.as_str(), m.version_id.as_deref().unwrap_or("")]);
        self.continuation(progress, next.as_ref().map(|n| &n[..]))
    }

    /// Sizes, order within one list, and everything after where the listing stands.
    fn entries(&self, list: &mut [Seen<'_>], more: bool) -> Result<(), String> {
        let answer = answer(self.listing);
        for e in list.iter() {
            if e.key.len() > MAX_KEY_BYTES {
                return Err(format!(
                    "the server listed a key of {} bytes; S3 keys are at most {MAX_KEY_BYTES}",
                    e.key.len()
                ));
            }
            if e.id.is_some_and(|id| id.len() > MAX_ID_BYTES) {
                return Err(format!(
                    "the server listed a version id of more than {MAX_ID_BYTES} bytes"
                ));
            }
        }
        for pair in list.windows(2) {
            let (a, b) = (pair[0].key, pair[1].key);
            // Keys are unique in a plain listing; a version listing repeats a key per version.
            let backwards = match self.listing {
                Listing::Keys => b <= a,
                Listing::Versions => b < a,
            };
            if backwards {
                // (A page that ends the listing was put in order: only a key listed twice.)
                let what = if b == a {
                    format!("listed {} twice", name(a))
                } else {
                    format!("listed {} before {}", name(a), name(b))
                };
                return Err(format!(
                    "{answer}: the server {what} in one page{}: S3 lists keys once each, in byte order, so {}",
                    if more { " and said more follow" } else { "" },
                    if more {
                        "where the next page starts cannot be trusted"
                    } else {
                        "the listing cannot be trusted"
                    }
                ));
            }
        }
        for pair in list.windows(2) {
            if pair[0].key == pair[1].key && pair[1].latest {
                return Err(format!(
                    "{answer}: the server flagged an entry of {} as the latest after an older one: S3 lists a key's entries newest first",
                    name(pair[1].key)
                ));
            }
        }
        if let Some(at) = self.at.key.as_deref() {
            for e in list.iter() {
                let after = e.key > at || (e.key == at && self.at.open && e.id.is_some());
                if !after {
                    return Err(format!(
                        "{answer}: asked for what comes after {}, the server answered {}: a key it had listed before, or one before where it was asked to go on",
                        name(at),
                        name(e.key)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Common prefixes: in increasing order, each once, none before where the listing stands
    /// (the folder the listing stopped in may be named again).
    fn prefixes(&self, prefixes: &[String], more: bool) -> Result<(), String> {
        let answer = answer(self.listing);
        for p in prefixes {
            if p.len() > MAX_KEY_BYTES {
                return Err(format!(
                    "the server listed a common prefix of {} bytes; S3 keys are at most {MAX_KEY_BYTES}",
                    p.len()
                ));
            }
        }
        for pair in prefixes.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if b <= a {
                let what = if a == b {
                    format!("named the folder {} twice", name(a))
                } else {
                    format!("named the folder {} before {}", name(a), name(b))
                };
                return Err(format!(
                    "{answer}: the server {what} in one page{}: S3 lists common prefixes in byte order",
                    if more { " and said more follow" } else { "" },
                ));
            }
        }
        if let Some(at) = self.at.key.as_deref() {
            for p in prefixes {
                if p.as_str() < at && !at.starts_with(p.as_str()) {
                    return Err(format!(
                        "{answer}: asked for what comes after {}, the server named the folder {}, which comes before it",
                        name(at),
                        name(p)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Everything under the prefix asked for; with a delimiter, keys without it past the
    /// prefix and common prefixes that end at its first occurrence. `altered`: the server
    /// replaced what XML cannot carry with U+FFFD (`VersionsPage::altered_keys`), so its keys
    /// lie under the prefix as altered the same way.
    fn scope(&self, keys: &[Seen<'_>], prefixes: &[String], altered: bool) -> Result<(), String> {
        let answer = answer(self.listing);
        let altered_prefix: String;
        let prefix = if altered {
            altered_prefix = self
                .prefix
                .chars()
                .map(|c| if xml_can_carry(c) { c } else { '\u{fffd}' })
                .collect();
            altered_prefix.as_str()
        } else {
            self.prefix.as_str()
        };
        let outside = |k: &str| {
            Err(format!(
                "{answer}: asked for what is under {}, the server answered with {}",
                name(prefix),
                name(k)
            ))
        };
        for e in keys {
            let Some(rest) = e.key.strip_prefix(prefix) else {
                return outside(e.key);
            };
            if let Some(d) = &self.delimiter
                && rest.contains(d.as_str())
            {
                return Err(format!(
                    "{answer}: with the delimiter {}, the server listed {} as a key: it lies in a folder (the folder {} stands for it)",
                    name(d),
                    name(e.key),
                    name(&e.key[..prefix.len() + rest.find(d.as_str()).unwrap_or(0) + d.len()])
                ));
            }
        }
        for p in prefixes {
            let Some(rest) = p.strip_prefix(prefix) else {
                return outside(p);
            };
            let ends_at_delimiter = self
                .delimiter
                .as_deref()
                .is_some_and(|d| rest.find(d).is_some_and(|i| i + d.len() == rest.len()));
            if !ends_at_delimiter {
                return Err(format!(
                    "{answer}: the server named {} as a folder under {}: a common prefix ends at the first delimiter after the prefix asked for",
                    name(p),
                    name(prefix)
                ));
            }
        }
        Ok(())
    }

    /// Each key's entries (both lists, by key): each version once, at most one flagged
    /// latest and that one first in its list; a key going on from the last page flags none.
    fn histories(&self, all: &[Seen<'_>]) -> Result<(), String> {
        let answer = answer(self.listing);
        let mut start = 0;
        while start < all.len() {
            let key = all[start].key;
            let end = start + all[start..].iter().take_while(|e| e.key == key).count();
            let entries = &all[start..end];
            let continued = self.at.open && self.at.key.as_deref() == Some(key);
            let mut ids = HashSet::with_capacity(entries.len());
            for e in entries {
                let id = e.id.unwrap_or("");
                if !ids.insert(hash(&[id])) || (continued && self.at.ids.contains(&hash(&[id]))) {
                    return Err(format!(
                        "{answer}: the server listed version {} of {} twice",
                        name(id),
                        name(key)
                    ));
                }
            }
            let latest = entries.iter().filter(|e| e.latest).count();
            if latest > 1 || (latest == 1 && continued) {
                return Err(format!(
                    "{answer}: the server flagged {} entries of {} as the latest{}",
                    if continued { "more" } else { "two" },
                    name(key),
                    if continued {
                        " (one on an earlier page)"
                    } else {
                        ""
                    }
                ));
            }
            start = end;
        }
        Ok(())
    }

    /// Moves where the listing stands past the page; whether the page listed anything new.
    fn advance(&mut self, keys: &[Seen<'_>], prefixes: &[String]) -> bool {
        let greatest_key = keys.iter().map(|e| e.key).max();
        let greatest_prefix = prefixes.iter().map(String::as_str).max();
        let mut progress = false;
        let top = greatest_key.max(greatest_prefix);
        if let Some(top) = top
            && self.at.key.as_deref().is_none_or(|at| top > at)
        {
            self.at = Position {
                key: Some(top.to_string()),
                // A folder named last is not gone on in; a key's versions may be.
                open: greatest_key == Some(top) && self.listing == Listing::Versions,
                ids: HashSet::new(),
            };
            progress = true;
        }
        if self.at.open {
            let at = self.at.key.as_deref();
            for e in keys.iter().filter(|e| Some(e.key) == at) {
                if let Some(id) = e.id {
                    progress |= self.at.ids.insert(hash(&[id]));
                }
            }
        }
        progress
    }

    /// Tokens sent before, and pages in a row that listed nothing new.
    fn continuation(&mut self, progress: bool, next: Option<&[&str]>) -> Result<(), String> {
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

/// How a listing was made, for the report and the plan to say: a split listing trusts the
/// server's delimiter answers to name every folder (a folder one leaves out is not listed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListedAs {
    /// Folders listed by a listing of their own, as delimiter answers named them (0: one
    /// listing in sequence).
    pub folders: u64,
    /// Listings at once (`--listings`).
    pub listings: usize,
}

impl ListedAs {
    /// One sentence, without a final period.
    pub fn describe(&self) -> String {
        if self.folders == 0 {
            "in one sequence (ListObjectVersions, page by page)".to_string()
        } else {
            format!(
                "split over {} folder{} as the server's delimiter answers named them, {} listings at once, merged and checked back into key order (a folder those answers leave out is not listed; --listings 1 lists in one sequence)",
                self.folders,
                if self.folders == 1 { "" } else { "s" },
                self.listings
            )
        }
    }

    /// The same in a few words, for a popup's line (under 60 characters up to a million folders).
    pub fn short(&self) -> String {
        if self.folders == 0 {
            "in one sequence".to_string()
        } else {
            format!(
                "split over {} folder{} as delimiter answers named them",
                self.folders,
                if self.folders == 1 { "" } else { "s" }
            )
        }
    }

    /// Two listings' worth (a report resumed in parts, a plan of several folders).
    pub fn and(self, other: ListedAs) -> ListedAs {
        ListedAs {
            folders: self.folders + other.folders,
            listings: self.listings.max(other.listings),
        }
    }
}

/// The entries of a listing merged from several (a split listing), checked once more one by
/// one before anything is printed, counted or planned: keys in increasing order, a version
/// listing's key once per version, each (key, version) once, all after where it started.
#[derive(Debug)]
pub struct MergedOrder {
    listing: Listing,
    /// The last entry given (or the marker started after), as a page guard holds it.
    at: Position,
}

impl MergedOrder {
    pub fn new(listing: Listing) -> MergedOrder {
        MergedOrder {
            listing,
            at: Position::default(),
        }
    }

    /// Starting after a marker: a key (with the version it stopped at, in a version listing).
    pub fn after(listing: Listing, key: &str, version_id: Option<&str>) -> MergedOrder {
        MergedOrder {
            listing,
            at: Position::after(listing, key, version_id),
        }
    }

    /// The next entry, or why it cannot follow the one before.
    pub fn next(&mut self, key: &str, version_id: Option<&str>) -> Result<(), String> {
        match self.at.key.as_deref() {
            Some(last) if key == last => {
                let repeated =
                    !self.at.open || !self.at.ids.insert(hash(&[version_id.unwrap_or("")]));
                if repeated {
                    return Err(format!(
                        "the listings merged from several answers gave {}{} twice: the server's folder answer (the delimiter listing) and its listings of the folders disagree",
                        name(key),
                        version_id.map_or(String::new(), |id| format!(" version {}", name(id)))
                    ));
                }
            }
            Some(last) if key < last => {
                return Err(format!(
                    "the listings merged from several answers gave {} after {}: the server's folder answer (the delimiter listing) and its listings of the folders disagree",
                    name(key),
                    name(last)
                ));
            }
            _ => self.at = Position::after(self.listing, key, version_id),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EntryKind, HistoryEntry, ObjectEntry};
    use std::sync::Arc;

    fn objects(keys: &[&str], prefixes: &[&str], next: Option<&str>) -> ObjectsPage {
        ObjectsPage {
            objects: keys
                .iter()
                .map(|k| ObjectEntry {
                    key: Arc::from(*k),
                    size: Some(1),
                    last_modified: None,
                    storage_class: None,
                })
                .collect(),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            next_token: next.map(str::to_string),
        }
    }

    /// Entries as (key, version id, latest); `next` the marker the page goes on from.
    fn versions(entries: &[(&str, &str, bool)], next: Option<(&str, &str)>) -> VersionsPage {
        VersionsPage {
            versions: entries
                .iter()
                .map(|(k, id, latest)| HistoryEntry {
                    key: Arc::from(*k),
                    version_id: id.to_string(),
                    kind: EntryKind::Version {
                        size: Some(1),
                        etag: None,
                        storage_class: None,
                    },
                    is_latest: *latest,
                    last_modified: None,
                    owner: None,
                })
                .collect(),
            next: next.map(|(k, id)| VersionMarker {
                key: k.to_string(),
                version_id: Some(id.to_string()),
            }),
            ..VersionsPage::default()
        }
    }

    fn keys_guard() -> PageGuard {
        PageGuard::under(Listing::Keys, "", None)
    }

    fn versions_guard() -> PageGuard {
        PageGuard::under(Listing::Versions, "", None)
    }

    #[test]
    fn an_ordinary_listing_passes() {
        let mut g = keys_guard();
        assert!(
            g.objects_page(&mut objects(&["a", "b"], &[], Some("t1")))
                .is_ok()
        );
        assert!(
            g.objects_page(&mut objects(&["c", "d"], &[], Some("t2")))
                .is_ok()
        );
        assert!(g.objects_page(&mut objects(&["e"], &[], None)).is_ok());
    }

    #[test]
    fn alternating_tokens_stop_the_listing() {
        let mut g = versions_guard();
        assert!(
            g.versions_page(&mut versions(&[("a", "1", true)], Some(("a", "1"))))
                .is_ok()
        );
        assert!(
            g.versions_page(&mut versions(&[("b", "1", true)], Some(("b", "1"))))
                .is_ok()
        );
        // The same marker again, even with keys that still advance.
        let err = g.versions_page(&mut versions(&[("c", "1", true)], Some(("a", "1"))));
        assert!(err.is_err_and(|e| e.contains("sent before")));
    }

    #[test]
    fn a_page_that_goes_back_stops_the_listing() {
        let mut g = keys_guard();
        assert!(
            g.objects_page(&mut objects(&["a", "b"], &[], Some("t1")))
                .is_ok()
        );
        let err = g.objects_page(&mut objects(&["a", "b"], &[], Some("t2")));
        assert!(
            err.as_ref()
                .is_err_and(|e| e.contains("after \"b\"") && e.contains("answered \"a\"")),
            "{err:?}"
        );
    }

    #[test]
    fn the_same_folder_again_and_again_stops_the_listing() {
        let mut g = PageGuard::under(Listing::Keys, "", Some("/"));
        let tokens: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let stopped = tokens
            .iter()
            .position(|t| g.objects_page(&mut objects(&[], &["z/"], Some(t))).is_err());
        assert_eq!(stopped, Some(EMPTY_PAGES_ALLOWED as usize + 1));
    }

    #[test]
    fn disorder_inside_a_page_that_goes_on_stops_the_listing() {
        // The last page's first key comes after the previous page; only inside is it wrong.
        let mut g = keys_guard();
        assert!(
            g.objects_page(&mut objects(&["a"], &[], Some("t1")))
                .is_ok()
        );
        let err = g.objects_page(&mut objects(&["d", "c"], &[], Some("t2")));
        assert!(
            err.as_ref()
                .is_err_and(|e| e.contains("\"d\" before \"c\"") && e.contains("more follow")),
            "{err:?}"
        );
        let mut g = versions_guard();
        let err = g.versions_page(&mut versions(
            &[("k2", "1", true), ("k1", "1", true)],
            Some(("k1", "1")),
        ));
        assert!(err.is_err());
    }

    #[test]
    fn the_page_that_ends_the_listing_is_put_in_order() {
        let mut g = PageGuard::under(Listing::Keys, "", Some("/"));
        let mut page = objects(&["\u{fc}0", "a"], &["b/", "b-/"], None);
        assert!(g.objects_page(&mut page).is_ok());
        let keys: Vec<&str> = page.objects.iter().map(|o| &*o.key).collect();
        assert_eq!(keys, ["a", "\u{fc}0"]);
        assert_eq!(page.prefixes, ["b-/", "b/"]);
        // Each key's versions keep the server's order.
        let mut g = versions_guard();
        let mut page = versions(
            &[("b", "b2", true), ("a", "a2", true), ("b", "b1", false)],
            None,
        );
        assert!(g.versions_page(&mut page).is_ok());
        let ids: Vec<&str> = page
            .versions
            .iter()
            .map(|e| e.version_id.as_str())
            .collect();
        assert_eq!(ids, ["a2", "b2", "b1"]);
        // A key twice in a plain listing, even in its last page.
        let err = keys_guard().objects_page(&mut objects(&["b", "a", "b"], &[], None));
        assert!(err.is_err_and(|e| e.contains("\"b\" twice")));
    }

    #[test]
    fn a_listing_started_after_a_marker_answers_only_what_follows_it() {
        let mut g = keys_guard();
        g.start_after("p02/z/k");
        let err = g.objects_page(&mut objects(&["p02.txt", "z"], &[], None));
        assert!(
            err.as_ref().is_err_and(|e| e.contains("after \"p02/z/k\"")),
            "{err:?}"
        );
        // A version marker: later versions of its key may follow, never its own again.
        let marker = VersionMarker {
            key: "k".into(),
            version_id: Some("2".into()),
        };
        let mut g = versions_guard();
        g.start_after_version(&marker);
        assert!(
            g.versions_page(&mut versions(&[("k", "1", false), ("l", "1", true)], None))
                .is_ok()
        );
        let mut g = versions_guard();
        g.start_after_version(&marker);
        let err = g.versions_page(&mut versions(&[("k", "2", false)], None));
        assert!(err.is_err_and(|e| e.contains("twice")));
        // A later version of the marker's key cannot be the latest: that came first.
        let mut g = versions_guard();
        g.start_after_version(&marker);
        let err = g.versions_page(&mut versions(&[("k", "1", true)], None));
        assert!(err.is_err_and(|e| e.contains("latest")));
        // A key marker without a version id: that key is done.
        let mut g = versions_guard();
        g.start_after_version(&VersionMarker {
            key: "k".into(),
            version_id: None,
        });
        assert!(
            g.versions_page(&mut versions(&[("k", "1", false)], None))
                .is_err()
        );
    }

    #[test]
    fn one_keys_versions_may_span_pages_but_never_repeat() {
        let mut g = versions_guard();
        assert!(
            g.versions_page(&mut versions(
                &[("k", "3", true), ("k", "2", false)],
                Some(("k", "2"))
            ))
            .is_ok()
        );
        assert!(
            g.versions_page(&mut versions(&[("k", "1", false)], Some(("k", "1"))))
                .is_ok()
        );
        let err = g.versions_page(&mut versions(&[("k", "2", false)], Some(("k", "x"))));
        assert!(err.is_err_and(|e| e.contains("twice")), "{g:?}");
        // Within one page too.
        let err = versions_guard()
            .versions_page(&mut versions(&[("k", "1", true), ("k", "1", false)], None));
        assert!(err.is_err_and(|e| e.contains("twice")));
    }

    #[test]
    fn the_latest_entry_of_a_key_comes_first_and_once() {
        let err = versions_guard()
            .versions_page(&mut versions(&[("k", "1", false), ("k", "2", true)], None));
        assert!(err.is_err_and(|e| e.contains("after an older one")));
        // A marker and a version both flagged latest.
        let mut page = versions(&[("k", "1", true)], None);
        page.markers = versions(&[("k", "m", true)], None).versions;
        for m in &mut page.markers {
            m.kind = EntryKind::DeleteMarker;
        }
        let err = versions_guard().versions_page(&mut page);
        assert!(err.is_err_and(|e| e.contains("two entries")));
    }

    #[test]
    fn everything_answered_lies_under_the_prefix_and_folders_end_at_the_delimiter() {
        let mut g = PageGuard::under(Listing::Versions, "f/", Some("/"));
        let err = g.versions_page(&mut versions(&[("g", "1", true)], None));
        assert!(err.is_err_and(|e| e.contains("under \"f/\"")));
        // A key in a folder listed as a key of the level.
        let mut g = PageGuard::under(Listing::Versions, "", Some("/"));
        let mut page = versions(&[("f1/k", "1", true)], None);
        page.prefixes = vec!["f1/".into()];
        let err = g.versions_page(&mut page);
        assert!(err.is_err_and(|e| e.contains("lies in a folder")));
        // Folders that do not end at the first delimiter.
        for bad in ["f/a/b/", "f/a", "g/"] {
            let mut g = PageGuard::under(Listing::Keys, "f/", Some("/"));
            let err = g.objects_page(&mut objects(&[], &[bad], None));
            assert!(err.is_err(), "{bad}");
        }
        let mut g = PageGuard::under(Listing::Keys, "f/", Some("/"));
        assert!(
            g.objects_page(&mut objects(&["f/k"], &["f//", "f/a/"], None))
                .is_ok()
        );
    }

    #[test]
    fn keys_altered_by_the_server_lie_under_the_prefix_altered_the_same_way() {
        let mut g = PageGuard::under(Listing::Versions, "osc-\u{1b}]0;x\u{7}.txt", None);
        let mut page = versions(&[("osc-\u{fffd}]0;x\u{fffd}.txt", "1", true)], None);
        page.altered_keys = true;
        assert!(g.versions_page(&mut page).is_ok());
        let mut g = PageGuard::under(Listing::Versions, "osc-\u{1b}", None);
        let mut page = versions(&[("other", "1", true)], None);
        page.altered_keys = true;
        assert!(g.versions_page(&mut page).is_err());
    }

    #[test]
    fn a_folder_may_be_named_again_but_not_one_before_the_marker() {
        let mut g = PageGuard::under(Listing::Keys, "", Some("/"));
        assert!(
            g.objects_page(&mut objects(&["a"], &["b/"], Some("t1")))
                .is_ok()
        );
        assert!(
            g.objects_page(&mut objects(&["c"], &["b/"], Some("t2")))
                .is_ok()
        );
        let err = g.objects_page(&mut objects(&[], &["a/"], None));
        assert!(err.is_err_and(|e| e.contains("comes before it")));
    }

    #[test]
    fn a_key_longer_than_s3_allows_stops_the_listing() {
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        let err = keys_guard().objects_page(&mut objects(&[long.as_str()], &[], None));
        assert!(err.is_err_and(|e| e.contains("1025 bytes")));
        let fits = "k".repeat(MAX_KEY_BYTES);
        assert!(
            keys_guard()
                .objects_page(&mut objects(&[fits.as_str()], &[], None))
                .is_ok()
        );
    }

    #[test]
    fn endless_empty_pages_stop_the_listing() {
        let mut g = keys_guard();
        let tokens: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let stopped = tokens
            .iter()
            .position(|t| g.objects_page(&mut objects(&[], &[], Some(t))).is_err());
        assert_eq!(stopped, Some(EMPTY_PAGES_ALLOWED as usize));
    }

    #[test]
    fn a_merged_listing_goes_forward_and_gives_each_version_once() {
        let mut order = MergedOrder::new(Listing::Versions);
        for (k, id) in [("a", "2"), ("a", "1"), ("a/b", "1"), ("b", "1")] {
            assert!(order.next(k, Some(id)).is_ok());
        }
        assert!(
            order
                .next("a/b", Some("9"))
                .is_err_and(|e| e.contains("after"))
        );
        let mut order = MergedOrder::new(Listing::Versions);
        assert!(order.next("f1/k", Some("1")).is_ok());
        assert!(
            order
                .next("f1/k", Some("1"))
                .is_err_and(|e| e.contains("twice"))
        );
        let mut order = MergedOrder::new(Listing::Keys);
        assert!(order.next("k", None).is_ok());
        assert!(order.next("k", None).is_err_and(|e| e.contains("twice")));
        // Resumed after a marker.
        let mut order = MergedOrder::after(Listing::Versions, "k", Some("2"));
        assert!(order.next("k", Some("2")).is_err());
        let mut order = MergedOrder::after(Listing::Versions, "k", Some("2"));
        assert!(order.next("k", Some("1")).is_ok());
        let mut order = MergedOrder::after(Listing::Keys, "k", None);
        assert!(order.next("j", None).is_err());
    }

    #[test]
    fn bucket_names_are_checked_in_order_and_sorted_on_the_last_page() {
        let mut g = PageGuard::new(Listing::Keys);
        assert!(g.check(["b", "a"], None).is_ok());
        let mut g = PageGuard::new(Listing::Keys);
        assert!(g.check(["a", "b"], Some(&["t"])).is_ok());
        assert!(g.check(["a"], None).is_err());
    }
}
