//! The report at scale, on SeaweedFS through the fault proxy: a report cut (Ctrl-C, then a
//! failed listing) and resumed from its checkpoint gives the same rows and tallies as one read
//! in one go; a sampled report reads only its sample and states its intervals; the server's
//! "slow down" is waited out, never counted as unknown; `--concurrency` caps the HEADs in
//! flight; and an S3 Inventory report gives the same report as the HEADs.

use crate::support;
use crate::support::faults::{Fault, FaultProxy, Filter};
use lockwatch::domain::RetentionMode;
use lockwatch::domain::location::S3Location;
use lockwatch::domain::report::Coverage;
use lockwatch::report::{Format, Options, ReportError};
use lockwatch::s3::PutOptions;
use support::weed::weed;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A lock bucket of 20 keys × 3 versions: keys 0–7 COMPLIANCE for two days, 8–11
/// GOVERNANCE, 12–13 under a legal hold, the rest unprotected; every fifth key deleted.
/// 60 versions, 4 delete markers.
async fn bucket(endpoint: &str, tag: &str) -> String {
    let s3 = support::client(endpoint).await;
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, true).await.expect("create");
    let until = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    for k in 0..20 {
        let key = format!("k{k:03}");
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
                .await
                .unwrap_or_else(|e| panic!("upload {key}: {e}"));
        }
        if k % 5 == 4 {
            s3.delete_object(&bucket, &key).await.expect("delete");
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
    progress: impl FnMut(lockwatch::report::Progress),
) -> (Result<Coverage, ReportError>, String) {
    let s3 = support::client(endpoint).await;
    let location = S3Location::parse_exact(&format!("s3://{bucket}/")).expect("location");
    let mut out = Vec::new();
    let built =
        lockwatch::report::build(&s3, endpoint, &location, options, &mut out, progress).await;
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
    runtime().block_on(async {
        let bucket = bucket(&weed.endpoint, "resume").await;
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
    runtime().block_on(async {
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
            matches!(&built, Err(ReportError::Checkpoint(m)) if m.contains("is not a lockwatch report checkpoint")),
            "{built:?}"
        );
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious");

        // Two reports on one checkpoint: the second is refused while the first holds it.
        let path = dir.path().join("shared.checkpoint");
        let identity = lockwatch::report::checkpoint::Identity {
            endpoint: weed.endpoint.clone(),
            bucket: bucket.clone(),
            prefix: String::new(),
            format: "json".into(),
        };
        let held = lockwatch::report::checkpoint::CheckpointFile::open(&path, &identity)
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
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("saved").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the checkpoint names keys: private");
    });
}

#[test]
fn a_sampled_report_reads_only_its_sample_and_states_its_intervals() {
    let weed = weed();
    let proxy = FaultProxy::start(&weed.endpoint);
    runtime().block_on(async {
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
        let (_, compliance) = &s.by_protection[0];
        assert!(
            compliance.versions_low <= compliance.versions_high && compliance.versions_high <= 60
        );
        assert_eq!(compliance.sampled, sampled.by_protection[0].1.versions);
        // 24 of 60 versions are COMPLIANCE (40%): a 95% interval holds it for most seeds
        // (fixed seeds: the outcome is the same on every run).
        let mut covered = 0;
        for seed in 1..=10 {
            let mut o = options(Format::Json);
            o.sample = Some(20);
            o.seed = Some(seed);
            let (c, _) = report(&proxy.endpoint, &bucket, o, |_| {}).await;
            let c = c.expect("sampled report");
            let e = &c.sample.as_ref().expect("sample").by_protection[0].1;
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
        let (_, compliance) = &s.by_protection[0];
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
    runtime().block_on(async {
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
