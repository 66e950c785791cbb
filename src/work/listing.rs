//! Listings split over sub-prefixes and run several at once, merged back into key order, for
//! `ls -r`, `report` and `undelete`: the entries come out exactly as one listing would give
//! them, only sooner when the server has capacity to spare.
//!
//! Each level is listed with the delimiter `/`: its own keys come out in order, and each
//! common prefix (a "folder") found on the way becomes a listing of its own, started at once
//! (up to a bounded number ahead of the reader, each with a bounded buffer of pages), so
//! several folders are listed while the reader is still at an earlier one. All listings share
//! one limit of requests in flight; a "slow down" answer lowers it for good (never below one)
//! and the page is asked again after a pause (a listing changes nothing on the server).
//!
//! Memory stays bounded: the top level starts at most as many folders ahead of the reader as
//! requests may be in flight (fewer would leave requests unused: every folder ahead finished
//! and waiting, none left to ask for), folders split again share that look-ahead (each at
//! least `BUFFER`), and each listing holds at most `BUFFER` pages: with N listings, about
//! 5 × N pages at most when the folders are listed whole, 30 × N when they are split again
//! (a page of 1000 entries is a few hundred kilobytes).

use crate::domain::history::merge_page;
use crate::domain::pages::{ListedAs, Listing, MergedOrder, VersionMarker};
use crate::domain::{HistoryEntry, ObjectEntry};
use crate::s3::{ObjectPager, S3, S3Error, VersionPager};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, mpsc};

/// Pages a listing may hold before the reader reaches it.
const BUFFER: usize = 4;
/// Slow-down answers a page is asked again after.
const MAX_TRIES: u32 = 8;

/// A page: its entries in key order, the common prefixes it named, and whether more pages
/// follow.
pub type Page<T> = (Vec<T>, Vec<String>, bool);

/// A listing's pages, one kind or the other.
pub trait Pages: Send + 'static {
    type Item: Clone + Send + Sync + 'static;
    fn open(
        s3: &S3,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        max_keys: Option<i32>,
    ) -> Self;
    /// The next page: its entries in key order and the common prefixes it named.
    fn next(&mut self) -> impl Future<Output = Option<Result<Page<Self::Item>, S3Error>>> + Send;
    /// After an error, ask the same page again.
    fn retry(&mut self);
    /// Where a listing goes on after an entry.
    type Marker: Clone + Send + Sync + 'static;
    /// The marker of the listing that gave `item` last.
    fn marker(item: &Self::Item) -> Self::Marker;
    fn marker_key(marker: &Self::Marker) -> &str;
    /// Start after `marker` (before the first page), as the page after it would.
    fn resume_at(&mut self, marker: &Self::Marker);
    fn key(item: &Self::Item) -> &str;
    /// An entry's version id (a version listing's).
    fn version_id(item: &Self::Item) -> Option<&str>;
    /// Which listing this is, for the check of the merged entries.
    const LISTING: Listing;
    /// The check of the merged entries, starting after `marker`.
    fn order_after(marker: &Self::Marker) -> MergedOrder;
}

impl Pages for VersionPager {
    type Item = HistoryEntry;

    fn open(
        s3: &S3,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        max_keys: Option<i32>,
    ) -> Self {
        let pager = VersionPager::new(s3, bucket, prefix, delimiter);
        match max_keys {
            Some(n) => pager.with_max_keys(n),
            None => pager,
        }
    }

    async fn next(&mut self) -> Option<Result<Page<HistoryEntry>, S3Error>> {
        let page = self.next_page().await?;
        Some(page.map(|p| {
            let more = p.next.is_some();
            (merge_page(p.versions, p.markers), p.prefixes, more)
        }))
    }

    fn retry(&mut self) {
        self.allow_retry();
    }

    type Marker = VersionMarker;

    fn marker(item: &HistoryEntry) -> VersionMarker {
        Split::<VersionPager>::position(item)
    }

