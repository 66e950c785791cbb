//! `e`: set or extend the retention of one version. The rules the server will apply are
//! checked first and said plainly; COMPLIANCE is confirmed separately, since nobody can undo it.

use super::dialog::{
    Confirm, DialogLine, LineStyle, PendingWrite, Popup, TypedConfirm, finish_write, short_name,
};
use super::{AppState, Effect, LockStatus, PENDING, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::lock::{self, LockState};
use crate::domain::{LockInfo, RetentionMode, VersionRef, format, text};
use crate::keys::{Key, KeyCode};
use jiff::{SignedDuration, Timestamp, civil, tz::TimeZone};

/// The retention form while it is being filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionForm {
    pub version: VersionRef,
    pub current: LockInfo,
    pub mode: RetentionMode,
    pub input: String,
    pub bypass: bool,
}

/// Reads `+30`, `+30d`, `+12h`, `+2m`, `+90s`, `2027-01-31`, `2027-01-31 12:00[:00]` or an RFC 3339 time
/// (UTC when no zone is given).
pub fn parse_until(input: &str, now: Timestamp) -> Result<Timestamp, String> {
    let s = input.trim();
    if let Some(rel) = s.strip_prefix('+') {
        let (number, unit) = match rel.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => (&rel[..i], &rel[i..]),
            None => (rel, "d"),
        };
        let n: i64 = number
            .parse()
            .map_err(|_| format!("'{s}': expected +N, +Nd or +Nh"))?;
        let seconds = match unit {
            "d" | "" => n.checked_mul(86_400),
            "h" => n.checked_mul(3_600),
            "m" => n.checked_mul(60),
            "s" => Some(n),
            _ => {
                return Err(format!(
                    "'{s}': the unit must be d (days), h (hours), m (minutes) or s (seconds)"
                ));
            }
        }
        .ok_or_else(|| format!("'{s}' is too far away"))?;
        return now
            .checked_add(SignedDuration::from_secs(seconds))
            .map_err(|_| format!("'{s}' is too far away"));
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil: Result<civil::DateTime, _> = s.replace(' ', "T").parse::<civil::DateTime>();
    let datetime = match civil {
        Ok(dt) => dt,
        Err(_) => s
            .parse::<civil::Date>()
            .map(|d| d.to_datetime(civil::Time::midnight()))
            .map_err(|_| {
                format!("'{s}': expected a date (2027-01-31, 2027-01-31 12:00) or +N days")
            })?,
    };
    datetime
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| format!("'{s}': {e}"))
}

/// Checks a requested retention against the version's current one. `Ok` carries a warning to
/// show in the confirmation, if any.
pub fn check(form: &RetentionForm, now: Timestamp) -> Result<(Timestamp, Option<String>), String> {
    let until = parse_until(&form.input, now)?;
    if until <= now {
        return Err("The date must be in the future.".into());
    }
    match form.current.state(now) {
        LockState::Retained {
            mode: RetentionMode::Compliance,
            until: current,
            ..
        } => {
            if form.mode != RetentionMode::Compliance {
                return Err(
                    "COMPLIANCE cannot be changed to another mode before it runs out.".into(),
                );
            }
            if until < current.instant() {
                return Err(format!(
                    "COMPLIANCE retention can only be extended: choose {} or later.",
                    lock::describe_until(current)
                ));
            }
            Ok((until, None))
        }
        LockState::Retained {
            mode: RetentionMode::Governance,
            until: current,
            ..
        } => {
            let shortens = until < current.instant();
            let weakens = shortens || form.mode != RetentionMode::Governance;
            if shortens && !form.bypass {
                return Err(format!(
                    "Shortening GOVERNANCE retention (now until {}) needs the bypass: ctrl-b turns it on.",
                    lock::describe_until(current)
                ));
            }
            Ok((
                until,
                (weakens && form.bypass).then(|| {
                    "The bypass is on: your permissions, not the lock, decide whether this is allowed.".to_string()
                }),
            ))
        }
        _ => Ok((until, None)),
    }
}

/// A request lockwatch refuses because COMPLIANCE forbids it (shorter, or another mode),
/// which the user may still send to show the server's own refusal: the date it asks for.
pub fn compliance_refusal(form: &RetentionForm, now: Timestamp) -> Option<Timestamp> {
    let until = parse_until(&form.input, now).ok()?;
    if until <= now {
        return None;
    }
    match form.current.state(now) {
        LockState::Retained {
            mode: RetentionMode::Compliance,
            until: current,
            ..
        } if form.mode != RetentionMode::Compliance || until < current.instant() => Some(until),
        _ => None,
    }
}

