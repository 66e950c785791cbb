//! Every version exactly once, or PARTIAL: a crafted server that lists a small lock bucket the
//! way S3 does — and then the ways broken or hostile servers do (a folder named by the
//! delimiter answer whose keys the level lists too, a key-marker ignored, keys reversed inside
//! each page) — run through the commands a user runs (`ls -r --versions --json`, `report` in
//! every format, `undelete --dry-run --json`) with one listing and with eight. The honest
//! server gives exact counts; each broken one stops with the reason and a failing exit code,
//! and nothing printed names a version twice.

use super::hostile::lockwatch;
use crate::support;
use std::collections::HashSet;
use std::time::Duration;
use support::crafted::{
    Answer, Crafted, Request, list_buckets, lock_enabled, versioning_enabled, xml_escape,
};

/// What the crafted server gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// Nothing wrong, but every HEAD takes 300 ms.
    SlowHeads,
    /// Listing right; its lifecycle rules may not be read (403), and its bucket policy
    /// grants everyone every action but reading (`NotAction`).
    PolicyNotAction,
    /// The level's delimiter answer names the folder `f1/` and lists its keys as keys too.
    FolderAlsoListed,
    /// A listing without a delimiter ignores `key-marker` (and `start-after`): every page
    /// starts from the beginning.
    MarkerIgnored,
    /// The entries of each page in reverse order.
    Reversed,
    /// The level's delimiter answer leaves out the folder `f2/` (the full listing has it).
    FolderOmitted,
    /// HEAD answers for another version (the current one, unlocked), as a cache that ignores
    /// the query string would.
    OtherVersion,
    /// HEAD sends the legal-hold header twice: OFF, then ON.
    HoldTwice,
}

/// One entry of the bucket: key, version id, latest, delete marker.
type Entry = (String, String, bool, bool);

/// The bucket: two top-level keys and folders `f0/` to `f9/`, every key with two versions;
/// `f1/k2` and `z.txt` deleted (a delete marker on top). `f0/` to `f7/` hold two keys (one
/// page each), `f8/` and `f9/` three (two pages). With eight listings the folders are listed
/// whole, the first eight as probes: when those fit in a page each, the rest of the level is
/// one listing going on after the last probe's last entry. Server order: by key, newest first.
fn bucket() -> Vec<Entry> {
    let mut keys = vec!["a.txt".to_string(), "z.txt".to_string()];
    for f in 0..10 {
        for k in 1..=(if f < 8 { 2 } else { 3 }) {
            keys.push(format!("f{f}/k{k}"));
        }
    }
    keys.sort();
    let mut entries = Vec::new();
    for key in keys {
        let deleted = key == "f1/k2" || key == "z.txt";
        if deleted {
            entries.push((key.clone(), format!("{key}#m"), true, true));
        }
        entries.push((key.clone(), format!("{key}#2"), !deleted, false));
        entries.push((key.clone(), format!("{key}#1"), false, false));
    }
    entries
}

/// Entries a page holds: a folder's listing takes two pages. A delimiter answer holds them
/// all (a level is split only when its delimiter answer fits one page).
const PAGE: usize = 5;
const TIME: &str = "2026-11-01T00:00:00.000Z";

fn entry_xml(e: &Entry) -> String {
    let (key, id, latest, marker) = e;
    if *marker {
        format!(
            "<DeleteMarker><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>{TIME}</LastModified></DeleteMarker>",
            xml_escape(key),
            xml_escape(id)
        )
    } else {
        format!(
            "<Version><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>{TIME}</LastModified><ETag>\"e\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Version>",
            xml_escape(key),
            xml_escape(id)
        )
    }
}

/// A page of a listing: entries or common prefixes, in the server's order.
enum Item {
    Entry(Entry),
    Folder(String),
}

/// The items of a listing of `entries` under `prefix`, rolled up at `delimiter`.
fn items(entries: &[Entry], prefix: &str, delimiter: Option<&str>) -> Vec<Item> {
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| e.0.starts_with(prefix)) {
        let rest = &e.0[prefix.len()..];
        match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
            Some(end) => {
                let folder = format!("{prefix}{}", &rest[..end]);
                if !matches!(out.last(), Some(Item::Folder(f)) if *f == folder) {
                    out.push(Item::Folder(folder));
                }
            }
            None => out.push(Item::Entry(e.clone())),
        }
    }
    out
}

fn item_key(item: &Item) -> &str {
    match item {
        Item::Entry(e) => &e.0,
        Item::Folder(f) => f,
    }
}

