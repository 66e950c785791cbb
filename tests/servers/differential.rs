//! Differential: generated buckets (keys of bytes around `/`, `.`, `-` and `0`, non-ASCII, keys
//! named like folders, a key of 1,010 versions, a folder of 1,050 keys, delete markers) are
//! written to the sandbox and to SeaweedFS, each write's version id kept as the truth. Then
//! what a user runs — `ls -r --versions --json`, `report --format csv` (also cut by Ctrl-C at
//! a random moment and resumed from its checkpoint) and `undelete --dry-run --json`, each with
//! `--listings` 1, 4 and 8 — must give every version exactly once, in key order, or fail with
//! PARTIAL and a failing exit code: never differ silently. A plain SDK ListObjectVersions loop
//! is compared with the truth too, to name where the server itself answers wrong. And
//! `watch --once` after random changes counts exactly what two plain SDK listings differ by.

use crate::support;
use lockwatch::s3::{PutOptions, S3, VersionPager};
use lockwatch::work::listing::Split;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift), so that a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One entry as written: version id and whether it is a delete marker.
type Written = (String, bool);

/// Every key's entries, oldest first, as the writes answered them.
type Truth = BTreeMap<String, Vec<Written>>;

/// Keys of segments chosen around the bytes that sort next to `/` (no segment `.` or `..`:
/// SeaweedFS 4.48 refuses such keys with InvalidRequest).
/// `folder_objects`: some keys end in `/` (SeaweedFS 4.48 stores such a key as a folder, with
/// no version id: not for it).
fn generated_keys(seed: u64, folder_objects: bool) -> Vec<String> {
    let mut rng = Rng(seed);
    let segments = [
        "a", "a-", "a.txt", "a0", "a~", "b", "b-", "m", "m.txt", "x y", "\u{e9}", "\u{fc}0", "0",
        "-", ".x",
    ];
    let mut keys: HashSet<String> = HashSet::new();
    while keys.len() < 180 {
        let depth = 1 + rng.below(3);
        let mut key: Vec<&str> = (0..depth)
            .map(|_| segments[rng.below(segments.len())])
            .collect();
        // Some keys end in `/`: objects named like the folder they sit beside.
        let folder_named = rng.below(8) == 0;
        if folder_named && folder_objects {
            key.push("");
        }
        keys.insert(key.join("/"));
    }
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    keys
}

/// Writes the bucket: each generated key one to three versions, a quarter of them then
/// deleted (some written again after), `many` 1,010 versions, `big/` 1,050 keys.
async fn write(s3: &S3, bucket: &str, seed: u64, folder_objects: bool) -> Truth {
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut plans: Vec<(String, Vec<bool>)> = generated_keys(seed, folder_objects)
        .into_iter()
        .map(|k| {
            let mut steps: Vec<bool> = (0..1 + rng.below(3)).map(|_| false).collect();
            match rng.below(8) {
                0 | 1 => steps.push(true),
                2 => steps.extend([true, false]),
                _ => {}
            }
            (k, steps)
        })
        .collect();
    plans.push(("many".into(), vec![false; 1010]));
    plans.extend((0..1050).map(|i| (format!("big/k{i:04}"), vec![false])));
    let mut truth = Truth::new();
    for chunk in plans.chunks(32) {
        let writes = chunk.iter().map(|(key, steps)| async move {
            let mut written = Vec::new();
            for (n, delete) in steps.iter().enumerate() {
                if *delete {
                    let out = s3.delete_object(bucket, key).unrecorded().await;
                    let out = out.unwrap_or_else(|e| panic!("delete {key:?}: {e}"));
                    let id = out
                        .version_id
                        .unwrap_or_else(|| panic!("{key:?}: no marker id"));
                    written.push((id, true));
                } else {
                    let id = s3
                        .put_bytes(
                            bucket,
                            key,
                            n.to_string().into_bytes(),
                            &PutOptions::default(),
                        )
                        .unrecorded()
                        .await
                        .unwrap_or_else(|e| panic!("upload {key:?}: {e}"))
                        .unwrap_or_else(|| panic!("{key:?}: no version id"));
                    written.push((id, false));
                }
            }
            (key.clone(), written)
        });
        truth.extend(futures::future::join_all(writes).await);
    }
    truth
}

