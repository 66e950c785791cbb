//! Fills a bucket for the benchmarks (tests/bench/run.sh, tests/bench/scale.sh):
//!   cargo run --release --example populate -- BUCKET KEYS VERSIONS_PER_KEY MARKER_EVERY [FOLDERS [lock]]
//! Connects the way lockwatch does (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …), creates the bucket
//! (or writes into one of this user's already there) with versioning (and Object Lock with `lock`), and writes KEYS keys × VERSIONS_PER_KEY
//! versions spread over FOLDERS folders (default 1), with a delete marker on every
//! MARKER_EVERY-th key, 64 requests at a time.

#[path = "../support/populate.rs"]
mod populate;

use lockwatch::s3::ConnectOptions;
use std::process::ExitCode;
use std::time::Instant;

fn arg(args: &[String], i: usize, what: &str) -> Result<u64, String> {
    args.get(i)
        .ok_or_else(|| format!("missing {what}"))?
        .parse()
        .map_err(|e| format!("{what}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: populate BUCKET KEYS VERSIONS_PER_KEY MARKER_EVERY [FOLDERS [lock]]";
    let folders = match args.get(4) {
        None => 1,
        Some(f) => match f.parse::<u64>() {
            Ok(f) if f > 0 => f,
            _ => {
                eprintln!("FOLDERS: a number above 0, not {f:?}\n{usage}");
                return ExitCode::from(2);
            }
        },
    };
    let lock = match args.get(5).map(String::as_str) {
        None => false,
        Some("lock") => true,
        Some(other) => {
            eprintln!("the sixth argument is `lock` or nothing, not {other:?}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let (Some(bucket), Ok(keys), Ok(per_key), Ok(marker_every)) = (
        args.first().cloned(),
        arg(&args, 1, "KEYS"),
        arg(&args, 2, "VERSIONS_PER_KEY"),
        arg(&args, 3, "MARKER_EVERY"),
    ) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let shape = populate::Shape {
        keys,
        folders,
        versions_per_key: per_key,
        marker_every,
        concurrency: 64,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("populate: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let connection = match lockwatch::s3::connect(&ConnectOptions::default()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("populate: cannot connect: {e}");
                return ExitCode::FAILURE;
            }
        };
        let s3 = connection.s3;
        // A bucket of this user's already there is written into as it is (a second pass).
        match s3.create_bucket(&bucket, None, lock).unrecorded().await {
            Ok(()) => {}
            Err(lockwatch::s3::S3Error::Changed(_)) => {}
            Err(e) => {
                eprintln!("populate: create bucket {bucket}: {e}");
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = s3.enable_versioning(&bucket).unrecorded().await {
            eprintln!("populate: versioning on {bucket}: {e}");
            return ExitCode::FAILURE;
        }
        let started = Instant::now();
        let total = shape.keys;
        populate::populate(&s3, &bucket, shape, move |done| {
            if done % 10_000 == 0 {
                eprintln!("populate: {done} of {total} keys");
            }
        })
        .await;
        eprintln!(
            "populate: {} versions and {} delete markers in {:.1} s",
            shape.versions(),
            shape.markers(),
            started.elapsed().as_secs_f64()
        );
        ExitCode::SUCCESS
    })
}
