//! `A`: the audit trail, newest first.

use super::*;

pub(super) fn audit_box(
    frame: &mut Frame,
    entries: &[crate::domain::audit::AuditLine],
    scroll: u16,
    theme: &Theme,
) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if entries.is_empty() {
        lines.push(Line::styled("lockwatch has made no writes yet.", theme.dim));
    }
    for line in entries.iter().rev() {
        let e = match line {
            crate::domain::audit::AuditLine::Entry(e) => e,
            crate::domain::audit::AuditLine::Unreadable(raw) => {
                lines.push(Line::from(vec![
                    Span::styled("unreadable line: ", theme.error),
                    Span::raw(text::sanitize(raw).into_owned()),
                ]));
                continue;
            }
        };
        let outcome_style = if e.outcome == crate::domain::audit::Outcome::Ok {
            theme.success
        } else {
            theme.error
        };
        let mut spans = vec![
            Span::styled(text::sanitize(&e.time).into_owned(), theme.dim),
            Span::raw(" "),
            Span::styled(
                format!("{:<8}", text::sanitize(&e.outcome.as_text())),
                outcome_style,
            ),
            Span::raw(format!(" {} ", text::sanitize(&e.action))),
            Span::raw(format!(
                "s3://{}/{}",
                text::sanitize(&e.bucket),
                text::sanitize(&e.key)
            )),
        ];
        if let Some(v) = &e.version_id {
            spans.push(Span::styled(
                format!(" version {}", text::sanitize(v)),
                theme.dim,
            ));
        }
        if let Some(code) = &e.error_code {
            spans.push(Span::styled(
                format!(" {}", text::sanitize(code)),
                theme.error,
            ));
        }
        if let Some(actor) = &e.actor {
            spans.push(Span::styled(
                format!(" by {}", text::sanitize(&actor.describe())),
                theme.dim,
            ));
        }
        lines.push(Line::from(spans));
    }
    let screen = frame.area();
    let area = centered(
        screen,
        screen.width.saturating_sub(2),
        screen.height.saturating_sub(2),
    );
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(
            " Audit trail — newest first (Esc closes) ",
            theme.emphasis,
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