/// Why a retention change was refused, from the lock as last read: what the change would have
/// done to the retention (shortened it, or weakened COMPLIANCE to GOVERNANCE), then what the
/// lock allows. A delete's explanation (`lock_sentences`) would answer another question.
fn refusal_reason(
    current: &LockInfo,
    requested: &(RetentionMode, Timestamp),
    now: Timestamp,
) -> Vec<String> {
    let (mode, until) = requested;
    match current.state(now) {
        LockState::Retained {
            mode: RetentionMode::Compliance,
            until: held,
            ..
        } if *mode != RetentionMode::Compliance || *until < held.instant() => {
            let change = if *mode != RetentionMode::Compliance {
                format!("weaken it to {}", mode.as_str())
            } else {
                format!("shorten it to {} UTC", format::timestamp(*until))
            };
            vec![format!(
                "This version is under COMPLIANCE retention until {}. A COMPLIANCE retention can only be extended: nobody, administrators included, can {change} before it runs out.",
                lock::describe_until(held)
            )]
        }
        LockState::Retained {
            mode: RetentionMode::Governance,
            until: held,
            ..
        } if *mode == RetentionMode::Governance && *until < held.instant() => vec![format!(
            "This version is under GOVERNANCE retention until {}. Shortening it needs permission to bypass governance retention, sent as x-amz-bypass-governance-retention (ctrl-b in the form).",
            lock::describe_until(held)
        )],
        _ => super::writes::lock_sentences(current, now),
    }
}

/// The typed confirmation before sending a COMPLIANCE change the server must refuse: the
/// refusal, shown and audited, is the evidence.
fn demonstration(form: &RetentionForm, until: Timestamp) -> Confirm {
    let v = &form.version;
    let lines = vec![
        DialogLine::new(
            format!(
                "Send {} retention until {} UTC for version {} of s3://{}/{}, which COMPLIANCE forbids",
                form.mode.as_str(),
                format::timestamp(until),
                text::sanitize(&v.version_id),
                text::sanitize(&v.bucket),
                text::sanitize(&v.key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
        DialogLine::new(
            "lockwatch expects the server to refuse: under COMPLIANCE nobody can shorten a retention or change its mode before it runs out. Sending it shows the server's own answer, and the audit trail records it.",
            LineStyle::Warning,
        ),
        DialogLine::new(
            "If the server accepted it, it would not be enforcing COMPLIANCE, and this version would be protected for less time: lockwatch reads it back either way.",
            LineStyle::Error,
        ),
        DialogLine::plain(""),
        DialogLine::plain("Type send anyway and press Enter to send it, Esc to cancel."),
    ];
    Confirm {
        title: "Show the server's refusal".into(),
        lines,
        yes_label: "Send anyway".into(),
        write: PendingWrite::send(
            Effect::SetRetention {
                request: PENDING,
                version: v.clone(),
                mode: form.mode.clone(),
                until,
                bypass: false,
            },
            format!(
                "sending a COMPLIANCE change the server should refuse ({})",
                short_name(&v.key)
            ),
        ),
        yes_selected: false,
        typed: Some(TypedConfirm {
            expected: "send anyway".into(),
            typed: String::new(),
        }),
        bypass: None,
    }
}

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    if state.focus != Pane::Versions {
        return Vec::new();
    }
    let (Some(bucket), Some(key)) = (state.versions.bucket.clone(), state.versions.key.clone())
    else {
        state.info("Open an object's versions first (Enter in the objects pane).");
        return Vec::new();
    };
    let Some(entry) = state.versions.selected() else {
        return Vec::new();
    };
    if entry.is_delete_marker() {
        state.info("Delete markers carry no lock: retention applies to versions only.");
        return Vec::new();
    }
    let version = VersionRef {
        bucket,
        key,
        version_id: entry.version_id.clone(),
    };
    let Some(LockStatus::Known(current)) = state.locks.get(&version).cloned() else {
        state.info("The lock of this version is not known yet; try again in a moment.");
        return Vec::new();
    };
    // A mode lockwatch cannot read is never sent back: the form starts from a known one.
    let mode = current
        .mode
        .clone()
        .filter(RetentionMode::is_known)
        .unwrap_or(RetentionMode::Governance);
    state.popup = Some(Popup::Retention(RetentionForm {
        version,
        current,
        mode,
        input: "+1".into(),
        bypass: false,
    }));
    Vec::new()
}

pub(super) fn on_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    let Some(Popup::Retention(form)) = state.popup.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            state.popup = None;
            state.info("Cancelled: nothing was changed.");
        }
        KeyCode::Tab | KeyCode::BackTab => {
            form.mode = match form.mode {
                RetentionMode::Compliance => RetentionMode::Governance,
                _ => RetentionMode::Compliance,
            };
        }
        KeyCode::Char('b') if key.ctrl => form.bypass = !form.bypass,
        // What lockwatch refuses under COMPLIANCE may still be sent, to show the server refuse.
        KeyCode::Char('s') if key.ctrl => {
            if let Some(until) = compliance_refusal(form, now) {
                let form = form.clone();
                state.popup = Some(Popup::Confirm(demonstration(&form, until)));
            }
        }
        KeyCode::Backspace => {
            form.input.pop();
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => form.input.push(c),
        KeyCode::Enter => {
            if let Ok((until, warning)) = check(form, now) {
                let form = form.clone();
                state.popup = Some(Popup::Confirm(confirmation(&form, until, warning)));
            }
        }
        _ => {}
    }
    Vec::new()
}