fn list_versions(request: &Request, fault: Fault) -> Answer {
    let prefix = request.query("prefix").unwrap_or_default();
    let delimiter = request.query("delimiter").filter(|d| !d.is_empty());
    let mut all = items(&bucket(), &prefix, delimiter.as_deref());
    if fault == Fault::FolderAlsoListed && delimiter.is_some() && prefix.is_empty() {
        // The folder stays named, and its keys are listed as keys of the level as well.
        let f1: Vec<Item> = bucket()
            .into_iter()
            .filter(|e| e.0.starts_with("f1/"))
            .map(Item::Entry)
            .collect();
        let at = all
            .iter()
            .position(|i| item_key(i) > "f1/")
            .unwrap_or(all.len());
        all.splice(at..at, f1);
    }
    if fault == Fault::FolderOmitted && delimiter.is_some() && prefix.is_empty() {
        all.retain(|i| !matches!(i, Item::Folder(f) if f == "f2/"));
    }
    let key_marker = request.query("key-marker").filter(|k| !k.is_empty());
    let id_marker = request.query("version-id-marker").filter(|k| !k.is_empty());
    let ignore_marker = fault == Fault::MarkerIgnored && delimiter.is_none();
    let start = match (&key_marker, &id_marker) {
        _ if ignore_marker => 0,
        (Some(k), Some(id)) => all
            .iter()
            .position(|i| matches!(i, Item::Entry(e) if e.0 == *k && e.1 == *id))
            .map_or(0, |p| p + 1),
        (Some(k), None) => all
            .iter()
            .position(|i| item_key(i) > k.as_str())
            .unwrap_or(all.len()),
        (None, _) => 0,
    };
    let page_size = request
        .query("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .min(if delimiter.is_some() { 1000 } else { PAGE });
    let mut page: Vec<&Item> = all[start.min(all.len())..].iter().take(page_size).collect();
    let truncated = start + page.len() < all.len();
    let next = if truncated {
        match page.last() {
            Some(Item::Entry(e)) => format!(
                "<NextKeyMarker>{}</NextKeyMarker><NextVersionIdMarker>{}</NextVersionIdMarker>",
                xml_escape(&e.0),
                xml_escape(&e.1)
            ),
            Some(Item::Folder(f)) => format!("<NextKeyMarker>{}</NextKeyMarker>", xml_escape(f)),
            None => String::new(),
        }
    } else {
        String::new()
    };
    if fault == Fault::Reversed {
        page.reverse();
    }
    let body: String = page
        .iter()
        .map(|i| match i {
            Item::Entry(e) => entry_xml(e),
            Item::Folder(f) => format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                xml_escape(f)
            ),
        })
        .collect();
    Answer::xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult><Name>bup</Name><Prefix>{}</Prefix><MaxKeys>{PAGE}</MaxKeys><IsTruncated>{truncated}</IsTruncated>{next}{body}</ListVersionsResult>",
        xml_escape(&prefix)
    ))
}

/// HEAD of one version: the keys of `f1/` are under COMPLIANCE until 2099, the rest unlocked.
fn head(request: &Request, fault: Fault) -> Answer {
    let key = request.path().trim_start_matches("/bup/").to_string();
    let key = support::crafted::percent_decode(&key);
    let id = request.query("versionId").unwrap_or_default();
    let mut headers = vec![
        ("Content-Length", "1".to_string()),
        ("ETag", "\"e\"".to_string()),
        ("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT".to_string()),
    ];
    if fault == Fault::OtherVersion {
        // The current version's answer, unlocked, whatever was asked.
        headers.push(("x-amz-version-id", "the-current-one".into()));
    } else {
        headers.push(("x-amz-version-id", id));
        if fault == Fault::HoldTwice {
            headers.push(("x-amz-object-lock-legal-hold", "OFF".into()));
            headers.push(("x-amz-object-lock-legal-hold", "ON".into()));
        }
        if key.starts_with("f1/") {
            headers.push(("x-amz-object-lock-mode", "COMPLIANCE".into()));
            headers.push((
                "x-amz-object-lock-retain-until-date",
                "2099-01-01T00:00:00Z".into(),
            ));
        }
    }
    Answer::Full {
        status: 200,
        headers: headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        body: Vec::new(),
    }
}

