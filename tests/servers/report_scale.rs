//! The report at scale, on SeaweedFS through the fault proxy: a report cut (Ctrl-C, then a
//! failed listing) and resumed from its checkpoint gives the same rows and tallies as one read
//! in one go; a sampled report reads only its sample and states its intervals; the server's
//! "slow down" is waited out, never counted as unknown; `--concurrency` caps the HEADs in
//! flight; and an S3 Inventory report gives the same report as the HEADs.

use crate::support;
use crate::support::faults::{Fault, FaultProxy, Filter};
use lockwatch::domain::RetentionMode;
use lockwatch::domain::coverage::Coverage;
use lockwatch::domain::location::S3Location;
use lockwatch::s3::PutOptions;
use lockwatch::work::report::{Format, Options, ReportError};
use support::weed::weed;

/// A lock bucket of 20 keys × 3 versions: keys 0–7 COMPLIANCE for two days, 8–11
/// GOVERNANCE, 12–13 under a legal hold, the rest unprotected; every fifth key deleted.
/// 60 versions, 4 delete markers.
async fn bucket(endpoint: &str, tag: &str) -> String {
    bucket_in(endpoint, tag, |k| format!("k{k:03}")).await
}

/// `bucket` with the keys named by `name`.
async fn bucket_in(endpoint: &str, tag: &str, name: impl Fn(u32) -> String) -> String {
    let s3 = support::client(endpoint).await;
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, true)
        .unrecorded()
        .await
        .expect("create");
    let until = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    for k in 0..20u32 {
        let key = name(k);
        let options = match k {
            0..=7 => PutOptions {
                retention: Some((RetentionMode::Compliance, until)),
                ..PutOptions::default()
            },
            8..=11 => PutOptions {
                retention: Some((RetentionMode::Governance, until)),
                ..PutOptions::default()
            },
            12..=13 => PutOptions {
                legal_hold: true,
                ..PutOptions::default()
            },
            _ => PutOptions::default(),
        };
        for v in 0..3 {
            s3.put_bytes(&bucket, &key, format!("{key} {v}").into_bytes(), &options)
                .unrecorded()
                .await
                .unwrap_or_else(|e| panic!("upload {key}: {e}"));
        }
        if k % 5 == 4 {
            s3.delete_object(&bucket, &key)
                .unrecorded()
                .await
                .expect("delete");
        }
    }
    bucket
}

/// Pages of 3 entries: 22 pages, more than the listing runs ahead (so that a fault injected
/// part way meets a request still to come).
fn options(format: Format) -> Options {
    let mut o = Options::new(format);
    o.max_keys = Some(3);
    o
}

async fn report(
    endpoint: &str,
    bucket: &str,
    options: Options,
    progress: impl FnMut(lockwatch::work::report::Progress),
) -> (Result<Coverage, ReportError>, String) {
    let s3 = support::client(endpoint).await;
    let location = S3Location::parse_exact(&format!("s3://{bucket}/")).expect("location");
    let mut out = Vec::new();
    let built =
        lockwatch::work::report::build(&s3, endpoint, &location, options, &mut out, progress).await;
    (built, String::from_utf8(out).expect("UTF-8"))
}

/// What must not differ between two reports of the same bucket, however they were read.
fn tallies(c: &Coverage) -> serde_json::Value {
    let v = serde_json::to_value(c).expect("JSON");
    serde_json::json!({
        "keys": v["keys"], "versions": v["versions"], "delete_markers": v["delete_markers"],
        "by_protection": v["by_protection"], "legal_holds": v["legal_holds"],
        "held": v["held"], "unprotected_current": v["unprotected_current"],
        "unprotected_current_count": v["unprotected_current_count"],
        "markers_by_age": v["markers_by_age"], "unknown_count": v["unknown_count"],
        "earliest": v["earliest_retain_until"], "latest": v["latest_retain_until"],
    })
}