fn confirmation(form: &RetentionForm, until: Timestamp, warning: Option<String>) -> Confirm {
    let v = &form.version;
    let mut lines = vec![
        DialogLine::new(
            format!(
                "Set {} retention until {} UTC on version {} of s3://{}/{}",
                form.mode.as_str(),
                format::timestamp(until),
                text::sanitize(&v.version_id),
                text::sanitize(&v.bucket),
                text::sanitize(&v.key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
    ];
    if form.mode == RetentionMode::Compliance {
        lines.push(DialogLine::new(
            "Under COMPLIANCE nobody, administrators included, can delete this version or shorten its retention before that date.",
            LineStyle::Warning,
        ));
    }
    if let Some(w) = warning {
        lines.push(DialogLine::new(w, LineStyle::Error));
    }
    lines.push(DialogLine::plain(
        "lockwatch reads the version back afterwards and compares.",
    ));
    Confirm {
        title: "Set retention".into(),
        lines,
        yes_label: "Set retention".into(),
        write: PendingWrite::send(
            Effect::SetRetention {
                request: PENDING,
                version: v.clone(),
                mode: form.mode.clone(),
                until,
                bypass: form.bypass,
            },
            format!("setting the retention of {}", short_name(&v.key)),
        ),
        yes_selected: false,
        typed: None,
        bypass: None,
    }
}

pub(super) fn on_set(
    state: &mut AppState,
    request: RequestId,
    version: VersionRef,
    requested: (RetentionMode, Timestamp),
    result: Result<LockInfo, S3Error>,
    now: Timestamp,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(info) => {
            let held = (
                info.mode.clone(),
                info.retain_until.map(|t| t.unix_seconds()),
            );
            let asked = (Some(requested.0.clone()), Some(requested.1.as_second()));
            state
                .locks
                .insert(version.clone(), LockStatus::Known(info.clone()));
            if held == asked {
                state.success(format!(
                    "{} retention until {} UTC set on {} (read back from the server).",
                    requested.0.as_str(),
                    format::timestamp(requested.1),
                    short_name(&version.key)
                ));
            } else {
                state.popup = Some(Popup::Message {
                    title: "The server holds something else".into(),
                    lines: vec![
                        DialogLine::new(
                            "The server accepted the request, but reading the version back shows a different lock:",
                            LineStyle::Error,
                        ),
                        DialogLine::plain(format!(
                            "asked for: {} until {} UTC",
                            requested.0.as_str(),
                            format::timestamp(requested.1)
                        )),
                        DialogLine::plain(format!(
                            "server holds: {} until {}",
                            info.mode.as_ref().map_or("no mode", |m| m.as_str()),
                            info.retain_until
                                .map_or("no date".to_string(), lock::describe_until)
                        )),
                    ],
                    error: true,
                });
            }
        }
        Err(error) => {
            // The server's words, what was sent, then why, from the lock as last read: a
            // refusal shown to an auditor is explained, not only reported.
            let mut lines = vec![
                DialogLine::new(error.failure_sentence(), LineStyle::Error),
                DialogLine::plain(format!(
                    "Sent: {} retention until {} UTC for version {} of s3://{}/{}.",
                    requested.0.as_str(),
                    format::timestamp(requested.1),
                    text::sanitize(&version.version_id),
                    text::sanitize(&version.bucket),
                    text::sanitize(&version.key)
                )),
            ];
            if let Some(LockStatus::Known(info)) = state.locks.get(&version) {
                lines.extend(
                    refusal_reason(info, &requested, now)
                        .into_iter()
                        .map(DialogLine::plain),
                );
            }
            state.popup = Some(Popup::Message {
                title: "Retention not changed".into(),
                lines,
                error: true,
            });
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    const NOW: &str = "2026-11-26T12:00:00Z";

    fn form(current: LockInfo, mode: RetentionMode, input: &str, bypass: bool) -> RetentionForm {
        RetentionForm {
            version: VersionRef {
                bucket: "bup".into(),
                key: Arc::from("k"),
                version_id: "v".into(),
            },
            current,
            mode,
            input: input.into(),
            bypass,
        }
    }

    #[test]
    fn dates_and_offsets_are_read_in_utc() {
        let now = t(NOW);
        assert_eq!(parse_until("+1", now), Ok(t("2026-11-27T12:00:00Z")));
        assert_eq!(parse_until("+30d", now), Ok(t("2026-12-26T12:00:00Z")));
        assert_eq!(parse_until("+12h", now), Ok(t("2026-11-27T00:00:00Z")));
        assert_eq!(
            parse_until("2027-01-31", now),
            Ok(t("2027-01-31T00:00:00Z"))
        );
        assert_eq!(
            parse_until("2027-01-31 12:30", now),
            Ok(t("2027-01-31T12:30:00Z"))
        );
        assert_eq!(
            parse_until("2027-01-31T12:30:00Z", now),
            Ok(t("2027-01-31T12:30:00Z"))
        );
        assert!(parse_until("tomorrow", now).is_err());
        assert_eq!(parse_until("+2m", now), Ok(t("2026-11-26T12:02:00Z")));
        assert_eq!(parse_until("+90s", now), Ok(t("2026-11-26T12:01:30Z")));
        assert!(parse_until("+3w", now).is_err());
        assert!(parse_until("+99999999999999", now).is_err());
    }

    #[test]
    fn compliance_is_only_extended() {
        let current = LockInfo {
            mode: Some(RetentionMode::Compliance),
            retain_until: Some(crate::domain::RetainUntil::at(t("2026-12-01T00:00:00Z"))),
            legal_hold: crate::domain::LegalHold::Off,
        };
        let now = t(NOW);
        assert!(
            check(
                &form(
                    current.clone(),
                    RetentionMode::Compliance,
                    "2026-11-30",
                    false
                ),
                now
            )
            .is_err()
        );
        assert!(
            check(
                &form(
                    current.clone(),
                    RetentionMode::Governance,
                    "2027-01-01",
                    true
                ),
                now
            )
            .is_err()
        );
        assert!(
            check(
                &form(current, RetentionMode::Compliance, "2027-01-01", false),
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn shortening_governance_needs_the_bypass_and_says_so() {
        let current = LockInfo {
            mode: Some(RetentionMode::Governance),
            retain_until: Some(crate::domain::RetainUntil::at(t("2026-12-01T00:00:00Z"))),
            legal_hold: crate::domain::LegalHold::Off,
        };
        let now = t(NOW);
        let refused = check(
            &form(
                current.clone(),
                RetentionMode::Governance,
                "2026-11-28",
                false,
            ),
            now,
        );
        assert!(refused.is_err_and(|e| e.contains("needs the bypass")));
        let (_, warning) = check(
            &form(
                current.clone(),
                RetentionMode::Governance,
                "2026-11-28",
                true,
            ),
            now,
        )
        .expect("allowed with the bypass");
        assert!(warning.is_some_and(|w| w.contains("your permissions")));
        let (_, none) = check(
            &form(current, RetentionMode::Governance, "2026-12-05", false),
            now,
        )
        .expect("extend");
        assert_eq!(none, None);
    }

    #[test]
    fn past_dates_are_refused() {
        assert!(
            check(
                &form(
                    LockInfo::default(),
                    RetentionMode::Governance,
                    "2020-01-01",
                    false
                ),
                t(NOW)
            )
            .is_err()
        );
    }
}
