//! Test servers that die with the test binary. PR_SET_PDEATHSIG fires when the thread that
//! spawned a process ends, so every server is spawned by one thread that lives as long as the
//! process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

type Request = (Command, Sender<Result<Arc<Mutex<Child>>, String>>);

fn keeper() -> &'static Mutex<Sender<Request>> {
    static KEEPER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();
    KEEPER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::spawn(move || {
            let mut children = Vec::new();
            for (mut command, reply) in rx {
                die_with_the_tests(&mut command);
                let spawned = command
                    .spawn()
                    .map(|c| Arc::new(Mutex::new(c)))
                    .map_err(|e| e.to_string());
                if let Ok(child) = &spawned {
                    children.push(child.clone());
                }
                let _ = reply.send(spawned);
            }
            // The sender lives in a static, so this thread never gets here.
            loop {
                std::thread::park();
            }
        });
        Mutex::new(tx)
    })
}

/// Starts `program args…` with output appended to `log`, tied to the life of the test binary.
pub fn spawn(program: &Path, args: &[String], log: &Path) -> Arc<Mutex<Child>> {
    spawn_with_env(program, args, &[], log)
}

/// `spawn`, with variables added to the environment.
pub fn spawn_with_env(
    program: &Path,
    args: &[String],
    env: &[(&str, &str)],
    log: &Path,
) -> Arc<Mutex<Child>> {
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()))
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(open())
        .stderr(open());
    let (reply_tx, reply_rx) = channel();
    let sent = keeper()
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|k| k.send((command, reply_tx)).map_err(|e| e.to_string()));
    if let Err(e) = sent {
        panic!("cannot reach the process keeper: {e}");
    }
    match reply_rx.recv() {
        Ok(Ok(child)) => child,
        Ok(Err(e)) => panic!("cannot start {}: {e}", program.display()),
        Err(e) => panic!("cannot start {}: {e}", program.display()),
    }
}

/// Fails with the log when the process has already exited.
pub fn check_alive(child: &Mutex<Child>, what: &str, log: &Path) {
    if let Ok(Some(status)) = child.lock().map(|mut c| c.try_wait()).unwrap_or(Ok(None)) {
        panic!(
            "{what} exited at start ({status}).\nLast log lines:\n{}",
            log_tail(log)
        );
    }
}

pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(30).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Waits until the S3 endpoint answers ListBuckets with the test keys.
pub fn wait_for_s3(
    endpoint: &str,
    what: &str,
    log: &Path,
    child: &Mutex<Child>,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a runtime: {e}"));
    let mut last_error = String::from("no attempt");
    while Instant::now() < deadline {
        check_alive(child, what, log);
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
        "{what} did not answer S3 requests at {endpoint} within {timeout:?} (last error: {last_error}).\nLast log lines:\n{}",
        log_tail(log)
    );
}

/// Runs a set-up command to completion; fails with its output when it does not succeed.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    if !out.status.success() {
        panic!(
            "{program} {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Finds `name` on PATH.
pub fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.exists())
}

/// A fresh directory `NAME-PID` in the temporary directory for this test binary's server.
/// Directories that earlier runs left (their process is gone) are removed first: a Ceph
/// monitor's store alone is 40 MB a run.
pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let tmp = std::env::temp_dir();
    let prefix = format!("{name}-");
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(pid) = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A server the tests start is killed when they end, however they end (PR_SET_PDEATHSIG, set
/// in the child between fork and exec). The one unsafe block of the workspace: test support,
/// never lockwatch's code, whose crates forbid unsafe code outright.
#[allow(unsafe_code)]
fn die_with_the_tests(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl(2) is async-signal-safe and touches no memory shared with the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// A child process killed and reaped however the test holding it ends.
pub struct Stopped(pub std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
