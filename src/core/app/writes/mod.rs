//! Writes on one version: permanent delete, legal hold, restore by copy — each confirmed
//! first, and each result explained from the lock data, so that a refusal is shown, not hidden.

use super::dialog::{
    Confirm, DialogLine, LineStyle, PendingWrite, Popup, TypedConfirm, short_name,
};
use super::{AppState, Effect, LockStatus, PENDING, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::lock::{self, LockState, format_remaining};
use crate::domain::pages::DeleteOutcome;
use crate::domain::{
    EntryKind, HistoryEntry, LegalHold, LockInfo, RetainUntil, RetentionMode, VersionRef, format,
    text,
};
use crate::keys::Command;
use jiff::{SignedDuration, Timestamp};

/// The selected entry of the versions pane, as a reference, with the entry itself.
fn selected_version(state: &AppState) -> Result<(VersionRef, HistoryEntry), String> {
    let pane = &state.versions;
    let (Some(bucket), Some(key)) = (pane.bucket.clone(), pane.key.clone()) else {
        return Err("Open an object's versions first (Enter in the objects pane).".into());
    };
    let entry = pane.selected().cloned().ok_or("Select a version first.")?;
    Ok((
        VersionRef {
            bucket,
            key,
            version_id: entry.version_id.clone(),
        },
        entry,
    ))
}

fn lock_of<'a>(state: &'a AppState, version: &VersionRef) -> Option<&'a LockInfo> {
    match state.locks.get(version) {
        Some(LockStatus::Known(info)) => Some(info),
        _ => None,
    }
}

/// What the lock means for a delete, in words, at `now`.
pub fn lock_sentences(lock: &LockInfo, now: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    match lock.state(now) {
        LockState::Retained {
            mode: RetentionMode::Compliance,
            until,
            remaining,
        } => out.push(format!(
            "This version is under COMPLIANCE retention until {} — {}. Nobody, administrators included, can delete it before then.",
            lock::describe_until(until),
            from_now(until, remaining)
        )),
        LockState::Retained {
            mode: RetentionMode::Governance,
            until,
            remaining,
        } => out.push(format!(
            "This version is under GOVERNANCE retention until {} — {}. Before then only a user allowed to bypass governance retention can delete it, by sending x-amz-bypass-governance-retention.",
            lock::describe_until(until),
            from_now(until, remaining)
        )),
        LockState::Retained { until, remaining, .. } => out.push(format!(
            "This version is under a retention lockwatch cannot read ({}) until {} — {}. Take it as protected: the server decides.",
            lock.unreadable().unwrap_or_else(|| "unknown mode".into()),
            lock::describe_until(until),
            from_now(until, remaining)
        )),
        LockState::Expired { until, .. } => out.push(format!(
            "Its retention ran out at {}.",
            lock::describe_until(until)
        )),
        LockState::None => out.push("This version has no retention.".into()),
    }
    match &lock.legal_hold {
        LegalHold::On => out.push(
            "It is under a legal hold: nobody can delete it until the hold is released, whatever its retention.".into(),
        ),
        LegalHold::Unknown(_) => out.push(format!(
            "Its legal hold is {}: lockwatch cannot tell whether it stops a delete; take it as on.",
            lock.legal_hold.label()
        )),
        LegalHold::Off => {}
    }
    out
}

/// `4d 3h from now`, or nothing computed for a date past the calendar.
fn from_now(until: RetainUntil, remaining: SignedDuration) -> String {
    if until.beyond_calendar() {
        // `remaining` runs to the calendar's end, short of the real date.
        format!(
            "more than {} years from now",
            remaining.as_secs() / 31_556_952
        )
    } else {
        format!("{} from now", format_remaining(remaining))
    }
}

/// The panel shown when the server refuses a delete: its words verbatim, then why, from the
/// lock read back just after the refusal.
pub fn explain_refusal(
    error: &S3Error,
    lock: Option<&Result<LockInfo, S3Error>>,
    now: Timestamp,
) -> Vec<DialogLine> {
    // The server's words stay verbatim; only the closing period is not doubled.
    let mut lines = vec![DialogLine::new(error.failure_sentence(), LineStyle::Error)];
    match lock {
        Some(Ok(info)) => {
            lines.extend(lock_sentences(info, now).into_iter().map(DialogLine::plain));
            if !info.blocks_delete(now) && error.code() == Some("AccessDenied") {
                lines.push(DialogLine::new(
                    "The lock does not explain this refusal: the credentials may lack permission to delete versions.",
                    LineStyle::Warning,
                ));
            }
        }
        Some(Err(e)) => lines.push(DialogLine::new(
            format!("The lock could not be read back to explain it: {e}"),
            LineStyle::Warning,
        )),
        None => {}
    }
    lines
}

