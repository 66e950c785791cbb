//! Listings split over folders and run several at once (`lockwatch::work::listing`): the entries
//! come out exactly as one listing gives them — keys sorting next to folder names, folders in
//! folders, pages of two entries, versions and markers, objects — on SeaweedFS and Ceph RGW;
//! `ls -r`, `undelete --dry-run` and the report print the same with `--listings 8` as with 1;
//! the listings really run at once, never more than asked; a "slow down" is waited out; and
//! a server answering outside the prefix asked stops the listing instead of misordering it.

use crate::support;
use crate::support::faults::{Fault, FaultProxy, Filter};
use lockwatch::domain::HistoryEntry;
use lockwatch::domain::pages::VersionMarker;
use lockwatch::s3::{ObjectPager, PutOptions, S3, VersionPager};
use lockwatch::work::listing::Split;

/// Keys that sort next to folder names ('-', '.', '0' and '~' around '/'), folders in
/// folders, a key named like a folder, non-ASCII, 24 small folders and 10 larger ones.
fn keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "top.txt", "a", "a-", "a.txt", "a/", "a/b", "a/b/", "a/b/c", "a/b/c/d", "a/b0", "a/z",
        "a0", "a~", "c/x/y/z", "c/x/y0", "c/x0", "sp ace/x", "ü/x", "ü0", "z/",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    for f in 0..24 {
        for k in 0..3 {
            keys.push(format!("f{f:02}/k{k}"));
        }
        keys.push(format!("f{f:02}/sub/deep"));
    }
    // Ten folders of 30 keys: more than a page of 50 each.
    for b in 0..10 {
        for k in 0..30 {
            keys.push(format!("big/b{b}/k{k:02}"));
        }
    }
    keys
}

/// Every key twice (two versions), every third key then deleted (a marker); 16 keys at a
/// time.
async fn fill(s3: &S3, bucket: &str) {
    fill_under(s3, bucket, "").await;
}

/// `fill` with every key under `prefix`.
async fn fill_under(s3: &S3, bucket: &str, prefix: &str) {
    let keys: Vec<String> = keys().iter().map(|k| format!("{prefix}{k}")).collect();
    for chunk in keys.chunks(16).enumerate().collect::<Vec<_>>() {
        let (c, chunk) = chunk;
        let writes = chunk.iter().enumerate().map(|(j, key)| {
            let i = c * 16 + j;
            async move {
                for v in 0..2 {
                    s3.put_bytes(
                        bucket,
                        key,
                        format!("{v}").into_bytes(),
                        &PutOptions::default(),
                    )
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("upload {key:?}: {e}"));
                }
                if i % 3 == 0 {
                    s3.delete_object(bucket, key)
                        .unrecorded()
                        .await
                        .expect("delete");
                }
            }
        });
        futures::future::join_all(writes).await;
    }
}

/// Equal lists, or the first place they differ.
fn assert_same(got: &[String], expected: &[String], context: &str) {
    if let Some(i) = expected.iter().zip(got).position(|(a, b)| a != b) {
        let window = |l: &[String]| l[i.saturating_sub(2)..(i + 3).min(l.len())].to_vec();
        panic!(
            "{context}: first difference at {i} of {}/{}:\n expected {:?}\n      got {:?}",
            expected.len(),
            got.len(),
            window(expected),
            window(got)
        );
    }
    assert_eq!(got.len(), expected.len(), "{context}: lengths");
}

fn described(e: &HistoryEntry) -> String {
    format!(
        "{} {} {} {}",
        e.key,
        e.version_id,
        e.is_delete_marker(),
        e.is_latest
    )
}

async fn sequential_entries(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    max_keys: i32,
) -> Vec<HistoryEntry> {
    let mut pager = VersionPager::new(s3, bucket, prefix, None).with_max_keys(max_keys);
    let mut all = Vec::new();
    while let Some(page) = pager.next_page().await {
        let page = page.expect("sequential page");
        all.extend(lockwatch::domain::history::merge_page(
            page.versions,
            page.markers,
        ));
    }
    all
}

