//! Drawing. `render` reads the state and never changes it.

mod panes;
mod popup;
pub mod table;
pub mod theme;

use crate::app::{AppState, MessageKind, Pane};
use crate::domain::text;
use crate::keys::{Command, Scope};
use crate::layout;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
pub use theme::Theme;

pub fn render(state: &AppState, now: Timestamp, theme: &Theme, frame: &mut Frame) {
    let areas = layout::areas(frame.area(), state.focus);
    title_bar(frame, areas.title, state, theme);
    if let Some(a) = areas.buckets {
        panes::buckets(frame, a, state, theme);
    }
    if let Some(a) = areas.objects {
        panes::objects(frame, a, state, now, theme);
    }
    if let Some(a) = areas.versions {
        panes::versions(frame, a, state, now, theme);
    }
    status_line(frame, areas.status, state, theme);
    popup::render(frame, state, now, theme);
}

/// The top line, always: the connection (endpoint, region, masked access key), where the user
/// is (bucket and folder, or the key of the versions pane), how far the server's clock is off,
/// READ-ONLY, and what is loading or being written. The status line at the bottom holds the
/// last message and the way to help. On a narrow screen the connection is cut first.
fn title_bar(frame: &mut Frame, area: ratatui::layout::Rect, state: &AppState, theme: &Theme) {
    let mut right: Vec<Span> = Vec::new();
    let place = match (state.focus, &state.objects.bucket, &state.versions.key) {
        (Pane::Versions, _, Some(key)) => state
            .versions
            .bucket
            .as_ref()
            .map(|b| format!("s3://{}/{}", text::sanitize(b), text::sanitize(key))),
        (_, Some(b), _) => Some(format!(
            "s3://{}/{}",
            text::sanitize(b),
            text::sanitize(&state.objects.prefix)
        )),
        _ => None,
    };
    if let Some(p) = place {
        right.push(Span::raw("  "));
        right.push(Span::styled(p, theme.emphasis));
    }
    if let Some(offset) = state.server_clock {
        right.push(Span::raw("  "));
        right.push(Span::styled(
            format!(
                "server clock {} {}",
                crate::domain::lock::format_remaining(offset.abs()),
                if offset.is_negative() {
                    "behind"
                } else {
                    "ahead"
                }
            ),
            theme.warning,
        ));
    }
    if let Some(t) = state.objects.as_of {
        right.push(Span::raw("  "));
        right.push(Span::styled(
            format!("as of {}", crate::domain::format::timestamp(t)),
            theme.warning,
        ));
    }
    if state.connection.read_only {
        right.push(Span::raw("  "));
        right.push(Span::styled(
            " READ-ONLY ",
            theme
                .warning
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    let loading: Vec<&str> = [
        (state.buckets.load.is_loading(), "buckets"),
        (state.objects.load.is_loading(), "objects"),
        (state.versions.load.is_loading(), "versions"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, what)| *what)
    .collect();
    if !loading.is_empty() {
        right.push(Span::raw("  "));
        right.push(Span::styled(
            format!("⟳ loading {}", loading.join(", ")),
            theme.dim,
        ));
    }
    let writes = state.writes.len().saturating_sub(state.checks.len());
    if writes > 0 {
        right.push(Span::raw("  "));
        right.push(Span::styled(format!("⟳ {writes} write(s)"), theme.warning));
    }
    if areas_single(state) {
        let name = match state.focus {
            Pane::Buckets => "buckets",
            Pane::Objects => "objects",
            Pane::Versions => "versions",
        };
        right.push(Span::styled(
            format!(
                "  [{name} pane; {} switches]",
                state.keymap.hint(Scope::Global, Command::NextPane)
            ),
            theme.dim,
        ));
    }
    let used: usize = right.iter().map(|s| s.width()).sum::<usize>() + " lockwatch  ".len();
    let room = usize::from(area.width).saturating_sub(used);
    // Who writes and where: the endpoint is cut first (with `…`), then the region goes, and the
    // masked key stays whole.
    let endpoint = text::sanitize(&state.connection.endpoint);
    let region = text::sanitize(&state.connection.region);
    // The key, and who the server says it is once it has said.
    let key = match state.connection.actor.server_user() {
        Some(who) => format!(
            "{} ({})",
            state.connection.access_key_masked,
            text::name(who)
        ),
        None => state.connection.access_key_masked.clone(),
    };
    let connection = connection_text(
        &endpoint,
        &region,
        &key,
        &state.connection.access_key_masked,
        room,
    );
    let mut spans = vec![Span::styled(" lockwatch ", theme.title)];
    let shown = text::truncate(&connection, room);
    if !shown.is_empty() {
        spans.push(Span::raw(" "));
        spans.push(Span::raw(shown.into_owned()));
    }
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The top line's connection in `room` cells: whole if it fits; else the server's name for the
/// key goes, then the endpoint is cut with `…` (at least 16 cells of it kept), then the region
/// goes; the masked key is never cut while there is room for it.
fn connection_text(endpoint: &str, region: &str, key: &str, masked: &str, room: usize) -> String {
    const ENDPOINT_AT_LEAST: usize = 16;
    for key in [key, masked] {
        let whole = format!("{endpoint} · {region} · {key}");
        if text::width(&whole) <= room {
            return whole;
        }
    }
    for tail in [format!(" · {region} · {masked}"), format!(" · {masked}")] {
        let left = room.saturating_sub(text::width(&tail));
        if left >= ENDPOINT_AT_LEAST {
            return format!("{}{tail}", text::truncate(endpoint, left));
        }
    }
    text::truncate(&format!("{masked} · {endpoint}"), room).into_owned()
}

fn areas_single(state: &AppState) -> bool {
    let a = layout::areas(state.screen, state.focus);
    a.buckets.is_none() || a.objects.is_none() || a.versions.is_none()
}

/// The bottom line: what is being typed or transferred, or the last message, or the focused
/// pane's keys; the way to help and out stays at the right beside anything short enough.
fn status_line(frame: &mut Frame, area: ratatui::layout::Rect, state: &AppState, theme: &Theme) {
    let scope = state.focus.scope();
    let help = state.keymap.hint(scope, Command::Help);
    let quit = state.keymap.hint(scope, Command::Quit);
    let hints_shown = state.input.is_none()
        && state.transfers.is_empty()
        && state.writes.is_empty()
        && state.status.is_none();
    let left: Line = if let Some(input) = &state.input {
        let (lead, hint) = match input.kind {
            crate::app::InputKind::Filter => ("/", "  Enter keeps the filter, Esc clears it"),
            crate::app::InputKind::GoTo => (
                ":",
                "  Enter goes to s3://bucket/folder/ (s3:// optional), Esc cancels",
            ),
        };
        Line::from(vec![
            Span::styled(lead, theme.warning),
            Span::raw(text::sanitize(&input.text).into_owned()),
            Span::styled("▏", theme.warning),
            Span::styled(hint, theme.dim),
        ])
    } else if let Some(t) = state.transfers.first() {
        let (percent, bar) = match t.total {
            Some(total) if total > 0 => {
                let ratio = (t.done as f64 / total as f64).clamp(0.0, 1.0);
                let filled = (ratio * 20.0).round() as usize;
                (
                    format!("{:>3}%", (ratio * 100.0).round() as u64),
                    format!("[{}{}]", "█".repeat(filled), "░".repeat(20 - filled)),
                )
            }
            _ => ("  ?%".to_string(), "[····················]".to_string()),
        };
        Line::styled(
            format!(
                "⟳ {} {percent} {bar} {} of {} · {} cancels",
                t.label,
                crate::domain::format::size(t.done),
                t.total.map_or("?".to_string(), crate::domain::format::size),
                state.keymap.hint(Scope::Global, Command::CancelTransfer)
            ),
            theme.warning,
        )
    } else if !state.writes.is_empty() {
        let doing: Vec<&str> = state.writes.iter().map(|(_, w)| w.as_str()).collect();
        let stop = if state.checks.is_empty() {
            String::new()
        } else {
            format!(
                " · {} stops",
                state.keymap.hint(state.focus.scope(), Command::Close)
            )
        };
        Line::styled(format!("⟳ {}…{stop}", doing.join(", ")), theme.warning)
    } else if let Some(message) = &state.status {
        let style = match message.kind {
            MessageKind::Info => Style::new(),
            MessageKind::Success => theme.success,
            MessageKind::Error => theme.error,
        };
        // A message longer than the line is cut with `…`, leaving room for the keys that show
        // it whole (`m`) and help: nothing is cut without a mark, and help stays on screen.
        let said = text::sanitize(&message.text).into_owned();
        let all = state.keymap.hint(scope, Command::Messages);
        let room = usize::from(area.width)
            .saturating_sub(text::width(&format!(" {all} whole · {help} help ")));
        if text::width(&said)
            > usize::from(area.width).saturating_sub(text::width(&format!(" {help} help ")))
        {
            let cut = text::truncate(&said, room).into_owned();
            let line = Line::styled(cut, style);
            let right = format!(" {all} whole · {help} help ");
            return status_parts(frame, area, line, right, theme);
        }
        Line::styled(said, style)
    } else {
        // The pane's keys end with help and quit themselves.
        Line::styled(hints(state, usize::from(area.width)), theme.dim)
    };
    let width = usize::from(area.width);
    // Beside a message: help and quit, or help alone; a message too long for even that takes
    // the whole line.
    let right = [
        format!(" {help} help · {quit} quit "),
        format!(" {help} help "),
    ]
    .into_iter()
    .find(|r| left.width() + text::width(r) <= width);
    if !hints_shown && let Some(right) = right {
        status_parts(frame, area, left, right, theme);
    } else {
        frame.render_widget(Paragraph::new(left), area);
    }
}

/// The status line as `left`, then `right` (keys, dim) against the right edge.
fn status_parts(
    frame: &mut Frame,
    area: ratatui::layout::Rect,
    left: Line<'_>,
    right: String,
    theme: &Theme,
) {
    let right_width = (text::width(&right) as u16).min(area.width);
    let left_area = ratatui::layout::Rect {
        width: area.width - right_width,
        ..area
    };
    let right_area = ratatui::layout::Rect {
        x: area.x + area.width - right_width,
        width: right_width,
        ..area
    };
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(Span::styled(right, theme.dim)), right_area);
}

/// The most useful keys of the focused pane, from the keymap, as many as fit in `room` cells;
/// help and quit are always kept, so the way to every other key is always on screen.
fn hints(state: &AppState, room: usize) -> String {
    let scope = state.focus.scope();
    let pairs: &[(Command, &str)] = match state.focus {
        Pane::Buckets => &[(Command::Open, "open"), (Command::Refresh, "reload")],
        Pane::Objects => &[
            (Command::Open, "open"),
            (Command::ToggleDeleted, "deleted"),
            (Command::Restore, "restore"),
            (Command::Delete, "delete"),
            (Command::Back, "back"),
        ],
        Pane::Versions => &[
            (Command::Restore, "restore"),
            (Command::RestoreByCopy, "copy back"),
            (Command::DeleteVersion, "delete version"),
            (Command::LegalHold, "hold"),
        ],
    };
    let hint = |c: Command, label: &str| format!("{} {label}", state.keymap.hint(scope, c));
    let essential = [hint(Command::Help, "help"), hint(Command::Quit, "quit")];
    let mut optional: Vec<String> = pairs.iter().map(|(c, label)| hint(*c, label)).collect();
    optional.push(hint(Command::Filter, "filter"));
    let joined_width = |parts: &[String]| {
        parts.iter().map(|p| text::width(p)).sum::<usize>() + 3 * parts.len().saturating_sub(1)
    };
    loop {
        let parts: Vec<String> = optional.iter().chain(&essential).cloned().collect();
        if optional.is_empty() || joined_width(&parts) <= room {
            return parts.join(" · ");
        }
        optional.pop();
    }
}
