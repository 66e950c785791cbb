//! The built-in sandbox: seeded for `--demo`, or served alone by `lockwatch sandbox`.

use super::*;

/// The keys a sandbox accepts.
pub(super) struct Keys {
    pub access_key: String,
    pub secret_key: String,
}

impl Keys {
    /// The sandbox's documented keys (`lockwatch sandbox` without `--access-key`).
    pub fn documented() -> Keys {
        Keys {
            access_key: sandbox::ACCESS_KEY.into(),
            secret_key: sandbox::SECRET_KEY.into(),
        }
    }

    /// `--demo`'s keys: the documented access key with a secret of this run only, so that
    /// no other user of this machine can change what the demonstration shows while it is
    /// shown (lockwatch configures its own client; nobody else needs the secret).
    pub fn of_this_run() -> Result<Keys, String> {
        use std::io::Read;
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| format!("cannot make a secret for the sandbox (/dev/urandom): {e}"))?;
        Ok(Keys {
            access_key: sandbox::ACCESS_KEY.into(),
            secret_key: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// Starts the sandbox with the default memory caps and seeds it.
pub(super) async fn seeded_sandbox(
    port: u16,
    keys: &Keys,
) -> Result<(Sandbox, Connection), String> {
    started_sandbox(port, keys, sandbox::store::Limits::default(), true).await
}

/// Starts the sandbox and, with `seed`, seeds it through lockwatch's own S3 layer, as any
/// client would.
async fn started_sandbox(
    port: u16,
    keys: &Keys,
    limits: sandbox::store::Limits,
    seed: bool,
) -> Result<(Sandbox, Connection), String> {
    let sandbox = sandbox::start_with_keys(port, limits, &keys.access_key, &keys.secret_key)
        .await
        .map_err(|e| format!("cannot start the sandbox on 127.0.0.1:{port}: {e}"))?;
    let options = ConnectOptions {
        endpoint_url: Some(sandbox.endpoint.clone()),
        region: Some(sandbox::REGION.into()),
        path_style: PathStyle::Auto,
        static_credentials: Some(StaticCredentials {
            access_key_id: keys.access_key.clone(),
            secret_access_key: keys.secret_key.clone(),
        }),
        ..ConnectOptions::default()
    };
    let mut connection = crate::s3::connect(&options)
        .await
        .map_err(|e| format!("cannot connect to the sandbox: {e}"))?;
    crate::audit::here(&mut connection.info.actor);
    connection.info.credentials_source = "the built-in sandbox".into();
    connection.info.sandbox = true;
    connection.info.endpoint = format!("{} (built-in sandbox, in memory)", sandbox.endpoint);
    if seed {
        crate::seed::seed_demo(&connection.s3, jiff::Timestamp::now())
            .await
            .map_err(|e| format!("seeding the sandbox failed: {e}"))?;
    }
    Ok((sandbox, connection))
}

pub(super) async fn serve_sandbox(
    port: u16,
    keys: Keys,
    limits: sandbox::store::Limits,
    seed: bool,
    console: &mut Console<'_>,
) -> Exit {
    let (sandbox, _connection) = match started_sandbox(port, &keys, limits, seed).await {
        Ok(s) => s,
        Err(e) => {
            say!(console, "lockwatch: {}", shown(&e));
            return Exit::Partly;
        }
    };
    let _ = writeln!(
        console.out,
        "# lockwatch sandbox: in memory (at most {}, objects of at most {}), on 127.0.0.1 only; Ctrl-C stops it.",
        lockwatch_core::domain::format::size(limits.max_total_bytes),
        lockwatch_core::domain::format::size(limits.max_object_bytes),
    );
    let _ = writeln!(console.out, "export AWS_ENDPOINT_URL={}", sandbox.endpoint);
    let _ = writeln!(console.out, "export AWS_ACCESS_KEY_ID={}", keys.access_key);
    let _ = writeln!(
        console.out,
        "export AWS_SECRET_ACCESS_KEY={}",
        keys.secret_key
    );
    let _ = writeln!(console.out, "export AWS_REGION={}", sandbox::REGION);
    if seed {
        let _ = writeln!(
            console.out,
            "# Try: aws s3api list-object-versions --bucket bup"
        );
    }
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        say!(console, "lockwatch: cannot listen for signals");
        return Exit::Partly;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
    drop(sandbox);
    Exit::Done
}

/// `--demo`'s watcher: the demonstration buckets watched every 2 seconds (state in `dir`,
/// read by the UI), and the attack on `bup-nightly` 8 seconds in, after the first look, so
/// that the watcher sees a deletion storm. No lock count: the demo's one-day retentions would
/// be flagged at once and hide the storm.
pub(super) fn watch_demo(
    s3: crate::s3::S3,
    endpoint: String,
    dir: PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut watched = Vec::new();
        for bucket in ["bup", "bup-governance", crate::seed::STORM_BUCKET] {
            let location = crate::domain::location::S3Location {
                bucket: bucket.to_string(),
                prefix: String::new(),
            };
            match crate::watch::Watched::open(&dir, "watch", &endpoint, &location) {
                Ok(w) => watched.push(w),
                Err(e) => {
                    tracing::warn!(error = %e, "the demo's watcher cannot keep its state");
                    return;
                }
            }
        }
        let settings = crate::watch::Settings {
            endpoint: endpoint.clone(),
            thresholds: crate::domain::watch::storm::Thresholds::new(40, 10.0),
            accept: false,
            no_listing: false,
            interval_seconds: 2,
            locks_every: 0,
            horizon_days: 7,
            max_keys: None,
            notifications: false,
            stopping: Default::default(),
        };
        // bup-nightly is watched by its notifications, as the sandbox sends them.
        let storm = watched.len() - 1;
        let mut listener = None;
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let name = crate::watch::notify::names(watched[storm].dir.dir());
        let place = crate::watch::notify::Place {
            bucket: crate::seed::STORM_BUCKET.to_string(),
            prefix: String::new(),
            id: name.clone(),
        };
        match crate::watch::notify::listen(address, vec![place], settings.thresholds.count).await {
            Ok(l) => {
                let push = format!("http://{}{}", l.bound, l.path());
                match crate::seed::demo_notifications(&s3, &name, &push).await {
                    Ok(topic_arn) => {
                        watched[storm].made = Some(crate::watch::notify::Made {
                            bucket: crate::seed::STORM_BUCKET.to_string(),
                            prefix: String::new(),
                            id: name.clone(),
                            topic: name,
                            topic_arn,
                        });
                        listener = Some(l);
                    }
                    Err(e) => tracing::warn!(error = %e, "the demo's notifications are not set up"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "the demo's watcher cannot receive notifications"),
        }
        let mut notices = listener.as_mut().and_then(|l| l.notices.take());
        let by_notices = crate::watch::Settings {
            notifications: true,
            ..settings.clone()
        };
        let started = std::time::Instant::now();
        let mut attacked = false;
        loop {
            if let Some(rx) = notices.as_mut() {
                while let Ok((_, n)) = rx.try_recv() {
                    watched[storm].pending.push(n);
                }
            }
            for w in &mut watched {
                let chosen = if w.made.is_some() {
                    &by_notices
                } else {
                    &settings
                };
                w.interval(&s3, chosen).await;
                let _ = w.save();
            }
            if !attacked && started.elapsed() >= std::time::Duration::from_secs(8) {
                attacked = true;
                if let Err(e) = crate::seed::demo_attack(&s3).await {
                    tracing::warn!(error = %e, "the demo's attack failed");
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    })
}

/// The demo watcher's state: `~/.local/state/lockwatch/demo/PID/`, 0700, removed when
/// dropped. A demo killed before it could remove its folder leaves it for the next demo, which
/// removes every folder there whose process is gone (two demos at once keep their own). A link
/// put at a name is removed, never followed.
pub(super) struct DemoState(pub PathBuf);

impl DemoState {
    pub(super) fn create() -> std::io::Result<DemoState> {
        use std::os::unix::fs::DirBuilderExt;
        let demos = crate::watch::state::default_base()
            .ok_or_else(|| std::io::Error::other("no state folder is known for this user"))?
            .join("demo");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&demos)?;
        for entry in std::fs::read_dir(&demos)?.flatten() {
            let gone = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
                .is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
            if gone {
                let path = entry.path();
                let _ = match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                    _ => std::fs::remove_file(&path),
                };
            }
        }
        let dir = demos.join(std::process::id().to_string());
        // Not recursive: a name someone else made (or a link put there) is refused.
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(DemoState(dir))
    }
}

impl Drop for DemoState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
