//! The restore flow: a planned restore confirmed with what it will bring back, then its
//! answer said, an unconfirmed one read back.

use super::*;

pub(in crate::app) fn on_restore_planned(
    state: &mut AppState,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    result: Result<Vec<HistoryEntry>, S3Error>,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    let history = match result {
        Ok(h) => h,
        Err(e) => {
            state.error(format!(
                "Cannot read the versions of {}: {e}",
                short_name(&key)
            ));
            return Vec::new();
        }
    };
    match plan_restore(&history, None) {
        Ok(plan) => {
            state.popup = Some(Popup::Confirm(restore_confirm(bucket, key, &plan)));
        }
        Err(refusal) => state.info(format!("{}: {refusal}", short_name(&key))),
    }
    Vec::new()
}

pub(in crate::app) fn restore_confirm(
    bucket: String,
    key: Arc<str>,
    plan: &RestorePlan,
) -> Confirm {
    let mut lines = vec![
        DialogLine::new(
            format!(
                "Restore s3://{}/{}",
                text::sanitize(&bucket),
                text::sanitize(&key)
            ),
            LineStyle::Emphasis,
        ),
        DialogLine::plain(""),
        DialogLine::plain(format!("Will remove: {}.", entry_summary(&plan.marker))),
    ];
    match &plan.becomes_current {
        Some(entry) if !entry.is_delete_marker() => {
            lines.push(DialogLine::plain(format!(
                "Becomes current: {}.",
                entry_summary(entry)
            )));
        }
        Some(entry) => {
            lines.push(DialogLine::new(
                format!(
                    "The key stays deleted: the next entry is another {}.",
                    entry_summary(entry)
                ),
                LineStyle::Warning,
            ));
        }
        None => lines.push(DialogLine::new(
            "No version lies below this marker: the key will have no entries at all.",
            LineStyle::Warning,
        )),
    }
    lines.extend([
        DialogLine::plain(""),
        DialogLine::plain(
            "Nothing but this delete marker is deleted. lockwatch checks again that it",
        ),
        DialogLine::plain("is still the latest entry just before removing it."),
    ]);
    Confirm {
        title: "Restore deleted object".into(),
        lines,
        yes_label: "Restore".into(),
        write: PendingWrite::send(
            Effect::Restore {
                request: PENDING,
                key: key.clone(),
                bucket,
                marker_version_id: plan.marker.version_id.clone(),
            },
            format!("restoring {}", short_name(&key)),
        ),
        yes_selected: false,
        typed: None,
        bypass: None,
    }
}

pub(in crate::app) fn on_restored(
    state: &mut AppState,
    request: RequestId,
    result: Result<RestoreDone, RestoreFailure>,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(done) => {
            let now_current = match &done.becomes_current {
                Some(e) if !e.is_delete_marker() => {
                    format!("version {} is current again", text::sanitize(&e.version_id))
                }
                Some(_) => "the key is still deleted (another marker lies below)".to_string(),
                None => "the key has no entries left".to_string(),
            };
            let summary = format!(
                "Restored {}: removed delete marker {}; {now_current}.",
                short_name(&done.key),
                text::sanitize(&done.marker_version_id)
            );
            match &done.answer_lost {
                // Too important for the status line: the user must see how it is known.
                Some(e) => {
                    state.popup = Some(Popup::Message {
                        title: "Restored (read back)".into(),
                        lines: vec![
                            DialogLine::new(summary, LineStyle::Emphasis),
                            DialogLine::plain(""),
                            DialogLine::new(
                                format!("The server did not confirm the delete ({e})."),
                                LineStyle::Warning,
                            ),
                            DialogLine::plain(
                                "lockwatch did not send it again; read back, the marker is gone.",
                            ),
                        ],
                        error: false,
                    })
                }
                None => state.success(summary),
            }
            refresh_after_write(state, &done.bucket.clone(), &done.key.clone())
        }
        Err(failure) => {
            let (title, after) = match failure {
                RestoreFailure::Refused(_) => (
                    "Restore not done",
                    "Nothing was deleted. The panes have been reloaded to show the current state.",
                ),
                RestoreFailure::Server(_) => (
                    "Restore failed",
                    "Nothing was deleted. The panes have been reloaded to show the current state.",
                ),
                RestoreFailure::AnswerLost { .. } => (
                    "Restore not confirmed",
                    "The panes have been reloaded to show the current state.",
                ),
            };
            state.popup = Some(Popup::Message {
                title: title.into(),
                lines: vec![
                    DialogLine::new(failure.to_string(), LineStyle::Error),
                    DialogLine::plain(""),
                    DialogLine::plain(after),
                ],
                error: true,
            });
            let (bucket, key) = (state.versions.bucket.clone(), state.versions.key.clone());
            match (bucket, key) {
                (Some(b), Some(k)) => refresh_after_write(state, &b, &k),
                _ => Vec::new(),
            }
        }
    }
}