pub(super) fn on_command(state: &mut AppState, command: Command, now: Timestamp) -> Vec<Effect> {
    if state.focus != Pane::Versions {
        return Vec::new();
    }
    let (version, entry) = match selected_version(state) {
        Ok(v) => v,
        Err(message) => {
            state.info(message);
            return Vec::new();
        }
    };
    match command {
        Command::DeleteVersion => confirm_delete_version(state, version, &entry, now),
        Command::LegalHold => confirm_legal_hold(state, version, &entry, now),
        Command::RestoreByCopy => confirm_copy(state, version, &entry),
        _ => {}
    }
    Vec::new()
}

fn describe(entry: &HistoryEntry) -> String {
    match &entry.kind {
        EntryKind::DeleteMarker => format!(
            "delete marker {} of {} UTC",
            text::sanitize(&entry.version_id),
            format::maybe_timestamp(entry.last_modified)
        ),
        EntryKind::Version { size, .. } => format!(
            "version {} of {} UTC, {}",
            text::sanitize(&entry.version_id),
            format::maybe_timestamp(entry.last_modified),
            size.map(format::size_exact)
                .unwrap_or_else(|| "size unknown".into())
        ),
    }
}

fn confirm_delete_version(
    state: &mut AppState,
    version: VersionRef,
    entry: &HistoryEntry,
    now: Timestamp,
) {
    let name = short_name(&version.key);
    let mut lines = vec![
        DialogLine::new(
            format!(
                "Delete for good: {} of s3://{}/{}",
                describe(entry),
                text::sanitize(&version.bucket),
                text::sanitize(&version.key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
    ];
    let mut bypass = None;
    if entry.is_delete_marker() {
        lines.push(DialogLine::plain(
            "Delete markers carry no lock. If this marker is the latest entry, removing it restores the object.",
        ));
    } else {
        match state.locks.get(&version) {
            Some(LockStatus::Known(info)) => {
                let style = if info.blocks_delete(now) {
                    LineStyle::Warning
                } else {
                    LineStyle::Normal
                };
                for sentence in lock_sentences(info, now) {
                    lines.push(DialogLine::new(sentence, style));
                }
                let governance_only = matches!(
                    info.state(now),
                    LockState::Retained {
                        mode: RetentionMode::Governance,
                        ..
                    }
                ) && info.legal_hold == crate::domain::LegalHold::Off;
                if governance_only {
                    // Whether the server refuses depends on the bypass (Tab) and on these
                    // credentials' permissions: the dialog says both ways.
                    lines.push(DialogLine::new(
                        "Without the bypass the server is expected to refuse; lockwatch will show its answer.",
                        LineStyle::Warning,
                    ));
                    bypass = Some(false);
                } else if info.blocks_delete(now) {
                    lines.push(DialogLine::new(
                        "The server is expected to refuse; lockwatch will show its answer.",
                        LineStyle::Warning,
                    ));
                }
            }
            Some(LockStatus::Unknown(e)) => lines.push(DialogLine::new(
                format!("The lock of this version could not be read ({e})."),
                LineStyle::Warning,
            )),
            _ => lines.push(DialogLine::new(
                "The lock of this version is still loading.",
                LineStyle::Warning,
            )),
        }
        lines.push(DialogLine::plain(
            "A deleted version cannot be brought back by lockwatch or anyone else.",
        ));
    }
    lines.push(DialogLine::plain(""));
    lines.push(DialogLine::plain(format!(
        "Type {name} and press Enter to delete, Esc to cancel."
    )));
    state.popup = Some(Popup::Confirm(Confirm {
        title: "Delete version permanently".into(),
        lines,
        yes_label: "Delete for good".into(),
        write: PendingWrite::send(
            Effect::DeleteVersion {
                request: PENDING,
                version: version.clone(),
                bypass: false,
            },
            format!("deleting a version of {}", short_name(&version.key)),
        ),
        yes_selected: false,
        typed: Some(TypedConfirm {
            expected: name,
            typed: String::new(),
        }),
        bypass,
    }));
}

fn confirm_legal_hold(
    state: &mut AppState,
    version: VersionRef,
    entry: &HistoryEntry,
    now: Timestamp,
) {
    if entry.is_delete_marker() {
        state.info("Delete markers carry no lock: a legal hold applies to versions only.");
        return;
    }
    let Some(info) = lock_of(state, &version) else {
        state.info("The lock of this version is not known yet; try again in a moment.");
        return;
    };
    // An unreadable status offers to place the hold: the safe direction.
    let on = !info.legal_hold.is_on();
    // Released with no retention in force, the version is deletable the moment it is sent.
    let exposed = !on && !matches!(info.state(now), LockState::Retained { .. });
    let mut lines = vec![
        DialogLine::new(
            format!(
                "{} a legal hold on {} of s3://{}/{}",
                if on { "Place" } else { "Release" },
                describe(entry),
                text::sanitize(&version.bucket),
                text::sanitize(&version.key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
        DialogLine::plain(if on {
            "While the hold is on, nobody can delete this version, whatever its retention."
        } else {
            "Without the hold, only the version's retention (if any) protects it."
        }),
        DialogLine::plain(
            "lockwatch reads the version back afterwards to show what the server holds.",
        ),
    ];
    if exposed {
        lines.insert(
            3,
            DialogLine::new(
                match info.state(now) {
                    LockState::Expired { .. } => "Its retention has already run out: once the hold is released, anyone allowed to delete versions can delete it at once.",
                    _ => "It has no retention: once the hold is released, anyone allowed to delete versions can delete it at once.",
                },
                LineStyle::Warning,
            ),
        );
    }
    state.popup = Some(Popup::Confirm(Confirm {
        title: if on {
            "Place legal hold"
        } else {
            "Release legal hold"
        }
        .into(),
        lines,
        yes_label: if on { "Place hold" } else { "Release hold" }.into(),
        write: PendingWrite::send(
            Effect::SetLegalHold {
                request: PENDING,
                version: version.clone(),
                on,
            },
            format!("setting the legal hold on {}", short_name(&version.key)),
        ),
        yes_selected: false,
        typed: None,
        bypass: None,
    }));
}

fn confirm_copy(state: &mut AppState, version: VersionRef, entry: &HistoryEntry) {
    let etag = match &entry.kind {
        EntryKind::DeleteMarker => {
            state.info("A delete marker has no content to copy; select a version.");
            return;
        }
        EntryKind::Version { etag, .. } => etag.clone(),
    };
    if entry.is_latest {
        state.info("This version is already the current one.");
        return;
    }
    let mut lines = vec![
        DialogLine::new(
            format!(
                "Copy {} onto s3://{}/{}",
                describe(entry),
                text::sanitize(&version.bucket),
                text::sanitize(&version.key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
        DialogLine::plain(
            "The copy becomes the current version; every existing version and marker stays.",
        ),
    ];
    match &etag {
        Some(e) => lines.push(DialogLine::plain(format!(
            "The server refuses the copy if this version no longer has ETag {}.",
            text::sanitize(e)
        ))),
        None => lines.push(DialogLine::new(
            "The server listed no ETag for this version: the copy cannot be guarded.",
            LineStyle::Warning,
        )),
    }
    state.popup = Some(Popup::Confirm(Confirm {
        title: "Restore by copy".into(),
        lines,
        yes_label: "Copy".into(),
        write: PendingWrite::send(
            Effect::CopyVersion {
                request: PENDING,
                version: version.clone(),
                etag,
                size: entry.size(),
                seen: state
                    .versions
                    .latest()
                    .map(|l| super::SeenLatest::VersionId(l.version_id.clone())),
            },
            format!("copying {}", short_name(&version.key)),
        ),
        yes_selected: false,
        typed: None,
        bypass: None,
    }));
}

pub(super) fn on_version_deleted(
    state: &mut AppState,
    request: RequestId,
    version: VersionRef,
    result: Result<DeleteOutcome, S3Error>,
    lock: Option<Result<LockInfo, S3Error>>,
    now: Timestamp,
) -> Vec<Effect> {
    if !super::dialog::finish_write(state, request) {
        return Vec::new();
    }
    // The lock as read back after a failure is what the server holds now.
    if result.is_err()
        && let Some(Ok(info)) = &lock
    {
        state
            .locks
            .insert(version.clone(), LockStatus::Known(info.clone()));
    }
    match result {
        Ok(_) => {
            state.locks.remove(&version);
            state.success(format!(
                "Deleted version {} of {} for good.",
                text::sanitize(&version.version_id),
                short_name(&version.key)
            ));
        }
        // Not confirmed, and read back the version is gone: it was deleted.
        Err(error)
            if error.outcome_unknown() && matches!(&lock, Some(Err(e)) if e.is_not_found()) =>
        {
            state.locks.remove(&version);
            state.popup = Some(Popup::Message {
                title: "Deleted (read back)".into(),
                lines: vec![
                    DialogLine::new(
                        format!(
                            "Version {} of {} no longer exists.",
                            text::sanitize(&version.version_id),
                            short_name(&version.key)
                        ),
                        LineStyle::Emphasis,
                    ),
                    DialogLine::plain(""),
                    DialogLine::new(
                        format!("The server did not confirm the delete ({error})."),
                        LineStyle::Warning,
                    ),
                    DialogLine::plain(
                        "lockwatch did not send it again; reading the version back finds nothing.",
                    ),
                ],
                error: false,
            });
        }
        // Not confirmed, and read back the version is still there.
        Err(error) if error.outcome_unknown() && matches!(&lock, Some(Ok(_))) => {
            state.popup = Some(Popup::Message {
                title: "Delete not confirmed".into(),
                lines: vec![
                    DialogLine::new(
                        format!("The server did not confirm the delete ({error})."),
                        LineStyle::Error,
                    ),
                    DialogLine::plain(""),
                    DialogLine::plain(format!(
                        "lockwatch did not send it again. Read back, version {} of {} is still there: nothing was deleted.",
                        text::sanitize(&version.version_id),
                        short_name(&version.key)
                    )),
                ],
                error: true,
            });
        }
        Err(error) => {
            let mut lines = vec![
                DialogLine::new(
                    format!(
                        "Version {} of s3://{}/{} was not deleted.",
                        text::sanitize(&version.version_id),
                        text::sanitize(&version.bucket),
                        text::sanitize(&version.key)
                    ),
                    LineStyle::Emphasis,
                ),
                DialogLine::plain(""),
            ];
            lines.extend(explain_refusal(&error, lock.as_ref(), now));
            state.popup = Some(Popup::Message {
                title: "Delete refused".into(),
                lines,
                error: true,
            });
        }
    }
    super::dialog::refresh_after_write(state, &version.bucket.clone(), &version.key.clone())
}

pub(super) fn on_legal_hold_set(
    state: &mut AppState,
    request: RequestId,
    version: VersionRef,
    on: bool,
    result: Result<LockInfo, S3Error>,
) -> Vec<Effect> {
    if !super::dialog::finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(info) => {
            let held = info.legal_hold.clone();
            state.locks.insert(version.clone(), LockStatus::Known(info));
            if held.is_on() == on && held.may_block() == on {
                state.success(format!(
                    "Legal hold {} on version {} of {} (read back from the server).",
                    if on { "placed" } else { "released" },
                    text::sanitize(&version.version_id),
                    short_name(&version.key)
                ));
            } else {
                state.popup = Some(Popup::Message {
                    title: "The server did not keep the change".into(),
                    lines: vec![DialogLine::new(
                        format!(
                            "The server accepted the request, but reading the version back shows the legal hold {}.",
                            held.label()
                        ),
                        LineStyle::Error,
                    )],
                    error: true,
                });
            }
        }
        Err(error) => {
            state.popup = Some(Popup::Message {
                title: "Legal hold not changed".into(),
                lines: vec![DialogLine::new(error.failure_sentence(), LineStyle::Error)],
                error: true,
            });
        }
    }
    Vec::new()
}

pub(super) fn on_version_copied(
    state: &mut AppState,
    request: RequestId,
    version: VersionRef,
    result: Result<Option<String>, S3Error>,
    read_back: Option<Result<Vec<HistoryEntry>, S3Error>>,
) -> Vec<Effect> {
    if !super::dialog::finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(new) => state.success(match new {
            Some(id) => format!(
                "Copied version {} of {}: it is current again as version {}.",
                text::sanitize(&version.version_id),
                short_name(&version.key),
                text::sanitize(&id)
            ),
            None => format!(
                "Copied version {} of {}: it is current again (the server named no new version id).",
                text::sanitize(&version.version_id),
                short_name(&version.key)
            ),
        }),
        Err(S3Error::Changed(what)) => {
            super::dialog::changed_popup(state, "Restore by copy", what)
        }
        Err(error) if read_back.is_some() => {
            let what = format!(
                "copy version {} of {} back",
                text::sanitize(&version.version_id),
                short_name(&version.key)
            );
            let lines = match &read_back {
                Some(read_back) => super::dialog::unconfirmed_lines(&what, &error, read_back),
                None => Vec::new(),
            };
            state.popup = Some(Popup::Message {
                title: "Restore by copy not confirmed".into(),
                lines,
                error: true,
            });
        }
        Err(error) => {
            let why = if error.code() == Some("PreconditionFailed") {
                "The version changed since it was listed (its ETag no longer matches); nothing was copied."
            } else {
                "Nothing was copied."
            };
            state.popup = Some(Popup::Message {
                title: "Restore by copy refused".into(),
                lines: vec![
                    DialogLine::new(error.failure_sentence(), LineStyle::Error),
                    DialogLine::plain(why),
                ],
                error: true,
            });
        }
    }
    super::dialog::refresh_after_write(state, &version.bucket.clone(), &version.key.clone())
}

#[cfg(test)]
mod tests;
