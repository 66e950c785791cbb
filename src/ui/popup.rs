//! Help, messages and confirmations, drawn over the panes.

use super::theme::Theme;
use crate::app::{AppState, Confirm, DialogLine, LineStyle, Popup};
use crate::domain::text;
use crate::keys::Scope;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

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
            boxed(frame, title, out, border, theme);
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

fn bulk_box(frame: &mut Frame, bulk: &crate::app::BulkUndelete, theme: &Theme) {
    use crate::app::BulkStage;
    let location = format!(
        "s3://{}/{}",
        text::sanitize(&bulk.bucket),
        text::sanitize(&bulk.targets.level)
    );
    let title = "Bulk undelete".to_string();
    let what = Line::from(vec![
        Span::raw("Undelete "),
        Span::styled(bulk.what(), theme.emphasis),
        Span::raw(format!(" in {location}")),
    ]);
    match &bulk.stage {
        BulkStage::Time { input, error } => {
            let mut lines = vec![
                what,
                Line::raw(""),
                Line::raw("Only what happened after this time (the incident)."),
                Line::styled(
                    "Empty: every deleted key, by removing the delete markers above its newest version.",
                    theme.dim,
                ),
            ];
            time_field(&mut lines, input, error.as_deref(), theme);
            lines.push(Line::styled(
                "Enter: make the plan (nothing is sent)   Esc: cancel",
                theme.dim,
            ));
            boxed(frame, &title, lines, theme.border_focused, theme);
        }
        BulkStage::Planning { keys, .. } => {
            let lines = vec![
                what,
                Line::raw(""),
                Line::raw(format!("Listing versions… {keys} keys planned")),
                Line::raw(""),
                Line::styled("Esc: stop (nothing is sent)", theme.dim),
            ];
            boxed(frame, &title, lines, theme.border_focused, theme);
        }
        BulkStage::PlanFailed(why) => {
            let lines = vec![
                what,
                Line::raw(""),
                Line::styled(text::sanitize(why).into_owned(), theme.error),
                Line::raw(""),
                Line::styled("Enter or Esc closes this.", theme.dim),
            ];
            boxed(frame, &title, lines, theme.error, theme);
        }
        BulkStage::Plan {
            after,
            plans,
            summary,
            scroll,
            note,
        } => {
            let location = crate::domain::location::S3Location {
                bucket: bulk.bucket.clone(),
                prefix: bulk.targets.level.clone(),
            };
            let mut head: Vec<Line<'static>> = vec![what, Line::raw("")];
            for l in crate::domain::undelete::describe_summary(summary, &location, *after).lines() {
                head.push(Line::raw(l.to_string()));
            }
            head.push(Line::raw(""));
            // Only the rows that can show are formatted: a plan can hold a million keys.
            let rows = usize::from(frame.area().height);
            let list: Vec<Line<'static>> = plans
                .iter()
                .skip(*scroll)
                .take(rows)
                .map(|p| {
                    let style = match p.action {
                        crate::domain::undelete::KeyAction::RemoveMarkers { .. } => Style::new(),
                        crate::domain::undelete::KeyAction::CopyBack { .. } => theme.warning,
                        crate::domain::undelete::KeyAction::Leave(_) => theme.dim,
                    };
                    Line::styled(crate::domain::undelete::describe_key(p), style)
                })
                .collect();
            let mut foot = vec![Line::raw("")];
            if let Some(n) = note {
                foot.push(Line::styled(text::sanitize(n).into_owned(), theme.warning));
            }
            foot.push(Line::styled(
                "DRY RUN — nothing has been sent.  y: carry out this plan   j/k pgup/pgdn: scroll   Esc: close",
                theme.dim,
            ));
            list_box(
                frame,
                ListBox {
                    title: format!("{title} — plan ({} keys)", plans.len()),
                    border: theme.border_focused,
                    head,
                    list,
                    foot,
                },
                theme,
            );
        }
        BulkStage::Running {
            total,
            tally,
            outcomes,
            cancelling,
        } => {
            let finished = tally.done + tally.skipped + tally.failed;
            let width = 40usize;
            let filled = (finished * width).checked_div(*total).unwrap_or(width);
            let head = vec![
                what,
                Line::raw(""),
                Line::from(vec![
                    Span::styled("█".repeat(filled), theme.success),
                    Span::styled("░".repeat(width - filled.min(width)), theme.dim),
                    Span::raw(format!(
                        " {finished}/{total}  done {}  skipped {}  failed {}",
                        tally.done, tally.skipped, tally.failed
                    )),
                ]),
                Line::raw(""),
            ];
            let list: Vec<Line<'static>> = outcomes
                .iter()
                .rev()
                .take(usize::from(frame.area().height))
                .map(|(key, o)| outcome_line(key, o, theme))
                .collect();
            let foot = vec![
                Line::raw(""),
                Line::styled(
                    if *cancelling {
                        "Cancelling: no further key is started; keys under way finish."
                    } else {
                        "Esc or c: cancel (keys under way finish; the rest are not started)"
                    },
                    theme.dim,
                ),
            ];
            list_box(
                frame,
                ListBox {
                    title: format!("{title} — running"),
                    border: theme.border_focused,
                    head,
                    list,
                    foot,
                },
                theme,
            );
        }
        BulkStage::Report {
            tally,
            outcomes,
            scroll,
        } => {
            let head = vec![
                what,
                Line::raw(""),
                Line::styled(
                    crate::domain::undelete::describe_tally(tally),
                    if tally.failed > 0 {
                        theme.error
                    } else {
                        theme.success
                    },
                ),
                Line::raw(""),
            ];
            let list: Vec<Line<'static>> = outcomes
                .iter()
                .skip(*scroll)
                .take(usize::from(frame.area().height))
                .map(|(key, o)| outcome_line(key, o, theme))
                .collect();
            let foot = vec![
                Line::raw(""),
                Line::styled(
                    "Failures first. j/k pgup/pgdn: scroll   Esc: close (the pane reloads; every write is in the audit trail, A)",
                    theme.dim,
                ),
            ];
            list_box(
                frame,
                ListBox {
                    title: format!("{title} — report"),
                    border: if tally.failed > 0 {
                        theme.error
                    } else {
                        theme.border_focused
                    },
                    head,
                    list,
                    foot,
                },
                theme,
            );
        }
    }
}

