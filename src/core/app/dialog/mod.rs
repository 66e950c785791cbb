//! Popups — help, messages, confirmations — and the restore and delete flows they guard.

use super::{AppState, Effect, PENDING, Pane, RequestId, RestoreDone, RestoreFailure};
use crate::app::Detail;
use crate::app::objects::ObjectsPane;
use crate::domain::error::S3Error;
use crate::domain::history::{RestorePlan, plan_restore};
use crate::domain::listing::{LevelObject, LevelRow};
use crate::domain::pages::DeleteOutcome;
use crate::domain::{HistoryEntry, Versioning, format, text};
use crate::keys::{Command, Key, KeyCode, Scope};
use std::sync::Arc;

mod delete;
mod restore;

use delete::confirm_delete;
pub(super) use delete::{on_delete_planned, on_deleted};
pub(super) use restore::{on_restore_planned, on_restored};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    Normal,
    Emphasis,
    Warning,
    Error,
}

/// One line of a popup. Text from the server is sanitized before it gets here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogLine {
    pub text: String,
    pub style: LineStyle,
}

impl DialogLine {
    pub fn new(text: impl Into<String>, style: LineStyle) -> DialogLine {
        DialogLine {
            text: text.into(),
            style,
        }
    }

    pub fn plain(text: impl Into<String>) -> DialogLine {
        DialogLine::new(text, LineStyle::Normal)
    }
}

/// A write waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingWrite {
    /// Sent as this effect once confirmed (its request id is given then); `doing` is what the
    /// status line says while it runs.
    Send { effect: Effect, doing: String },
    /// Replacing a local file with a download.
    Download(crate::domain::transfer::DownloadRequest),
}

impl PendingWrite {
    /// A write of `effect` (built with `PENDING` as its request id).
    pub(super) fn send(effect: Effect, doing: impl Into<String>) -> PendingWrite {
        PendingWrite::Send {
            effect,
            doing: doing.into(),
        }
    }
}

impl Effect {
    /// Gives a write built with `PENDING` its request id, as it is sent.
    fn set_request(&mut self, id: RequestId) {
        match self {
            Effect::Restore { request, .. }
            | Effect::DeleteObject { request, .. }
            | Effect::DeleteVersion { request, .. }
            | Effect::SetLegalHold { request, .. }
            | Effect::CopyVersion { request, .. }
            | Effect::ApplyBucket { request, .. }
            | Effect::SetRetention { request, .. } => *request = id,
            // Only writes wait for a confirmation.
            _ => {}
        }
    }
}

/// The user must type `expected` before the write is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedConfirm {
    pub expected: String,
    pub typed: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<DialogLine>,
    pub yes_label: String,
    pub write: PendingWrite,
    /// Destructive confirmations start on "no".
    pub yes_selected: bool,
    pub typed: Option<TypedConfirm>,
    /// Offered only for GOVERNANCE-locked versions: whether to send
    /// x-amz-bypass-governance-retention. Off until the user turns it on.
    pub bypass: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help(super::help::Help),
    Audit {
        entries: Vec<crate::domain::audit::AuditLine>,
        scroll: u16,
    },
    Message {
        title: String,
        lines: Vec<DialogLine>,
        error: bool,
    },
    Confirm(Confirm),
    Retention(super::retention::RetentionForm),
    BucketForm(super::bucket_forms::BucketForm),
    Upload(super::upload::UploadForm),
    Download(super::download::DownloadForm),
    Bulk(Box<super::undelete::BulkUndelete>),
    Report(Box<super::report_view::ReportView>),
    /// What `y` can copy: (key, label, text).
    Copy {
        choices: Vec<(char, &'static str, String)>,
    },
    /// The time of the point-in-time view, being typed.
    AsOf {
        input: String,
        error: Option<String>,
    },
}

pub(super) fn short_name(key: &str) -> String {
    let name = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or(key);
    text::sanitize(name).into_owned()
}

fn entry_summary(entry: &HistoryEntry) -> String {
    match entry.size() {
        Some(size) if !entry.is_delete_marker() => format!(
            "version {} of {} UTC, {}",
            text::sanitize(&entry.version_id),
            format::maybe_timestamp(entry.last_modified),
            format::size_exact(size)
        ),
        _ if entry.is_delete_marker() => format!(
            "delete marker {} of {} UTC",
            text::sanitize(&entry.version_id),
            format::maybe_timestamp(entry.last_modified)
        ),
        _ => format!(
            "version {} of {} UTC",
            text::sanitize(&entry.version_id),
            format::maybe_timestamp(entry.last_modified)
        ),
    }
}

