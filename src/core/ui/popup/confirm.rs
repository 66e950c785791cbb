//! A confirmation before a write: what it does, typed names, the governance bypass.

use super::*;

pub(super) fn confirm_box(frame: &mut Frame, confirm: &Confirm, theme: &Theme) {
    let mut out: Vec<Line<'static>> = confirm.lines.iter().map(|l| styled(l, theme)).collect();
    out.push(Line::raw(""));
    if let Some(bypass) = confirm.bypass {
        out.push(Line::from(vec![
            Span::raw("Tab: send x-amz-bypass-governance-retention — now "),
            Span::styled(
                if bypass { "ON" } else { "off" },
                if bypass { theme.error } else { theme.emphasis },
            ),
        ]));
        if bypass {
            out.push(Line::styled(
                "With the bypass the server deletes it if these credentials may bypass governance retention (s3:BypassGovernanceRetention): your permissions, not the lock, are all that protects this version.",
                theme.error,
            ));
        }
        out.push(Line::raw(""));
    }
    match &confirm.typed {
        Some(typed) => {
            let ok = typed.typed == typed.expected;
            out.push(Line::from(vec![
                Span::raw("> "),
                Span::styled(text::sanitize(&typed.typed).into_owned(), theme.emphasis),
                Span::styled("▏", theme.warning),
            ]));
            out.push(Line::styled(
                if ok {
                    format!("Enter: {}   Esc: cancel", confirm.yes_label)
                } else {
                    "Esc: cancel".to_string()
                },
                theme.dim,
            ));
        }
        None => {
            let button = |label: &str, on: bool| {
                Span::styled(
                    format!("[ {label} ]"),
                    if on { theme.selected } else { Style::new() },
                )
            };
            out.push(Line::from(vec![
                button("No, cancel", !confirm.yes_selected),
                Span::raw("   "),
                button(
                    &format!("Yes, {}", confirm.yes_label.to_lowercase()),
                    confirm.yes_selected,
                ),
            ]));
            out.push(Line::styled(
                "y: yes   n/Esc: no   ←/→ then Enter: choose",
                theme.dim,
            ));
        }
    }
    boxed(frame, &confirm.title, out, theme.warning, theme);
}