async fn sequential_versions(s3: &S3, bucket: &str, prefix: &str, max_keys: i32) -> Vec<String> {
    let entries = sequential_entries(s3, bucket, prefix, max_keys).await;
    entries.iter().map(described).collect()
}

async fn split_versions(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    listings: usize,
    max_keys: i32,
) -> (Vec<String>, usize) {
    resumed_versions(s3, bucket, prefix, listings, max_keys, None).await
}

async fn resumed_versions(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    listings: usize,
    max_keys: i32,
    after: Option<VersionMarker>,
) -> (Vec<String>, usize) {
    let mut pages =
        Split::<VersionPager>::resume(s3, bucket, prefix, listings, Some(max_keys), after);
    let mut all = Vec::new();
    while let Some(page) = pages.next_page().await {
        all.extend(page.expect("split page").iter().map(described));
    }
    (all, pages.listings_started())
}

/// `small_pages`: whether the server lists these keys right in pages of 2 and 3 at all
/// (SeaweedFS 4.48 does not: one listing in pages of 2 skips "a", "a-" and "a.txt", which sort
/// before the folder "a/", whether or not lockwatch splits it).
fn same_order_as_one_listing(endpoint: &str, tag: &str, small_pages: bool) {
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let bucket = support::unique_bucket(tag);
        s3.create_bucket(&bucket, None, true)
            .unrecorded()
            .await
            .expect("create");
        fill(&s3, &bucket).await;
        for prefix in ["", "a", "a/", "c/", "f", "f0", "big/", "nothing/"] {
            let one = sequential_versions(&s3, &bucket, prefix, 1000).await;
            // Pages of 2 and 3: no level fits in a page, each is listed whole (delimiter
            // listings are not paged on); pages of 50: the top level fits and is split.
            for (listings, max_keys) in [(8, 2), (8, 50), (8, 1000), (2, 3), (1, 5), (3, 60)] {
                // Small pages over the large prefixes take a thousand requests: left out.
                if max_keys < 50 && (!small_pages || prefix.is_empty() || prefix == "big/") {
                    continue;
                }
                let (split, started) =
                    split_versions(&s3, &bucket, prefix, listings, max_keys).await;
                assert_same(
                    &split,
                    &one,
                    &format!("prefix {prefix:?}, {listings} listings, pages of {max_keys}"),
                );
                if listings == 8 && max_keys == 50 {
                    let expected = match prefix {
                        // The first 8 folders ("a/", "big/", …) are probes; "big/" takes more
                        // than a page: every folder gets a listing.
                        "" => 1 + 30,
                        // 24 folders of a few keys: 8 probes, then one listing for the rest.
                        "f" => 1 + 8,
                        // 10 folders of 60 entries: a listing each.
                        "big/" => 1 + 10,
                        _ => started,
                    };
                    assert_eq!(started, expected, "prefix {prefix:?}: listings started");
                }
                if listings == 1 || max_keys < 4 {
                    assert_eq!(started, 1, "{listings} listings, pages of {max_keys}");
                }
            }
        }
        // Going on after any entry gives the rest of one listing: after keys of the top level,
        // after keys named like folders ("a/", "z/"), inside folders split again ("a/b/"),
        // at the first and last entry of a folder, and every 23rd entry.
        let entries = sequential_entries(&s3, &bucket, "", 1000).await;
        let all: Vec<String> = entries.iter().map(described).collect();
        let mut cuts: Vec<usize> = (0..entries.len()).step_by(23).collect();
        for (i, pair) in entries.windows(2).enumerate() {
            let folder = |k: &str| k.rsplit_once('/').map(|(f, _)| f.to_string());
            let special = ["top.txt", "a", "a/", "a/b/", "a/b/c", "z/", "big/b3/k00"];
            if special.contains(&&*pair[0].key) || folder(&pair[0].key) != folder(&pair[1].key) {
                cuts.push(i);
            }
        }
        cuts.push(entries.len() - 1);
        cuts.sort_unstable();
        cuts.dedup();
        for &cut in &cuts {
            let marker = Split::<VersionPager>::position(&entries[cut]);
            // One listing too: going on after `a.txt`, SeaweedFS 4.48 skips the folder `a/`.
            for (listings, max_keys) in [(8, 50), (3, 1000), (1, 1000)] {
                let (rest, _) =
                    resumed_versions(&s3, &bucket, "", listings, max_keys, Some(marker.clone()))
                        .await;
                assert_same(
                    &rest,
                    &all[cut + 1..],
                    &format!("after {marker:?}, {listings} listings, pages of {max_keys}"),
                );
            }
        }
        // Objects (ListObjectsV2) too.
        let mut one = Vec::new();
        let mut pager = ObjectPager::new(&s3, &bucket, "", None);
        while let Some(page) = pager.next_page().await {
            one.extend(
                page.expect("page")
                    .objects
                    .into_iter()
                    .map(|o| o.key.to_string()),
            );
        }
        let mut split = Vec::new();
        let mut pages = Split::<ObjectPager>::start(&s3, &bucket, "", 8, None);
        while let Some(page) = pages.next_page().await {
            split.extend(page.expect("page").into_iter().map(|o| o.key.to_string()));
        }
        // SeaweedFS 4.48 lists "ü/x" first in a ListObjectsV2 without delimiter, also after a
        // StartAfter (not in byte order): the same keys, each once.
        let (mut one, mut split) = (one, split);
        one.sort();
        split.sort();
        assert_same(&split, &one, "objects");
        assert!(!one.is_empty());
    });
}

