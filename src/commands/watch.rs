//! `lockwatch watch` and `lockwatch check`.

use super::*;
use crate::cli::{CheckArgs, JudgeArgs, WatchArgs};
use crate::domain::watch::status::Status;
use crate::domain::watch::storm::Thresholds;
use crate::watch::alert::{Command as AlertCommand, Sinks};
use crate::watch::{Settings, WatchStatus, Watched, notify, state};

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
        notifications: false,
        stopping: Default::default(),
    }
}

/// The state folder: `--state-dir` after the command, or before it (where the UI takes it).
fn state_base(cli: &Cli, judge: &JudgeArgs) -> Result<PathBuf, String> {
    judge
        .state_dir
        .clone()
        .or_else(|| cli.state_dir.clone())
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
    let base = match state_base(cli, &args.judge) {
        Ok(b) => b,
        Err(e) => {
            say!(console, "lockwatch: {e}");
            return Exit::CouldNotStart;
        }
    };
    let mut connection = match connect_for_command(cli, config, console).await {
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
    settings.notifications = args.notifications;
    let stopping = settings.stopping.clone();
    // Bucket notifications: the listener first (its address goes into the topic), then the
    // set-up, asked for.
    let mut listener = None;
    if args.notifications {
        let located = watched
            .iter()
            .map(|w| notify::Place {
                bucket: w.location.bucket.clone(),
                prefix: w.location.prefix.clone(),
                id: notify::names(w.dir.dir()),
            })
            .collect();
        let l = match notify::listen(args.listen, located, settings.thresholds.count).await {
            Ok(l) => l,
            Err(e) => {
                say!(
                    console,
                    "lockwatch: cannot receive notifications on {}: {e}",
                    args.listen
                );
                return Exit::CouldNotStart;
            }
        };
        let base = args
            .push_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", l.bound));
        let push = format!("{}{}", base.trim_end_matches('/'), l.path());
        if let Err(code) =
            set_up_notifications(args, &mut connection, &mut watched, &push, &base, console).await
        {
            return code;
        }
        say!(
            console,
            "lockwatch: receiving notifications at {}/lockwatch/… (listening on {})",
            shown(&base.trim_end_matches('/')),
            l.bound
        );
        listener = Some(l);
    }
    let shared = crate::watch::serve::Shared {
        locations: std::sync::Arc::new(std::sync::Mutex::new(
            watched.iter().map(|w| w.metrics.clone()).collect(),
        )),
        started: jiff::Timestamp::now().as_millisecond() as f64 / 1000.0,
        listener: listener.as_ref().map(|l| l.counters.clone()),
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
    let mut notices = listener.as_mut().and_then(|l| l.notices.take());
    let counters = listener.as_ref().map(|l| l.counters.clone());
    let exit = 'watching: loop {
        let started = tokio::time::Instant::now();
        // The notices received so far, to the locations they are of.
        if let Some(rx) = notices.as_mut() {
            while let Ok((i, n)) = rx.try_recv() {
                if let Some(w) = watched.get_mut(i) {
                    w.pending.push(n);
                }
            }
        }
        if let Some(c) = &counters {
            c.destructive.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        let mut failing = false;
        let mut stopped = false;
        for (i, w) in watched.iter_mut().enumerate() {
            let events = {
                let mut look = std::pin::pin!(w.interval(&connection.s3, &settings));
                tokio::select! {
                    events = &mut look => events,
                    () = &mut stop => {
                        // A listing under way stops at the next key, keeping what it listed
                        // for the next run; a look that ends within GRACE is kept and said,
                        // one that does not is dropped whole (its checkpoint stays).
                        stopping.set();
                        stopped = true;
                        match tokio::time::timeout(GRACE, &mut look).await {
                            Ok(events) => events,
                            Err(_) => break 'watching Exit::Done,
                        }
                    }
                }
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
            if stopped {
                break 'watching Exit::Done;
            }
        }
        if args.once {
            break if failing { Exit::Partly } else { Exit::Done };
        }
        // --accept takes the posture of the first look only: a watcher left running with it
        // must still alert on what weakens afterwards.
        settings.accept = false;
        let next = started + std::time::Duration::from_secs(args.interval);
        // Notices past the storm threshold bring the next look forward (at most one look
        // every EARLIEST seconds).
        let earliest = started + EARLIEST;
        let mut early = false;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next) => break,
                () = &mut stop => break 'watching Exit::Done,
                Some((i, n)) = next_notice(&mut notices) => {
                    if let Some(w) = watched.get_mut(i) {
                        w.pending.push(n);
                    }
                }
                () = woken(counters.as_deref()) => early = true,
                () = tokio::time::sleep_until(earliest), if early => break,
            }
        }
    };
    drop(notices);
    tear_down_notifications(&connection, &watched, console).await;
    exit
}