/// The crafted server of bucket `bup` (see `bucket`), getting `fault` wrong.
pub(crate) fn server(fault: Fault) -> Crafted {
    Crafted::start(move |request: &Request| {
        let path = request.path();
        let on_bucket = path == "/bup" || path == "/bup/";
        match request.method.as_str() {
            "GET" if path == "/" => list_buckets(&["bup"]),
            "GET" if on_bucket && request.has_query("versioning") => versioning_enabled(),
            "GET" if on_bucket && request.has_query("object-lock") => lock_enabled(),
            "GET" if on_bucket && request.has_query("versions") => list_versions(request, fault),
            "GET" if on_bucket && request.has_query("lifecycle") && fault == Fault::PolicyNotAction => {
                Answer::error(403, "AccessDenied", "not for these keys")
            }
            "GET" if on_bucket && request.has_query("policy") && fault == Fault::PolicyNotAction => {
                Answer::Full {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: br#"{"Version":"2012-10-17","Statement":[{"Sid":"all-but-read","Effect":"Allow","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::bup/*"}]}"#.to_vec(),
                }
            }
            "HEAD" if path.starts_with("/bup/") => {
                if fault == Fault::SlowHeads {
                    std::thread::sleep(Duration::from_millis(300));
                }
                head(request, fault)
            }
            _ => Answer::error(404, "NoSuchKey", "not crafted"),
        }
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const LIMIT: Duration = Duration::from_secs(60);

/// `ls -r --versions --json` lines as (key, version id), asserting none is printed twice.
fn listed(stdout: &str, context: &str) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{context}: {e}: {line}"));
        let pair = (
            v["key"].as_str().unwrap_or_default().to_string(),
            v["version_id"].as_str().unwrap_or_default().to_string(),
        );
        assert!(
            seen.insert(pair.clone()),
            "{context}: {pair:?} printed twice"
        );
        out.push(pair);
    }
    out
}

fn listings_args(listings: &str, args: &[&'static str]) -> Vec<String> {
    let mut all = vec!["--listings".to_string(), listings.to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

fn run(server: &Crafted, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lockwatch(&server.endpoint, &args, LIMIT)
}

#[test]
fn an_honest_server_is_counted_exactly_with_one_listing_and_with_eight() {
    let server = server(Fault::None);
    let expected: Vec<(String, String)> =
        bucket().into_iter().map(|(k, id, _, _)| (k, id)).collect();
    for listings in ["1", "8"] {
        let out = run(
            &server,
            &listings_args(listings, &["ls", "-r", "--versions", "--json", "s3://bup/"]),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let got = listed(&text(&out.stdout), &format!("ls, {listings} listings"));
        assert_eq!(got, expected, "{listings} listings");

        let out = run(
            &server,
            &listings_args(listings, &["report", "s3://bup/", "--format", "json"]),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let versions = bucket().iter().filter(|e| !e.3).count() as u64;
        assert_eq!(json["versions"], versions, "{json}");
        let compliance = json["by_protection"]["compliance"]["versions"].as_u64();
        assert_eq!(compliance, Some(4), "{json}");

        let out = run(
            &server,
            &listings_args(listings, &["undelete", "s3://bup/", "--dry-run", "--json"]),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let plan = text(&out.stdout);
        for deleted in ["f1/k2", "z.txt"] {
            let lines = plan
                .lines()
                .filter(|l| l.contains(&format!("\"key\":\"{deleted}\"")))
                .count();
            assert_eq!(lines, 1, "{deleted} planned once: {plan}");
        }
    }
}

/// Every command with `listings` against a broken server: a failing exit code, the reason on
/// standard error, and nothing printed twice.
fn caught(fault: Fault, listings: &str, reasons: &[&str]) {
    let server = server(fault);
    let context = format!("{fault:?}, {listings} listings");
    let says_why = |stderr: &str| reasons.iter().any(|r| stderr.contains(r));
    let out = run(
        &server,
        &listings_args(listings, &["ls", "-r", "--versions", "--json", "s3://bup/"]),
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{context}: ls exit 0");
    assert!(
        stderr.contains("incomplete") || stderr.contains("cannot list"),
        "{context}: {stderr}"
    );
    assert!(says_why(&stderr), "{context}: ls: {stderr}");
    listed(&text(&out.stdout), &context);

    for format in ["json", "csv", "markdown"] {
        let out = run(
            &server,
            &listings_args(listings, &["report", "s3://bup/", "--format", format]),
        );
        let stderr = text(&out.stderr);
        // 1 when it stopped part way, 2 when nothing could be listed: never 0.
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{context}: report --format {format}: {stderr}"
        );
        assert!(says_why(&stderr), "{context}: report: {stderr}");
        if format == "csv" {
            // Rows already written before the listing stopped: each version once.
            let rows: Vec<String> = text(&out.stdout)
                .lines()
                .skip(1)
                .map(String::from)
                .collect();
            let unique: HashSet<&String> = rows.iter().collect();
            assert_eq!(unique.len(), rows.len(), "{context}: {rows:?}");
        } else {
            assert!(
                out.stdout.is_empty(),
                "{context}: no {format} report is printed"
            );
        }
    }

    let out = run(
        &server,
        &listings_args(listings, &["undelete", "s3://bup/", "--dry-run", "--json"]),
    );
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "{context}: undelete exit 0: {stderr}"
    );
    assert!(says_why(&stderr), "{context}: undelete: {stderr}");
}

#[test]
fn a_folder_also_listed_as_keys_of_its_level_stops_every_command() {
    // Only a split listing asks with the delimiter (one listing reads nothing wrong).
    caught(Fault::FolderAlsoListed, "8", &["lies in a folder"]);
}

#[test]
fn a_key_marker_ignored_stops_every_command() {
    for listings in ["1", "8"] {
        caught(
            Fault::MarkerIgnored,
            listings,
            &["asked for what comes after"],
        );
    }
}

#[test]
fn keys_reversed_inside_each_page_stop_every_command() {
    for listings in ["1", "8"] {
        // A page that goes on is out of order; the last page, put in order, still has each
        // key's latest entry last.
        caught(
            Fault::Reversed,
            listings,
            &[
                "in one page and said more follow",
                "as the latest after an older one",
            ],
        );
    }
}

/// The report's protection counts and unknown reasons from `report --format json`.
fn report_json(server: &Crafted) -> serde_json::Value {
    let out = run(
        server,
        &listings_args("4", &["report", "s3://bup/", "--format", "json"]),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn protection(json: &serde_json::Value, state: &str) -> u64 {
    json["by_protection"][state]["versions"]
        .as_u64()
        .unwrap_or_else(|| panic!("no {state} in {json}"))
}

#[test]
fn a_head_answered_for_another_version_is_unknown_never_unprotected() {
    let versions = bucket().iter().filter(|e| !e.3).count() as u64;
    let json = report_json(&server(Fault::OtherVersion));
    assert_eq!(protection(&json, "unknown"), versions, "{json}");
    assert_eq!(protection(&json, "none"), 0, "{json}");
    assert!(
        json["unknown"]
            .to_string()
            .contains("not the version asked for"),
        "{json}"
    );
}

#[test]
fn lock_headers_sent_twice_that_disagree_are_unknown() {
    let versions = bucket().iter().filter(|e| !e.3).count() as u64;
    let json = report_json(&server(Fault::HoldTwice));
    assert_eq!(protection(&json, "unknown"), versions, "{json}");
    assert!(
        json["unknown"]
            .to_string()
            .contains("twice with different values"),
        "{json}"
    );
}

/// What a split listing trusts: a folder the delimiter answer leaves out is not listed. No
/// single answer shows it; the report and the plan say how they were listed, and one listing
/// (`--listings 1`) counts every version.
#[test]
fn the_report_and_the_plan_say_how_they_were_listed_and_one_listing_is_exact() {
    let server = server(Fault::FolderOmitted);
    let versions = bucket().iter().filter(|e| !e.3).count() as u64;
    let markdown = |listings: &str| {
        let out = run(
            &server,
            &listings_args(listings, &["report", "s3://bup/", "--format", "markdown"]),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let split = markdown("8");
    assert!(
        split.contains("| Listed | Split over 9 folders as the server's delimiter answers named them, 8 listings at once")
            && split.contains("--listings 1 lists in one sequence"),
        "{split}"
    );
    let one = markdown("1");
    assert!(
        one.contains("| Listed | In one sequence (ListObjectVersions, page by page) |"),
        "{one}"
    );
    assert!(
        one.contains(&format!(
            "| Keys, versions, delete markers | 24, {versions}, 2 |"
        )),
        "{one}"
    );
    let out = run(
        &server,
        &listings_args("1", &["report", "s3://bup/", "--format", "json"]),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["listed"]["folders"], 0, "{json}");
    assert_eq!(json["versions"], versions, "{json}");

    // The plan says it too: in its summary, and beside the JSON lines on standard error.
    let out = run(
        &server,
        &listings_args("8", &["undelete", "s3://bup/", "--dry-run"]),
    );
    assert!(
        text(&out.stdout).contains("listed split over 9 folders"),
        "{}",
        text(&out.stdout)
    );
    let out = run(
        &server,
        &listings_args("1", &["undelete", "s3://bup/", "--dry-run", "--json"]),
    );
    assert!(
        text(&out.stderr).contains("Listed in one sequence"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).lines().all(|l| l.starts_with('{')));
}