    fn marker_key(marker: &VersionMarker) -> &str {
        &marker.key
    }

    fn resume_at(&mut self, marker: &VersionMarker) {
        VersionPager::resume_at(self, marker.clone());
    }

    fn key(item: &HistoryEntry) -> &str {
        &item.key
    }

    fn version_id(item: &HistoryEntry) -> Option<&str> {
        Some(&item.version_id)
    }

    const LISTING: Listing = Listing::Versions;

    fn order_after(marker: &VersionMarker) -> MergedOrder {
        MergedOrder::after(Listing::Versions, &marker.key, marker.version_id.as_deref())
    }
}

impl Pages for ObjectPager {
    type Item = ObjectEntry;

    fn open(
        s3: &S3,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        _max_keys: Option<i32>,
    ) -> Self {
        ObjectPager::new(s3, bucket, prefix, delimiter)
    }

    async fn next(&mut self) -> Option<Result<Page<ObjectEntry>, S3Error>> {
        let page = self.next_page().await?;
        Some(page.map(|p| {
            let more = p.next_token.is_some();
            (p.objects, p.prefixes, more)
        }))
    }

    fn retry(&mut self) {
        self.allow_retry();
    }

    type Marker = String;

    fn marker(item: &ObjectEntry) -> String {
        item.key.to_string()
    }

    fn marker_key(marker: &String) -> &str {
        marker
    }

    fn resume_at(&mut self, marker: &String) {
        self.start_after_key(marker);
    }

    fn key(item: &ObjectEntry) -> &str {
        &item.key
    }

    fn version_id(_: &ObjectEntry) -> Option<&str> {
        None
    }

    const LISTING: Listing = Listing::Keys;

    fn order_after(marker: &String) -> MergedOrder {
        MergedOrder::after(Listing::Keys, marker, None)
    }
}

/// What a level sends its reader, in key order.
enum Segment<T> {
    Items(Vec<T>),
    /// A folder, listed by a listing of its own.
    Folder(mpsc::Receiver<Result<Segment<T>, S3Error>>),
}

/// Shared by every listing of one split listing.
struct Shared {
    s3: S3,
    bucket: String,
    max_keys: Option<i32>,
    requests: Arc<Semaphore>,
    /// The limit of requests at once asked for.
    listings: usize,
    /// The limit now (lowered by slow-down answers).
    limit: AtomicUsize,
    /// Listings started, for the caller's curiosity (tests, progress).
    started: AtomicUsize,
}

/// A listing of everything under a prefix, split over its folders; `next_page` gives the
/// entries in the order one listing would, a page at a time (page boundaries differ).
pub struct Split<P: Pages> {
    stack: Vec<mpsc::Receiver<Result<Segment<P::Item>, S3Error>>>,
    shared: Arc<Shared>,
    failed: bool,
    /// The merged entries checked once more, in the order given.
    order: MergedOrder,
}

impl<P: Pages> Split<P> {
    /// Starts listing `prefix` with up to `listings` requests at once (1: one listing, in
    /// sequence, as without splitting).
    pub fn start(
        s3: &S3,
        bucket: &str,
        prefix: &str,
        listings: usize,
        max_keys: Option<i32>,
    ) -> Split<P> {
        Split::resume(s3, bucket, prefix, listings, max_keys, None)
    }