/// The truth as a listing gives it: keys in byte order, each key's entries newest first.
fn listed(truth: &Truth) -> Vec<(String, String, bool)> {
    truth
        .iter()
        .flat_map(|(k, entries)| {
            entries
                .iter()
                .rev()
                .map(move |(id, marker)| (k.clone(), id.clone(), *marker))
        })
        .collect()
}

/// Whether `got` is the truth: the same keys in the same order, each key's versions and its
/// markers each in the truth's order (versions and markers come as two lists; within one
/// second their interleaving is not known), nothing twice. `Err` says where it differs.
fn compare(got: &[(String, String, bool)], truth: &Truth) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (k, id, _) in got {
        if !seen.insert(id.clone()) {
            return Err(format!("{k:?} version {id} given twice"));
        }
    }
    let expected = listed(truth);
    let keys = |l: &[(String, String, bool)]| -> Vec<String> {
        l.iter().map(|(k, _, _)| k.clone()).collect()
    };
    let (got_keys, want_keys) = (keys(got), keys(&expected));
    if got_keys != want_keys {
        let at = got_keys
            .iter()
            .zip(&want_keys)
            .position(|(a, b)| a != b)
            .unwrap_or(got_keys.len().min(want_keys.len()));
        return Err(format!(
            "keys differ at entry {at} of {}/{}: got {:?}, expected {:?}",
            got_keys.len(),
            want_keys.len(),
            got_keys.get(at),
            want_keys.get(at)
        ));
    }
    let per_key = |l: &[(String, String, bool)], marker: bool| -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, id, _) in l.iter().filter(|e| e.2 == marker) {
            m.entry(k.clone()).or_default().push(id.clone());
        }
        m
    };
    for marker in [false, true] {
        let (g, w) = (per_key(got, marker), per_key(&expected, marker));
        if let Some((k, ids)) = w.iter().find(|(k, ids)| g.get(*k) != Some(ids)) {
            return Err(format!(
                "{k:?}: {} {:?}, expected {ids:?}",
                if marker { "markers" } else { "versions" },
                g.get(k)
            ));
        }
    }
    Ok(())
}

/// A plain SDK loop over ListObjectVersions with both markers, as any script would list.
pub(crate) async fn sdk_loop(endpoint: &str, bucket: &str) -> Vec<(String, String, bool)> {
    sdk_loop_latest(endpoint, bucket)
        .await
        .into_iter()
        .map(|(k, id, m, _)| (k, id, m))
        .collect()
}

/// `sdk_loop`, with whether each entry is the key's latest.
async fn sdk_loop_latest(endpoint: &str, bucket: &str) -> Vec<(String, String, bool, bool)> {
    let client = support::sdk_client(endpoint);
    let mut out = Vec::new();
    let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
    for _ in 0..10_000 {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(id_marker.clone())
            .send()
            .await
            .expect("ListObjectVersions");
        let mut entries: Vec<(String, String, bool, bool)> = page
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap_or_default().to_string(),
                    v.version_id().unwrap_or_default().to_string(),
                    false,
                    v.is_latest().unwrap_or(false),
                )
            })
            .chain(page.delete_markers().iter().map(|m| {
                (
                    m.key().unwrap_or_default().to_string(),
                    m.version_id().unwrap_or_default().to_string(),
                    true,
                    m.is_latest().unwrap_or(false),
                )
            }))
            .collect();
        // By key, each list keeping its order (a stable sort).
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(entries);
        if page.is_truncated() != Some(true) {
            return out;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_version_id_marker().map(str::to_string);
    }
    panic!("the SDK loop did not end");
}

/// Each page's first and last key and size, as a plain SDK loop going on from `marker` sees
/// them: to name where a server skipped something.
async fn page_bounds(
    endpoint: &str,
    bucket: &str,
    marker: &lockwatch::domain::pages::VersionMarker,
) -> Vec<(String, String, usize)> {
    let client = support::sdk_client(endpoint);
    let mut bounds = Vec::new();
    let (mut key, mut id) = (Some(marker.key.clone()), marker.version_id.clone());
    for _ in 0..100 {
        let Ok(page) = client
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key.clone())
            .set_version_id_marker(id.clone())
            .send()
            .await
        else {
            break;
        };
        let mut keys: Vec<&str> = page
            .versions()
            .iter()
            .filter_map(|v| v.key())
            .chain(page.delete_markers().iter().filter_map(|m| m.key()))
            .collect();
        keys.sort();
        bounds.push((
            keys.first().unwrap_or(&"").to_string(),
            keys.last().unwrap_or(&"").to_string(),
            keys.len(),
        ));
        if page.is_truncated() != Some(true) {
            break;
        }
        key = page.next_key_marker().map(str::to_string);
        id = page.next_version_id_marker().map(str::to_string);
    }
    bounds
}

