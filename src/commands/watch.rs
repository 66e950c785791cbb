//! `lockwatch watch` and `lockwatch check`.

use super::*;
use crate::cli::{CheckArgs, JudgeArgs, WatchArgs};
use crate::domain::watch::status::Status;
use crate::domain::watch::storm::Thresholds;
use crate::watch::alert::{Command as AlertCommand, Sinks};
use crate::watch::{Settings, WatchStatus, Watched, state};

fn settings(judge: &JudgeArgs, endpoint: &str, interval_seconds: u64) -> Settings {
    Settings {
        endpoint: endpoint.to_string(),
        thresholds: Thresholds::new(judge.storm, judge.storm_factor),
        accept: judge.accept,
        no_listing: judge.no_listing,
        interval_seconds,
        locks_every: judge.locks_every,
        horizon_days: judge.expiring,
        max_keys: judge.max_keys,
    }
}

fn state_base(judge: &JudgeArgs) -> Result<PathBuf, String> {
    judge
        .state_dir
        .clone()
        .or_else(state::default_base)
        .ok_or_else(|| "no state folder is known for this user: give --state-dir".to_string())
}

/// `lockwatch watch`: runs until interrupted (exit 0), or one interval with `--once` (exit 1
/// when something could not be read); 2 when it could not start.
pub(super) async fn watch(
    cli: &Cli,
    config: &Config,
    args: &WatchArgs,
    console: &mut Console<'_>,
) -> Exit {
    let command = match args
        .on_alert
        .as_deref()
        .map(AlertCommand::parse)
        .transpose()
    {
        Ok(c) => c,
        Err(e) => {
            say!(console, "lockwatch: --on-alert: {}", shown(&e));
            return Exit::CouldNotStart;
        }
    };
    let base = match state_base(&args.judge) {
        Ok(b) => b,
        Err(e) => {
            say!(console, "lockwatch: {e}");
            return Exit::CouldNotStart;
        }
    };
    let connection = match connect_for_command(cli, config, console).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let endpoint = connection.info.endpoint.clone();
    let mut watched = Vec::new();
    for location in &args.locations {
        match Watched::open(&base, "watch", &endpoint, location) {
            Ok(w) => watched.push(w),
            Err(e) => {
                say!(console, "lockwatch: {}", shown(&e));
                return Exit::CouldNotStart;
            }
        }
    }
    let mut settings = settings(
        &args.judge,
        &endpoint,
        if args.once { 0 } else { args.interval },
    );
    let shared = crate::watch::serve::Shared {
        locations: std::sync::Arc::new(std::sync::Mutex::new(
            watched.iter().map(|w| w.metrics.clone()).collect(),
        )),
        started: jiff::Timestamp::now().as_millisecond() as f64 / 1000.0,
    };
    let _server = match args.metrics {
        Some(addr) => match crate::watch::serve::start(addr, shared.clone()).await {
            Ok((bound, task)) => {
                say!(console, "lockwatch: metrics at http://{bound}/metrics");
                Some(AbortOnDrop(task))
            }
            Err(e) => {
                say!(console, "lockwatch: cannot serve metrics on {addr}: {e}");
                return Exit::CouldNotStart;
            }
        },
        None => None,
    };
    let sinks = Sinks::new(
        args.events.clone(),
        console.out_is_terminal && !args.json,
        command,
    );
    say!(
        console,
        "lockwatch: watching {} location{} on {}{}",
        watched.len(),
        if watched.len() == 1 { "" } else { "s" },
        shown(&endpoint),
        if args.once {
            ", once".to_string()
        } else {
            format!(", every {} s", args.interval)
        }
    );
    let mut stop = std::pin::pin!(shutdown());
    loop {
        let started = tokio::time::Instant::now();
        let mut failing = false;
        for (i, w) in watched.iter_mut().enumerate() {
            let events = tokio::select! {
                events = w.interval(&connection.s3, &settings) => events,
                () = &mut stop => return Exit::Done,
            };
            failing |= w.status.failing.is_some();
            if let Err(e) = w.save() {
                say!(console, "lockwatch: {}", shown(&e));
                failing = true;
            }
            shared.set(i, w.metrics.clone());
            let Console { out, err, .. } = &mut *console;
            if let Err(e) = sinks.send(&events, &mut **out, &mut **err) {
                say!(console, "lockwatch: {}", shown(&e));
                failing = true;
            }
        }
        if args.once {
            return if failing { Exit::Partly } else { Exit::Done };
        }
        // --accept takes the posture of the first look only: a watcher left running with it
        // must still alert on what weakens afterwards.
        settings.accept = false;
        let next = started + std::time::Duration::from_secs(args.interval);
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = &mut stop => return Exit::Done,
        }
    }
}