    /// `start`, going on after `after` (where an earlier listing of `prefix` stopped): the
    /// levels are listed again with the delimiter (one page each), their keys and folders
    /// before the marker left out, the folder holding it resumed from it, and the later ones
    /// split as they would be.
    pub fn resume(
        s3: &S3,
        bucket: &str,
        prefix: &str,
        listings: usize,
        max_keys: Option<i32>,
        after: Option<P::Marker>,
    ) -> Split<P> {
        let listings = listings.max(1);
        let shared = Arc::new(Shared {
            s3: s3.clone(),
            bucket: bucket.to_string(),
            max_keys,
            requests: Arc::new(Semaphore::new(listings)),
            listings,
            limit: AtomicUsize::new(listings),
            started: AtomicUsize::new(0),
        });
        // One listing at a time: nothing to split.
        let depth = if listings == 1 { 0 } else { 2 };
        let ahead = shared.listings;
        let order = after
            .as_ref()
            .map_or_else(|| MergedOrder::new(P::LISTING), P::order_after);
        let root = level::<P>(
            shared.clone(),
            prefix.to_string(),
            depth,
            ahead,
            after,
            None,
        );
        Split {
            stack: vec![root],
            shared,
            failed: false,
            order,
        }
    }

    /// Listings started so far (1 when nothing was split).
    pub fn listings_started(&self) -> usize {
        self.shared.started.load(Ordering::Relaxed)
    }

    /// How the entries given so far were listed: the folders listed on their own.
    pub fn listed_as(&self) -> ListedAs {
        ListedAs {
            folders: self.listings_started().saturating_sub(1) as u64,
            listings: self.shared.listings,
        }
    }

    /// The next entries in key order, or `None` at the end. After an error, `None`.
    pub async fn next_page(&mut self) -> Option<Result<Vec<P::Item>, S3Error>> {
        if self.failed {
            return None;
        }
        loop {
            let top = self.stack.last_mut()?;
            match top.recv().await {
                None => {
                    self.stack.pop();
                }
                Some(Err(e)) => {
                    self.failed = true;
                    self.stack.clear();
                    return Some(Err(e));
                }
                Some(Ok(Segment::Folder(rx))) => self.stack.push(rx),
                Some(Ok(Segment::Items(items))) if items.is_empty() => {}
                Some(Ok(Segment::Items(items))) => {
                    for item in &items {
                        if let Err(why) = self.order.next(P::key(item), P::version_id(item)) {
                            self.failed = true;
                            self.stack.clear();
                            return Some(Err(S3Error::Runaway(why)));
                        }
                    }
                    return Some(Ok(items));
                }
            }
        }
    }
}

impl Split<VersionPager> {
    /// Where a listing started again would go on after the last page given: after its last
    /// version or marker.
    pub fn position(last: &HistoryEntry) -> VersionMarker {
        VersionMarker {
            key: last.key.to_string(),
            version_id: Some(last.version_id.clone()),
        }
    }
}

/// What the first listings of a level's folders found: whether folders are worth a listing
/// each.
#[derive(Debug)]
enum Probe<T> {
    /// More than one page.
    Large,
    /// All of it in one page, ending with this entry (none: empty).
    Small(Option<T>),
}

/// Lists `prefix`: with the delimiter when `depth > 0` (its folders listed by listings of
/// their own, one level less deep, up to `ahead` of them started before the reader gets to
/// them), without it otherwise. The task ends when the reader goes.
fn level<P: Pages>(
    shared: Arc<Shared>,
    prefix: String,
    depth: u32,
    ahead: usize,
    after: Option<P::Marker>,
    probe: Option<tokio::sync::oneshot::Sender<Probe<P::Item>>>,
) -> mpsc::Receiver<Result<Segment<P::Item>, S3Error>> {
    // A level split over folders holds started folders (with the keys between them): as
    // many as there can be requests at once, so that every one can be in flight while the
    // reader is at an earlier folder. A whole listing holds pages.
    let capacity = if depth > 0 { ahead.max(BUFFER) } else { BUFFER };
    let (tx, rx) = mpsc::channel(capacity);
    shared.started.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        if depth == 0 {
            whole::<P>(&shared, &prefix, after, &tx, probe).await;
        } else {
            // A folder split again says at once that it is large.
            if let Some(p) = probe {
                let _ = p.send(Probe::Large);
            }
            split::<P>(&shared, &prefix, depth, ahead, after, &tx).await;
        }
    });
    rx
}