/// lockwatch as a user runs it, against `endpoint`. Its output (thousands of lines) is read
/// while it runs: `hostile::lockwatch` reads only after the exit, and a full pipe would hold
/// lockwatch for ever.
fn run(endpoint: &str, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().expect("home");
    std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .envs(support::binary_env(endpoint, home.path()))
        .output()
        .expect("run lockwatch")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ls -r --versions --json` as (key, version id, marker).
fn ls_entries(stdout: &str) -> Vec<(String, String, bool)> {
    stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                v["key"].as_str().expect("key").to_string(),
                v["version_id"].as_str().expect("version_id").to_string(),
                v["delete_marker"].as_bool().expect("delete_marker"),
            )
        })
        .collect()
}

/// The fields of an RFC 4180 CSV text, row by row.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The version ids of a CSV report's rows (headers skipped), each once.
fn csv_ids(csv: &str, context: &str) -> Vec<String> {
    let ids: Vec<String> = csv_rows(csv)
        .into_iter()
        .filter(|r| r.first().map(String::as_str) != Some("key"))
        .map(|r| r.get(1).cloned().unwrap_or_default())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{context}: a CSV row twice");
    ids
}

/// A new versioned bucket written as `write` does: its name and the truth.
async fn generated(endpoint: &str, tag: &str, seed: u64, folder_objects: bool) -> (String, Truth) {
    let s3 = support::client(endpoint).await;
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, true)
        .unrecorded()
        .await
        .expect("create");
    let truth = write(&s3, &bucket, seed, folder_objects).await;
    (bucket, truth)
}

/// Every command against one server, checked against the truth.
fn differential(endpoint: &str, tag: &str, seed: u64, folder_objects: bool) {
    let (bucket, truth) =
        support::runtime().block_on(generated(endpoint, tag, seed, folder_objects));
    let context = format!("{tag}, seed {seed}");
    let location = format!("s3://{bucket}/");
    let all_ids: HashSet<String> = listed(&truth).into_iter().map(|(_, id, _)| id).collect();

    // What a plain SDK loop gives, for the record.
    let plain = support::runtime().block_on(sdk_loop(endpoint, &bucket));
    let plain_verdict = compare(&plain, &truth);
    eprintln!("{context}: a plain SDK loop: {plain_verdict:?}");

    for listings in ["1", "4", "8"] {
        let context = format!("{context}, {listings} listings");
        let out = run(
            endpoint,
            &[
                "--listings",
                listings,
                "ls",
                "-r",
                "--versions",
                "--json",
                &location,
            ],
        );
        let got = ls_entries(&text(&out.stdout));
        match compare(&got, &truth) {
            Ok(()) => assert!(out.status.success(), "{context}: {}", text(&out.stderr)),
            // What differs is only ever a listing that says it is partial.
            Err(why) => {
                let stderr = text(&out.stderr);
                assert!(
                    !out.status.success() && stderr.contains("incomplete"),
                    "{context}: ls differs silently: {why}; {stderr}"
                );
                eprintln!("{context}: ls stopped: {stderr}");
                // Each version it printed is one written, once.
                assert!(got.iter().all(|(_, id, _)| all_ids.contains(id)));
            }
        }

        let out = run(
            endpoint,
            &[
                "--listings",
                listings,
                "report",
                &location,
                "--format",
                "csv",
            ],
        );
        let ids = csv_ids(&text(&out.stdout), &context);
        let ids: HashSet<String> = ids.into_iter().collect();
        if out.status.success() {
            assert_eq!(ids, all_ids, "{context}: the report's versions");
        } else {
            assert!(ids.is_subset(&all_ids), "{context}");
            eprintln!("{context}: report stopped: {}", text(&out.stderr));
        }

        let out = run(
            endpoint,
            &[
                "--listings",
                listings,
                "undelete",
                &location,
                "--dry-run",
                "--json",
            ],
        );
        let keys: Vec<String> = text(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                v["key"].as_str().expect("key").to_string()
            })
            .collect();
        if out.status.success() {
            let want: Vec<String> = truth.keys().cloned().collect();
            assert_eq!(keys, want, "{context}: the plan's keys, each once in order");
        } else {
            eprintln!("{context}: undelete stopped: {}", text(&out.stderr));
        }
    }

    // Resumed where a listing would stop: after random entries, one listing and several.
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let expected = listed(&truth);
        let mut rng = Rng(seed ^ 0x5151);
        for _ in 0..12 {
            let cut = rng.below(expected.len());
            let (key, id, _) = &expected[cut];
            let marker = lockwatch::domain::pages::VersionMarker {
                key: key.clone(),
                version_id: Some(id.clone()),
            };
            for listings in [1, 4, 8] {
                let mut pages = Split::<VersionPager>::resume(
                    &s3,
                    &bucket,
                    "",
                    listings,
                    None,
                    Some(marker.clone()),
                );
                let mut rest = Vec::new();
                let mut failed = None;
                while let Some(page) = pages.next_page().await {
                    match page {
                        Ok(p) => rest.extend(p.into_iter().map(|e| {
                            (e.key.to_string(), e.version_id.clone(), e.is_delete_marker())
                        })),
                        Err(e) => failed = Some(e.to_string()),
                    }
                }
                // The rest of the truth after the cut (the cut key's later versions included).
                let mut after = truth.clone();
                let mut dropped = 0;
                for (k, entries) in after.iter_mut() {
                    if k.as_str() < key.as_str() {
                        dropped += entries.len();
                        entries.clear();
                    } else if k == key {
                        // Newest first in the listing: the cut is after `id`.
                        let newest_first: Vec<Written> = entries.iter().rev().cloned().collect();
                        let at = newest_first
                            .iter()
                            .position(|(i, _)| i == id)
                            .expect("cut id");
                        dropped += at + 1;
                        let mut kept: Vec<Written> = newest_first[at + 1..].to_vec();
                        kept.reverse();
                        *entries = kept;
                    }
                }
                after.retain(|_, e| !e.is_empty());
                let verdict = compare(&rest, &after);
                match (&failed, verdict) {
                    (None, Ok(())) => {}
                    (Some(_), _) => {}
                    (None, Err(why)) => {
                        let pages = page_bounds(endpoint, &bucket, &marker).await;
                        panic!(
                            "{context}: resumed after {key:?} {id} ({dropped} before), {listings} listings, differs silently: {why}\nthe server's pages from there (first, last, entries): {pages:?}"
                        )
                    }
                }
            }
        }
    });

    // The report cut by Ctrl-C at a random moment and resumed: every version once.
    let dir = tempfile::tempdir().expect("dir");
    let checkpoint = dir.path().join("report.json");
    let checkpoint = checkpoint.to_string_lossy().into_owned();
    let mut rng = Rng(seed ^ 0xc0ffee);
    let mut csv = String::new();
    let mut cut = false;
    for part in 0..10 {
        let home = tempfile::tempdir().expect("home");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
            .args([
                "report",
                &location,
                "--format",
                "csv",
                "--concurrency",
                "1",
                "--checkpoint",
                &checkpoint,
            ])
            .env_clear()
            .envs(support::binary_env(endpoint, home.path()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run lockwatch");
        let started = Instant::now();
        // The last part runs to its end.
        if part < 9 {
            std::thread::sleep(Duration::from_millis(100 + rng.below(400) as u64));
            let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        let out = child.wait_with_output().expect("output");
        assert!(started.elapsed() < Duration::from_secs(120));
        csv.push_str(&text(&out.stdout));
        // Ctrl-C that came before lockwatch listened for it (still connecting) ends it as it
        // ends any program: then nothing was written, and the next part starts over.
        if out.status.code().is_none() {
            assert!(out.stdout.is_empty(), "{context}: killed after writing");
            continue;
        }
        match out.status.code() {
            Some(0) => break,
            Some(1) => cut = true,
            other => panic!(
                "{context}: report part {part}: {other:?}: {}",
                text(&out.stderr)
            ),
        }
    }
    let ids = csv_ids(&csv, &format!("{context}, cut and resumed"));
    let ids: HashSet<String> = ids.into_iter().collect();
    assert_eq!(ids, all_ids, "{context}: cut and resumed");
    assert!(
        cut,
        "{context}: the report was never cut; the test proved nothing"
    );
}

#[test]
fn every_command_gives_every_version_once_or_says_partial_on_the_sandbox() {
    for seed in [1, 2] {
        differential(&support::sandbox::sandbox().endpoint, "diff", seed, true);
    }
}

#[test]
fn every_command_gives_every_version_once_or_says_partial_on_seaweedfs() {
    differential(&support::weed::weed().endpoint, "diffweed", 3, false);
}

/// Each key's entries as (version id, marker, latest).
type Listed = BTreeMap<String, Vec<(String, bool, bool)>>;

fn by_key(entries: Vec<(String, String, bool, bool)>) -> Listed {
    let mut keys = Listed::new();
    for (key, id, marker, latest) in entries {
        keys.entry(key).or_default().push((id, marker, latest));
    }
    keys
}

/// What changed between two plain listings, as the watcher names it: delete markers created,
/// versions deleted, overwrites (new versions of a key whose latest was a version), delete
/// markers removed, versions created.
fn changed(before: &Listed, after: &Listed) -> [u64; 5] {
    let mut c = [0u64; 5];
    let empty = Vec::new();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let b = before.get(key).unwrap_or(&empty);
        let a = after.get(key).unwrap_or(&empty);
        let had = |l: &[(String, bool, bool)], id: &str, marker: bool| {
            l.iter().any(|(i, m, _)| i == id && *m == marker)
        };
        let had_current = b.iter().any(|(_, marker, latest)| *latest && !marker);
        for (_, marker, _) in a.iter().filter(|(i, m, _)| !had(b, i, *m)) {
            c[if *marker {
                0
            } else if had_current {
                2
            } else {
                4
            }] += 1;
        }
        for (_, marker, _) in b.iter().filter(|(i, m, _)| !had(a, i, *m)) {
            c[if *marker { 3 } else { 1 }] += 1;
        }
    }
    c
}

/// Hides, replaces, deletes for good and restores a random quarter of the keys, and writes
/// new ones.
async fn mutate(s3: &S3, bucket: &str, before: &Listed, seed: u64) {
    let mut rng = Rng(seed ^ 0x5bd1_e995);
    for (key, entries) in before {
        let result = match rng.below(12) {
            0 => s3.delete_object(bucket, key).unrecorded().await.map(|_| ()),
            1 => s3
                .put_bytes(bucket, key, b"again".to_vec(), &PutOptions::default())
                .unrecorded()
                .await
                .map(|_| ()),
            2 => {
                let (id, _, _) = &entries[rng.below(entries.len())];
                s3.delete_version(bucket, key, id)
                    .unrecorded()
                    .await
                    .map(|_| ())
            }
            3 => match entries
                .iter()
                .find(|(_, marker, latest)| *marker && *latest)
            {
                Some((id, _, _)) => s3
                    .delete_version(bucket, key, id)
                    .unrecorded()
                    .await
                    .map(|_| ()),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        result.unwrap_or_else(|e| panic!("{key:?}: {e}"));
    }
    for i in 0..20 {
        s3.put_bytes(
            bucket,
            &format!("new/{i:02}"),
            b"new".to_vec(),
            &PutOptions::default(),
        )
        .unrecorded()
        .await
        .unwrap_or_else(|e| panic!("new/{i:02}: {e}"));
    }
}

/// `watch --once` keeps each key's change: after random changes, each of `--listings` 1, 4
/// and 8, and a look whose listing is cut after three pages and resumed at the next, counts
/// exactly what two plain SDK listings differ by, and lists exactly as many entries — or
/// fails saying its listing could not be trusted. Returns the looks that were exact.
fn watch_differential(endpoint: &str, tag: &str, seed: u64, folder_objects: bool) -> usize {
    let runtime = support::runtime();
    let (bucket, before) = runtime.block_on(async {
        let (bucket, _) = generated(endpoint, tag, seed, folder_objects).await;
        let before = by_key(sdk_loop_latest(endpoint, &bucket).await);
        (bucket, before)
    });
    let context = format!("{tag}, seed {seed}");
    let location = format!("s3://{bucket}/");
    let states: Vec<(&str, tempfile::TempDir)> = ["1", "4", "8"]
        .into_iter()
        .map(|l| (l, tempfile::tempdir().expect("state")))
        .collect();
    // A fourth looks through a proxy that cuts its second listing part way: resumed.
    let proxy = support::faults::FaultProxy::start(endpoint);
    let cut_state = tempfile::tempdir().expect("state");
    let look_at = |at: &str, listings: &str, state: &tempfile::TempDir| {
        let out = run(
            at,
            &[
                "--listings",
                listings,
                "watch",
                "--once",
                "--json",
                "--storm",
                "1000000",
                "--state-dir",
                state.path().to_str().expect("UTF-8"),
                &location,
            ],
        );
        let path = lockwatch::watch::state::folder(state.path(), "watch", at, &bucket, "")
            .join("status.json");
        let status: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .expect("status.json");
        (out, status)
    };
    let look = |listings: &str, state: &tempfile::TempDir| look_at(endpoint, listings, state);
    for (listings, state) in &states {
        let (out, status) = look(listings, state);
        assert_eq!(out.status.code(), Some(0), "{context}: {status}");
    }
    let (out, status) = look_at(&proxy.endpoint, "4", &cut_state);
    assert_eq!(out.status.code(), Some(0), "{context}: {status}");
    runtime.block_on(async {
        let s3 = support::client(endpoint).await;
        mutate(&s3, &bucket, &before, seed).await;
    });
    let after = by_key(runtime.block_on(sdk_loop_latest(endpoint, &bucket)));
    let expected = changed(&before, &after);
    let entries: usize = after.values().map(Vec::len).sum();
    assert!(
        expected.iter().all(|n| *n > 0),
        "{context}: every kind of change is made ({expected:?})"
    );
    // Exact (true), or failed saying its listing could not be trusted (false).
    let judged = |context: &str, out: &std::process::Output, status: &serde_json::Value| {
        if let Some(failing) = status["failing"].as_str() {
            assert_eq!(out.status.code(), Some(1), "{context}: {failing}");
            assert!(failing.contains("listing"), "{context}: {failing}");
            eprintln!("{context}: the watcher said its listing failed: {failing}");
            return false;
        }
        assert_eq!(out.status.code(), Some(0), "{context}: {status}");
        let c = &status["last_changes"];
        let got = [
            "markers_created",
            "versions_deleted",
            "overwrites",
            "markers_removed",
            "versions_created",
        ]
        .map(|k| c[k].as_u64().unwrap_or(u64::MAX));
        assert_eq!(got, expected, "{context}: {status}");
        assert_eq!(status["listed"].as_u64(), Some(entries as u64), "{context}");
        true
    };
    let mut exact = 0;
    for (listings, state) in &states {
        let (out, status) = look(listings, state);
        exact += usize::from(judged(
            &format!("{context}, {listings} listings"),
            &out,
            &status,
        ));
    }

    // Cut after a few pages, then resumed: the same counts, each change once.
    let context = format!("{context}, cut and resumed");
    proxy.inject_after(
        support::faults::Filter::target("versions"),
        support::faults::Fault::Status(500, "InternalError"),
        3,
        None,
    );
    let (out, status) = look_at(&proxy.endpoint, "4", &cut_state);
    assert_eq!(out.status.code(), Some(1), "{context}: {status}");
    let failing = status["failing"].as_str().unwrap_or_default();
    assert!(
        failing.contains("(kept: the next look goes on after "),
        "{context}: {failing}"
    );
    proxy.clear();
    let (out, status) = look_at(&proxy.endpoint, "4", &cut_state);
    exact + usize::from(judged(&context, &out, &status))
}

#[test]
fn the_watcher_counts_what_two_plain_listings_differ_by_on_the_sandbox() {
    for seed in [5, 6] {
        let exact = watch_differential(&support::sandbox::sandbox().endpoint, "wdiff", seed, true);
        assert_eq!(exact, 4, "the sandbox lists in order: every look is exact");
    }
}

#[test]
fn the_watcher_counts_what_two_plain_listings_differ_by_or_fails_on_seaweedfs() {
    let exact = watch_differential(&support::weed::weed().endpoint, "wdiffweed", 7, false);
    eprintln!("SeaweedFS: {exact} of 4 looks exact, the others said their listing failed");
    assert!(
        exact >= 1,
        "no look of SeaweedFS was whole: the test compared nothing"
    );
}
