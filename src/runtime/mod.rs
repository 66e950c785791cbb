//! The only place that spawns: runs effects through the S3 layer, feeds results back as
//! actions, merges terminal events, signals and a once-a-second tick, and draws.

mod events;
mod executor;
mod local;
mod reads;
pub mod terminal;
mod writes;

use crate::app::{Action, AppState, Effect, StartAt, update};
use crate::audit;
use crate::keys::Keymap;
use crate::measure::Measurements;
use crate::s3::Connection;
use crate::ui::{self, Theme};
use events::{forward_signals, forward_terminal_events, forward_ticks};
use executor::{DETAIL_CONCURRENCY, Executor, LOCK_CONCURRENCY};
use jiff::Timestamp;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use terminal::{set_mouse_capture, suspend, take_terminal_back};
use tokio::sync::{Semaphore, mpsc};

/// Where a task's answers go: the run loop's queue. A send fails only once the UI has quit;
/// nothing is left to tell then.
#[derive(Clone)]
struct Reply(mpsc::UnboundedSender<Action>);

impl Reply {
    fn send(&self, action: Action) {
        let _ = self.0.send(action);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "the UI needs an interactive terminal (could not set it up: {0}). Run it in a terminal, not with redirected input or output."
    )]
    NoTerminal(std::io::Error),
    #[error("the terminal stopped working: {0}")]
    Terminal(std::io::Error),
}