type Sender<T> = mpsc::Sender<Result<Segment<T>, S3Error>>;

/// One listing of everything under `prefix` (after the marker `after`), page by page; tells
/// `probe` whether it took more than one page.
///
/// Where a server walking a file tree (SeaweedFS 4.48) skips entries, they are looked at on
/// their own: going on after a key (the marker, or a page's last key), the folders that sort
/// right after it and share its start (`a/` after `a.txt` or `a-1`), when the listing passes
/// them naming nothing in them; and a page that ends inside a folder it entered may lack the
/// keys beside that folder (`é` and `é.txt` before `é/`: the tree holds them after the
/// folder), which are asked for and put in their place. A few small requests, only where a
/// listing goes on after a key or a page ends in a new folder.
async fn whole<P: Pages>(
    shared: &Shared,
    prefix: &str,
    after: Option<P::Marker>,
    tx: &Sender<P::Item>,
    mut probe: Option<tokio::sync::oneshot::Sender<Probe<P::Item>>>,
) {
    let mut pager = P::open(&shared.s3, &shared.bucket, prefix, None, shared.max_keys);
    // Where the listing went on from last: a page's stems after it are new folders.
    let mut went_on_after = after.as_ref().map(|m| P::marker_key(m).to_string());
    let mut beside: Vec<String> = went_on_after
        .as_deref()
        .map(|k| folders_beside(prefix, k))
        .unwrap_or_default();
    if let Some(after) = &after {
        pager.resume_at(after);
    }
    let mut last: Option<P::Item> = None;
    loop {
        let (mut items, _, more) = match request::<P>(shared, &mut pager).await {
            None => break,
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
            Some(Ok(page)) => page,
        };
        if more && let Some(p) = probe.take() {
            let _ = p.send(Probe::Large);
        }
        let page_last = items.last().map(|i| P::key(i).to_string());
        if more && let Some(end) = &page_last {
            let from = went_on_after.as_deref().unwrap_or("");
            for stem in stems_after(prefix, end, from) {
                match stem_keys::<P>(shared, &stem).await {
                    Ok(found) => items = with_missing::<P>(items, found),
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        }
        if probe.is_some()
            && let Some(i) = items.last()
        {
            last = Some(i.clone());
        }
        let mut run = Vec::with_capacity(items.len());
        for item in items {
            if !passed_folders::<P>(shared, &mut beside, P::key(&item), &mut run, tx).await {
                return;
            }
            run.push(item);
        }
        if tx.send(Ok(Segment::Items(run))).await.is_err() {
            return;
        }
        if !more {
            break;
        }
        if let Some(k) = page_last {
            beside.extend(folders_beside(prefix, &k));
            beside.sort();
            beside.dedup();
            went_on_after = Some(k);
        }
    }
    for folder in beside {
        if !folder_alone::<P>(shared, &folder, tx).await {
            return;
        }
    }
    if let Some(p) = probe {
        let _ = p.send(Probe::Small(last));
    }
}

/// Sends the entries held so far. False when the reader went.
async fn flush<P: Pages>(run: &mut Vec<P::Item>, tx: &Sender<P::Item>) -> bool {
    let run = std::mem::take(run);
    run.is_empty() || tx.send(Ok(Segment::Items(run))).await.is_ok()
}

/// The folders waiting to be looked at that sort up to `key`: each one `key` passed without
/// being in it is listed on its own (after the entries held so far); the ones `key` is in need
/// nothing. False when a listing failed or the reader went.
async fn passed_folders<P: Pages>(
    shared: &Shared,
    beside: &mut Vec<String>,
    key: &str,
    run: &mut Vec<P::Item>,
    tx: &Sender<P::Item>,
) -> bool {
    while let Some(folder) = beside.first()
        && folder.as_str() <= key
    {
        let folder = beside.remove(0);
        if key.starts_with(folder.as_str()) {
            continue;
        }
        if !flush::<P>(run, tx).await || !folder_alone::<P>(shared, &folder, tx).await {
            return false;
        }
    }
    true
}

/// The folders `key` lies in below `prefix` whose name without the `/` sorts after `after`:
/// `é` for `é/x` after `d`. Shortest first.
fn stems_after(prefix: &str, key: &str, after: &str) -> Vec<String> {
    let Some(rest) = key.strip_prefix(prefix) else {
        return Vec::new();
    };
    rest.match_indices('/')
        .filter(|(i, _)| *i > 0)
        .map(|(i, _)| format!("{prefix}{}", &rest[..i]))
        .filter(|stem| stem.as_str() > after)
        .collect()
}

/// The keys beside the folder `stem/`, sorting before it: the key `stem` itself, `stem.txt`,
/// `stem-1` (not `stem0`, which sorts after the folder), from a listing of their own with the
/// delimiter.
async fn stem_keys<P: Pages>(shared: &Shared, stem: &str) -> Result<Vec<P::Item>, S3Error> {
    let mut pager = P::open(&shared.s3, &shared.bucket, stem, Some("/"), shared.max_keys);
    let folder = format!("{stem}/");
    let mut found = Vec::new();
    while let Some(page) = request::<P>(shared, &mut pager).await {
        let (items, _, _) = page?;
        let before = items
            .iter()
            .take_while(|i| P::key(i) < folder.as_str())
            .count();
        let done = before < items.len();
        found.extend(items.into_iter().take(before));
        if done {
            break;
        }
    }
    Ok(found)
}

/// `page` with the entries of `found` whose keys it lacks put in their places (both in key
/// order). A key the page has is whole in it: `found`'s keys sort before the page's last.
fn with_missing<P: Pages>(page: Vec<P::Item>, found: Vec<P::Item>) -> Vec<P::Item> {
    let listed: std::collections::HashSet<&str> = page.iter().map(P::key).collect();
    let missing: Vec<P::Item> = found
        .into_iter()
        .filter(|i| !listed.contains(P::key(i)))
        .collect();
    if missing.is_empty() {
        return page;
    }
    tracing::debug!(
        entries = missing.len(),
        "keys beside a folder the page ended in, left out by the server"
    );
    let mut merged = Vec::with_capacity(page.len() + missing.len());
    let mut missing = missing.into_iter().peekable();
    for item in page {
        while missing.peek().is_some_and(|m| P::key(m) < P::key(&item)) {
            merged.extend(missing.next());
        }
        merged.push(item);
    }
    merged.extend(missing);
    merged
}

/// The folders under `prefix` that sort right after `key` and share its start: `a/` for
/// `a.txt`, `a-1` or `a!`; `x/a/` and `x/a.b/` for `x/a.b-c` (a byte below `/` follows the
/// shared start), in byte order.
fn folders_beside(prefix: &str, key: &str) -> Vec<String> {
    let Some(rest) = key.strip_prefix(prefix) else {
        return Vec::new();
    };
    let mut folders: Vec<String> = rest
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b < b'/')
        // Bytes below `/` are ASCII: the cut is on a character boundary.
        .map(|(i, _)| format!("{prefix}{}/", &rest[..i]))
        .collect();
    folders.sort();
    folders
}

/// Everything under `folder`, from a listing of its own. False when the listing failed or the
/// reader went.
async fn folder_alone<P: Pages>(shared: &Shared, folder: &str, tx: &Sender<P::Item>) -> bool {
    let mut pager = P::open(&shared.s3, &shared.bucket, folder, None, shared.max_keys);
    loop {
        match request::<P>(shared, &mut pager).await {
            None => return true,
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return false;
            }
            Some(Ok((items, _, more))) => {
                if tx.send(Ok(Segment::Items(items))).await.is_err() {
                    return false;
                }
                if !more {
                    return true;
                }
            }
        }
    }
}

