//! `U`: a bulk undelete from its plan to its report.

use super::*;

pub(super) fn bulk_box(frame: &mut Frame, bulk: &crate::app::BulkUndelete, theme: &Theme) {
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
            listed,
        } => {
            let location = crate::domain::location::S3Location {
                bucket: bulk.bucket.clone(),
                prefix: bulk.targets.level.clone(),
            };
            let mut head: Vec<Line<'static>> = vec![what, Line::raw("")];
            for l in crate::domain::undelete::describe_summary(summary, &location, *after).lines() {
                head.push(Line::raw(l.to_string()));
            }
            head.push(Line::styled(
                format!("  listed {}", listed.short()),
                theme.dim,
            ));
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
                    title: format!(
                        "{title} — plan ({})",
                        crate::domain::format::plural(plans.len(), "key")
                    ),
                    border: theme.border_focused,
                    head,
                    list,
                    foot,
                    wrap_list: true,
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
                    wrap_list: true,
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
                    wrap_list: true,
                },
                theme,
            );
        }
    }
}

pub(super) fn outcome_line(
    key: &str,
    o: &crate::domain::undelete::KeyOutcome,
    theme: &Theme,
) -> Line<'static> {
    use crate::domain::undelete::KeyOutcome;
    let style = match o {
        KeyOutcome::Done(_) => theme.success,
        KeyOutcome::Skipped(_) => theme.warning,
        KeyOutcome::Failed(_) => theme.error,
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