/// How long a look under way may take to end once the watcher is asked to stop.
const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The soonest a look follows the last when notices bring it forward.
const EARLIEST: std::time::Duration = std::time::Duration::from_secs(10);

async fn next_notice(
    rx: &mut Option<tokio::sync::mpsc::Receiver<(usize, crate::domain::watch::notice::Notice)>>,
) -> Option<(usize, crate::domain::watch::notice::Notice)> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn woken(counters: Option<&notify::Counters>) {
    match counters {
        Some(c) => c.wake.notified().await,
        None => std::future::pending().await,
    }
}

/// The audit trail of the watcher's own writes (the notification set-up).
fn trail(connection: &crate::s3::Connection, console: &Console<'_>) -> crate::audit::Trail {
    crate::audit::Trail::new(
        console.audit_path.clone(),
        &connection.info.endpoint,
        connection.info.actor.clone(),
        |e| eprintln!("lockwatch: warning: cannot write the audit trail: {e}"),
    )
}

/// Says what `--notifications` will write, asks (unless --yes), and sets it up for each
/// location; on a failure, removes what was made and says why.
async fn set_up_notifications(
    args: &WatchArgs,
    connection: &mut crate::s3::Connection,
    watched: &mut [Watched],
    push: &str,
    base: &str,
    console: &mut Console<'_>,
) -> Result<(), Exit> {
    if connection.info.read_only {
        say!(
            console,
            "lockwatch: --notifications writes a topic and each bucket's notification configuration, and this connection is read-only{}",
            connection
                .info
                .read_only_because
                .as_deref()
                .map_or(String::new(), |w| format!(" ({w})"))
        );
        return Err(Exit::CouldNotStart);
    }
    say!(
        console,
        "lockwatch watch --notifications writes, and removes on exit:"
    );
    for w in watched.iter() {
        let name = notify::names(w.dir.dir());
        say!(
            console,
            "  s3://{}/{}\n    topic {name}\n      posting to {}/lockwatch/… (a secret path)\n    topic configuration {name}\n      in the bucket's notification configuration (the others kept),\n      for {}",
            shown(&w.location.bucket),
            shown(&w.location.prefix),
            shown(&base.trim_end_matches('/')),
            notify::EVENTS.join(" and ")
        );
    }
    say!(
        console,
        "Ceph RGW 16.2 (Pacific) aborts at a multi-object delete (DeleteObjects) in a\nbucket with notifications (measured on 16.2.15): do not set them up there."
    );
    if !args.yes {
        if !console.input_is_terminal {
            say!(
                console,
                "lockwatch: standard input is not a terminal, so lockwatch cannot ask before writing: pass --yes to set up --notifications"
            );
            return Err(Exit::CouldNotStart);
        }
        let _ = write!(
            console.err,
            "Type 'notify' to set this up (anything else cancels): "
        );
        let mut line = String::new();
        if console.input.read_line(&mut line).is_err() || line.trim() != "notify" {
            say!(console, "Not confirmed: nothing was written.");
            return Err(Exit::CouldNotStart);
        }
    }
    learn_identity(connection).await;
    let trail = trail(connection, console);
    for i in 0..watched.len() {
        let w = &watched[i];
        let name = notify::names(w.dir.dir());
        match notify::set_up(
            &connection.s3,
            &trail,
            &w.location.bucket,
            &w.location.prefix,
            &name,
            push,
        )
        .await
        {
            Ok(made) => {
                if let Err(e) = w.dir.save("notifications.json", &made) {
                    say!(console, "lockwatch: {}", shown(&e));
                }
                watched[i].made = Some(made);
            }
            Err(e) => {
                say!(
                    console,
                    "lockwatch: cannot set up notifications: {}",
                    shown(&e)
                );
                tear_down_notifications(connection, watched, console).await;
                return Err(Exit::CouldNotStart);
            }
        }
    }
    Ok(())
}

/// Removes what `--notifications` made; what cannot be removed is said, and kept in the
/// state folder for the next start.
async fn tear_down_notifications(
    connection: &crate::s3::Connection,
    watched: &[Watched],
    console: &mut Console<'_>,
) {
    let trail = trail(connection, console);
    for w in watched {
        let Some(made) = &w.made else { continue };
        match notify::tear_down(&connection.s3, &trail, made).await {
            Ok(()) => {
                let _ = std::fs::remove_file(w.dir.path("notifications.json"));
                say!(
                    console,
                    "lockwatch: removed the notification set-up of {} ({})",
                    shown(&made.bucket),
                    made.id
                );
            }
            Err(e) => say!(
                console,
                "lockwatch: could not remove the notification set-up of {} ({}): {}; remove it with the SNS API (DeleteTopic {}) and the bucket's notification configuration",
                shown(&made.bucket),
                made.id,
                shown(&e),
                made.topic_arn
            ),
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
    let base = match state_base(cli, &args.judge) {
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