/// The entries of the marker's key after the marker (a key's versions go on after the entry
/// a listing stopped at), from a listing of that key alone: a listing of the whole level from
/// the marker is not to be trusted (SeaweedFS 4.48 lists after `a.txt` as if the folder `a/`
/// came before it). False when the listing failed or the reader went.
async fn rest_of_key<P: Pages>(shared: &Shared, marker: &P::Marker, tx: &Sender<P::Item>) -> bool {
    let key = P::marker_key(marker);
    let mut pager = P::open(&shared.s3, &shared.bucket, key, None, shared.max_keys);
    pager.resume_at(marker);
    loop {
        let (items, _, more) = match request::<P>(shared, &mut pager).await {
            None => return true,
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return false;
            }
            Some(Ok(page)) => page,
        };
        // Keys that only start with it (`a.txt.1` after `a.txt`) end it.
        let own = items.iter().take_while(|i| P::key(i) == key).count();
        let done = own < items.len() || !more;
        let items: Vec<P::Item> = items.into_iter().take(own).collect();
        if !items.is_empty() && tx.send(Ok(Segment::Items(items))).await.is_err() {
            return false;
        }
        if done {
            return true;
        }
    }
}

/// `prefix` listed with the delimiter: its keys in order, each folder by a listing of its
/// own. The first folders are probes: when each of them fits in one page, a listing per
/// folder would cost more requests than it saves, and the rest of the level is listed in one
/// sequence after the last probe's last entry instead.
async fn split<P: Pages>(
    shared: &Arc<Shared>,
    prefix: &str,
    depth: u32,
    ahead: usize,
    after: Option<P::Marker>,
    tx: &Sender<P::Item>,
) {
    let mut pager = P::open(
        &shared.s3,
        &shared.bucket,
        prefix,
        Some("/"),
        shared.max_keys,
    );
    // The pager's guard has checked the answer: keys and folders under `prefix`, in order,
    // folders ending at the delimiter, no key inside one.
    let (mut items, mut folders, more) = match request::<P>(shared, &mut pager).await {
        None => return,
        Some(Err(e)) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
        Some(Ok(page)) => page,
    };
    // A level is split only when its keys and folders fit in one page: listings with a
    // delimiter are not paged on (SeaweedFS 4.48 loses entries across such pages). A larger
    // level is listed whole, as one listing.
    if more {
        whole::<P>(shared, prefix, after, tx, None).await;
        return;
    }
    // Going on after a marker: what comes before it is left out, the folder holding it goes
    // on from it.
    let mut resumed = None;
    if let Some(marker) = after {
        let key = P::marker_key(&marker);
        if items.iter().any(|i| P::key(i) == key) && !rest_of_key::<P>(shared, &marker, tx).await {
            return;
        }
        items.retain(|i| P::key(i) > key);
        // A key under a folder starts with it: the folder holds the marker, or every key in
        // it sorts before the marker, or every one after.
        folders.retain(|f| f.as_str() > key || key.starts_with(f.as_str()));
        if folders.first().is_some_and(|f| key.starts_with(f.as_str())) {
            resumed = Some(marker);
        }
    }
    let limit = shared.limit.load(Ordering::Relaxed);
    // Few folders: each is split again, one level down; many: each listed whole.
    let child_depth = if depth > 1 && folders.len() < limit {
        depth - 1
    } else {
        0
    };
    // Folders split again share this level's look-ahead: one folder (s3://b/ holding only
    // backups/) passes all of it down, many split it (each keeping at least `BUFFER`).
    let child_ahead = BUFFER.max(ahead / folders.len().max(1));
    let probing = folders.len() > limit;
    let mut probes = Vec::new();
    let mut items = items.into_iter().peekable();
    for (n, folder) in folders.into_iter().enumerate() {
        if probing && n == limit {
            // The probes are in: are the folders worth a listing each? (Decided before the
            // keys that follow the last probe are given: the one listing gives them.)
            let mut last_small = None;
            let mut all_small = true;
            for p in probes.drain(..) {
                match p.await {
                    Ok(Probe::Small(last)) => last_small = last.or(last_small),
                    _ => all_small = false,
                }
            }
            if all_small && let Some(last) = last_small {
                whole::<P>(shared, prefix, Some(P::marker(&last)), tx, None).await;
                return;
            }
        }
        let mut before = Vec::new();
        while items.peek().is_some_and(|i| P::key(i) < folder.as_str()) {
            if let Some(i) = items.next() {
                before.push(i);
            }
        }
        if !before.is_empty() && tx.send(Ok(Segment::Items(before))).await.is_err() {
            return;
        }
        let probe = (probing && n < limit).then(|| {
            let (p, rx) = tokio::sync::oneshot::channel();
            probes.push(rx);
            p
        });
        let child = level::<P>(
            shared.clone(),
            folder,
            child_depth,
            child_ahead,
            resumed.take(),
            probe,
        );
        if tx.send(Ok(Segment::Folder(child))).await.is_err() {
            return;
        }
    }
    let rest: Vec<P::Item> = items.collect();
    if !rest.is_empty() {
        let _ = tx.send(Ok(Segment::Items(rest))).await;
    }
}

