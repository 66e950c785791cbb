//! Help, messages and confirmations, drawn over the panes.

mod audit;
mod confirm;
mod forms;
mod help;
mod report;
mod retention;
mod undelete;

use super::theme::Theme;
use crate::app::{AppState, Confirm, DialogLine, LineStyle, Popup};
use crate::domain::text;
use crate::keys::Scope;
use audit::audit_box;
use confirm::confirm_box;
use forms::{bucket_form_box, download_box, upload_box};
use help::help;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use report::report_box;
use retention::retention_box;
use undelete::bulk_box;

fn centered(screen: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(screen.width);
    let height = height.min(screen.height);
    Rect {
        x: screen.x + (screen.width - width) / 2,
        y: screen.y + (screen.height - height) / 2,
        width,
        height,
    }
}

fn styled(line: &DialogLine, theme: &Theme) -> Line<'static> {
    let style = match line.style {
        LineStyle::Normal => Style::new(),
        LineStyle::Emphasis => theme.emphasis,
        LineStyle::Warning => theme.warning,
        LineStyle::Error => theme.error,
    };
    Line::styled(text::sanitize(&line.text).into_owned(), style)
}

/// Rows `lines` take when wrapped at `width` (an estimate good enough to size the box).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| (l.width().max(1)).div_ceil(width) as u16)
        .sum()
}

fn boxed(frame: &mut Frame, title: &str, lines: Vec<Line<'static>>, border: Style, theme: &Theme) {
    let screen = frame.area();
    let width = screen.width.saturating_sub(4).clamp(20, 90);
    let height = wrapped_height(&lines, width.saturating_sub(2)) + 2;
    let area = centered(screen, width, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), theme.emphasis));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(Style::new()),
        area.inner(ratatui::layout::Margin {
            horizontal: 0,
            vertical: 0,
        }),
    );
}

/// `boxed`, for a message that may be taller than the screen: it scrolls, and the bottom
/// border says which lines are shown and how to see the rest.
fn message_box(
    frame: &mut Frame,
    title: &str,
    lines: Vec<Line<'static>>,
    border: Style,
    theme: &Theme,
    scroll: u16,
) {
    let screen = frame.area();
    let width = screen.width.saturating_sub(4).clamp(20, 90);
    let total = wrapped_height(&lines, width.saturating_sub(2));
    if total + 2 <= screen.height {
        return boxed(frame, title, lines, border, theme);
    }
    let visible = screen.height.saturating_sub(2).max(1);
    let scroll = scroll.min(total.saturating_sub(visible));
    let area = centered(screen, width, screen.height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), theme.emphasis))
        .title_bottom(Line::styled(
            format!(
                " lines {}–{} of {total} · ↑/↓ PgUp/PgDn scroll · Enter or Esc closes ",
                scroll + 1,
                (scroll + visible).min(total)
            ),
            theme.dim,
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

pub fn render(frame: &mut Frame, state: &AppState, now: jiff::Timestamp, theme: &Theme) {
    let Some(popup) = &state.popup else {
        return;
    };
    match popup {
        Popup::Help { scroll } => help(frame, state, *scroll, theme),
        Popup::Message {
            title,
            lines,
            error,
        } => {
            let mut out: Vec<Line<'static>> = lines.iter().map(|l| styled(l, theme)).collect();
            out.push(Line::raw(""));
            out.push(Line::styled("Enter or Esc closes this message.", theme.dim));
            let border = if *error {
                theme.error
            } else {
                theme.border_focused
            };
            message_box(frame, title, out, border, theme, state.message_scroll);
        }
        Popup::Confirm(confirm) => confirm_box(frame, confirm, theme),
        Popup::Audit { entries, scroll } => audit_box(frame, entries, *scroll, theme),
        Popup::Retention(form) => retention_box(frame, form, now, theme),
        Popup::BucketForm(form) => bucket_form_box(frame, form, theme),
        Popup::Upload(form) => upload_box(frame, form, now, theme),
        Popup::Download(form) => download_box(frame, form, theme),
        Popup::Bulk(bulk) => bulk_box(frame, bulk, theme),
        Popup::Report(r) => report_box(frame, r, theme),
        Popup::Copy { choices } => {
            let mut lines: Vec<Line<'static>> = choices
                .iter()
                .map(|(k, label, text_)| {
                    Line::from(vec![
                        Span::styled(format!("{k}  "), theme.emphasis),
                        Span::raw(format!("{label}: ")),
                        Span::styled(text::name(text_).into_owned(), theme.dim),
                    ])
                })
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Press a letter (Enter: the first) · Esc: cancel",
                theme.dim,
            ));
            boxed(
                frame,
                "Copy to the clipboard",
                lines,
                theme.border_focused,
                theme,
            );
        }
        Popup::AsOf { input, error } => {
            let mut lines = vec![Line::raw(
                "Show this folder as it was at this time. Empty: back to now.",
            )];
            time_field(&mut lines, input, error.as_deref(), theme);
            lines.push(Line::styled(
                "Enter: show it (read-only)   ctrl-u: clear   Esc: cancel",
                theme.dim,
            ));
            boxed(frame, "Point in time", lines, theme.border_focused, theme);
        }
    }
}

