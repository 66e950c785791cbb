//! `report --checkpoint FILE` against what can be at that path or happen to its disk: a FIFO or
//! a link to `/dev/zero` is refused at once (no hang, nothing read to a cap); a disk that takes
//! no more (a file-size limit, as a full disk answers) never withholds a finished report — it
//! is printed, the failed save is said once on standard error, and the exit code is 1.

use super::completeness::{Fault, server};
use super::hostile::lockwatch;
use crate::support;
use std::time::{Duration, Instant};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_fifo_or_a_link_to_a_device_at_the_checkpoint_is_refused_at_once() {
    let server = server(Fault::None);
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("fifo.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
    for (path, why) in [(&fifo, "not a regular file"), (&zero, "symbolic link")] {
        let started = Instant::now();
        let out = lockwatch(
            &server.endpoint,
            &[
                "report",
                "s3://bup/",
                "--format",
                "csv",
                "--checkpoint",
                &path.to_string_lossy(),
            ],
            Duration::from_secs(30),
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(started.elapsed() < Duration::from_secs(20));
        // Not one version was listed or read.
        assert_eq!(server.count(|r| r.method == "HEAD"), 0);
    }
}

/// The report with a checkpoint, in a shell whose file-size limit is one block (what a full
/// disk answers a write: an error), with SIGXFSZ ignored so that the write fails instead of
/// killing lockwatch.
fn report_on_a_full_disk(fault: Fault, extra: &[&str]) -> std::process::Output {
    let server = server(fault);
    let dir = tempfile::tempdir().expect("dir");
    let home = tempfile::tempdir().expect("home");
    let checkpoint = dir.path().join("report.json");
    let mut command = vec![
        env!("CARGO_BIN_EXE_lockwatch").to_string(),
        "report".into(),
        "s3://bup/".into(),
        "--format".into(),
        "json".into(),
        "--checkpoint".into(),
        checkpoint.to_string_lossy().into_owned(),
    ];
    command.extend(extra.iter().map(|a| a.to_string()));
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -f 1; trap '' XFSZ; exec \"$@\"")
        .arg("bash")
        .args(&command)
        .env_clear()
        .envs(support::binary_env(&server.endpoint, home.path()))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run lockwatch");
    // Nothing but the lock file and the temporary file of the failed save.
    assert!(!checkpoint.exists() || std::fs::metadata(&checkpoint).expect("meta").len() <= 512);
    out
}

#[test]
fn a_finished_report_whose_checkpoint_cannot_be_saved_is_printed_with_a_warning() {
    let out = report_on_a_full_disk(Fault::None, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the report");
    assert_eq!(json["versions"], 48, "{json}");
    assert!(
        stderr.contains("warning: cannot save the checkpoint")
            && stderr.contains("the report is whole"),
        "{stderr}"
    );
}

#[test]
fn a_periodic_save_that_fails_is_said_once() {
    // 48 HEADs of 300 ms one at a time: about 15 s, two or three periodic saves.
    let out = report_on_a_full_disk(Fault::SlowHeads, &["--concurrency", "1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("a run cut now could not be resumed").count(),
        1,
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the report");
    assert_eq!(json["versions"], 48, "{json}");
}
