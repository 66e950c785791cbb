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

/// Where a line's continuation starts when it wraps: under the value of a `Label  value` line
/// (the value begins after a run of two spaces within the first 32 cells), two cells in from
/// an indented line, else at the left edge.
fn hanging_indent(line: &str) -> usize {
    let lead = line.chars().take_while(|c| *c == ' ').count();
    if lead > 0 {
        return lead + 2;
    }
    let chars: Vec<char> = line.chars().take(32).collect();
    let mut i = 0;
    while i + 2 < chars.len() {
        if chars[i] != ' ' && chars[i + 1] == ' ' && chars[i + 2] == ' ' {
            let start = chars[i + 1..]
                .iter()
                .position(|c| *c != ' ')
                .map(|p| i + 1 + p);
            if let Some(start) = start {
                return text::width(&chars[..start].iter().collect::<String>());
            }
        }
        i += 1;
    }
    0
}

/// Lines wrapped to `width` at spaces, each continuation indented by `hanging_indent` (a word
/// longer than the room is broken across lines, never cut). Lines of several spans (forms,
/// tables drawn in colours) are left to the paragraph's own wrapping.
fn hang_wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(8));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.spans.len() != 1 || line.width() <= width {
            out.push(line);
            continue;
        }
        let style = line.spans[0].style.patch(line.style);
        let content = line.spans[0].content.to_string();
        let indent = hanging_indent(&content).min(width / 2);
        let lead = (content.len() - content.trim_start_matches(' ').len()).min(width / 2);
        let mut current = String::new();
        let mut rows: Vec<String> = Vec::new();
        let room = |rows: &Vec<String>| {
            if rows.is_empty() {
                width - lead
            } else {
                width - indent
            }
        };
        for word in content.trim_start_matches(' ').split(' ') {
            let sep = usize::from(!current.is_empty());
            if text::width(&current) + sep + text::width(word) <= room(&rows) {
                if sep == 1 {
                    current.push(' ');
                }
                current.push_str(word);
                continue;
            }
            if !current.trim().is_empty() {
                rows.push(std::mem::take(&mut current));
            } else {
                current.clear();
            }
            let mut rest = word.to_string();
            while text::width(&rest) > room(&rows) {
                let mut head = String::new();
                for c in rest.chars() {
                    if text::width(&head) + text::width(c.encode_utf8(&mut [0; 4])) > room(&rows) {
                        break;
                    }
                    head.push(c);
                }
                if head.is_empty() {
                    break;
                }
                rest = rest[head.len()..].to_string();
                rows.push(head);
            }
            current = rest;
        }
        if !current.is_empty() || rows.is_empty() {
            rows.push(current);
        }
        for (k, row) in rows.into_iter().enumerate() {
            let before = if k == 0 { lead } else { indent };
            out.push(Line::styled(format!("{}{row}", " ".repeat(before)), style));
        }
    }
    out
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
    let lines = hang_wrap(lines, width.saturating_sub(2));
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
    let lines = hang_wrap(lines, width.saturating_sub(2));
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
        Popup::Help(h) => help(frame, state, h, theme),
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
    /// Whether a list row too wide for the box wraps (a plan's rows: a version id is never
    /// cut) or is cut with `…` (a table scrolled sideways). Head and foot always wrap.
    wrap_list: bool,
}

fn list_box(frame: &mut Frame, b: ListBox, theme: &Theme) {
    let ListBox {
        title,
        border,
        head,
        list,
        foot,
        wrap_list,
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
    let head = hang_wrap(head, inner.width);
    let foot = hang_wrap(foot, inner.width);
    let list = if wrap_list {
        hang_wrap(list, inner.width)
    } else {
        list
    };
    let fixed = (head.len() + foot.len()) as u16;
    let room = usize::from(inner.height.saturating_sub(fixed));
    let mut lines = head;
    let shown = list.len().min(room);
    lines.extend(list.into_iter().take(room));
    for _ in shown..room {
        lines.push(Line::raw(""));
    }
    lines.extend(foot);
    // One row each, so that a long key cannot push the keys below off the box; a row wider
    // than the box ends with `…`: nothing is cut without a mark.
    let width = usize::from(inner.width);
    let lines: Vec<Line<'static>> = lines.into_iter().map(|l| marked_cut(l, width)).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `line` cut to `width` cells with `…` as its last cell when it is wider; styles kept.
fn marked_cut(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width || width == 0 {
        return line;
    }
    let mut left = width - 1;
    let mut spans = Vec::new();
    let mut last_style = line.style;
    for span in line.spans {
        if left == 0 {
            break;
        }
        let w = span.width();
        last_style = span.style;
        if w <= left {
            left -= w;
            spans.push(span);
        } else {
            let mut cut = String::new();
            let mut used = 0;
            for c in span.content.chars() {
                let w = text::width(c.encode_utf8(&mut [0; 4]));
                if used + w > left {
                    break;
                }
                cut.push(c);
                used += w;
            }
            spans.push(Span::styled(cut, span.style));
            break;
        }
    }
    spans.push(Span::styled("…", last_style));
    Line::from(spans).style(line.style)
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
