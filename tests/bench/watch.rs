//! What the watcher's listing scan costs besides the network, at millions of versions: the
//! state it keeps on disk, the memory it holds and the time it takes to keep a scan and to
//! compare the next one with it — the same code the watcher runs (`watch::records`, the
//! core's `compare`), fed a synthetic listing in key order instead of a server's pages.
//!   cargo run --release --example watch -- [VERSIONS…]      # default 1000000 10000000
//! Each key has two versions; the second scan adds a delete marker to every 1000th key (the
//! changes a storm of 0.1% would make). Prints a Markdown table. The requests of an interval
//! against a real server are measured by tests/bench/watch.sh.

use lockwatch::domain::watch::scan::{Entry, compare};
use lockwatch::domain::watch::storm::Counts;
use lockwatch::watch::records::{Walker, Writer};
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A version id as AWS's look: 32 characters, different for every version.
fn version_id(n: u64) -> String {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
    (0..32)
        .map(|i| {
            if i % 10 == 0 {
                x = x.rotate_left(17).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            }
            let c = alphabet[(x >> ((i % 10) * 6) & 63) as usize];
            c as char
        })
        .collect()
}

/// Key `i` of the listing (in key order) and its entries; `marked` adds a delete marker.
fn key(i: u64, marked: bool) -> (String, Vec<Entry>) {
    let name = format!("backups/host-{:04}/{:08}.tar", i / 10_000, i % 10_000);
    let mut entries = Vec::new();
    if marked {
        entries.push(Entry {
            version_id: version_id(u64::MAX - i),
            marker: true,
            latest: true,
            modified: Some(1_796_000_000_000),
            lock: None,
        });
    }
    for v in 0..2 {
        entries.push(Entry {
            version_id: version_id(i * 2 + v),
            marker: false,
            latest: !marked && v == 0,
            modified: Some(1_790_000_000_000 + (i * 2 + v) as i64),
            lock: None,
        });
    }
    (name, entries)
}

fn main() {
    let sizes: Vec<u64> = {
        let given: Vec<u64> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if given.is_empty() {
            vec![1_000_000, 10_000_000]
        } else {
            given
        }
    };
    let dir = std::env::temp_dir().join(format!("lockwatch-bench-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(2);
    }
    println!(
        "| versions | state on disk | bytes a version | keep the first scan | compare the next (and keep it) | changes found | peak memory |"
    );
    println!("|---|---|---|---|---|---|---|");
    for versions in sizes {
        let keys = versions / 2;
        let _ = std::fs::remove_file(dir.join("listing.gz"));
        let started = Instant::now();
        let mut out = match Writer::create(&dir, "listing.gz") {
            Ok(w) => w,
            Err(e) => {
                eprintln!("cannot write the scan: {e}");
                std::process::exit(2);
            }
        };
        for i in 0..keys {
            let (name, entries) = key(i, false);
            if let Err(e) = out.key(&name, &entries) {
                eprintln!("cannot write the scan: {e}");
                std::process::exit(2);
            }
        }
        let bytes = out.commit().unwrap_or(0);
        let first = started.elapsed();

        let started = Instant::now();
        let mut old = match Walker::open(&dir.join("listing.gz")) {
            Ok(Some(w)) => w,
            _ => {
                eprintln!("cannot read the scan back");
                std::process::exit(2);
            }
        };
        let mut out = match Writer::create(&dir, "listing.gz") {
            Ok(w) => w,
            Err(e) => {
                eprintln!("cannot write the scan: {e}");
                std::process::exit(2);
            }
        };
        let mut counts = Counts::default();
        for i in 0..keys {
            let (name, entries) = key(i, i % 1000 == 0);
            let before = old.until(&name, &mut |_, gone| counts.add(&compare(&gone, &[])));
            counts.add(&compare(&before, &entries));
            if let Err(e) = out.key(&name, &entries) {
                eprintln!("cannot write the scan: {e}");
                std::process::exit(2);
            }
        }
        if out.commit().is_err() {
            eprintln!("cannot keep the scan");
            std::process::exit(2);
        }
        let second = started.elapsed();
        println!(
            "| {versions} | {:.1} MB | {:.1} | {:.1} s | {:.1} s | {} delete markers | {:.0} MB |",
            bytes as f64 / 1e6,
            bytes as f64 / versions as f64,
            first.as_secs_f64(),
            second.as_secs_f64(),
            counts.markers_created,
            peak_rss_mb()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
