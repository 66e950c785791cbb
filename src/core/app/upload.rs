//! `u`: upload a local file into the open folder, with an optional retention and legal hold,
//! and read the version back to show the lock the server actually holds.

use super::dialog::{DialogLine, LineStyle, Popup, finish_write, short_name};
use super::form::{Field, Form, FormEvent};
use super::{AppState, Effect, LockStatus, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::transfer::{UploadRequest, Uploaded};
use crate::domain::{LegalHold, RetentionMode, VersionRef, format, text};
use crate::keys::{Key, KeyCode};
use jiff::Timestamp;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadForm {
    pub bucket: String,
    pub prefix: String,
    pub form: Form,
    /// Names that match the path typed so far, after a completion.
    pub candidates: Vec<String>,
}

const FILE: &str = "Local file";
const KEY: &str = "Key";
const RETENTION: &str = "Retention";
const UNTIL: &str = "Retain until";
const HOLD: &str = "Legal hold";

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    if state.focus != Pane::Objects {
        return Vec::new();
    }
    let Some(bucket) = state.objects.bucket.clone() else {
        state.info("Open a bucket first.");
        return Vec::new();
    };
    let prefix = state.objects.prefix.clone();
    let form = Form::new(vec![
        Field::text(FILE, "", "Tab completes"),
        Field::text(KEY, &prefix, "ending in / adds the file's name"),
        Field::choice(
            RETENTION,
            &["bucket default", "COMPLIANCE", "GOVERNANCE"],
            0,
            "",
        ),
        Field::text(UNTIL, "+1", "date, or +N days (+Nh, +Nm, +Ns), UTC"),
        Field::choice(HOLD, &["off", "on"], 0, ""),
    ]);
    state.popup = Some(Popup::Upload(UploadForm {
        bucket,
        prefix,
        form,
        candidates: Vec::new(),
    }));
    Vec::new()
}

/// Checks the form; the upload it asks for, or why it cannot be sent.
pub fn check(f: &UploadForm, now: Timestamp) -> Result<UploadRequest, String> {
    let path = f.form.value(FILE).trim();
    if path.is_empty() {
        return Err("Name the local file to upload.".into());
    }
    let name = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path);
    let mut key = f.form.value(KEY).to_string();
    if key.is_empty() || key.ends_with('/') {
        key.push_str(name);
    }
    if key.len() > 1024 {
        return Err(format!(
            "S3 keys have at most 1024 bytes; this one has {}.",
            key.len()
        ));
    }
    let retention = match f.form.value(RETENTION) {
        "COMPLIANCE" | "GOVERNANCE" => {
            let until = super::retention::parse_until(f.form.value(UNTIL), now)?;
            if until <= now {
                return Err("The retention date must be in the future.".into());
            }
            Some((RetentionMode::parse(f.form.value(RETENTION)), until))
        }
        _ => None,
    };
    Ok(UploadRequest {
        bucket: f.bucket.clone(),
        key,
        path: PathBuf::from(path),
        retention,
        legal_hold: f.form.value(HOLD) == "on",
    })
}

pub(super) fn on_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    let Some(Popup::Upload(f)) = state.popup.as_mut() else {
        return Vec::new();
    };
    if key.code == KeyCode::Tab && f.form.focus == 0 {
        return vec![Effect::CompletePath {
            input: f.form.value(FILE).to_string(),
        }];
    }
    match f.form.on_key(key) {
        FormEvent::Cancel => {
            state.popup = None;
            state.info("Cancelled: nothing was uploaded.");
            Vec::new()
        }
        FormEvent::Submit => match check(f, now) {
            Ok(upload) => {
                state.popup = None;
                let request =
                    state.start_transfer(format!("uploading {}", short_name(&upload.key)));
                vec![Effect::Upload { request, upload }]
            }
            Err(_) => Vec::new(),
        },
        FormEvent::Edited | FormEvent::Ignored => {
            f.candidates.clear();
            Vec::new()
        }
    }
}

pub(super) fn on_completion(
    state: &mut AppState,
    input: String,
    names: Result<Vec<String>, String>,
) -> Vec<Effect> {
    if let Some(Popup::Upload(f)) = state.popup.as_mut()
        && let Some(candidates) = f.form.complete_path(FILE, &input, names)
    {
        f.candidates = candidates;
    }
    Vec::new()
}

