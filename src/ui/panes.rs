//! The three panes.

use super::table::{self, Column, TableSpec, cell};
use super::theme::Theme;
use crate::app::{AppState, Detail, Load, LockStatus, Pane};
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
/// the last, then parts with a short form take it, then the `Place` part keeps its end
/// (`…/deep/folder/`) or goes; the parts that say something is wrong or still running stay.
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

pub fn buckets(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let focused = state.focus == Pane::Buckets;
    let pane = &state.buckets;
    let partial = partial_notes(&pane.load, pane.rows.len(), "R loads again", theme);
    let mut parts: Vec<Part> = partial
        .iter()
        .map(|(top, _)| part(top.clone(), Keep::Always))
        .collect();
    parts.push(part(
        Span::styled(format!("{}", pane.rows.len()), theme.dim),
        Keep::Extra,
    ));
    parts.extend(loading_note(&pane.load, pane.rows.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Buckets", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if pane.rows.is_empty() {
        let text = match &pane.load {
            Load::Loading { .. } => "Loading buckets…",
            Load::Failed { .. } => "The bucket list could not be loaded. R tries again.",
            _ => "No buckets.",
        };
        placeholder(frame, area, b, vec![Line::styled(text, theme.dim)]);
        return;
    }
    // The name column asks for what the longest name needs, so that less important columns
    // give way before names are cut.
    let longest = pane
        .rows
        .iter()
        .map(|r| text::width(&text::name(&r.bucket.name)))
        .max()
        .unwrap_or(0);
    let columns: [Column; 4] = [
        Column {
            header: "Name",
            width: (longest as u16).clamp(8, 40),
            flex: true,
            priority: 0,
        },
        Column {
            header: "Versioning",
            width: 10,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Object Lock",
            width: 17,
            flex: false,
            priority: 1,
        },
        Column {
            header: "Created",
            width: 10,
            flex: false,
            priority: 3,
        },
    ];
    let spec = TableSpec {
        columns: &columns,
        block: b,
        focused,
    };
    table::draw(frame, area, spec, &pane.view, theme, |i, chosen, widths| {
        let row = &pane.rows[i];
        let (versioning, lock, lock_style) = match &row.detail {
            Detail::Loading(_) => ("…".to_string(), "…".to_string(), theme.dim),
            Detail::Stopped => ("stopped".to_string(), "stopped · R".to_string(), theme.dim),
            Detail::Failed(e) => ("?".to_string(), format!("? {}", e.short()), theme.unknown),
            Detail::Loaded(d) => {
                let style = match &d.lock {
                    crate::domain::BucketLock::Enabled {
                        default_retention: Some((crate::domain::RetentionMode::Compliance, _)),
                    } => theme.compliance,
                    crate::domain::BucketLock::Enabled {
                        default_retention: Some((crate::domain::RetentionMode::Governance, _)),
                    } => theme.governance,
                    _ => Style::new(),
                };
                (d.versioning.label().to_string(), d.lock.label(), style)
            }
        };
        let created = row
            .bucket
            .created
            .map(|t| format::timestamp(t)[..10].to_string())
            .unwrap_or_else(|| "—".into());
        let cells = chosen.iter().zip(widths).map(|(&c, &w)| match c {
            0 => cell(&text::name(&row.bucket.name), w, Style::new()),
            1 => cell(&versioning, w, Style::new()),
            2 => cell(&lock, w, lock_style),
            _ => cell(&created, w, theme.dim),
        });
        Row::new(cells.collect::<Vec<_>>())
    });
}

pub fn objects(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let focused = state.focus == Pane::Objects;
    let pane = &state.objects;
    let Some(bucket) = &pane.bucket else {
        let b = block(
            title_line("Objects", focused, vec![], area.width, theme),
            focused,
            theme,
        );
        placeholder(
            frame,
            area,
            b,
            vec![Line::styled("Select a bucket and press Enter.", theme.dim)],
        );
        return;
    };
    let (prefixes, present, deleted) = pane.counts();
    let partial = partial_notes(
        &pane.load,
        pane.level.len(),
        if pane.resume.is_some() {
            "R resumes"
        } else {
            "R loads again"
        },
        theme,
    );
    let mut parts: Vec<Part> = partial
        .iter()
        .map(|(top, _)| part(top.clone(), Keep::Always))
        .collect();
    parts.push(part(
        Span::styled(
            format!(
                "s3://{}/{}",
                text::sanitize(bucket),
                text::sanitize(&pane.prefix)
            ),
            theme.emphasis,
        ),
        Keep::Place,
    ));
    // Folders are counted only where there are some: the title has little room.
    let mut counts = match prefixes {
        0 => plural(present, "object"),
        _ => format!(
            "{} · {}",
            plural(prefixes, "folder"),
            plural(present, "object")
        ),
    };
    if pane.lists_versions() {
        counts.push_str(&format!(" · {deleted} deleted"));
    }
    parts.push(part(Span::styled(counts, theme.dim), Keep::Extra));
    if pane.show_deleted {
        parts.push(part(
            Span::styled("[deleted shown]", theme.warning),
            Keep::Extra,
        ));
    }
    if let Some(t) = pane.as_of {
        // After PARTIAL / FAILED, before the location.
        let at = parts.iter().take_while(|p| p.keep == Keep::Always).count();
        parts.insert(
            at,
            Part {
                span: Span::styled(
                    format!(
                        "AS OF {} UTC · read-only",
                        crate::domain::format::timestamp(t)
                    ),
                    theme.warning,
                ),
                short: Some(Span::styled(
                    format!("AS OF {}", crate::domain::format::timestamp(t)),
                    theme.warning,
                )),
                keep: Keep::Always,
            },
        );
    }
    if pane.marks.count() > 0 {
        parts.push(part(
            Span::styled(
                format!("{} marked · U undeletes", pane.marks.count()),
                theme.warning,
            ),
            Keep::Always,
        ));
    }
    parts.extend(loading_note(&pane.load, pane.level.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Objects", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if pane.level.is_empty() {
        if let Some(lines) = failure_lines(&pane.load, state, theme) {
            placeholder(frame, area, b, lines);
            return;
        }
        let mut lines = vec![Line::styled(
            if pane.load.is_loading() {
                "Loading…"
            } else {
                "No objects here."
            },
            theme.dim,
        )];
        if !pane.show_deleted && !pane.load.is_loading() {
            lines.push(Line::styled(
                format!(
                    "Press {} to show deleted objects.",
                    state.keymap.hint(Scope::Objects, Command::ToggleDeleted)
                ),
                theme.dim,
            ));
        }
        placeholder(frame, area, b, lines);
        return;
    }
    let longest = pane
        .view
        .on_screen(crate::layout::body_rows(area))
        .filter_map(|p| pane.view.row_at(p))
        .filter_map(|i| pane.level.row(i))
        .map(|r| text::width(&text::name(pane.row_name(&r))) + 2)
        .max()
        .unwrap_or(0);
    // The column the rows are sorted by carries an arrow: ↑ ascending, ↓ descending.
    let sorted = |by: SortBy, plain: &'static str, marked: &'static str| {
        if pane.sort == by { marked } else { plain }
    };
    let columns: [Column; 4] = [
        Column {
            header: sorted(SortBy::Name, "Name", "Name ↑"),
            width: (longest as u16).clamp(12, 48),
            flex: true,
            priority: 0,
        },
        Column {
            header: sorted(SortBy::Size, "Size", "Size ↓"),
            width: 10,
            flex: false,
            priority: 1,
        },
        Column {
            header: sorted(SortBy::Date, "Last modified (UTC)", "Modified (UTC) ↓"),
            width: 19,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Class",
            width: 11,
            flex: false,
            priority: 3,
        },
    ];
    let spec = TableSpec {
        columns: &columns,
        block: b,
        focused,
    };
    table::draw(frame, area, spec, &pane.view, theme, |i, chosen, widths| {
        let Some(row) = pane.level.row(i) else {
            return Row::new(Vec::<ratatui::widgets::Cell>::new());
        };
        let name = pane.row_name(&row);
        let marked = pane.marks.is_marked(&pane.level, i);
        let mark = |style: Style| -> Style { if marked { theme.warning } else { style } };
        let shown = |name: String| -> String { if marked { format!("● {name}") } else { name } };
        let cells: Vec<_> = match row {
            LevelRow::Prefix(_) => chosen
                .iter()
                .zip(widths)
                .map(|(&c, &w)| match c {
                    0 => cell(&shown(text::name(name).into_owned()), w, mark(theme.prefix)),
                    1 => cell("folder", w, theme.dim),
                    _ => cell("", w, Style::new()),
                })
                .collect(),
            LevelRow::Object(LevelObject::Present(o)) => chosen
                .iter()
                .zip(widths)
                .map(|(&c, &w)| match c {
                    0 => cell(&shown(text::name(name).into_owned()), w, mark(Style::new())),
                    1 => cell(&format::maybe_size(o.size), w, Style::new()),
                    2 => cell(&format::maybe_timestamp(o.last_modified), w, Style::new()),
                    _ => cell(o.storage_class.unwrap_or(""), w, theme.dim),
                })
                .collect(),
            LevelRow::Object(LevelObject::Deleted(d)) => chosen
                .iter()
                .zip(widths)
                .map(|(&c, &w)| match c {
                    0 => cell(
                        &shown(format!("× {}", text::name(name))),
                        w,
                        mark(theme.deleted),
                    ),
                    1 => cell("deleted", w, theme.marker),
                    2 => cell(&format::maybe_timestamp(d.deleted_at), w, theme.deleted),
                    _ => cell("", w, Style::new()),
                })
                .collect(),
        };
        Row::new(cells)
    });
}

/// What the lock columns of one version say: mode, retain-until, countdown, hold.
struct LockCells {
    mode: (String, Style),
    until: String,
    countdown: (String, Style),
    hold: (String, Style),
    /// What the countdown cell says of the hold when the Hold column does not fit.
    hold_word: Option<&'static str>,
    /// Retention is in force: the countdown alone does not say by which mode or hold.
    retained: bool,
}

impl LockCells {
    /// The countdown cell when the Lock or Hold column did not fit: what protects the version
    /// comes first (`COMPLIANCE+HOLD 3d 4h`), so a narrow cell cuts only the time.
    fn merged_countdown(&self, mode_shown: bool, hold_shown: bool) -> String {
        if !self.retained {
            return self.countdown.0.clone();
        }
        let mut parts = Vec::new();
        if !mode_shown {
            parts.push(self.mode.0.as_str());
        }
        if !hold_shown && let Some(word) = self.hold_word {
            parts.push(word);
        }
        if parts.is_empty() {
            self.countdown.0.clone()
        } else {
            let c = &self.countdown.0;
            let time = c
                .strip_suffix(" left")
                .or_else(|| c.strip_prefix("until "))
                .unwrap_or(c);
            format!("{} {time}", parts.join("+"))
        }
    }
}

fn lock_cells(
    entry: &HistoryEntry,
    status: Option<&LockStatus>,
    now: Timestamp,
    theme: &Theme,
) -> LockCells {
    if let EntryKind::DeleteMarker = entry.kind {
        return LockCells {
            mode: ("—".into(), theme.dim),
            until: "—".into(),
            countdown: ("no lock (marker)".into(), theme.dim),
            hold: ("—".into(), theme.dim),
            hold_word: None,
            retained: false,
        };
    }
    match status {
        None | Some(LockStatus::Loading) => LockCells {
            mode: ("…".into(), theme.dim),
            until: "…".into(),
            countdown: ("…".into(), theme.dim),
            hold: ("…".into(), theme.dim),
            hold_word: None,
            retained: false,
        },
        Some(LockStatus::Unknown(e)) => LockCells {
            mode: ("unknown".into(), theme.unknown),
            until: "?".into(),
            countdown: (format!("? {}", e.short()), theme.unknown),
            hold: ("?".into(), theme.unknown),
            hold_word: None,
            retained: false,
        },
        Some(LockStatus::Known(info)) => {
            let hold = match &info.legal_hold {
                LegalHold::On => ("HOLD".to_string(), theme.legal_hold),
                LegalHold::Unknown(_) => ("?".to_string(), theme.unknown),
                LegalHold::Off => ("—".to_string(), theme.dim),
            };
            let until = info.retain_until.map_or("—".into(), |u| u.utc());
            let (mode, countdown) = match info.state(now) {
                LockState::Retained {
                    mode,
                    until,
                    remaining,
                } => {
                    let (label, style) = match &mode {
                        RetentionMode::Compliance => ("COMPLIANCE".to_string(), theme.compliance),
                        RetentionMode::Governance => ("GOVERNANCE".to_string(), theme.governance),
                        RetentionMode::Other(_) => ("unknown".to_string(), theme.unknown),
                    };
                    ((label, style), (lock::countdown(until, remaining), style))
                }
                LockState::Expired { mode, .. } => (
                    (
                        mode.map(|m| {
                            if m.is_known() {
                                m.as_str().to_string()
                            } else {
                                "unknown".into()
                            }
                        })
                        .unwrap_or_else(|| "—".into()),
                        theme.expired,
                    ),
                    match &info.legal_hold {
                        LegalHold::On => ("expired — held".to_string(), theme.legal_hold),
                        LegalHold::Unknown(_) => ("expired — hold?".to_string(), theme.unknown),
                        LegalHold::Off => ("expired — deletable".to_string(), theme.expired),
                    },
                ),
                LockState::None => (
                    ("none".to_string(), theme.dim),
                    match &info.legal_hold {
                        LegalHold::On => ("legal hold".to_string(), theme.legal_hold),
                        LegalHold::Unknown(_) => ("legal hold?".to_string(), theme.unknown),
                        LegalHold::Off => ("no lock".to_string(), theme.dim),
                    },
                ),
            };
            LockCells {
                hold_word: match &info.legal_hold {
                    LegalHold::On => Some("HOLD"),
                    LegalHold::Unknown(_) => Some("HOLD?"),
                    LegalHold::Off => None,
                },
                retained: matches!(info.state(now), LockState::Retained { .. }),
                mode,
                until,
                countdown,
                hold,
            }
        }
    }
}

pub fn versions(frame: &mut Frame, area: Rect, state: &AppState, now: Timestamp, theme: &Theme) {
    let focused = state.focus == Pane::Versions;
    let pane = &state.versions;
    let (Some(bucket), Some(key)) = (&pane.bucket, &pane.key) else {
        let b = block(
            title_line("Versions", focused, vec![], area.width, theme),
            focused,
            theme,
        );
        placeholder(
            frame,
            area,
            b,
            vec![Line::styled(
                "Select an object and press Enter to see its versions and delete markers.",
                theme.dim,
            )],
        );
        return;
    };
    let markers = pane.entries.iter().filter(|e| e.is_delete_marker()).count();
    let mut parts = vec![
        part(
            Span::styled(text::name(key).into_owned(), theme.emphasis),
            Keep::Place,
        ),
        part(
            Span::styled(
                format!(
                    "{} · {}",
                    plural(pane.entries.len() - markers, "version"),
                    plural(markers, "delete marker")
                ),
                theme.dim,
            ),
            Keep::Extra,
        ),
    ];
    let partial = partial_notes(&pane.load, pane.entries.len(), "R loads again", theme);
    if let Some((top, _)) = &partial {
        parts.insert(0, part(top.clone(), Keep::Always));
    }
    parts.extend(loading_note(&pane.load, pane.entries.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Versions", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if let Some(selected) = pane.selected() {
        b = b.title_bottom(Line::from(vec![
            Span::raw(" "),
            Span::styled(
                if selected.is_delete_marker() {
                    "marker "
                } else {
                    "version "
                },
                theme.dim,
            ),
            Span::raw(text::sanitize(&selected.version_id).into_owned()),
            Span::raw(" "),
        ]));
        let lock = state.locks.get(&VersionRef {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: selected.version_id.clone(),
        });
        if let Some(LockStatus::Unknown(e)) = lock {
            b = b.title_bottom(Line::from(Span::styled(
                format!(
                    " lock unknown: HEAD failed: {} ",
                    text::sanitize(&e.to_string())
                ),
                theme.error,
            )));
        }
    }
    if pane.entries.is_empty() {
        if let Some(lines) = failure_lines(&pane.load, state, theme) {
            placeholder(frame, area, b, lines);
            return;
        }
        let line = if pane.load.is_loading() {
            Line::styled("Loading…", theme.dim)
        } else if pane.altered_keys {
            Line::styled(
                format!(
                    "No versions listed under this exact name: {}.",
                    crate::domain::pages::ALTERED_KEYS
                ),
                theme.warning,
            )
        } else {
            Line::styled("This key has no versions.", theme.dim)
        };
        placeholder(frame, area, b, vec![line]);
        return;
    }
    const COLUMNS: [Column; 11] = [
        Column {
            header: "Kind",
            width: 7,
            flex: false,
            priority: 0,
        },
        Column {
            header: "Latest",
            width: 6,
            flex: false,
            priority: 5,
        },
        Column {
            header: "Version ID",
            width: 8,
            flex: true,
            priority: 1,
        },
        Column {
            header: "Last modified (UTC)",
            width: 19,
            flex: false,
            priority: 6,
        },
        Column {
            header: "Size",
            width: 9,
            flex: false,
            priority: 8,
        },
        Column {
            header: "ETag",
            width: 10,
            flex: false,
            priority: 9,
        },
        Column {
            header: "Lock",
            width: 10,
            flex: false,
            priority: 3,
        },
        Column {
            header: "Retain until (UTC)",
            width: 19,
            flex: false,
            priority: 4,
        },
        Column {
            header: "Countdown",
            width: 19,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Hold",
            width: 4,
            flex: false,
            priority: 7,
        },
        // Who wrote it: the first column to go when the pane is narrow.
        Column {
            header: "Owner",
            width: 12,
            flex: false,
            priority: 10,
        },
    ];
    // Where the Lock column does not fit, the countdown cell names the mode too
    // (`COMPLIANCE 23h 59m 59s`): it takes room from the version id.
    let narrow: [Column; 11] = COLUMNS.map(|c| match c.header {
        "Version ID" => Column { width: 6, ..c },
        "Countdown" => Column { width: 22, ..c },
        _ => c,
    });
    let lock_fits = table::fit(&COLUMNS, area.width.saturating_sub(2)).contains(&6);
    let spec = TableSpec {
        columns: if lock_fits { &COLUMNS } else { &narrow },
        block: b,
        focused,
    };
    table::draw(frame, area, spec, &pane.view, theme, |i, chosen, widths| {
        let entry = &pane.entries[i];
        let status = state.locks.get(&VersionRef {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: entry.version_id.clone(),
        });
        let lock = lock_cells(entry, status, now, theme);
        let (kind, kind_style) = if entry.is_delete_marker() {
            ("marker", theme.marker)
        } else {
            ("version", Style::new())
        };
        let etag = match &entry.kind {
            EntryKind::Version { etag: Some(e), .. } => e.clone(),
            _ => "—".into(),
        };
        let cells: Vec<_> = chosen
            .iter()
            .zip(widths)
            .map(|(&c, &w)| match c {
                0 => cell(kind, w, kind_style),
                1 => cell(
                    if entry.is_latest { "latest" } else { "" },
                    w,
                    theme.emphasis,
                ),
                2 => cell(&text::name(&entry.version_id), w, Style::new()),
                3 => cell(
                    &format::maybe_timestamp(entry.last_modified),
                    w,
                    Style::new(),
                ),
                4 => cell(
                    &if entry.is_delete_marker() {
                        "—".into()
                    } else {
                        format::maybe_size(entry.size())
                    },
                    w,
                    Style::new(),
                ),
                5 => cell(&etag, w, theme.dim),
                6 => cell(&lock.mode.0, w, lock.mode.1),
                7 => cell(&lock.until, w, Style::new()),
                8 => cell(
                    &lock.merged_countdown(chosen.contains(&6), chosen.contains(&9)),
                    w,
                    lock.countdown.1,
                ),
                9 => cell(&lock.hold.0, w, lock.hold.1),
                _ => cell(
                    &entry
                        .owner
                        .as_ref()
                        .map_or("—".into(), |o| text::name(o.label()).into_owned()),
                    w,
                    theme.dim,
                ),
            })
            .collect();
        Row::new(cells)
    });
}
