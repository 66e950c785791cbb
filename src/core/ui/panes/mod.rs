//! The three panes, one file each, and what their frames share: titles that give up their
//! least important part first, loading and filter notes, a failure said in place of rows.

mod buckets;
mod objects;
mod versions;

pub use buckets::buckets;
pub use objects::objects;
pub use versions::versions;

use super::table::{self, Column, TableSpec, cell};
use super::theme::Theme;
use crate::app::{AppState, Detail, FolderProbe, Load, LockStatus, Pane};
use crate::domain::format::plural;
use crate::domain::listing::{LevelObject, LevelRow};
use crate::domain::lock::{self, LockState};
use crate::domain::sort::SortBy;
use crate::domain::{EntryKind, HistoryEntry, LegalHold, RetentionMode, VersionRef, format, text};
use crate::keys::{Command, Scope};
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Wrap};

fn block<'a>(title: Line<'a>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title)
}

/// A listing that did not finish: `PARTIAL` (or `FAILED` when nothing was listed) first in
/// the title, where even a narrow pane shows it, and why in the bottom border, with the way to
/// go on.
fn partial_notes(
    load: &Load,
    rows: usize,
    again: &str,
    theme: &Theme,
) -> Option<(Span<'static>, Line<'static>)> {
    let (pages, why) = match load {
        Load::Stopped { pages } => (*pages, "stopped by you".to_string()),
        Load::Failed { error, pages } => (*pages, text::sanitize(&error.to_string()).into_owned()),
        _ => return None,
    };
    let (marker, note) = if pages == 0 && rows > 0 {
        // A reload that got nothing: what is shown is the listing from before.
        (
            "STALE",
            format!(" reload failed: these rows are from the previous listing · {again} · {why} "),
        )
    } else if pages == 0 {
        ("FAILED", format!(" failed · {again} · {why} "))
    } else {
        (
            "PARTIAL",
            format!(
                " partial: {} listed · {again} · {why} ",
                plural(pages as usize, "page")
            ),
        )
    };
    Some((
        Span::styled(
            marker,
            theme.error.add_modifier(ratatui::style::Modifier::REVERSED),
        ),
        Line::from(Span::styled(note, theme.error)),
    ))
}

/// How much a part of a pane's title matters when the pane is too narrow for all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// PARTIAL / FAILED, loading, the filter: what the user must not miss.
    Always,
    /// Where the pane is (bucket and prefix, or the key): cut from the left when needed.
    Place,
    /// Counts and notes repeated elsewhere: left out first.
    Extra,
    /// The pane's counts: kept (briefly if need be) while the place keeps 24 cells of its end,
    /// left out before the place is cut further.
    Count,
}

struct Part<'a> {
    span: Span<'a>,
    /// A shorter way to say the same, used when the pane is narrow.
    short: Option<Span<'a>>,
    keep: Keep,
}

fn part(span: Span<'_>, keep: Keep) -> Part<'_> {
    Part {
        span,
        short: None,
        keep,
    }
}

/// ` Name  part part ` fitted into a border `width` cells wide: `Extra` parts are left out from
/// the last, the `Place` part is cut to 24 cells of its end (`…/deep/folder/`), parts with a
/// short form take it, the counts go, then the place is cut further or goes; the parts that say
/// something is wrong or still running stay.
fn title_line<'a>(
    name: &'a str,
    focused: bool,
    mut parts: Vec<Part<'a>>,
    width: u16,
    theme: &Theme,
) -> Line<'a> {
    // Two corners of the border, the name with a space each side, a space before each part
    // and one after the last.
    let room = usize::from(width).saturating_sub(2);
    let used = |parts: &[Part]| -> usize {
        text::width(name) + 3 + parts.iter().map(|p| 1 + p.span.width()).sum::<usize>()
    };
    while used(&parts) > room {
        let Some(i) = parts.iter().rposition(|p| p.keep == Keep::Extra) else {
            break;
        };
        parts.remove(i);
    }
    // The location keeps at least its last 24 cells before anything is said briefly.
    let over = used(&parts).saturating_sub(room);
    cut_place(&mut parts, over, 24);
    for i in 0..parts.len() {
        if used(&parts) <= room {
            break;
        }
        if let Some(short) = parts[i].short.take() {
            parts[i].span = short;
        }
    }
    while used(&parts) > room {
        let Some(i) = parts.iter().rposition(|p| p.keep == Keep::Count) else {
            break;
        };
        parts.remove(i);
    }
    let over = used(&parts).saturating_sub(room);
    cut_place(&mut parts, over, 4);
    let mut spans = vec![Span::styled(
        format!(" {name} "),
        if focused {
            theme.emphasis
        } else {
            Style::new()
        },
    )];
    for p in parts {
        spans.push(Span::raw(" "));
        spans.push(p.span);
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// Cuts the `Place` part by `over` cells from the left, keeping at least `least` cells of it;
/// when even `least` is too many, and that is the last resort (`least` ≤ 4), it goes.
fn cut_place(parts: &mut Vec<Part<'_>>, over: usize, least: usize) {
    let Some(at) = parts.iter().position(|p| p.keep == Keep::Place) else {
        return;
    };
    if over == 0 {
        return;
    }
    let width = parts[at].span.width();
    let fit = width.saturating_sub(over);
    if fit >= least {
        let cut = text::truncate_left(&parts[at].span.content, fit).into_owned();
        parts[at].span.content = cut.into();
    } else if least <= 4 {
        parts.remove(at);
    } else if width > least {
        let cut = text::truncate_left(&parts[at].span.content, least).into_owned();
        parts[at].span.content = cut.into();
    }
}

/// `loading… 3 pages, 3000 rows` for a pane title while a listing runs (short: `loading… 3000`).
fn loading_note(load: &Load, rows: usize, theme: &Theme) -> Option<Part<'static>> {
    match load {
        Load::Loading { pages, .. } => Some(Part {
            span: Span::styled(
                if *pages == 0 {
                    "loading…".to_string()
                } else {
                    format!("loading… {pages} pages, {rows} rows")
                },
                theme.dim,
            ),
            short: Some(Span::styled(
                if *pages == 0 {
                    "loading…".to_string()
                } else {
                    format!("loading… {rows}")
                },
                theme.dim,
            )),
            keep: Keep::Always,
        }),
        _ => None,
    }
}

/// `filter "db": 3 of 120` (short: `/db 3/120`).
fn filter_note<'a>(view: &crate::app::ListView, theme: &Theme) -> Option<Part<'a>> {
    view.filter.as_ref().map(|f| {
        let text = text::sanitize(&f.text);
        Part {
            span: Span::styled(
                format!("filter \"{text}\": {} of {}", f.matches.len(), view.len),
                theme.warning,
            ),
            short: Some(Span::styled(
                format!("/{text} {}/{}", f.matches.len(), view.len),
                theme.warning,
            )),
            keep: Keep::Always,
        }
    })
}

/// What an empty pane says when its listing failed: the server's words, and how to retry.
fn failure_lines<'a>(load: &Load, state: &AppState, theme: &Theme) -> Option<Vec<Line<'a>>> {
    let Load::Failed { error, .. } = load else {
        return None;
    };
    Some(vec![
        Line::styled("The server refused or did not answer:", theme.error),
        Line::raw(text::sanitize(&error.to_string()).into_owned()),
        Line::raw(""),
        Line::styled(
            format!(
                "Press {} to try again.",
                state.keymap.hint(state.focus.scope(), Command::Refresh)
            ),
            theme.dim,
        ),
    ])
}

fn placeholder(frame: &mut Frame, area: Rect, block: Block<'_>, lines: Vec<Line<'_>>) {
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