pub(super) fn on_uploaded(
    state: &mut AppState,
    request: RequestId,
    upload: UploadRequest,
    result: Result<Uploaded, S3Error>,
) -> Vec<Effect> {
    state.transfers.retain(|t| t.request != request);
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        Ok(done) => {
            if let Some(v) = &done.version_id {
                state.locks.insert(
                    VersionRef {
                        bucket: upload.bucket.clone(),
                        key: upload.key.as_str().into(),
                        version_id: v.clone(),
                    },
                    LockStatus::Known(done.lock.clone()),
                );
            }
            let held = match (&done.lock.mode, done.lock.retain_until) {
                (Some(m), Some(u)) => format!(
                    "{} until {}",
                    text::sanitize(m.as_str()),
                    crate::domain::lock::describe_until(u)
                ),
                _ => "no retention".to_string(),
            };
            let hold = match &done.lock.legal_hold {
                LegalHold::On => ", legal hold on".to_string(),
                LegalHold::Off => String::new(),
                other => format!(", legal hold {}", other.label()),
            };
            let how = match (done.multipart, done.lock_applied_after) {
                (true, true) => {
                    " in parts; the server ignored the lock sent with them, so lockwatch applied it afterwards"
                }
                (true, false) => " in parts",
                _ => "",
            };
            let mismatch = match &upload.retention {
                Some((mode, until))
                    if done.lock.mode.as_ref() != Some(mode)
                        || done.lock.retain_until.map(|t| t.unix_seconds())
                            != Some(until.as_second()) =>
                {
                    Some(format!(
                        "asked for {} until {} UTC, the server holds {held}",
                        mode.as_str(),
                        format::timestamp(*until)
                    ))
                }
                _ if upload.legal_hold && !done.lock.legal_hold.is_on() => {
                    Some("asked for a legal hold, the server holds none".to_string())
                }
                _ => None,
            };
            match mismatch {
                None => state.success(format!(
                    "Uploaded {}, {}{how}, version {}: {held}{hold} (read back).",
                    short_name(&upload.key),
                    format::size_exact(done.size),
                    done.version_id
                        .as_deref()
                        .map_or("none".into(), |v| text::sanitize(v).into_owned())
                )),
                Some(m) => {
                    state.popup = Some(Popup::Message {
                        title: "Uploaded, but not locked as asked".into(),
                        lines: vec![
                            DialogLine::new(
                                format!(
                                    "s3://{}/{} was uploaded, but reading it back: {m}.",
                                    text::sanitize(&upload.bucket),
                                    text::sanitize(&upload.key)
                                ),
                                LineStyle::Error,
                            ),
                            DialogLine::plain(
                                "Set the retention on the version with e, then check it again.",
                            ),
                        ],
                        error: true,
                    });
                }
            }
        }
        Err(e) => {
            state.popup = Some(Popup::Message {
                title: "Upload failed".into(),
                lines: vec![DialogLine::new(e.to_string(), LineStyle::Error)],
                error: true,
            });
        }
    }
    if state.objects.bucket.as_deref() == Some(upload.bucket.as_str()) {
        let prefix = state.objects.prefix.clone();
        return state.open_level(upload.bucket, prefix, Some(upload.key));
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(file: &str, key: &str, retention: usize, until: &str, hold: usize) -> UploadForm {
        UploadForm {
            bucket: "bup".into(),
            prefix: "db/".into(),
            form: Form::new(vec![
                Field::text(FILE, file, ""),
                Field::text(KEY, key, ""),
                Field::choice(
                    RETENTION,
                    &["bucket default", "COMPLIANCE", "GOVERNANCE"],
                    retention,
                    "",
                ),
                Field::text(UNTIL, until, ""),
                Field::choice(HOLD, &["off", "on"], hold, ""),
            ]),
            candidates: Vec::new(),
        }
    }

    #[test]
    fn key_defaults_to_the_folder_and_the_file_name() {
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().expect("time");
        let request = check(&form("/srv/tux.svg", "db/", 0, "+1", 0), now).expect("valid");
        assert_eq!(request.key, "db/tux.svg");
        assert_eq!(request.retention, None);
        let request = check(&form("/srv/tux.svg", "other.svg", 1, "+2", 1), now).expect("valid");
        assert_eq!(request.key, "other.svg");
        assert_eq!(
            request.retention,
            Some((
                RetentionMode::Compliance,
                "2026-11-28T12:00:00Z".parse().expect("time")
            ))
        );
        assert!(request.legal_hold);
        assert!(check(&form("", "db/", 0, "+1", 0), now).is_err());
        assert!(check(&form("/srv/x", "db/", 2, "2020-01-01", 0), now).is_err());
    }
}