#[test]
fn split_listings_give_the_order_of_one_listing_on_seaweedfs() {
    same_order_as_one_listing(&support::weed::weed().endpoint, "split", false);
}

#[test]
fn split_listings_give_the_order_of_one_listing_on_ceph() {
    same_order_as_one_listing(&support::ceph::ceph().endpoint, "splitceph", true);
}

#[test]
fn ls_undelete_and_report_print_the_same_with_eight_listings_as_with_one() {
    let weed = support::weed::weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    let bucket = support::runtime().block_on(async {
        let s3 = support::client(&weed.endpoint).await;
        let bucket = support::unique_bucket("splitcli");
        s3.create_bucket(&bucket, None, true)
            .unrecorded()
            .await
            .expect("create");
        fill(&s3, &bucket).await;
        bucket
    });
    let location = format!("s3://{bucket}/");
    // The same keys below one folder: the top level has nothing to split, the folder under it
    // everything.
    let nested = support::runtime().block_on(async {
        let s3 = support::client(&weed.endpoint).await;
        let bucket = support::unique_bucket("splitone");
        s3.create_bucket(&bucket, None, true)
            .unrecorded()
            .await
            .expect("create");
        fill_under(&s3, &bucket, "backups/").await;
        format!("s3://{bucket}/")
    });
    for args in [
        vec!["ls", "-r", "--versions", "--json", location.as_str()],
        vec!["undelete", location.as_str(), "--dry-run", "--json"],
    ] {
        let one =
            support::lockwatch_stdout(&proxy.endpoint, &[&args[..], &["--listings", "1"]].concat());
        let eight =
            support::lockwatch_stdout(&proxy.endpoint, &[&args[..], &["--listings", "8"]].concat());
        assert_eq!(eight, one, "{args:?}");
        assert!(one.lines().count() > 50, "{args:?}: {one}");
    }
    // Objects: SeaweedFS's own ListObjectsV2 without delimiter is not in byte order ("ü/x"
    // comes first, also after a StartAfter): the same keys, each once, whatever the order.
    let keys = |listings: &str| -> Vec<String> {
        support::lockwatch_stdout(
            &proxy.endpoint,
            &["ls", "-r", "--json", &location, "--listings", listings],
        )
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["key"].as_str().expect("key").to_string()
        })
        .collect()
    };
    let (mut one, mut eight) = (keys("1"), keys("8"));
    one.sort();
    eight.sort();
    let first_difference = one.iter().zip(&eight).position(|(a, b)| a != b);
    assert_eq!(
        eight,
        one,
        "first difference at {first_difference:?}: {:?}",
        first_difference.map(|i| (
            &one[i..(i + 3).min(one.len())],
            &eight[i..(i + 3).min(eight.len())]
        ))
    );
    let strip_times = |csv: String| -> Vec<String> { csv.lines().map(|l| l.to_string()).collect() };
    let one = support::lockwatch_stdout(
        &proxy.endpoint,
        &["report", &location, "--format", "csv", "--listings", "1"],
    );
    let eight = support::lockwatch_stdout(
        &proxy.endpoint,
        &["report", &location, "--format", "csv", "--listings", "8"],
    );
    assert_eq!(strip_times(eight), strip_times(one));

    // The listings run at once, as many as asked and no more, even while the reader is
    // still at the first folder: each listing request is held 30 ms by the proxy.
    for (listings, most, location) in [
        (8usize, 8usize, &location),
        (2, 2, &location),
        (8, 8, &nested),
    ] {
        let quiet = FaultProxy::start(&weed.endpoint);
        quiet.inject(
            Filter::target("versions"),
            Fault::Delay(std::time::Duration::from_millis(30)),
            None,
        );
        support::lockwatch_stdout(
            &quiet.endpoint,
            &[
                "ls",
                "-r",
                "--versions",
                location,
                "--listings",
                &listings.to_string(),
            ],
        );
        let at_once = quiet.most_at_once(&Filter::target("versions"));
        assert_eq!(
            at_once, most,
            "{listings} listings of {location}: {at_once} at once"
        );
    }

    // "Slow down" on listing requests: waited out, the output unchanged.
    let slow = FaultProxy::start(&weed.endpoint);
    slow.inject(
        Filter::target("versions"),
        Fault::Status(503, "SlowDown"),
        Some(12),
    );
    let slowed = support::lockwatch_stdout(
        &slow.endpoint,
        &[
            "ls",
            "-r",
            "--versions",
            "--json",
            &location,
            "--listings",
            "8",
        ],
    );
    let one = support::lockwatch_stdout(
        &proxy.endpoint,
        &[
            "ls",
            "-r",
            "--versions",
            "--json",
            &location,
            "--listings",
            "1",
        ],
    );
    assert_eq!(slowed, one);
}