fn report_box(frame: &mut Frame, r: &crate::app::ReportView, theme: &Theme) {
    use crate::app::ReportStage;
    let title = format!("Lock-coverage report of {}", r.location);
    match &r.stage {
        ReportStage::Building { versions } => boxed(
            frame,
            &title,
            vec![
                Line::raw(format!(
                    "Reading the lock of every version… {versions} versions so far"
                )),
                Line::raw(""),
                Line::styled("Esc: stop", theme.dim),
            ],
            theme.border_focused,
            theme,
        ),
        ReportStage::Failed(why) => boxed(
            frame,
            &title,
            vec![
                Line::styled(text::sanitize(why).into_owned(), theme.error),
                Line::raw(""),
                Line::styled("Enter or Esc closes this.", theme.dim),
            ],
            theme.error,
            theme,
        ),
        ReportStage::Done {
            markdown,
            file_name,
            scroll,
            saved,
        } => {
            let list: Vec<Line<'static>> = markdown
                .lines()
                .skip(*scroll)
                .take(usize::from(frame.area().height))
                .map(|l| {
                    let style = if l.starts_with('#') {
                        theme.emphasis
                    } else {
                        Style::new()
                    };
                    Line::styled(text::sanitize(l).into_owned(), style)
                })
                .collect();
            let mut foot = vec![Line::raw("")];
            match saved {
                Some(Ok(path)) => foot.push(Line::styled(
                    format!("Saved to {}", text::sanitize(path)),
                    theme.success,
                )),
                Some(Err(e)) => {
                    foot.push(Line::styled(text::sanitize(e).into_owned(), theme.error))
                }
                None => {}
            }
            foot.push(Line::styled(
                format!(
                    "s: save as ./{}   j/k pgup/pgdn: scroll   Esc: close",
                    text::sanitize(file_name)
                ),
                theme.dim,
            ));
            list_box(
                frame,
                ListBox {
                    title,
                    border: theme.border_focused,
                    head: Vec::new(),
                    list,
                    foot,
                },
                theme,
            );
        }
    }
}