/// The one dispatch for keys while a popup is open: each popup's keys go to its module.
pub(super) fn on_key(state: &mut AppState, key: Key, now: jiff::Timestamp) -> Vec<Effect> {
    let Some(popup) = state.popup.as_mut() else {
        return Vec::new();
    };
    match popup {
        Popup::Help(_) => super::help::on_key(state, key),
        Popup::Audit { scroll, .. } => {
            match (key.code, state.keymap.lookup(Scope::Global, key)) {
                (_, Some(Command::Down)) => *scroll = scroll.saturating_add(1),
                (_, Some(Command::Up)) => *scroll = scroll.saturating_sub(1),
                (_, Some(Command::PageDown)) => *scroll = scroll.saturating_add(10),
                (_, Some(Command::PageUp)) => *scroll = scroll.saturating_sub(10),
                (KeyCode::Esc | KeyCode::Enter, _)
                | (_, Some(Command::AuditLog | Command::Close | Command::Quit)) => {
                    state.popup = None
                }
                _ => {}
            }
            Vec::new()
        }
        Popup::Message { .. } => {
            // A message taller than the screen scrolls; the drawing keeps it in range.
            let s = &mut state.message_scroll;
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char(' ') => {
                    state.popup = None;
                    state.message_scroll = 0;
                }
                KeyCode::Down | KeyCode::Char('j') => *s = s.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => *s = s.saturating_sub(1),
                KeyCode::PageDown => *s = s.saturating_add(10),
                KeyCode::PageUp => *s = s.saturating_sub(10),
                KeyCode::Home => *s = 0,
                _ => {}
            }
            Vec::new()
        }
        Popup::Confirm(_) => on_confirm_key(state, key),
        Popup::Retention(_) => super::retention::on_key(state, key, now),
        Popup::BucketForm(_) => super::bucket_forms::on_key(state, key),
        Popup::Upload(_) => super::upload::on_key(state, key, now),
        Popup::Download(_) => super::download::on_key(state, key),
        Popup::Bulk(_) => super::undelete::on_key(state, key, now),
        Popup::AsOf { .. } => super::undelete::on_as_of_key(state, key, now),
        Popup::Report(_) => super::report_view::on_key(state, key),
        Popup::Copy { .. } => super::clipboard::on_key(state, key),
    }
}

