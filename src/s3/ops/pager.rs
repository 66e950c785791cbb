//! One pager for both listings: ListObjectsV2 (`ObjectPager`) and ListObjectVersions
//! (`VersionPager`) are walked page by page the same way — each page checked whole by the
//! page guard before it reaches the caller, a page that breaks the listing's promises ending
//! it as a runaway, a failed page asked again only when the caller says so. What differs (the
//! request, how a page says where the next one starts) is a `Kind`.

use super::*;
use std::future::Future;

/// What one listing sends and how its pages go on.
pub trait Kind: Send + Sync + 'static {
    type Page: Send;
    /// Where the next page starts: a continuation token, or a key and version marker.
    type Marker: Clone + Send + Sync;
    const LISTING: Listing;

    fn fetch<'a>(
        s3: &'a S3,
        ask: Ask<'a, Self::Marker>,
    ) -> impl Future<Output = Result<Self::Page, S3Error>> + Send + 'a;
    /// The page guard's check of a whole page (it may put a final page in order).
    fn check(guard: &mut PageGuard, page: &mut Self::Page) -> Result<(), String>;
    /// Where the page after this one starts; `None` when this one ends the listing.
    fn next(page: &Self::Page) -> Option<Self::Marker>;
    /// The guard learns where a listing resumed from, when the marker says (a token does not).
    fn resumed_at(guard: &mut PageGuard, marker: &Self::Marker);
}

/// One page's request.
pub struct Ask<'a, M> {
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub after: Option<&'a M>,
    /// StartAfter, sent with the first request only.
    pub start_after: Option<&'a str>,
    pub max_keys: Option<i32>,
}

/// ListObjectsV2: keys, continued by an opaque token.
pub struct Keys;

/// ListObjectVersions: versions and delete markers, continued by a key and version marker.
pub struct Versions;

impl Kind for Keys {
    type Page = ObjectsPage;
    type Marker = String;
    const LISTING: Listing = Listing::Keys;

    fn fetch<'a>(
        s3: &'a S3,
        ask: Ask<'a, String>,
    ) -> impl Future<Output = Result<ObjectsPage, S3Error>> + Send + 'a {
        s3.list_objects_page_in(
            ask.bucket,
            ask.prefix,
            ask.delimiter,
            ask.after.map(String::as_str),
            ask.start_after.filter(|_| ask.after.is_none()),
            ask.max_keys,
        )
    }

    fn check(guard: &mut PageGuard, page: &mut ObjectsPage) -> Result<(), String> {
        guard.objects_page(page)
    }

    fn next(page: &ObjectsPage) -> Option<String> {
        page.next_token.clone()
    }

    fn resumed_at(_: &mut PageGuard, _: &String) {}
}

impl Kind for Versions {
    type Page = VersionsPage;
    type Marker = VersionMarker;
    const LISTING: Listing = Listing::Versions;

    fn fetch<'a>(
        s3: &'a S3,
        ask: Ask<'a, VersionMarker>,
    ) -> impl Future<Output = Result<VersionsPage, S3Error>> + Send + 'a {
        s3.list_versions_page(
            ask.bucket,
            ask.prefix,
            ask.delimiter,
            ask.after,
            ask.max_keys,
        )
    }

    fn check(guard: &mut PageGuard, page: &mut VersionsPage) -> Result<(), String> {
        guard.versions_page(page)
    }

    fn next(page: &VersionsPage) -> Option<VersionMarker> {
        page.next.clone()
    }

    fn resumed_at(guard: &mut PageGuard, marker: &VersionMarker) {
        guard.start_after_version(marker);
    }
}

/// Walks a listing page by page (the SDK's paginators are not used: each page reaches the
/// caller, ListObjectVersions has none, and a failed page can be resumed from its marker).
pub struct Pager<K: Kind> {
    s3: S3,
    bucket: String,
    prefix: String,
    delimiter: Option<String>,
    next: Option<K::Marker>,
    /// StartAfter of the first request.
    start_after: Option<String>,
    max_keys: Option<i32>,
    done: bool,
    guard: PageGuard,
}

/// Pages through ListObjectsV2.
pub type ObjectPager = Pager<Keys>;
/// Pages through ListObjectVersions with both markers.
pub type VersionPager = Pager<Versions>;

impl<K: Kind> Pager<K> {
    pub fn new(s3: &S3, bucket: &str, prefix: &str, delimiter: Option<&str>) -> Pager<K> {
        Pager {
            s3: s3.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            delimiter: delimiter.map(str::to_string),
            next: None,
            start_after: None,
            max_keys: None,
            done: false,
            guard: PageGuard::under(K::LISTING, prefix, delimiter),
        }
    }

    /// Starts after `marker` (the marker of the last page that arrived) instead of at the
    /// beginning: resumes a listing that failed or was stopped.
    pub fn resume_from(mut self, marker: Option<K::Marker>) -> Pager<K> {
        if let Some(m) = &marker {
            K::resumed_at(&mut self.guard, m);
        }
        self.next = marker;
        self
    }

    /// After an error, the next `next_page` asks the same page again (not after a runaway:
    /// that listing is over).
    pub fn allow_retry(&mut self) {
        self.done = false;
    }

    /// Smaller pages; used by tests to force keys across page boundaries.
    pub fn with_max_keys(mut self, max_keys: i32) -> Pager<K> {
        self.max_keys = Some(max_keys);
        self
    }

    /// The next page, or `None` when the listing is complete.
    pub async fn next_page(&mut self) -> Option<Result<K::Page, S3Error>> {
        if self.done {
            return None;
        }
        let ask = Ask {
            bucket: &self.bucket,
            prefix: &self.prefix,
            delimiter: self.delimiter.as_deref(),
            after: self.next.as_ref(),
            start_after: self.start_after.as_deref(),
            max_keys: self.max_keys,
        };
        match K::fetch(&self.s3, ask).await {
            Ok(mut page) => {
                if let Err(why) = K::check(&mut self.guard, &mut page) {
                    // The page is dropped with the listing: its entries may be the loop.
                    self.done = true;
                    return Some(Err(S3Error::Runaway(why)));
                }
                self.next = K::next(&page);
                self.done = self.next.is_none();
                Some(Ok(page))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl Pager<Keys> {
    /// Starts after the key `key` (StartAfter): the server must answer only what follows it.
    pub fn start_after_key(&mut self, key: &str) {
        self.guard.start_after(key);
        self.start_after = Some(key.to_string());
    }
}

impl Pager<Versions> {
    /// Starts after `marker` (set before the first page): the server must answer only what
    /// follows it.
    pub fn resume_at(&mut self, marker: VersionMarker) {
        self.guard.start_after_version(&marker);
        self.next = Some(marker);
    }
}
