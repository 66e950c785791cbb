//! `s`: save a version to a local directory, with progress, never overwriting without asking,
//! checked against the size and (single-part) the MD5 ETag.

use super::dialog::{Confirm, DialogLine, LineStyle, PendingWrite, Popup, finish_write};
use super::form::{Field, Form, FormEvent};
use super::{AppState, Effect, Pane, RequestId};
use crate::domain::listing::{LevelObject, LevelRow};
use crate::domain::transfer::{DownloadError, DownloadRequest, Downloaded};
use crate::domain::{format, paths, text};
use crate::keys::{Key, KeyCode};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadForm {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub form: Form,
    pub candidates: Vec<String>,
}

/// An upload or download under way, for the progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub request: RequestId,
    pub label: String,
    pub done: u64,
    pub total: Option<u64>,
}

const DIRECTORY: &str = "Directory";

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let target = match state.focus {
        Pane::Objects => match (state.objects.bucket.clone(), state.objects.selected()) {
            (Some(b), Some(LevelRow::Object(LevelObject::Present(o)))) => {
                Some((b, o.key.to_string(), None))
            }
            (_, Some(LevelRow::Object(LevelObject::Deleted(_)))) => {
                state.info("A deleted object has no current version: open its versions and save one of them.");
                return Vec::new();
            }
            _ => None,
        },
        Pane::Versions => match (
            &state.versions.bucket,
            &state.versions.key,
            state.versions.selected(),
        ) {
            (Some(b), Some(k), Some(e)) if !e.is_delete_marker() => {
                Some((b.clone(), k.to_string(), Some(e.version_id.clone())))
            }
            (_, _, Some(_)) => {
                state.info("A delete marker has no content to save.");
                return Vec::new();
            }
            _ => None,
        },
        Pane::Buckets => None,
    };
    let Some((bucket, key, version_id)) = target else {
        state.info("Select an object or a version to save.");
        return Vec::new();
    };
    state.popup = Some(Popup::Download(DownloadForm {
        bucket,
        key,
        version_id,
        form: Form::new(vec![Field::text(DIRECTORY, "./", "Tab completes")]),
        candidates: Vec::new(),
    }));
    Vec::new()
}

/// The download the form asks for.
pub fn request_of(f: &DownloadForm, overwrite: bool) -> Result<DownloadRequest, String> {
    let dir = f.form.value(DIRECTORY).trim();
    if dir.is_empty() {
        return Err("Name a directory to save into.".into());
    }
    Ok(DownloadRequest {
        bucket: f.bucket.clone(),
        key: f.key.clone(),
        version_id: f.version_id.clone(),
        directory: PathBuf::from(dir),
        name: paths::local_name(&f.key),
        overwrite,
    })
}

fn start(state: &mut AppState, request: DownloadRequest) -> Vec<Effect> {
    let id = state.start_transfer(format!("saving {}", text::sanitize(&request.name)));
    vec![Effect::Download {
        request: id,
        download: request,
    }]
}

pub(super) fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(Popup::Download(f)) = state.popup.as_mut() else {
        return Vec::new();
    };
    if key.code == KeyCode::Tab {
        return vec![Effect::CompleteDirectory {
            input: f.form.value(DIRECTORY).to_string(),
        }];
    }
    match f.form.on_key(key) {
        FormEvent::Cancel => {
            state.popup = None;
            state.info("Cancelled: nothing was saved.");
            Vec::new()
        }
        FormEvent::Submit => match request_of(f, false) {
            Ok(request) => {
                state.popup = None;
                start(state, request)
            }
            Err(_) => Vec::new(),
        },
        _ => {
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
    if let Some(Popup::Download(f)) = state.popup.as_mut()
        && let Some(candidates) = f.form.complete_path(DIRECTORY, &input, names)
    {
        f.candidates = candidates;
    }
    Vec::new()
}

pub(super) fn on_progress(
    state: &mut AppState,
    request: RequestId,
    done: u64,
    total: Option<u64>,
) -> Vec<Effect> {
    if let Some(t) = state.transfers.iter_mut().find(|t| t.request == request) {
        t.done = done;
        t.total = total;
    }
    Vec::new()
}

pub(super) fn cancel(state: &mut AppState) -> Vec<Effect> {
    if state.transfers.is_empty() {
        state.info("No transfer is running.");
        return Vec::new();
    }
    let cancelled: Vec<RequestId> = state.transfers.drain(..).map(|t| t.request).collect();
    state.writes.retain(|(r, _)| !cancelled.contains(r));
    state.info("Cancelled: a partial download is removed, an unfinished upload aborted.");
    cancelled.into_iter().map(Effect::Cancel).collect()
}

pub(super) fn on_done(
    state: &mut AppState,
    request: RequestId,
    download: DownloadRequest,
    result: Result<Downloaded, DownloadError>,
) -> Vec<Effect> {
    state.transfers.retain(|t| t.request != request);
    if !finish_write(state, request) {
        return Vec::new();
    }
    match result {
        // The file and its check first: a narrow status line cuts the end.
        Ok(done) => state.success(format!(
            "Saved {} ({}, {}): {} of s3://{}/{}.",
            text::sanitize(&done.path.display().to_string()),
            format::size_exact(done.size),
            if done.md5_verified {
                "MD5 matches the ETag"
            } else {
                "size checked (a multipart ETag is not an MD5)"
            },
            done.version_id.as_deref().map_or_else(
                || "the object".to_string(),
                |v| format!("version {}", text::sanitize(v))
            ),
            text::sanitize(&download.bucket),
            text::sanitize(&download.key),
        )),
        Err(DownloadError::Exists(path)) => {
            state.popup = Some(Popup::Confirm(Confirm {
                title: "Replace local file?".into(),
                lines: vec![
                    DialogLine::new(
                        format!(
                            "{} already exists.",
                            text::sanitize(&path.display().to_string())
                        ),
                        LineStyle::Warning,
                    ),
                    DialogLine::plain(
                        "Replace it with the downloaded version? Its current content is lost.",
                    ),
                ],
                yes_label: "Replace".into(),
                write: PendingWrite::Download(DownloadRequest {
                    overwrite: true,
                    ..download
                }),
                yes_selected: false,
                typed: None,
                bypass: None,
            }));
        }
        Err(e) => {
            state.popup = Some(Popup::Message {
                title: "Download failed".into(),
                lines: vec![
                    DialogLine::new(e.to_string(), LineStyle::Error),
                    DialogLine::plain("Nothing was left in the directory."),
                ],
                error: true,
            });
        }
    }
    Vec::new()
}

pub(super) fn start_confirmed(state: &mut AppState, request: DownloadRequest) -> Vec<Effect> {
    start(state, request)
}

/// Where the form would save, for the form's last line.
pub fn download_target(f: &DownloadForm) -> Result<String, String> {
    request_of(f, false).map(|r| r.directory.join(&r.name).display().to_string())
}

impl AppState {
    /// Tracks a new upload or download: a write in the status line, with a progress bar that
    /// ctrl-x can cancel. Returns its request id.
    pub(super) fn start_transfer(&mut self, label: String) -> RequestId {
        let request = self.request_id();
        self.writes.push((request, label.clone()));
        self.transfers.push(Transfer {
            request,
            label,
            done: 0,
            total: None,
        });
        request
    }
}
