//! `?`: the keymap in effect, the focused pane first.

use super::*;

pub(super) fn help(frame: &mut Frame, state: &AppState, scroll: u16, theme: &Theme) {
    let screen = frame.area();
    let area = centered(
        screen,
        screen.width.saturating_sub(4).min(110),
        screen.height.saturating_sub(2),
    );
    let inner_width = area.width.saturating_sub(2).max(8);
    let mut lines: Vec<Line<'static>> = vec![
        Line::styled(
            "To rebind: [keys.SCOPE] COMMAND = [\"key\", …] in the config file (lockwatch config path);",
            theme.dim,
        ),
        Line::styled(
            "each section's scope and each key's command are the names in brackets.",
            theme.dim,
        ),
        Line::raw(""),
    ];
    // The focused pane's keys first, then those that work everywhere, then the other panes'.
    let focused = state.focus.scope();
    let mut scopes: Vec<_> = state.keymap.scopes.iter().collect();
    scopes.sort_by_key(|(scope, _)| match scope {
        s if *s == focused => 0,
        Scope::Global => 1,
        _ => 2,
    });
    // One column for the command names, as wide as the longest and a space: a long name such
    // as [restore_by_copy] never runs into its description.
    let command_width = scopes
        .iter()
        .flat_map(|(_, bindings)| bindings.iter())
        .map(|b| b.command.name().len() + 3)
        .max()
        .unwrap_or(0);
    for (scope, bindings) in scopes {
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(scope.title().to_string(), theme.emphasis),
            Span::styled(format!("  [{}]", scope.config_name()), theme.dim),
        ]));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            let keys = format!("  {:<16} ", keys.join(", "));
            let command = format!("{:<command_width$}", format!("[{}]", b.command.name()));
            let mut desc = b.desc.clone();
            if state.connection.read_only && b.command.is_write() {
                desc.push_str(" (unavailable: read-only)");
            }
            // The description wraps under itself, beside the keys and the command.
            let indent = text::width(&keys) + text::width(&command);
            let room = usize::from(inner_width).saturating_sub(indent);
            let (first, rest) = if room >= 24 {
                let mut wrapped = text::wrap(&desc, room).into_iter();
                (wrapped.next().unwrap_or_default(), wrapped.collect())
            } else {
                (
                    String::new(),
                    text::wrap(&desc, usize::from(inner_width).saturating_sub(4)),
                )
            };
            let style = if state.connection.read_only && b.command.is_write() {
                theme.warning
            } else {
                Style::new()
            };
            lines.push(Line::from(vec![
                Span::styled(keys, theme.prefix),
                Span::styled(command, theme.dim),
                Span::styled(first, style),
            ]));
            let pad = " ".repeat(if room >= 24 { indent } else { 4 });
            for line in rest {
                lines.push(Line::from(vec![
                    Span::raw(pad.clone()),
                    Span::styled(line, style),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Lock states: COMPLIANCE (nobody can delete before the date), GOVERNANCE (only with",
        theme.dim,
    ));
    lines.push(Line::styled(
        "bypass permission), HOLD (legal hold: no delete until released), expired — deletable.",
        theme.dim,
    ));
    lines.push(Line::styled(
        "Times are UTC. j/k scroll, Esc closes.",
        theme.dim,
    ));
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(" Help — keys ", theme.emphasis));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