#[test]
fn a_server_answering_outside_the_prefix_stops_the_split_listing() {
    use support::crafted::{Answer, Crafted};
    // Asked for "f/", it names the folder "g/" and a key outside.
    let server = Crafted::start(|request| {
        let prefix = request.query("prefix").unwrap_or_default();
        let body = if request.has_query("delimiter") {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>b</Name><Prefix>{prefix}</Prefix><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>g/</Prefix></CommonPrefixes></ListVersionsResult>"#
            )
        } else {
            r#"<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated><Version><Key>zzz</Key><VersionId>v</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-27T00:00:00.000Z</LastModified><Size>1</Size></Version></ListVersionsResult>"#.to_string()
        };
        Answer::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: body.into_bytes(),
        }
    });
    support::runtime().block_on(async {
        let s3 = support::client(&server.endpoint).await;
        let mut pages = Split::<VersionPager>::start(&s3, "b", "f/", 4, None);
        let mut got = Vec::new();
        let mut failed = None;
        while let Some(page) = pages.next_page().await {
            match page {
                Ok(p) => got.extend(p),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        assert!(got.is_empty(), "nothing outside f/ is given: {got:?}");
        let failed = failed.expect("the listing stops");
        assert!(
            failed.contains("under \"f/\"") && failed.contains("g/"),
            "{failed}"
        );
    });
}
