//! Terminal events, signals and the once-a-second tick, merged into the actions channel.

use crate::app::Action;
use crate::keys::Key;
use crate::measure::KeyClock;
use futures::StreamExt;
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::mpsc;

pub(super) fn forward_terminal_events(
    tx: mpsc::UnboundedSender<Action>,
    key_clock: Option<KeyClock>,
) {
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        while let Some(event) = events.next().await {
            let action = match event {
                Ok(crossterm::event::Event::Key(k)) => match Key::from_crossterm(&k) {
                    Some(key) => {
                        if let Some(clock) = &key_clock
                            && let Ok(mut read) = clock.lock()
                        {
                            read.push_back(std::time::Instant::now());
                        }
                        Action::Key(key)
                    }
                    None => continue,
                },
                Ok(crossterm::event::Event::Resize(width, height)) => {
                    Action::Resize { width, height }
                }
                Ok(crossterm::event::Event::Mouse(m)) => {
                    use crossterm::event::{MouseButton, MouseEventKind as K};
                    let kind = match m.kind {
                        K::Down(MouseButton::Left) => crate::app::MouseKind::LeftDown,
                        K::ScrollUp => crate::app::MouseKind::ScrollUp,
                        K::ScrollDown => crate::app::MouseKind::ScrollDown,
                        _ => continue,
                    };
                    Action::Mouse(crate::app::Mouse {
                        kind,
                        column: m.column,
                        row: m.row,
                    })
                }
                Ok(_) => continue,
                Err(_) => Action::Terminate,
            };
            if tx.send(action).is_err() {
                return;
            }
        }
        // The terminal closed (the SSH connection dropped).
        let _ = tx.send(Action::Terminate);
    });
}

pub(super) fn forward_signals(tx: mpsc::UnboundedSender<Action>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ] {
        let tx = tx.clone();
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                if stream.recv().await.is_some() {
                    let _ = tx.send(Action::Terminate);
                }
            });
        }
    }
    let suspend: fn() -> Action = || Action::Suspend;
    let continued: fn() -> Action = || Action::Continued;
    for (signal_number, action) in [
        (rustix::process::Signal::TSTP, suspend),
        (rustix::process::Signal::CONT, continued),
    ] {
        let kind = SignalKind::from_raw(signal_number.as_raw());
        let tx = tx.clone();
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(action()).is_err() {
                        return;
                    }
                }
            });
        }
    }
}

/// Ticks at every whole second, so that all countdowns change together.
pub(super) fn forward_ticks(tx: mpsc::UnboundedSender<Action>) {
    tokio::spawn(async move {
        loop {
            let nanos = Timestamp::now().subsec_nanosecond();
            let wait = Duration::from_nanos(1_000_000_000 - nanos.clamp(0, 999_999_999) as u64);
            tokio::time::sleep(wait).await;
            if tx.send(Action::Tick).is_err() {
                return;
            }
        }
    });
}
