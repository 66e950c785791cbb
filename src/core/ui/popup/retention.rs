//! `e`: the retention form.

use super::*;

pub(super) fn retention_box(
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
        Err(e) => {
            lines.push(Line::styled(e, theme.error));
            if crate::app::compliance_refusal(form, now).is_some() {
                lines.push(Line::styled(
                    "ctrl-s: send it anyway, to show the server's refusal (typed confirmation; audited)",
                    theme.warning,
                ));
            }
        }
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