fn on_confirm_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(Popup::Confirm(confirm)) = state.popup.as_mut() else {
        return Vec::new();
    };
    if key.code == KeyCode::Esc {
        state.popup = None;
        state.info("Cancelled: nothing was changed.");
        return Vec::new();
    }
    if let Some(typed) = confirm.typed.as_mut() {
        match key.code {
            KeyCode::Tab if confirm.bypass.is_some() => {
                confirm.bypass = confirm.bypass.map(|b| !b);
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => typed.typed.push(c),
            KeyCode::Backspace => {
                typed.typed.pop();
            }
            KeyCode::Enter if typed.typed == typed.expected => {
                let mut write = confirm.write.clone();
                if let PendingWrite::Send {
                    effect: Effect::DeleteVersion { bypass, .. },
                    ..
                } = &mut write
                {
                    *bypass = confirm.bypass == Some(true);
                }
                state.popup = None;
                return start_write(state, write);
            }
            _ => {}
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::Char('y' | 'Y') => {
            let write = confirm.write.clone();
            state.popup = None;
            start_write(state, write)
        }
        KeyCode::Char('n' | 'N' | 'q') => {
            state.popup = None;
            state.info("Cancelled: nothing was changed.");
            Vec::new()
        }
        KeyCode::Left
        | KeyCode::Right
        | KeyCode::Tab
        | KeyCode::BackTab
        | KeyCode::Char('h' | 'l') => {
            confirm.yes_selected = !confirm.yes_selected;
            Vec::new()
        }
        KeyCode::Enter => {
            let (yes, write) = (confirm.yes_selected, confirm.write.clone());
            state.popup = None;
            if yes {
                start_write(state, write)
            } else {
                state.info("Cancelled: nothing was changed.");
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

fn start_write(state: &mut AppState, write: PendingWrite) -> Vec<Effect> {
    match write {
        PendingWrite::Send { mut effect, doing } => {
            let request = state.request_id();
            effect.set_request(request);
            state.writes.push((request, doing));
            vec![effect]
        }
        PendingWrite::Download(download) => super::download::start_confirmed(state, download),
    }
}

/// `r` or `d` in the objects or versions pane.
pub(super) fn on_write_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let target = match state.focus {
        Pane::Objects => objects_target(&state.objects),
        Pane::Versions => versions_target(state, command),
        Pane::Buckets => return Vec::new(),
    };
    let (bucket, key, deleted) = match target {
        Ok(t) => t,
        Err(message) => {
            state.info(message);
            return Vec::new();
        }
    };
    match (command, deleted) {
        (Command::Restore, true) => {
            let request = state.start_check(format!("checking {}", short_name(&key)));
            vec![Effect::PlanRestore {
                request,
                bucket,
                key,
            }]
        }
        (Command::Restore, false) => {
            state.info(format!(
                "{} is not deleted: its latest entry is a version. Nothing to restore.",
                short_name(&key)
            ));
            Vec::new()
        }
        (Command::Delete, false) => match state.focus {
            // The versions pane shows the latest entry, which is re-checked before sending.
            Pane::Versions => {
                let seen = state.versions.latest().cloned();
                confirm_delete(state, bucket, key, seen.as_ref());
                Vec::new()
            }
            // A listing row does not name its version: read the key's history first.
            _ => {
                let request = state.start_check(format!("checking {}", short_name(&key)));
                vec![Effect::PlanDelete {
                    request,
                    bucket,
                    key,
                }]
            }
        },
        (Command::Delete, true) => {
            state.info(format!(
                "{} is already deleted (its latest entry is a delete marker).",
                short_name(&key)
            ));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

type Target = Result<(String, Arc<str>, bool), String>;

fn objects_target(pane: &ObjectsPane) -> Target {
    let bucket = pane.bucket.clone().ok_or("Open a bucket first.")?;
    match pane.selected() {
        Some(LevelRow::Object(LevelObject::Present(o))) => Ok((bucket, Arc::from(o.key), false)),
        Some(LevelRow::Object(LevelObject::Deleted(d))) => Ok((bucket, Arc::from(d.key), true)),
        Some(LevelRow::Prefix(_)) => Err(
            "Select an object, not a folder: lockwatch restores and deletes one object at a time."
                .into(),
        ),
        None => Err("Nothing selected.".into()),
    }
}

fn versions_target(state: &AppState, command: Command) -> Target {
    let pane = &state.versions;
    let (Some(bucket), Some(key)) = (pane.bucket.clone(), pane.key.clone()) else {
        return Err("Open an object's versions first (Enter in the objects pane).".into());
    };
    let latest = pane.latest().ok_or("The versions are still loading.")?;
    if command == Command::Restore
        && let Some(selected) = pane.selected()
        && selected.version_id != latest.version_id
    {
        return Err(if selected.is_delete_marker() {
            format!(
                "Delete marker {} is not the latest entry: removing it would bring nothing back. Select the latest marker.",
                text::sanitize(&selected.version_id)
            )
        } else {
            "That is an older version, not a delete marker. Restore removes the delete marker that hides the object.".to_string()
        });
    }
    Ok((bucket, key, latest.is_delete_marker()))
}

pub(super) fn finish_write(state: &mut AppState, request: RequestId) -> bool {
    let before = state.writes.len();
    state.writes.retain(|(r, _)| *r != request);
    state.checks.retain(|r| *r != request);
    state.writes.len() != before
}

/// After a write: reload what shows the key.
pub(super) fn refresh_after_write(
    state: &mut AppState,
    bucket: &str,
    key: &Arc<str>,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    if state.objects.bucket.as_deref() == Some(bucket) {
        let prefix = state.objects.prefix.clone();
        effects.extend(state.open_level(bucket.to_string(), prefix, Some(key.to_string())));
    }
    if state.versions.bucket.as_deref() == Some(bucket) && state.versions.key.as_ref() == Some(key)
    {
        let request = state.request_id();
        effects.extend(state.versions.load.stop().map(Effect::Cancel));
        effects.push(
            state
                .versions
                .open(bucket.to_string(), key.clone(), request),
        );
    }
    effects
}

/// A write stopped by its re-check: `what` says how the key changed since it was shown.
pub(super) fn changed_popup(state: &mut AppState, write: &str, what: String) {
    state.popup = Some(Popup::Message {
        title: format!("{write} not done: the object changed"),
        lines: vec![
            DialogLine::new(what, LineStyle::Warning),
            DialogLine::plain(""),
            DialogLine::plain("The panes have been reloaded to show the current state."),
        ],
        error: true,
    });
}

/// What the user is told after a write the server did not confirm: the error, that it was not
/// sent again, and the key's entries as read back just after.
pub(super) fn unconfirmed_lines(
    what: &str,
    error: &S3Error,
    read_back: &Result<Vec<HistoryEntry>, S3Error>,
) -> Vec<DialogLine> {
    let mut lines = vec![
        DialogLine::new(
            format!("The server did not confirm the request to {what}:"),
            LineStyle::Emphasis,
        ),
        DialogLine::new(error.to_string(), LineStyle::Error),
        DialogLine::plain(""),
        DialogLine::plain(
            "It may or may not have been carried out. lockwatch did not send it again; it read the key back:",
        ),
    ];
    match read_back {
        Ok(history) if history.is_empty() => lines.push(DialogLine::new(
            "  the key has no entries.",
            LineStyle::Warning,
        )),
        Ok(history) => {
            for entry in history.iter().take(3) {
                lines.push(DialogLine::new(
                    format!(
                        "  {}{} {} · {} UTC",
                        if entry.is_latest {
                            "latest: "
                        } else {
                            "then: "
                        },
                        if entry.is_delete_marker() {
                            "delete marker"
                        } else {
                            "version"
                        },
                        text::sanitize(&entry.version_id),
                        format::maybe_timestamp(entry.last_modified)
                    ),
                    LineStyle::Warning,
                ));
            }
        }
        Err(again) => lines.push(DialogLine::new(
            format!("  reading it back failed too: {again}"),
            LineStyle::Error,
        )),
    }
    lines
}