#[test]
fn a_report_cut_twice_and_resumed_from_its_checkpoint_is_the_report_read_in_one_go() {
    let weed = weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    support::runtime().block_on(async {
        // Two folders: the listing is split over them, and each part goes on from its
        // marker split too (the folder holding it from there, the other one whole).
        let bucket = bucket_in(&weed.endpoint, "resume", |k| {
            format!("{}/k{k:03}", if k < 10 { "a" } else { "b" })
        })
        .await;
        let (whole, whole_csv) =
            report(&proxy.endpoint, &bucket, options(Format::Csv), |_| {}).await;
        let whole = whole.expect("the report in one go");
        assert_eq!((whole.versions, whole.delete_markers), (60, 4));
        assert_eq!(whole_csv.lines().count(), 1 + 64);

        let dir = tempfile::tempdir().expect("dir");
        let checkpoint = dir.path().join("report.checkpoint");

        // Part 1: stopped (as Ctrl-C does) once 14 versions are read.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut stop_tx = Some(stop_tx);
        let mut o = options(Format::Csv);
        o.checkpoint = Some(checkpoint.clone());
        o.stop = Some(Box::pin(async move {
            let _ = stop_rx.await;
        }));
        let (first, first_csv) = report(&proxy.endpoint, &bucket, o, |p| {
            if p.versions >= 14
                && let Some(tx) = stop_tx.take()
            {
                let _ = tx.send(());
            }
        })
        .await;
        match first {
            Err(ReportError::Stopped { versions, path }) => {
                assert!((14..60).contains(&versions), "{versions}");
                assert_eq!(path.as_deref(), Some(checkpoint.as_path()));
            }
            other => panic!("expected a stop, got {other:?}"),
        }
        assert!(checkpoint.exists(), "the checkpoint was saved");

        // Part 2: the listing fails part way (from its first page on, every listing request
        // is refused; the pages listed ahead are still read and written).
        let mut o = options(Format::Csv);
        o.checkpoint = Some(checkpoint.clone());
        let mut failing = false;
        let (second, second_csv) = report(&proxy.endpoint, &bucket, o, |_| {
            if !failing {
                failing = true;
                proxy.inject(
                    Filter::target("versions"),
                    Fault::Status(403, "AccessDenied"),
                    None,
                );
            }
        })
        .await;
        proxy.clear();
        match second {
            Err(ReportError::Listing { saved: true, .. }) => {}
            other => panic!("expected a failed listing, got {other:?}"),
        }
        assert!(
            !second_csv.starts_with("key,"),
            "no second header: {second_csv}"
        );

        // Part 3: to the end.
        let mut o = options(Format::Csv);
        o.checkpoint = Some(checkpoint.clone());
        let (third, third_csv) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        let third = third.expect("the resumed report");
        assert_eq!(
            format!("{first_csv}{second_csv}{third_csv}"),
            whole_csv,
            "the rows of the three parts are the rows of the whole, once each, in order"
        );
        assert_eq!(tallies(&third), tallies(&whole));
        assert_eq!(third.parts.len(), 3, "{:?}", third.parts);
        assert_eq!(third.parts[0].cut.as_deref(), Some("stopped (Ctrl-C)"));
        assert!(
            third.parts[1]
                .cut
                .as_deref()
                .is_some_and(|c| c.contains("listing failed") && c.contains("AccessDenied")),
            "{:?}",
            third.parts[1]
        );
        assert_eq!(third.parts[2].cut, None);
        assert_eq!(third.parts[0].from_key, None);
        assert!(third.parts[1].from_key.is_some() && third.parts[2].from_key.is_some());
        let entries: u64 = third.parts.iter().map(|p| p.entries).sum();
        assert_eq!(entries, 64, "each entry read in exactly one part");
        let markdown = third.markdown();
        assert!(markdown.contains("## Read in 3 parts"), "{markdown}");

        // A finished checkpoint is not taken again, and nothing is sent or written.
        let mut o = options(Format::Csv);
        o.checkpoint = Some(checkpoint.clone());
        let (again, again_csv) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        assert!(
            matches!(&again, Err(ReportError::Checkpoint(m)) if m.contains("finished report")),
            "{again:?}"
        );
        assert_eq!(again_csv, "");

        // Nor is the checkpoint of another report.
        let mut o = options(Format::Json);
        o.checkpoint = Some(checkpoint.clone());
        let (other, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        assert!(
            matches!(&other, Err(ReportError::Checkpoint(m)) if m.contains("not of this one")),
            "{other:?}"
        );
    });
}

#[test]
fn a_checkpoint_is_never_written_through_a_symlink_nor_by_two_reports_at_once() {
    let weed = weed();
    support::runtime().block_on(async {
        let bucket = bucket(&weed.endpoint, "cpguard").await;
        let dir = tempfile::tempdir().expect("dir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").expect("victim");
        let link = dir.path().join("report.checkpoint");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let mut o = options(Format::Json);
        o.checkpoint = Some(link.clone());
        let (built, _) = report(&weed.endpoint, &bucket, o, |_| {}).await;
        assert!(
            matches!(&built, Err(ReportError::Checkpoint(m)) if m.contains("symbolic link")),
            "{built:?}"
        );
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious");

        // Two reports on one checkpoint: the second is refused while the first holds it.
        let path = dir.path().join("shared.checkpoint");
        let identity = lockwatch::work::report::checkpoint::Identity {
            endpoint: weed.endpoint.clone(),
            bucket: bucket.clone(),
            prefix: String::new(),
            format: "json".into(),
        };
        let held = lockwatch::work::report::checkpoint::CheckpointFile::open(&path, &identity)
            .expect("the first report takes it");
        let mut o = options(Format::Json);
        o.checkpoint = Some(path.clone());
        let (second, _) = report(&weed.endpoint, &bucket, o, |_| {}).await;
        assert!(
            matches!(&second, Err(ReportError::Checkpoint(m)) if m.contains("another lockwatch report is using")),
            "{second:?}"
        );
        drop(held);
        let mut o = options(Format::Json);
        o.checkpoint = Some(path.clone());
        let (third, _) = report(&weed.endpoint, &bucket, o, |_| {}).await;
        assert_eq!(third.expect("once released").versions, 60);
        assert!(
            !dir.path().join("shared.checkpoint.lock").exists(),
            "a finished report leaves no lock file"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("saved").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the checkpoint names keys: private");
    });
}

#[test]
fn a_sampled_report_reads_only_its_sample_and_states_its_intervals() {
    let weed = weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    support::runtime().block_on(async {
        let bucket = bucket(&weed.endpoint, "sample").await;
        let heads_before = proxy.count(&Filter::method("HEAD"));
        let mut o = options(Format::Json);
        o.sample = Some(20);
        o.seed = Some(7);
        let (sampled, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        let sampled = sampled.expect("sampled report");
        assert_eq!(
            proxy.count(&Filter::method("HEAD")) - heads_before,
            20,
            "one HEAD per sampled version, no more"
        );
        let s = sampled.sample.as_ref().expect("labelled as sampled");
        assert_eq!((s.size, s.population, s.seed), (20, 60, 7));
        assert_eq!(sampled.versions, 60, "the listing itself is complete");
        assert_eq!(sampled.delete_markers, 4);
        let read: u64 = sampled.by_protection.iter().map(|(_, t)| t.versions).sum();
        assert_eq!(read, 20);
        let compliance = &s.by_protection.compliance;
        assert!(
            compliance.versions_low <= compliance.versions_high && compliance.versions_high <= 60
        );
        assert_eq!(
            compliance.sampled,
            sampled.by_protection.compliance.versions
        );
        // 24 of 60 versions are COMPLIANCE (40%): a 95% interval holds it for most seeds
        // (fixed seeds: the outcome is the same on every run).
        let mut covered = 0;
        for seed in 1..=10 {
            let mut o = options(Format::Json);
            o.sample = Some(20);
            o.seed = Some(seed);
            let (c, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
            let c = c.expect("sampled report");
            let e = &c.sample.as_ref().expect("sample").by_protection.compliance;
            if e.low <= 0.4 && 0.4 <= e.high && e.versions_low <= 24 && 24 <= e.versions_high {
                covered += 1;
            }
        }
        assert!(
            covered >= 8,
            "the interval held the truth for {covered} of 10 seeds"
        );
        let markdown = sampled.markdown();
        assert!(
            markdown.contains("**Sampled report: estimates.**"),
            "{markdown}"
        );
        assert!(markdown.contains("95%"), "{markdown}");

        // The same seed chooses the same versions.
        let mut o = options(Format::Json);
        o.sample = Some(20);
        o.seed = Some(7);
        let (again, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        assert_eq!(again.expect("again").by_protection, sampled.by_protection);

        // A sample of every version is exact.
        let mut o = options(Format::Json);
        o.sample = Some(1000);
        let (all, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        let all = all.expect("full sample");
        let s = all.sample.as_ref().expect("sample");
        assert_eq!(s.size, 60);
        let compliance = &s.by_protection.compliance;
        assert_eq!((compliance.low, compliance.high), (0.4, 0.4));
        assert_eq!(
            (compliance.versions_low, compliance.versions_high),
            (24, 24)
        );

        // A sample cannot be a CSV of every version, nor resumed.
        let mut o = options(Format::Csv);
        o.sample = Some(5);
        let (csv, out) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
        assert!(matches!(csv, Err(ReportError::Refused(_))), "{csv:?}");
        assert_eq!(out, "");
    });
}

#[test]
fn slow_down_answers_are_waited_out_and_the_concurrency_cap_holds() {
    let weed = weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    support::runtime().block_on(async {
        let bucket = bucket(&weed.endpoint, "slowdown").await;
        let (whole, _) = report(&proxy.endpoint, &bucket, options(Format::Json), |_| {}).await;
        let whole = whole.expect("reference");

        // 30 HEADs in a row are refused with 503 SlowDown: the SDK's own retries give up on
        // some, lockwatch asks those again later; none is counted as unknown.
        proxy.inject(
            Filter::method("HEAD"),
            Fault::Status(503, "SlowDown"),
            Some(30),
        );
        let (slowed, _) = report(&proxy.endpoint, &bucket, options(Format::Json), |_| {}).await;
        let slowed = slowed.expect("report through SlowDown");
        assert_eq!(tallies(&slowed), tallies(&whole));
        assert_eq!(slowed.unknown_count, 0);
        assert!(
            slowed.slowed_down > 0,
            "the slow-downs are counted: {}",
            slowed.slowed_down
        );
        assert!(
            slowed.markdown().contains("the server asked to slow down"),
            "and said"
        );

        // --concurrency 3: never more than three HEADs in flight, each delayed 20 ms (a
        // proxy of its own, so that earlier runs do not count).
        let quiet = FaultProxy::start(&weed.endpoint);
        quiet.inject(
            Filter::method("HEAD"),
            Fault::Delay(std::time::Duration::from_millis(20)),
            None,
        );
        let mut o = options(Format::Json);
        o.concurrency = 3;
        let (capped, _) = report(&quiet.endpoint, &bucket, o, |_| {}).await;
        let capped = capped.expect("capped report");
        assert_eq!(tallies(&capped), tallies(&whole));
        assert_eq!(quiet.count(&Filter::method("HEAD")), 60);
        assert_eq!(quiet.most_at_once(&Filter::method("HEAD")), 3);
        assert_eq!(capped.head_concurrency_peak, 3);
        proxy.clear();
    });
}

/// One row of an inventory, from the SDK's own listing and HEAD.
struct InventoryRow {
    key: String,
    version_id: String,
    is_latest: bool,
    is_delete_marker: bool,
    size: Option<i64>,
    last_modified: Option<aws_smithy_types::DateTime>,
    retain_until: Option<aws_smithy_types::DateTime>,
    mode: Option<String>,
    hold: Option<String>,
}

/// Every version and marker of `bucket` (one page), not in key order: inventories need not
/// be, and lockwatch counts keys by their latest entry.
async fn inventory_rows(endpoint: &str, bucket: &str) -> Vec<InventoryRow> {
    let sdk = support::sdk_client(endpoint);
    let page = sdk
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list");
    assert_ne!(page.is_truncated(), Some(true), "one page");
    let mut rows = Vec::new();
    for v in page.versions() {
        let (key, id) = (
            v.key().unwrap_or_default(),
            v.version_id().unwrap_or_default(),
        );
        let head = sdk
            .head_object()
            .bucket(bucket)
            .key(key)
            .version_id(id)
            .send()
            .await
            .expect("head");
        rows.push(InventoryRow {
            key: key.to_string(),
            version_id: id.to_string(),
            is_latest: v.is_latest().unwrap_or(false),
            is_delete_marker: false,
            size: v.size(),
            last_modified: v.last_modified().copied(),
            retain_until: head.object_lock_retain_until_date().copied(),
            mode: head.object_lock_mode().map(|m| m.as_str().to_string()),
            hold: head
                .object_lock_legal_hold_status()
                .map(|h| h.as_str().to_string()),
        });
    }
    for m in page.delete_markers() {
        rows.push(InventoryRow {
            key: m.key().unwrap_or_default().to_string(),
            version_id: m.version_id().unwrap_or_default().to_string(),
            is_latest: m.is_latest().unwrap_or(false),
            is_delete_marker: true,
            size: None,
            last_modified: m.last_modified().copied(),
            retain_until: None,
            mode: None,
            hold: None,
        });
    }
    rows.reverse();
    rows
}

/// Puts the data files, manifest.json (with each file's MD5) and manifest.checksum of an
/// inventory of `bucket` into `inventory`, as AWS documents them. Returns the manifest's key.
async fn put_inventory(
    endpoint: &str,
    bucket: &str,
    inventory: &str,
    format: &str,
    schema: &str,
    files: Vec<(String, Vec<u8>)>,
) -> String {
    use md5::{Digest, Md5};
    let hex = |b: &[u8]| -> String { Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect() };
    let s3 = support::client(endpoint).await;
    if !s3.bucket_exists(inventory).await.expect("head bucket") {
        s3.create_bucket(inventory, None, false)
            .unrecorded()
            .await
            .expect("inventory bucket");
    }
    // As an inventory lays itself out: `SOURCE/CONFIG/data/…` beside `SOURCE/CONFIG/DATE/`.
    let configuration = files
        .first()
        .and_then(|(key, _)| key.split_once("/data/"))
        .map_or_else(
            || format!("{bucket}/{}", format.to_lowercase()),
            |(c, _)| c.to_string(),
        );
    let folder = format!("{configuration}/2026-11-27T00-00Z");
    let mut listed = Vec::new();
    for (key, body) in files {
        listed.push(serde_json::json!({"key": key, "size": body.len(), "MD5checksum": hex(&body)}));
        s3.put_bytes(inventory, &key, body, &PutOptions::default())
            .unrecorded()
            .await
            .expect("data file");
    }
    let manifest = serde_json::json!({
        "sourceBucket": bucket,
        "destinationBucket": format!("arn:aws:s3:::{inventory}"),
        "version": "2016-11-30",
        "creationTimestamp": "1795737600000",
        "fileFormat": format,
        "fileSchema": schema,
        "files": listed,
    })
    .to_string()
    .into_bytes();
    let key = format!("{folder}/manifest.json");
    let checksum = hex(&manifest);
    s3.put_bytes(inventory, &key, manifest, &PutOptions::default())
        .unrecorded()
        .await
        .expect("manifest");
    s3.put_bytes(
        inventory,
        &format!("{folder}/manifest.checksum"),
        checksum.into_bytes(),
        &PutOptions::default(),
    )
    .unrecorded()
    .await
    .expect("checksum");
    key
}

/// A CSV inventory (gzip, keys URL-encoded) in two data files; without the three lock
/// columns when `lock_fields` is false.
async fn write_inventory(
    endpoint: &str,
    bucket: &str,
    inventory: &str,
    lock_fields: bool,
) -> String {
    use std::io::Write;
    let names: Vec<&str> = SCHEMA.split(", ").collect();
    let columns = if lock_fields {
        names.len()
    } else {
        names.len() - 3
    };
    let fmt = |t: Option<aws_smithy_types::DateTime>| {
        t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
            .unwrap_or_default()
    };
    let encode = |key: &str| -> String {
        key.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let rows: Vec<String> = inventory_rows(endpoint, bucket)
        .await
        .into_iter()
        .map(|r| {
            let fields = [
                bucket.to_string(),
                encode(&r.key),
                r.version_id,
                r.is_latest.to_string(),
                r.is_delete_marker.to_string(),
                r.size.map(|s| s.to_string()).unwrap_or_default(),
                fmt(r.last_modified),
                if r.is_delete_marker {
                    String::new()
                } else {
                    "etag".into()
                },
                if r.is_delete_marker {
                    String::new()
                } else {
                    "STANDARD".into()
                },
                String::new(),
                String::new(),
                String::new(),
                fmt(r.retain_until),
                r.mode.unwrap_or_default(),
                r.hold.unwrap_or_default(),
            ];
            format!("\"{}\"", fields[..columns].join("\",\""))
        })
        .collect();
    let half = rows.len() / 2;
    let mut files = Vec::new();
    for (n, part) in [&rows[..half], &rows[half..]].into_iter().enumerate() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for row in part {
            writeln!(gz, "{row}").expect("gzip");
        }
        files.push((
            format!("{bucket}/config/data/{n}.csv.gz"),
            gz.finish().expect("gzip"),
        ));
    }
    put_inventory(
        endpoint,
        bucket,
        inventory,
        "CSV",
        &names[..columns].join(", "),
        files,
    )
    .await
}

/// The schema message of a Parquet inventory, as AWS writes it in the manifest.
const PARQUET_SCHEMA: &str = "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional binary version_id (UTF8); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary e_tag (UTF8); optional binary storage_class (UTF8); optional int64 object_lock_retain_until_date (TIMESTAMP_MILLIS); optional binary object_lock_mode (UTF8); optional binary object_lock_legal_hold_status (UTF8); }";

/// A Parquet inventory (keys as they are) in one data file.
async fn write_parquet_inventory(endpoint: &str, bucket: &str, inventory: &str) -> String {
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    let rows = inventory_rows(endpoint, bucket).await;
    let millis = |t: &Option<aws_smithy_types::DateTime>| {
        t.map(|t| t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000))
    };
    let text = |f: &dyn Fn(&InventoryRow) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let columns: Vec<Column> = vec![
        Column::Text(text(&|_| Some(bucket.to_string())), true),
        Column::Text(text(&|r| Some(r.key.clone())), true),
        Column::Text(text(&|r| Some(r.version_id.clone())), false),
        Column::Flag(rows.iter().map(|r| Some(r.is_latest)).collect()),
        Column::Flag(rows.iter().map(|r| Some(r.is_delete_marker)).collect()),
        Column::Number(rows.iter().map(|r| r.size).collect()),
        Column::Number(rows.iter().map(|r| millis(&r.last_modified)).collect()),
        Column::Text(
            text(&|r| (!r.is_delete_marker).then(|| "etag".into())),
            false,
        ),
        Column::Text(
            text(&|r| (!r.is_delete_marker).then(|| "STANDARD".into())),
            false,
        ),
        Column::Number(rows.iter().map(|r| millis(&r.retain_until)).collect()),
        Column::Text(text(&|r| r.mode.clone()), false),
        Column::Text(text(&|r| r.hold.clone()), false),
    ];
    enum Column {
        Text(Vec<Option<String>>, bool),
        Flag(Vec<Option<bool>>),
        Number(Vec<Option<i64>>),
    }
    let schema = std::sync::Arc::new(
        parquet::schema::parser::parse_message_type(PARQUET_SCHEMA).expect("schema"),
    );
    let mut body = Vec::new();
    {
        let mut writer = SerializedFileWriter::new(
            &mut body,
            schema,
            std::sync::Arc::new(WriterProperties::builder().build()),
        )
        .expect("writer");
        let mut group = writer.next_row_group().expect("row group");
        for column in &columns {
            let mut out = group.next_column().expect("column").expect("a column");
            fn defs<T>(v: &[Option<T>]) -> Vec<i16> {
                v.iter().map(|x| i16::from(x.is_some())).collect()
            }
            match column {
                Column::Text(v, required) => {
                    let present: Vec<ByteArray> = v
                        .iter()
                        .flatten()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    let d = defs(v);
                    out.typed::<ByteArrayType>()
                        .write_batch(&present, (!required).then_some(&d[..]), None)
                        .expect("write");
                }
                Column::Flag(v) => {
                    let present: Vec<bool> = v.iter().flatten().copied().collect();
                    out.typed::<BoolType>()
                        .write_batch(&present, Some(&defs(v)), None)
                        .expect("write");
                }
                Column::Number(v) => {
                    let present: Vec<i64> = v.iter().flatten().copied().collect();
                    out.typed::<Int64Type>()
                        .write_batch(&present, Some(&defs(v)), None)
                        .expect("write");
                }
            }
            out.close().expect("close column");
        }
        group.close().expect("close group");
        writer.close().expect("close file");
    }
    put_inventory(
        endpoint,
        bucket,
        inventory,
        "Parquet",
        PARQUET_SCHEMA,
        vec![(format!("{bucket}/config-parquet/data/0.parquet"), body)],
    )
    .await
}

const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus";

#[test]
fn an_inventory_gives_the_report_of_the_heads_without_one_head_and_is_checked() {
    let weed = weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    support::runtime().block_on(async {
        let bucket = bucket(&weed.endpoint, "inventory").await;
        let (whole, whole_csv) = report(&weed.endpoint, &bucket, options(Format::Csv), |_| {}).await;
        let whole = whole.expect("the report by HEADs");
        let inventory = support::unique_bucket("inv");
        let manifest = write_inventory(&weed.endpoint, &bucket, &inventory, true).await;
        let s3 = support::client(&proxy.endpoint).await;
        let location = S3Location::parse_exact(&format!("s3://{bucket}/")).expect("location");
        let manifest_at =
            S3Location::parse_exact(&format!("s3://{inventory}/{manifest}")).expect("manifest");
        let run = |format: Format| {
            let (s3, location, manifest_at) = (s3.clone(), location.clone(), manifest_at.clone());
            let endpoint = proxy.endpoint.clone();
            async move {
                let mut out = Vec::new();
                let built = lockwatch::work::report::inventory::build(
                    &s3,
                    &endpoint,
                    &location,
                    &manifest_at,
                    format,
                    &mut out,
                    |_| {},
                )
                .await;
                (built, String::from_utf8(out).expect("UTF-8"))
            }
        };
        let (built, csv) = run(Format::Csv).await;
        let built = built.expect("the report from the inventory");
        assert_eq!(proxy.count(&Filter::method("HEAD")), 0, "not one HEAD");
        assert_eq!(tallies(&built), {
            // The inventory is not in key order: the lists of names come in its order.
            let mut t = tallies(&whole);
            let mut b = tallies(&built);
            for v in [&mut t, &mut b] {
                for list in ["held", "unprotected_current"] {
                    if let Some(a) = v[list].as_array_mut() {
                        a.sort_by_key(|x| x.to_string());
                    }
                }
                // Versions locked to the same second: which one is named depends on order.
                for bound in ["earliest", "latest"] {
                    v[bound] = v[bound]["retain_until"].clone();
                }
            }
            assert_eq!(b, t);
            tallies(&built)
        });
        let sorted = |s: &str| {
            let mut l: Vec<String> = s.lines().skip(1).map(str::to_string).collect();
            l.sort();
            l
        };
        // Row by row the same, but for the owner (an inventory without ObjectOwner).
        let strip = |rows: Vec<String>| -> Vec<String> {
            rows.into_iter()
                .map(|r| r.rsplitn(3, ',').nth(2).unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(strip(sorted(&csv)), strip(sorted(&whole_csv)));
        let source = built.source.clone().expect("the source is said");
        assert!(
            source.contains("S3 Inventory taken 2026-11-27 00:00:00 UTC")
                && source.contains("2 data files")
                && source.contains("matches manifest.checksum")
                && source.contains("no HEAD was sent"),
            "{source}"
        );
        assert!(built.markdown().contains("| Locks read from | the S3 Inventory taken"));
        // The command line, in the README's form: the manifest's key as typed.
        let from_cli = support::lockwatch_stdout(
            &proxy.endpoint,
            &[
                "report",
                "--inventory",
                &format!("s3://{inventory}/{manifest}"),
                &format!("s3://{bucket}/"),
                "--format",
                "csv",
            ],
        );
        assert_eq!(sorted(&from_cli), sorted(&csv));

        // The same from a Parquet inventory.
        let parquet = write_parquet_inventory(&weed.endpoint, &bucket, &inventory).await;
        let parquet_at =
            S3Location::parse_exact(&format!("s3://{inventory}/{parquet}")).expect("manifest");
        let mut out = Vec::new();
        let from_parquet = lockwatch::work::report::inventory::build(
            &s3,
            &proxy.endpoint,
            &location,
            &parquet_at,
            Format::Csv,
            &mut out,
            |_| {},
        )
        .await
        .expect("the report from the Parquet inventory");
        assert_eq!(tallies(&from_parquet), tallies(&built));
        assert_eq!(
            strip(sorted(&String::from_utf8(out).expect("UTF-8"))),
            strip(sorted(&whole_csv))
        );

        // A data file changed after the manifest: refused, whatever was counted.
        let data = format!("{bucket}/config/data/1.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"").expect("gzip");
        s3.put_bytes(&inventory, &data, gz.finish().expect("gz"), &PutOptions::default())
.unrecorded()
            .await
            .expect("tamper");
        let (tampered, _) = run(Format::Json).await;
        assert!(
            matches!(&tampered, Err(ReportError::Inventory(m)) if m.contains("data file 2 of 2") && m.contains("MD5")),
            "{tampered:?}"
        );

        // A data file that inflates to 64 MiB without a line break: refused at the first
        // 64 KiB, fed to the decompressor a little at a time.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &[b'a'; 1 << 20]).expect("gzip");
        }
        let bomb = put_inventory(
            &weed.endpoint,
            &bucket,
            &inventory,
            "CSV",
            SCHEMA,
            vec![(format!("{bucket}/bomb/data/0.csv.gz"), gz.finish().expect("gz"))],
        )
        .await;
        let bomb_at = S3Location::parse_exact(&format!("s3://{inventory}/{bomb}")).expect("manifest");
        let mut out = Vec::new();
        let refused = lockwatch::work::report::inventory::build(
            &s3,
            &proxy.endpoint,
            &location,
            &bomb_at,
            Format::Json,
            &mut out,
            |_| {},
        )
        .await;
        assert!(
            matches!(&refused, Err(ReportError::Inventory(m)) if m.contains("longer than 64 KiB")),
            "{refused:?}"
        );

        // An inventory without the lock fields would show every version unprotected: refused.
        let unlocked = write_inventory(&weed.endpoint, &bucket, &inventory, false).await;
        let manifest_at =
            S3Location::parse_exact(&format!("s3://{inventory}/{unlocked}")).expect("manifest");
        let mut out = Vec::new();
        let refused = lockwatch::work::report::inventory::build(&s3, &proxy.endpoint, &location, &manifest_at, Format::Json, &mut out, |_| {}).await;
        assert!(
            matches!(&refused, Err(ReportError::Inventory(m)) if m.contains("no Object Lock fields")),
            "{refused:?}"
        );

        // Another bucket's inventory is not this bucket's report.
        let elsewhere = S3Location::parse_exact(&format!("s3://{inventory}/")).expect("location");
        let refused = lockwatch::work::report::inventory::build(
            &s3,
            &proxy.endpoint,
            &elsewhere,
            &manifest_at,
            Format::Json,
            &mut out,
            |_| {},
        )
        .await;
        assert!(
            matches!(&refused, Err(ReportError::Inventory(m)) if m.contains("is an inventory of the bucket")),
            "{refused:?}"
        );
        assert_eq!(proxy.count(&Filter::method("HEAD")), 0);
    });
}

/// A CSV inventory of `rows` (already encoded) under the configuration folder `config`, as
/// one gzip data file; returns the manifest's key.
async fn csv_inventory(
    endpoint: &str,
    bucket: &str,
    inventory: &str,
    config: &str,
    schema: &[&str],
    rows: &[Vec<String>],
) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for row in rows {
        writeln!(gz, "\"{}\"", row.join("\",\"")).expect("gzip");
    }
    put_inventory(
        endpoint,
        bucket,
        inventory,
        "CSV",
        &schema.join(", "),
        vec![(
            format!("{config}/data/0.csv.gz"),
            gz.finish().expect("gzip"),
        )],
    )
    .await
}

/// `lockwatch report --inventory MANIFEST s3://BUCKET/ --format FORMAT`, as a user types it.
fn inventory_report(
    endpoint: &str,
    inventory: &str,
    manifest: &str,
    bucket: &str,
    format: &str,
) -> std::process::Output {
    let home = tempfile::tempdir().expect("home");
    std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args([
            "report",
            "--inventory",
            &format!("s3://{inventory}/{manifest}"),
            &format!("s3://{bucket}/"),
            "--format",
            format,
        ])
        .env_clear()
        .envs(support::binary_env(endpoint, home.path()))
        .output()
        .expect("run lockwatch")
}

/// Every hostile inventory, through the command line: refused with why (exit 2, nothing
/// printed, never a panic), or, where it is only unusual (columns in another order, keys that
/// are formulas or escape sequences, an old date), read right and said.
#[test]
fn hostile_inventories_through_the_command_line() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (bucket, inventory, good) = support::runtime().block_on(async {
        let bucket = bucket(&endpoint, "invcli").await;
        let inventory = support::unique_bucket("invcli-inv");
        let good = write_inventory(&endpoint, &bucket, &inventory, true).await;
        (bucket, inventory, good)
    });
    let refused = |manifest: &str, why: &str| {
        let out = inventory_report(&endpoint, &inventory, manifest, &bucket, "json");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{manifest}: {stderr}");
        assert!(
            stderr.contains(why),
            "{manifest}: expected {why:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{manifest}: nothing printed");
    };

    // The good one: read, dated, its age said.
    let out = inventory_report(&endpoint, &inventory, &good, &bucket, "markdown");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    assert!(
        markdown.contains("the S3 Inventory taken 2026-11-27 00:00:00 UTC, ")
            && markdown.contains(" before this report"),
        "{markdown}"
    );
    let good_csv = text(&inventory_report(&endpoint, &inventory, &good, &bucket, "csv").stdout);
    let sorted = |s: &str| {
        let mut l: Vec<String> = s.lines().map(str::to_string).collect();
        l.sort();
        l
    };

    let (rows, schema): (Vec<Vec<String>>, Vec<&str>) = support::runtime().block_on(async {
        let names: Vec<&str> = SCHEMA.split(", ").collect();
        let rows = inventory_rows(&endpoint, &bucket)
            .await
            .into_iter()
            .map(|r| {
                let fmt = |t: Option<aws_smithy_types::DateTime>| {
                    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                        .unwrap_or_default()
                };
                vec![
                    bucket.clone(),
                    r.key.clone(),
                    r.version_id.clone(),
                    r.is_latest.to_string(),
                    r.is_delete_marker.to_string(),
                    r.size.map(|s| s.to_string()).unwrap_or_default(),
                    fmt(r.last_modified),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    fmt(r.retain_until),
                    r.mode.clone().unwrap_or_default(),
                    r.hold.clone().unwrap_or_default(),
                ]
            })
            .collect();
        (rows, names)
    });

    // Columns in another order: the same report.
    let reversed_schema: Vec<&str> = schema.iter().rev().copied().collect();
    let reversed_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().rev().cloned().collect())
        .collect();
    let reordered = support::runtime().block_on(csv_inventory(
        &endpoint,
        &bucket,
        &inventory,
        &format!("{bucket}/reordered"),
        &reversed_schema,
        &reversed_rows,
    ));
    let out = inventory_report(&endpoint, &inventory, &reordered, &bucket, "csv");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sorted(&text(&out.stdout)), sorted(&good_csv));

    // Missing columns: no key, or no lock fields.
    let without = |drop: &[&str], config: &str| {
        let keep: Vec<usize> = (0..schema.len())
            .filter(|i| !drop.contains(&schema[*i]))
            .collect();
        let names: Vec<&str> = keep.iter().map(|i| schema[*i]).collect();
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| keep.iter().map(|i| r[*i].clone()).collect())
            .collect();
        support::runtime().block_on(csv_inventory(
            &endpoint,
            &bucket,
            &inventory,
            &format!("{bucket}/{config}"),
            &names,
            &rows,
        ))
    };
    refused(&without(&["Key"], "nokey"), "Key");
    refused(
        &without(
            &[
                "ObjectLockMode",
                "ObjectLockRetainUntilDate",
                "ObjectLockLegalHoldStatus",
            ],
            "nolock",
        ),
        "no Object Lock fields",
    );

    // Keys that are formulas or escape sequences: kept as data, never run or shown raw.
    let hostile: Vec<Vec<String>> = [
        "=HYPERLINK(\"http://x\")",
        "\u{1b}]0;pwned\u{7}",
        "@SUM(A1)",
    ]
    .iter()
    .enumerate()
    .map(|(i, key)| {
        let encoded: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
        let mut row = rows[0].clone();
        row[1] = encoded;
        row[2] = format!("hostile-{i}");
        row
    })
    .collect();
    let formulas = support::runtime().block_on(csv_inventory(
        &endpoint,
        &bucket,
        &inventory,
        &format!("{bucket}/formulas"),
        &schema,
        &hostile,
    ));
    for format in ["csv", "markdown", "json"] {
        let out = inventory_report(&endpoint, &inventory, &formulas, &bucket, format);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let printed = text(&out.stdout);
        assert!(
            !printed.contains('\u{1b}') && !printed.contains('\u{7}'),
            "{format}: {printed:?}"
        );
        if format == "csv" {
            assert!(
                printed
                    .lines()
                    .all(|l| !l.starts_with('=') && !l.starts_with('@')),
                "{printed}"
            );
            assert!(printed.contains("'=HYPERLINK"), "{printed}");
        }
    }

    // An MD5 that does not match, a gzip bomb: refused.
    let tampered = support::runtime().block_on(async {
        let key = csv_inventory(
            &endpoint,
            &bucket,
            &inventory,
            &format!("{bucket}/tampered"),
            &schema,
            &rows,
        )
        .await;
        let s3 = support::client(&endpoint).await;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"").expect("gzip");
        s3.put_bytes(
            &inventory,
            &format!("{bucket}/tampered/data/0.csv.gz"),
            gz.finish().expect("gz"),
            &PutOptions::default(),
        )
        .unrecorded()
        .await
        .expect("tamper");
        key
    });
    refused(&tampered, "MD5");
    let bomb = support::runtime().block_on(async {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &[b'a'; 1 << 20]).expect("gzip");
        }
        put_inventory(
            &endpoint,
            &bucket,
            &inventory,
            "CSV",
            SCHEMA,
            vec![(
                format!("{bucket}/bomb/data/0.csv.gz"),
                gz.finish().expect("gz"),
            )],
        )
        .await
    });
    refused(&bomb, "longer than 64 KiB");

    // Data files where no inventory writes them.
    let placed = |data_key: String, config: &str| {
        support::runtime().block_on(async {
            let manifest = put_inventory(
                &endpoint,
                &bucket,
                &inventory,
                "CSV",
                SCHEMA,
                vec![(format!("{bucket}/{config}/data/0.csv.gz"), Vec::new())],
            )
            .await;
            // The manifest rewritten to name `data_key` (and its checksum with it).
            let s3 = support::client(&endpoint).await;
            let body = s3
                .get_bytes(&inventory, &manifest, None)
                .await
                .expect("manifest");
            let text = String::from_utf8(body)
                .expect("UTF-8")
                .replace(&format!("{bucket}/{config}/data/0.csv.gz"), &data_key);
            use md5::{Digest, Md5};
            let sum: String = Md5::digest(text.as_bytes())
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect();
            let folder = manifest
                .rsplit_once('/')
                .map(|(f, _)| f)
                .unwrap_or_default();
            s3.put_bytes(
                &inventory,
                &manifest,
                text.into_bytes(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("manifest");
            s3.put_bytes(
                &inventory,
                &format!("{folder}/manifest.checksum"),
                sum.into_bytes(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("checksum");
            manifest
        })
    };
    refused(
        &placed(
            format!("{bucket}/dotdot/data/../../../{bucket}/x.csv.gz"),
            "dotdot",
        ),
        "'..' segment",
    );
    refused(
        &placed("elsewhere/data/0.csv.gz".to_string(), "outside"),
        "outside its configuration's folder",
    );

    // Another bucket's inventory.
    let out = inventory_report(&endpoint, &inventory, &good, &inventory, "json");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is an inventory of the bucket"));

    // A Parquet file that is not one (a footer claiming 2 GiB of metadata): refused, no panic.
    let hostile_parquet = support::runtime().block_on(async {
        let mut body = b"PAR1".to_vec();
        body.extend_from_slice(&[0xff; 64]);
        body.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
        body.extend_from_slice(b"PAR1");
        put_inventory(
            &endpoint,
            &bucket,
            &inventory,
            "Parquet",
            PARQUET_SCHEMA,
            vec![(format!("{bucket}/badparquet/data/0.parquet"), body)],
        )
        .await
    });
    refused(&hostile_parquet, "Parquet");
}