/// Aborts the metrics server when the watcher ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves at Ctrl-C or SIGTERM (what systemd sends to stop a service).
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

fn expiry(args: &CheckArgs, s3: &crate::s3::S3) -> crate::watch::Expiry {
    crate::watch::Expiry {
        warning: args.warning,
        critical: args.critical,
        now: s3.server_now().as_second(),
    }
}

/// `lockwatch check`: the Monitoring Plugins status line on standard output, the status as
/// the exit code.
pub(super) async fn check(
    cli: &Cli,
    config: &Config,
    args: &CheckArgs,
    console: &mut Console<'_>,
) -> Exit {
    let unknown = |console: &mut Console<'_>, why: &str| {
        let _ = write!(
            console.out,
            "{}",
            crate::domain::watch::status::render(Status::Unknown, why, &[], &[])
        );
        Exit::Status(Status::Unknown.code())
    };
    let base = match state_base(&args.judge) {
        Ok(b) => b,
        Err(e) => return unknown(console, &e),
    };
    let connection = match connect(cli, config, console).await {
        Ok(c) => c,
        Err(e) => {
            let _ = write!(
                console.out,
                "{}",
                crate::domain::watch::status::render(
                    Status::Critical,
                    &format!("cannot connect: {e}"),
                    &[],
                    &[]
                )
            );
            return Exit::Status(Status::Critical.code());
        }
    };
    let endpoint = connection.info.endpoint.clone();
    let location = &args.location;
    let watcher = state::folder(
        &base,
        "watch",
        &endpoint,
        &location.bucket,
        &location.prefix,
    );
    let kept = if args.standalone {
        None
    } else {
        match state::load::<WatchStatus>(&watcher.join("status.json")) {
            Ok(kept) => kept,
            Err(e) => return unknown(console, &e),
        }
    };
    // A running watcher keeps the baseline: accepting is its to do.
    if args.judge.accept && kept.is_some() && state::held(&watcher) == Some(true) {
        return unknown(
            console,
            "a running watcher keeps this location's baseline: restart it with --accept once (lockwatch watch --accept …), or check with --standalone",
        );
    }
    let (status, text) = match kept {
        // A watcher keeps this location: its status says, and whether it runs.
        Some(kept) => {
            // How long ago the watcher last wrote its status, by this machine's clock (the
            // file's time): no request is sent.
            let age = std::fs::metadata(watcher.join("status.json"))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map(|d| d.as_secs());
            let stale = if kept.interval_seconds == 0 {
                // Kept by `watch --once` (from cron): not running is its normal; late only
                // when --max-age says so.
                match (args.max_age, age) {
                    (Some(max), Some(a)) if a > max => Some(format!(
                        "the last look at this location (watch --once) is {a} s old (more than {max} s)"
                    )),
                    _ => None,
                }
            } else if state::held(&watcher) != Some(true) {
                Some(format!(
                    "the watcher of this location is not running (its last interval ended {}); start it again, or check with --standalone",
                    kept.updated_at
                ))
            } else {
                let max_age = args
                    .max_age
                    .unwrap_or(kept.interval_seconds.saturating_mul(3).saturating_add(60));
                match age {
                    Some(a) if a <= max_age => None,
                    Some(a) => Some(format!(
                        "the watcher has not finished an interval for {a} s (more than {max_age} s)"
                    )),
                    None => Some("the watcher has not finished an interval yet".to_string()),
                }
            };
            crate::watch::report(&kept, stale, expiry(args, &connection.s3))
        }
        None => {
            let mut watched = match Watched::open(&base, "check", &endpoint, location) {
                Ok(w) => w,
                Err(e) => return unknown(console, &e),
            };
            let settings = settings(&args.judge, &endpoint, 0);
            let _ = watched.interval(&connection.s3, &settings).await;
            if let Err(e) = watched.save() {
                return unknown(console, &e);
            }
            crate::watch::report(&watched.status, None, expiry(args, &connection.s3))
        }
    };
    let _ = write!(console.out, "{text}");
    Exit::Status(status.code())
}
