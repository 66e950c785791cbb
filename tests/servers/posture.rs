//! The recovery window lockwatch computes, held against what a real server's lifecycle does:
//! a Ceph RGW of its own runs lifecycle on a scaled clock (`rgw lc debug interval = 5`: a
//! "day" is 5 seconds), and the versions it deletes must be exactly those lockwatch said the
//! rule would take — and no others.

use crate::support;

use lockwatch::domain::posture::recovery_window;
use lockwatch::s3::PutOptions;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A Ceph RGW whose lifecycle day lasts 5 seconds.
fn scaled_ceph() -> &'static support::ceph::Ceph {
    static CEPH: OnceLock<support::ceph::Ceph> = OnceLock::new();
    CEPH.get_or_init(|| {
        let start = || {
            support::ceph::start_with(
                // With a debug interval, RGW's lifecycle works at any hour.
                "rgw lc debug interval = 5\n",
                support::free_port(),
            )
        };
        match std::thread::spawn(start).join() {
            Ok(ceph) => ceph,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[test]
fn cephs_lifecycle_deletes_what_the_recovery_window_said_and_nothing_else() {
    let ceph = scaled_ceph();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let s3 = support::client(&ceph.endpoint).await;
        let bucket = support::bucket::bucket("lc").versioned().on(&s3).await;
        for key in ["weekly/a.tar", "daily/b.tar"] {
            for n in 1..=2 {
                s3.put_bytes(
                    &bucket,
                    key,
                    format!("{key} {n}").into_bytes(),
                    &PutOptions::default(),
                )
                .unrecorded()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e}"));
            }
        }
        s3.expire_noncurrent_versions(&bucket, "weekly-1-day", "weekly/", 1)
            .unrecorded()
            .await
            .expect("put lifecycle");

        // lockwatch's prediction, from what the server reports.
        let window = recovery_window(&s3.bucket_posture(&bucket).await);
        assert_eq!(window.at_least_days, Some(1), "{window:?}");
        assert!(
            window.sentence.contains("prefix weekly/"),
            "{}",
            window.sentence
        );

        // Wait for Ceph's lifecycle (a few scaled days), asking it to run as its admins would.
        let conf = ceph.dir.join("ceph.conf").to_string_lossy().into_owned();
        let deadline = Instant::now() + Duration::from_secs(240);
        let versions = |key: &'static str| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.key_history(&bucket, key)
                    .await
                    .expect("history")
                    .iter()
                    .filter(|e| !e.is_delete_marker())
                    .count()
            }
        };
        loop {
            if versions("weekly/a.tar").await == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Ceph's lifecycle did not remove the noncurrent version of weekly/a.tar in 240 s"
            );
            tokio::time::sleep(Duration::from_secs(5)).await;
            let conf = conf.clone();
            let _ = tokio::task::spawn_blocking(move || {
                std::process::Command::new("radosgw-admin")
                    .args(["-c", &conf, "lc", "process"])
                    .output()
            })
            .await;
        }
        // The current version under the rule stays; outside the rule nothing was deleted.
        let current = s3
            .key_history(&bucket, "weekly/a.tar")
            .await
            .expect("history");
        assert!(
            current[0].is_latest && !current[0].is_delete_marker(),
            "{current:?}"
        );
        assert_eq!(
            versions("daily/b.tar").await,
            2,
            "outside the rule's prefix"
        );
    });
}