/// A time being typed: the forms it may take, the text so far, why it was not read, and a
/// blank line before the popup's keys.
fn time_field(lines: &mut Vec<Line<'static>>, input: &str, error: Option<&str>, theme: &Theme) {
    lines.push(Line::styled(
        "e.g. 2026-11-20 10:00 (UTC), 2026-11-20T10:00:00+01:00, or -2h (also -90m, -3d)",
        theme.dim,
    ));
    lines.push(Line::from(vec![
        Span::raw("> "),
        Span::styled(text::sanitize(input).into_owned(), theme.emphasis),
        Span::styled("▏", theme.warning),
    ]));
    if let Some(e) = error {
        lines.push(Line::styled(text::sanitize(e).into_owned(), theme.error));
    }
    lines.push(Line::raw(""));
}

/// A large box: fixed lines on top, a scrolled list, fixed lines at the bottom.
struct ListBox {
    title: String,
    border: Style,
    head: Vec<Line<'static>>,
    /// Only the rows that can show, from the scroll position on (callers format no more).
    list: Vec<Line<'static>>,
    foot: Vec<Line<'static>>,
}

fn list_box(frame: &mut Frame, b: ListBox, theme: &Theme) {
    let ListBox {
        title,
        border,
        head,
        list,
        foot,
    } = b;
    let screen = frame.area();
    let area = centered(
        screen,
        screen.width.saturating_sub(4).min(140),
        screen.height.saturating_sub(2),
    );
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), theme.emphasis));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let fixed = (head.len() + foot.len()) as u16;
    let room = usize::from(inner.height.saturating_sub(fixed));
    let mut lines = head;
    let shown = list.len().min(room);
    lines.extend(list.into_iter().take(room));
    for _ in shown..room {
        lines.push(Line::raw(""));
    }
    lines.extend(foot);
    // One row each, cut at the edge: a long key must not push the keys below off the box.
    frame.render_widget(Paragraph::new(lines), inner);
}

fn form_lines(form: &crate::app::Form, theme: &Theme) -> Vec<Line<'static>> {
    use crate::app::FieldKind;
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let mut spans = vec![Span::styled(
            format!("{:<20}", field.label),
            if focused {
                theme.emphasis
            } else {
                Style::new()
            },
        )];
        match &field.kind {
            FieldKind::Text(t) => {
                spans.push(Span::styled(text::sanitize(t).into_owned(), theme.emphasis));
                if focused {
                    spans.push(Span::styled("▏", theme.warning));
                }
            }
            FieldKind::Choice { options, selected } => {
                for (j, o) in options.iter().enumerate() {
                    let style = match (j == *selected, focused) {
                        (true, true) => theme.selected,
                        (true, false) => theme.emphasis,
                        _ => theme.dim,
                    };
                    spans.push(Span::styled(format!(" {o} "), style));
                }
            }
        }
        if !field.hint.is_empty() {
            spans.push(Span::styled(format!("  {}", field.hint), theme.dim));
        }
        lines.push(Line::from(spans));
    }
    lines
}
