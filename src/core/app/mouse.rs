//! The mouse, all of it optional (the keyboard does everything): a click focuses the pane
//! and selects the row under it, a double click opens it, the wheel scrolls the pane under
//! the pointer. `M` turns mouse capture off (and on) so that the terminal's own selection
//! works for copy and paste.

use super::{AppState, Effect, Pane};
use crate::keys::Command;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    LeftDown,
    ScrollUp,
    ScrollDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mouse {
    pub kind: MouseKind,
    pub column: u16,
    pub row: u16,
}

/// Two clicks on the same row within this are a double click.
const DOUBLE_CLICK: SignedDuration = SignedDuration::from_millis(400);
/// Rows the wheel moves per notch.
const WHEEL_ROWS: usize = 3;

fn pane_at(state: &AppState, column: u16, row: u16) -> Option<(Pane, ratatui::layout::Rect)> {
    let areas = crate::layout::areas(state.screen, state.focus);
    [Pane::Buckets, Pane::Objects, Pane::Versions]
        .into_iter()
        .filter_map(|p| areas.pane(p).map(|a| (p, a)))
        .find(|(_, a)| a.contains(ratatui::layout::Position::new(column, row)))
}

pub(super) fn on_mouse(state: &mut AppState, mouse: Mouse, now: Timestamp) -> Vec<Effect> {
    if state.popup.is_some() || state.input.is_some() {
        return Vec::new();
    }
    let Some((pane, area)) = pane_at(state, mouse.column, mouse.row) else {
        return Vec::new();
    };
    match mouse.kind {
        MouseKind::ScrollUp | MouseKind::ScrollDown => {
            let height = state.page_height(pane);
            let command = if mouse.kind == MouseKind::ScrollUp {
                Command::Up
            } else {
                Command::Down
            };
            for _ in 0..WHEEL_ROWS {
                state.view_mut(pane).apply(command, height);
            }
            state.last_click = None;
            if pane == Pane::Versions {
                state.request_visible_locks()
            } else {
                Vec::new()
            }
        }
        MouseKind::LeftDown => {
            let mut effects = Vec::new();
            if state.focus != pane {
                state.focus = pane;
                state.clamp_cursors();
                effects.extend(state.request_visible_locks());
            }
            // The border and the column header take the first two rows.
            let Some(line) = mouse.row.checked_sub(area.y + 2) else {
                state.last_click = None;
                return effects;
            };
            let height = state.page_height(pane);
            if usize::from(line) >= height {
                return effects;
            }
            let view = state.view_mut(pane);
            let visible = view.cursor.offset + usize::from(line);
            if visible >= view.visible_len() {
                return effects;
            }
            view.cursor.selected = visible;
            view.clamp(height);
            let double = state.last_click.is_some_and(|(p, v, at)| {
                p == pane && v == visible && now.duration_since(at) <= DOUBLE_CLICK
            });
            if double {
                state.last_click = None;
                effects.extend(super::input::on_command(state, Command::Open, now));
            } else {
                state.last_click = Some((pane, visible, now));
                if pane == Pane::Versions {
                    effects.extend(state.request_visible_locks());
                }
            }
            effects
        }
    }
}
