//! Fills a bucket with a described shape of keys, versions and delete markers, many requests
//! at a time. Used by the large-listing test and by the benchmark (tests/bench/populate.rs).

use lockwatch::s3::{PutOptions, S3};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Semaphore;

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Distinct keys, spread over `folders` top-level folders.
    pub keys: u64,
    pub folders: u64,
    /// Versions of each key (every key gets this many).
    pub versions_per_key: u64,
    /// Every n-th key gets a delete marker on top (0: none).
    pub marker_every: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Shape {
    pub fn versions(&self) -> u64 {
        self.keys * self.versions_per_key
    }

    pub fn markers(&self) -> u64 {
        self.keys.checked_div(self.marker_every).unwrap_or(0)
    }
}

/// The key with index `i`: `f007/backup-0000123.dat`.
pub fn key(shape: &Shape, i: u64) -> String {
    format!("f{:03}/backup-{i:07}.dat", i % shape.folders.max(1))
}

/// Writes `shape` into `bucket` (which must exist, versioned). Calls `progress(done)` now and
/// then with the number of requests done.
pub async fn populate(
    s3: &S3,
    bucket: &str,
    shape: Shape,
    progress: impl Fn(u64) + Send + Sync + 'static,
) {
    let permits = Arc::new(Semaphore::new(shape.concurrency.max(1)));
    let done = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..shape.keys {
        let permit = match permits.clone().acquire_owned().await {
            Ok(p) => p,
            Err(e) => panic!("semaphore closed: {e}"),
        };
        let (s3, bucket, done, progress) = (
            s3.clone(),
            bucket.to_string(),
            done.clone(),
            progress.clone(),
        );
        let key = key(&shape, i);
        let marker = shape.marker_every > 0 && i % shape.marker_every == 0;
        tasks.spawn(async move {
            let _permit = permit;
            for v in 0..shape.versions_per_key {
                let body = format!("{key} version {v}\n").into_bytes();
                if let Err(e) = s3
                    .put_bytes(&bucket, &key, body, &PutOptions::default())
                    .unrecorded()
                    .await
                {
                    panic!("upload {key}: {e}");
                }
            }
            if marker && let Err(e) = s3.delete_object(&bucket, &key).unrecorded().await {
                panic!("delete {key}: {e}");
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 1000 == 0 {
                progress(n);
            }
        });
        // Reap finished tasks as we go so the set stays small.
        while let Some(joined) = tasks.try_join_next() {
            reraise(joined);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        reraise(joined);
    }
}

fn reraise(joined: Result<(), tokio::task::JoinError>) {
    match joined {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("an upload task ended: {e}"),
    }
}
