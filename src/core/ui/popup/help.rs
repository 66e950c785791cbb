//! `?`: the keymap in effect, the focused pane first (its rows are `app::help::rows`).

use super::*;
use crate::app::help::{self as model, Help, HelpRow};

pub(super) fn help(frame: &mut Frame, state: &AppState, help: &Help, theme: &Theme) {
    let screen = frame.area();
    let (width, height) = model::popup_size(screen);
    let area = centered(screen, width, height);
    let rows = model::rows(state, help, model::inner_width(screen));
    let visible = model::visible_rows(screen);
    let total = rows.len();
    let lines: Vec<Line<'static>> = rows
        .into_iter()
        .skip(help.scroll)
        .take(visible)
        .map(|row| match row {
            HelpRow::Note(text) => Line::styled(text, theme.dim),
            HelpRow::Scope { title, section } => Line::from(vec![
                Span::styled(title, theme.emphasis),
                Span::styled(section, theme.dim),
            ]),
            HelpRow::Binding {
                keys,
                command,
                text,
                unavailable,
            } => Line::from(vec![
                Span::styled(keys, theme.prefix),
                Span::styled(command, theme.dim),
                Span::styled(text, style(unavailable, theme)),
            ]),
            HelpRow::More {
                indent,
                text,
                unavailable,
            } => Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(text, style(unavailable, theme)),
            ]),
            HelpRow::Blank => Line::raw(""),
        })
        .collect();
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(" Help — keys ", theme.emphasis))
        .title_bottom(Line::styled(
            text::sanitize(&model::position(help, total, visible)).into_owned(),
            if help.typing {
                theme.warning
            } else {
                theme.dim
            },
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A write key in a read-only session stands out: it will be refused.
fn style(unavailable: bool, theme: &Theme) -> Style {
    if unavailable {
        theme.warning
    } else {
        Style::new()
    }
}