fn outcome_line(key: &str, o: &crate::domain::undelete::Outcome, theme: &Theme) -> Line<'static> {
    use crate::domain::undelete::Outcome;
    let style = match o {
        Outcome::Done(_) => theme.success,
        Outcome::Skipped(_) => theme.warning,
        Outcome::Failed(_) => theme.error,
    };
    Line::from(vec![
        Span::styled(format!("{:<8}", o.code()), style),
        Span::raw(format!(
            "{}: {}",
            text::name(key),
            text::sanitize(o.detail())
        )),
    ])
}

fn confirm_box(frame: &mut Frame, confirm: &Confirm, theme: &Theme) {
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
                "With the bypass, your permissions, not the lock, are all that protects this version.",
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

fn help(frame: &mut Frame, state: &AppState, scroll: u16, theme: &Theme) {
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

fn audit_box(
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
        let outcome_style = if e.outcome == "ok" {
            theme.success
        } else {
            theme.error
        };
        let mut spans = vec![
            Span::styled(text::sanitize(&e.time).into_owned(), theme.dim),
            Span::raw(" "),
            Span::styled(format!("{:<8}", text::sanitize(&e.outcome)), outcome_style),
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

fn retention_box(
    frame: &mut Frame,
    form: &crate::app::RetentionForm,
    now: jiff::Timestamp,
    theme: &Theme,
) {
    use crate::domain::lock::{self, LockState};
    use crate::domain::{RetentionMode, format};
    let v = &form.version;
    let current = match form.current.state(now) {
        LockState::Retained {
            mode,
            until,
            remaining,
        } => format!(
            "{} until {} ({})",
            if mode.is_known() {
                mode.as_str().to_string()
            } else {
                format!("unknown mode \"{}\"", text::sanitize(mode.as_str()))
            },
            lock::describe_until(until),
            lock::countdown(until, remaining)
        ),
        LockState::Expired { until, .. } => {
            format!("ran out at {}", lock::describe_until(until))
        }
        LockState::None => "no retention".to_string(),
    };
    let choice = |mode: RetentionMode| {
        let on = form.mode == mode;
        Span::styled(
            format!(" {} ", mode.as_str()),
            if on { theme.selected } else { theme.dim },
        )
    };
    let mut lines: Vec<Line<'static>> = vec![
        Line::styled(
            format!(
                "Version {} of s3://{}/{}",
                text::sanitize(&v.version_id),
                text::sanitize(&v.bucket),
                text::sanitize(&v.key)
            ),
            theme.emphasis,
        ),
        Line::raw(format!(
            "Now:           {current}{}",
            match &form.current.legal_hold {
                crate::domain::LegalHold::Off => String::new(),
                hold => format!(", legal hold {}", hold.label()),
            }
        )),
        Line::raw(""),
        Line::from(vec![
            Span::raw("Mode (Tab):    "),
            choice(RetentionMode::Compliance),
            Span::raw(" "),
            choice(RetentionMode::Governance),
        ]),
        Line::from(vec![
            Span::raw("Until:         "),
            Span::styled(text::sanitize(&form.input).into_owned(), theme.emphasis),
            Span::styled("▏", theme.warning),
            Span::styled(
                "   a date (2027-01-31 12:00), +N days or +Nh, UTC",
                theme.dim,
            ),
        ]),
    ];
    match crate::app::check_retention(form, now) {
        Ok((until, warning)) => {
            lines.push(Line::styled(
                format!("               = {} UTC", format::timestamp(until)),
                theme.success,
            ));
            if let Some(w) = warning {
                lines.push(Line::styled(w, theme.error));
            }
        }
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    if matches!(
        form.current.state(now),
        LockState::Retained {
            mode: RetentionMode::Governance,
            ..
        }
    ) {
        lines.push(Line::from(vec![
            Span::raw("Bypass governance (ctrl-b): "),
            Span::styled(
                if form.bypass { "ON" } else { "off" },
                if form.bypass {
                    theme.error
                } else {
                    theme.emphasis
                },
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Enter: review and confirm   Esc: cancel",
        theme.dim,
    ));
    boxed(frame, "Set retention", lines, theme.warning, theme);
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

fn bucket_form_box(frame: &mut Frame, f: &crate::app::BucketForm, theme: &Theme) {
    use crate::app::BucketFormKind;
    let title = match &f.kind {
        BucketFormKind::Create => "Create bucket".to_string(),
        BucketFormKind::LockSettings { bucket, .. } => {
            format!("Lock settings of {}", text::sanitize(bucket))
        }
    };
    let mut lines = form_lines(&f.form, theme);
    lines.push(Line::raw(""));
    match crate::app::check_bucket_form(f) {
        Ok(_) => lines.push(Line::styled(
            "Ready: Enter reviews and confirms.",
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "Tab/↑/↓: field   ←/→ or space: choose   Enter: review   Esc: cancel",
        theme.dim,
    ));
    boxed(frame, &title, lines, theme.border_focused, theme);
}

fn upload_box(frame: &mut Frame, f: &crate::app::UploadForm, now: jiff::Timestamp, theme: &Theme) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Into s3://{}/{}",
                text::sanitize(&f.bucket),
                text::sanitize(&f.prefix)
            ),
            theme.emphasis,
        ),
        Line::raw(""),
    ];
    lines.extend(form_lines(&f.form, theme));
    if !f.candidates.is_empty() {
        let shown: Vec<String> = f
            .candidates
            .iter()
            .take(8)
            .map(|c| text::sanitize(c).into_owned())
            .collect();
        let more = f.candidates.len().saturating_sub(8);
        lines.push(Line::styled(
            format!(
                "{}{}",
                shown.join("  "),
                if more > 0 {
                    format!("  … {more} more")
                } else {
                    String::new()
                }
            ),
            theme.dim,
        ));
    }
    lines.push(Line::raw(""));
    match crate::app::check_upload(f, now) {
        Ok(u) => lines.push(Line::styled(
            format!("Ready: Enter uploads to {}", text::sanitize(&u.key)),
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "Tab: complete the path   ↑/↓: field   ←/→ or space: choose   Enter: upload   Esc: cancel",
        theme.dim,
    ));
    boxed(frame, "Upload", lines, theme.border_focused, theme);
}

fn download_box(frame: &mut Frame, f: &crate::app::DownloadForm, theme: &Theme) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Save s3://{}/{}{}",
                text::sanitize(&f.bucket),
                text::sanitize(&f.key),
                f.version_id.as_deref().map_or(String::new(), |v| format!(
                    " (version {})",
                    text::sanitize(v)
                ))
            ),
            theme.emphasis,
        ),
        Line::raw(""),
    ];
    lines.extend(form_lines(&f.form, theme));
    if !f.candidates.is_empty() {
        let shown: Vec<String> = f
            .candidates
            .iter()
            .take(8)
            .map(|c| text::sanitize(c).into_owned())
            .collect();
        lines.push(Line::styled(shown.join("  "), theme.dim));
    }
    lines.push(Line::raw(""));
    match crate::app::download_target(f) {
        Ok(path) => lines.push(Line::styled(
            format!("Ready: Enter saves as {}", text::sanitize(&path)),
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "An existing file is never replaced without asking. Tab completes; Esc cancels.",
        theme.dim,
    ));
    boxed(frame, "Save a version", lines, theme.border_focused, theme);
}