/// Runs the terminal UI until the user quits or the terminal goes away. The terminal is
/// restored on every way out, including panics (ratatui's hook).
pub async fn run(
    connection: Connection,
    keymap: Keymap,
    theme: Theme,
    mouse: bool,
    start: StartAt,
    bench_report: Option<PathBuf>,
    watch_state: Option<PathBuf>,
) -> Result<(), RunError> {
    let info = &connection.info;
    tracing::info!(
        endpoint = %info.endpoint,
        region = %info.region,
        access_key = %info.access_key_masked,
        credentials = %info.credentials_source,
        read_only = info.read_only,
        "connected"
    );
    let mut terminal = terminal::init(theme.sixteen_colours).map_err(RunError::NoTerminal)?;
    if mouse {
        // A terminal that cannot report the mouse is still fully usable by keys.
        let _ = set_mouse_capture(true);
    }
    let mut measurements = bench_report.as_deref().map(Measurements::new);
    let result = run_loop(
        &mut terminal,
        connection,
        keymap,
        theme,
        mouse,
        start,
        &mut measurements,
        watch_state,
    )
    .await;
    let _ = set_mouse_capture(false);
    ratatui::restore();
    if let Some(m) = measurements
        && let Err(e) = m.write()
    {
        eprintln!("lockwatch: cannot write {}: {e}", m.path.display());
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    terminal: &mut terminal::Screen,
    connection: Connection,
    keymap: Keymap,
    theme: Theme,
    mouse: bool,
    start: StartAt,
    measurements: &mut Option<Measurements>,
    watch_state: Option<PathBuf>,
) -> Result<(), RunError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    if let Some(base) = watch_state {
        forward_watch(tx.clone(), base, connection.info.endpoint.clone());
    }
    forward_terminal_events(
        tx.clone(),
        measurements.as_ref().map(|m| m.keys_read.clone()),
    );
    forward_signals(tx.clone());
    forward_ticks(tx.clone());
    let size = terminal.size().map_err(RunError::Terminal)?;
    let mut state = AppState::new(
        keymap,
        connection.info.clone(),
        Rect::new(0, 0, size.width, size.height),
    );
    state.mouse_capture = mouse;
    let trail = {
        let tx = tx.clone();
        audit::Trail::new(
            // The sandbox's writes are a demonstration: they stay out of the user's real trail.
            if connection.info.sandbox {
                audit::sandbox_path()
            } else {
                audit::default_path()
            },
            &connection.info.endpoint,
            connection.info.actor.clone(),
            move |e| {
                let _ = tx.send(Action::AuditFailed(e));
            },
        )
    };
    // Who these credentials are, for the audit trail and the top line: asked on the side, so
    // that nothing waits for it; until it answers, entries name the key and the local user.
    {
        let (s3, trail, tx) = (connection.s3.clone(), trail.clone(), tx.clone());
        tokio::spawn(async move {
            if let Ok(Some(me)) = s3.identity().await {
                trail.identified(&me.id, me.display_name.clone());
                let _ = tx.send(Action::Identified(me));
            }
        });
    }
    let mut executor = Executor {
        s3: connection.s3,
        trail,
        tx,
        running: HashMap::new(),
        heads: Arc::new(Semaphore::new(LOCK_CONCURRENCY)),
        head_permits: LOCK_CONCURRENCY,
        bulk_cancels: HashMap::new(),
        details: Arc::new(Semaphore::new(DETAIL_CONCURRENCY)),
    };
    for effect in state.start(start) {
        if let Some(m) = measurements.as_mut() {
            m.effect_run(&effect);
        }
        executor.run(effect);
    }
    loop {
        // Retention runs on the server's clock: so does every countdown lockwatch shows.
        let offset = executor.s3.server_clock_offset();
        let whole = |o: Option<jiff::SignedDuration>| o.map(|d| d.as_secs());
        if whole(offset) != whole(state.server_clock) {
            update(&mut state, Action::ServerClock(offset), Timestamp::now());
        }
        let now = server_now(&state);
        let started = std::time::Instant::now();
        terminal
            .draw(|frame| ui::render(&state, now, &theme, frame))
            .map_err(RunError::Terminal)?;
        if let Some(m) = measurements.as_mut() {
            m.frame_drawn(started.elapsed(), state.objects.level.len());
        }
        let Some(first) = rx.recv().await else {
            return Ok(());
        };
        // Take everything already queued before drawing again: a burst of pages or keys
        // costs one frame.
        let mut pending = vec![first];
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
            if pending.len() >= 256 {
                break;
            }
        }
        let now = server_now(&state);
        for action in pending {
            let is_key = matches!(action, Action::Key(_));
            if let Some(m) = measurements.as_mut() {
                m.action_arrived(&action);
            }
            let started = std::time::Instant::now();
            let effects = update(&mut state, action, now);
            if is_key && let Some(m) = measurements.as_mut() {
                m.key_handled(started.elapsed());
            }
            for effect in effects {
                match effect {
                    Effect::Suspend => {
                        suspend(terminal, state.mouse_capture).map_err(RunError::Terminal)?
                    }
                    Effect::Redraw => take_terminal_back(terminal, state.mouse_capture)
                        .map_err(RunError::Terminal)?,
                    Effect::MouseCapture(on) => {
                        set_mouse_capture(on).map_err(RunError::Terminal)?
                    }
                    Effect::Clipboard(text) => {
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        out.write_all(terminal::osc52(&text).as_bytes())
                            .and_then(|_| out.flush())
                            .map_err(RunError::Terminal)?;
                    }
                    effect => {
                        if let Some(m) = measurements.as_mut() {
                            m.effect_run(&effect);
                        }
                        executor.run(effect)
                    }
                }
            }
            if state.quit {
                for handle in executor.running.values() {
                    handle.abort();
                }
                return Ok(());
            }
        }
    }
}

/// What the watchers of this endpoint say (`lockwatch watch`, or the demo's own), read every
/// 2 seconds from their state folders on a blocking thread, sent when it changes.
fn forward_watch(tx: mpsc::UnboundedSender<Action>, base: PathBuf, endpoint: String) {
    tokio::spawn(async move {
        let mut last = None;
        loop {
            let (b, e) = (base.clone(), endpoint.clone());
            let read = tokio::task::spawn_blocking(move || crate::watch::read_alerts(&b, &e))
                .await
                .unwrap_or_default();
            if last.as_ref() != Some(&read) {
                last = Some(read.clone());
                if tx.send(Action::Watched(read)).is_err() {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
}

/// The server's time as its answers date it (the local time until they show a difference).
fn server_now(state: &crate::app::AppState) -> Timestamp {
    let local = Timestamp::now();
    state
        .server_clock
        .and_then(|o| local.checked_add(o).ok())
        .unwrap_or(local)
}
