//! lockwatch's demonstration buckets: the backup guide's locked bucket with its deleted
//! `tux.svg`, plus what makes lock behaviour visible — versions, deletes, a legal hold, a
//! GOVERNANCE bucket, a bucket without versioning, and locks that run out minutes after
//! seeding so an audience can watch a refused delete become possible. `--demo` adds a bucket
//! of nightly archives and, seconds in, an attack on it for its watcher to see.

use crate::domain::{RetentionMode, RetentionPeriod};
use crate::s3::{PutOptions, S3, S3Error};
use jiff::{SignedDuration, Timestamp};

pub const TUX_SVG: &[u8] = include_bytes!("../assets/demo/tux.svg");

/// What the seed created, for the message printed after seeding.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub created: Vec<String>,
    pub skipped: Vec<String>,
}

/// Creates a bucket unless it already exists; returns false when it was already there.
async fn fresh_bucket(
    s3: &S3,
    bucket: &str,
    lock: bool,
    report: &mut SeedReport,
) -> Result<bool, S3Error> {
    // Asked first: some servers answer CreateBucket of an existing bucket with success.
    if s3.bucket_exists(bucket).await? {
        report.skipped.push(bucket.to_string());
        return Ok(false);
    }
    match s3.create_bucket(bucket, None, lock).unrecorded().await {
        Ok(()) => {
            report.created.push(bucket.to_string());
            Ok(true)
        }
        Err(e)
            if matches!(
                e.code(),
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ) =>
        {
            report.skipped.push(bucket.to_string());
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn text() -> PutOptions {
    PutOptions {
        content_type: Some("text/plain".into()),
        ..PutOptions::default()
    }
}

/// Seeds the demonstration buckets through lockwatch's own S3 layer. Times are relative to
/// `now`, so countdowns of 2 and 5 minutes start when the seed runs.
pub async fn seed_demo(s3: &S3, now: Timestamp) -> Result<SeedReport, S3Error> {
    let mut report = SeedReport::default();

    // The guide: bucket `bup`, COMPLIANCE for one day, tux.svg uploaded and then deleted.
    if fresh_bucket(s3, "bup", true, &mut report).await? {
        s3.set_default_retention(
            "bup",
            Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
        )
        .unrecorded()
        .await?;
        let svg = PutOptions {
            content_type: Some("image/svg+xml".into()),
            ..PutOptions::default()
        };
        s3.put_bytes("bup", "tux.svg", TUX_SVG.to_vec(), &svg)
            .unrecorded()
            .await?;
        s3.delete_object("bup", "tux.svg").unrecorded().await?;

        for day in 1..=3 {
            for db in ["customers", "orders"] {
                let body = format!("-- {db} dump, night {day}\nCREATE TABLE {db} (id int);\n");
                s3.put_bytes(
                    "bup",
                    &format!("db/nightly/{db}.sql"),
                    body.into_bytes(),
                    &text(),
                )
                .unrecorded()
                .await?;
            }
        }
        for revision in 1..=4 {
            let body = format!("# backup schedule, revision {revision}\nkeep: 30d\n");
            s3.put_bytes("bup", "etc/backup.conf", body.into_bytes(), &text())
                .unrecorded()
                .await?;
        }
        // A folder whose every file was deleted: only visible with deleted objects shown.
        for name in ["app-1.log", "app-2.log"] {
            s3.put_bytes(
                "bup",
                &format!("logs/{name}"),
                b"started\n".to_vec(),
                &text(),
            )
            .unrecorded()
            .await?;
            s3.delete_object("bup", &format!("logs/{name}"))
                .unrecorded()
                .await?;
        }
        let hold = PutOptions {
            legal_hold: true,
            ..text()
        };
        s3.put_bytes(
            "bup",
            "evidence/incident-2026-11.tar",
            b"evidence\n".to_vec(),
            &hold,
        )
        .unrecorded()
        .await?;
        for (minutes, name) in [
            (2, "short-lock/expires-in-2-minutes.txt"),
            (5, "short-lock/expires-in-5-minutes.txt"),
        ] {
            let short = PutOptions {
                retention: Some((
                    RetentionMode::Compliance,
                    now + SignedDuration::from_mins(minutes),
                )),
                ..text()
            };
            let body = format!("This version is locked for {minutes} minutes after seeding.\n");
            s3.put_bytes("bup", name, body.into_bytes(), &short)
                .unrecorded()
                .await?;
        }
    }

    if fresh_bucket(s3, "bup-governance", true, &mut report).await? {
        s3.set_default_retention(
            "bup-governance",
            Some((RetentionMode::Governance, RetentionPeriod::Days(7))),
        )
        .unrecorded()
        .await?;
        for n in 1..=2 {
            let body = format!("weekly archive {n}\n");
            s3.put_bytes(
                "bup-governance",
                "weekly/archive.tar",
                body.into_bytes(),
                &text(),
            )
            .unrecorded()
            .await?;
        }
        // A lifecycle rule that ends the recovery window: what `i` and the report's Risks
        // section show.
        s3.expire_noncurrent_versions("bup-governance", "weekly-14-days", "weekly/", 14)
            .unrecorded()
            .await?;
    }

    if fresh_bucket(s3, "scratch", false, &mut report).await? {
        s3.put_bytes(
            "scratch",
            "notes.txt",
            b"no versioning, no lock\n".to_vec(),
            &text(),
        )
        .unrecorded()
        .await?;
    }
    Ok(report)
}

/// The demo's attacked bucket: nightly archives of 60 hosts, versioned, each new version
/// kept 7 days by a GOVERNANCE default retention.
pub const STORM_BUCKET: &str = "bup-nightly";
const STORM_HOSTS: usize = 60;

/// Creates `STORM_BUCKET` with its archives (for `--demo` only: the attack below needs it).
pub async fn seed_storm_bucket(s3: &S3) -> Result<(), S3Error> {
    let mut report = SeedReport::default();
    if !fresh_bucket(s3, STORM_BUCKET, true, &mut report).await? {
        return Ok(());
    }
    s3.set_default_retention(
        STORM_BUCKET,
        Some((RetentionMode::Governance, RetentionPeriod::Days(7))),
    )
    .unrecorded()
    .await?;
    for host in 1..=STORM_HOSTS {
        let body = format!("nightly archive of host-{host:02}\n");
        s3.put_bytes(
            STORM_BUCKET,
            &format!("host-{host:02}/nightly.tar"),
            body.into_bytes(),
            &text(),
        )
        .unrecorded()
        .await?;
    }
    Ok(())
}

/// The demo's attack: every archive of `STORM_BUCKET` deleted, as ransomware with stolen keys
/// would — a delete marker each; the locked versions stay, so everything can be brought back.
/// Sets `--demo`'s watcher up to learn of `STORM_BUCKET`'s changes from notifications: a
/// topic `topic` posting to `push`, and the bucket's notification configuration sending to it
/// (the demo's own sandbox, so unrecorded, as the rest of the seed). The topic's ARN.
pub async fn demo_notifications(s3: &S3, topic: &str, push: &str) -> Result<String, S3Error> {
    let arn = s3.create_topic(topic, push).unrecorded().await?;
    let config = [crate::s3::TopicConfig {
        id: topic.to_string(),
        topic_arn: arn.clone(),
        events: crate::domain::watch::notice::EVENTS
            .iter()
            .map(|e| e.to_string())
            .collect(),
        prefix: String::new(),
    }];
    s3.put_notifications(STORM_BUCKET, &config)
        .unrecorded()
        .await?;
    Ok(arn)
}

pub async fn demo_attack(s3: &S3) -> Result<usize, S3Error> {
    for host in 1..=STORM_HOSTS {
        s3.delete_object(STORM_BUCKET, &format!("host-{host:02}/nightly.tar"))
            .unrecorded()
            .await?;
    }
    Ok(STORM_HOSTS)
}
