//! The delete flow: a planned delete confirmed (typed for a permanent one), then its answer
//! said, a refusal explained.

use super::*;

pub(in crate::app) fn on_delete_planned(
    state: &mut AppState,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    result: Result<Vec<HistoryEntry>, S3Error>,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(history) => match crate::domain::history::latest(&history).cloned() {
            Some(latest) if latest.is_delete_marker() => state.info(format!(
                "{} is already deleted (its latest entry is a delete marker).",
                short_name(&key)
            )),
            Some(latest) => confirm_delete(state, bucket, key, Some(&latest)),
            None => state.info(format!("{} has no versions any more.", short_name(&key))),
        },
        Err(e) => state.error(format!(
            "Cannot read the versions of {}: {e}",
            short_name(&key)
        )),
    }
    Vec::new()
}

/// Asks to delete `key`; `latest` is the entry the delete will hide, named in the dialog and
/// re-checked just before the delete is sent.
pub(in crate::app) fn confirm_delete(
    state: &mut AppState,
    bucket: String,
    key: Arc<str>,
    latest: Option<&HistoryEntry>,
) {
    let seen = latest.map(|l| crate::app::SeenLatest::VersionId(l.version_id.clone()));
    let versioning = match state.buckets.details(&bucket) {
        Some(Detail::Loaded(d)) => Some(d.versioning),
        _ => None,
    };
    let name = short_name(&key);
    let mut lines = vec![DialogLine::new(
        format!(
            "Delete s3://{}/{}",
            text::sanitize(&bucket),
            text::sanitize(&key)
        ),
        LineStyle::Emphasis,
    )];
    if let Some(latest) = latest {
        lines.push(DialogLine::plain(format!(
            "Current: {}.",
            entry_summary(latest)
        )));
    }
    let typed = if versioning == Some(Versioning::Enabled) {
        lines.extend([
            DialogLine::plain(""),
            DialogLine::plain(
                "The bucket is versioned: S3 adds a delete marker. The object disappears",
            ),
            DialogLine::plain("from normal listings, every version stays, and removing the marker"),
            DialogLine::plain(format!(
                "restores it ({} in the objects pane shows deleted objects, {} restores).",
                state.keymap.hint(Scope::Objects, Command::ToggleDeleted),
                state.keymap.hint(Scope::Objects, Command::Restore)
            )),
        ]);
        None
    } else {
        let why = match versioning {
            Some(Versioning::Never) => {
                "This bucket has no versioning: the object will be deleted for good."
            }
            Some(Versioning::Suspended) => {
                "Versioning is suspended on this bucket: the current \"null\" version is deleted for good."
            }
            _ => "The bucket's versioning is not known yet: treat this delete as permanent.",
        };
        lines.extend([
            DialogLine::plain(""),
            DialogLine::new(why, LineStyle::Warning),
            DialogLine::plain(""),
            DialogLine::plain(format!(
                "Type {name} and press Enter to delete, Esc to cancel."
            )),
        ]);
        Some(TypedConfirm {
            expected: name,
            typed: String::new(),
        })
    };
    state.popup = Some(Popup::Confirm(Confirm {
        title: "Delete object".into(),
        lines,
        yes_label: "Delete".into(),
        write: PendingWrite::send(
            Effect::DeleteObject {
                request: PENDING,
                key: key.clone(),
                bucket,
                seen,
            },
            format!("deleting {}", short_name(&key)),
        ),
        yes_selected: false,
        typed,
        bypass: None,
    }));
}

pub(in crate::app) fn on_deleted(
    state: &mut AppState,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    result: Result<DeleteOutcome, S3Error>,
    read_back: Option<Result<Vec<HistoryEntry>, S3Error>>,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(outcome) => {
            let what = match (&outcome.version_id, outcome.delete_marker) {
                (Some(id), true) => format!("delete marker {} added", text::sanitize(id)),
                (None, true) => "delete marker added".to_string(),
                _ => "removed".to_string(),
            };
            state.success(format!("Deleted {}: {what}.", short_name(&key)));
        }
        Err(S3Error::Changed(what)) => changed_popup(state, "Delete", what),
        Err(e) => {
            let (title, mut lines) = match &read_back {
                Some(read_back) => (
                    "Delete not confirmed",
                    unconfirmed_lines(&format!("delete {}", short_name(&key)), &e, read_back),
                ),
                None => (
                    "Delete refused",
                    vec![
                        DialogLine::new(
                            format!("The server refused to delete {}:", short_name(&key)),
                            LineStyle::Emphasis,
                        ),
                        DialogLine::new(e.to_string(), LineStyle::Error),
                    ],
                ),
            };
            lines.push(DialogLine::plain(""));
            lines.push(DialogLine::plain(
                "The panes have been reloaded to show the current state.",
            ));
            state.popup = Some(Popup::Message {
                title: title.into(),
                lines,
                error: true,
            });
        }
    }
    refresh_after_write(state, &bucket, &key)
}