/// One page, holding one of the shared request permits while it is asked; a slow-down answer
/// lowers the limit by one (never below one) and the page is asked again after a pause.
async fn request<P: Pages>(
    shared: &Shared,
    pager: &mut P,
) -> Option<Result<Page<P::Item>, S3Error>> {
    let mut tries = 0;
    loop {
        let permit = shared.requests.acquire().await.ok()?;
        let page = pager.next().await;
        drop(permit);
        match page {
            Some(Err(e)) if e.is_slow_down() && tries < MAX_TRIES => {
                tries += 1;
                let limit = shared.limit.load(Ordering::Relaxed);
                if limit > 1
                    && shared
                        .limit
                        .compare_exchange(limit, limit - 1, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    shared.requests.forget_permits(1);
                }
                let pause = crate::domain::backoff::back_off(tries, u64::from(tries) * 317);
                tracing::debug!(error = %e, ?pause, "listing slowed down");
                tokio::time::sleep(pause).await;
                pager.retry();
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::folders_beside;

    #[test]
    fn the_folders_beside_a_key_are_those_sharing_its_start_before_a_low_byte() {
        assert_eq!(folders_beside("", "a.txt"), ["a/"]);
        assert_eq!(folders_beside("", "x/a.b-c"), ["x/a.b/", "x/a/"]);
        assert_eq!(folders_beside("x/", "x/a.b-c"), ["x/a.b/", "x/a/"]);
        assert_eq!(folders_beside("", "b-/x"), ["b/"]);
        assert!(folders_beside("", "a/b/c").is_empty());
        assert!(folders_beside("", "a0").is_empty());
        assert!(folders_beside("q/", "a.txt").is_empty());
        // Non-ASCII before the low byte: cut on a character boundary.
        assert_eq!(folders_beside("", "\u{fc}.x"), ["\u{fc}/"]);
    }

    #[test]
    fn the_stems_of_a_key_after_a_marker_are_its_folders_not_yet_passed() {
        use super::stems_after;
        assert_eq!(stems_after("", "\u{e9}/.x", "many"), ["\u{e9}"]);
        assert_eq!(stems_after("", "b/c/d", "a"), ["b", "b/c"]);
        assert_eq!(stems_after("", "b/c/d", "b/a"), ["b/c"]);
        assert!(stems_after("", "b/c/d", "b/c/a").is_empty());
        assert!(stems_after("", "top", "a").is_empty());
        assert_eq!(stems_after("p/", "p/x/y", ""), ["p/x"]);
        // `//`: an empty segment is no stem of its own.
        assert_eq!(stems_after("", "a//b", ""), ["a", "a/"]);
    }
}
