//! `P`: the lock-coverage report of the open bucket or folder, built in the background (one
//! HEAD per version), shown as its Markdown text, and saved to a file on `s`.

use super::{AppState, Effect, Popup, RequestId};
use crate::keys::{Key, KeyCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    pub request: RequestId,
    pub location: String,
    pub stage: ReportStage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportStage {
    Building {
        versions: u64,
    },
    Failed(String),
    Done {
        markdown: String,
        /// The file name it would be saved under, in the current directory.
        file_name: String,
        scroll: usize,
        /// Columns scrolled right, for tables wider than the screen.
        hscroll: usize,
        saved: Option<Result<String, String>>,
    },
}

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let Some(bucket) = state.objects.bucket.clone() else {
        state.info("Open a bucket first: the report covers the open bucket or folder.");
        return Vec::new();
    };
    let prefix = state.objects.prefix.clone();
    let request = state.request_id();
    state.popup = Some(Popup::Report(Box::new(ReportView {
        request,
        location: format!(
            "s3://{}/{}",
            crate::domain::text::sanitize(&bucket),
            crate::domain::text::sanitize(&prefix)
        ),
        stage: ReportStage::Building { versions: 0 },
    })));
    vec![Effect::BuildReport {
        request,
        bucket,
        prefix,
    }]
}

fn current(state: &mut AppState, request: RequestId) -> Option<&mut ReportView> {
    match state.popup.as_mut() {
        Some(Popup::Report(r)) if r.request == request => Some(r),
        _ => None,
    }
}

pub(super) fn on_progress(state: &mut AppState, request: RequestId, n: u64) {
    if let Some(r) = current(state, request)
        && let ReportStage::Building { versions } = &mut r.stage
    {
        *versions = n;
    }
}

pub(super) fn on_built(
    state: &mut AppState,
    request: RequestId,
    result: Result<(String, String), String>,
) {
    if let Some(r) = current(state, request) {
        r.stage = match result {
            Ok((markdown, file_name)) => ReportStage::Done {
                markdown,
                file_name,
                scroll: 0,
                hscroll: 0,
                saved: None,
            },
            Err(e) => ReportStage::Failed(e),
        };
    }
}

pub(super) fn on_saved(state: &mut AppState, request: RequestId, result: Result<String, String>) {
    if let Some(r) = current(state, request)
        && let ReportStage::Done { saved, .. } = &mut r.stage
    {
        *saved = Some(result);
    }
}

pub(super) fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let height = usize::from(state.screen.height.saturating_sub(6)).max(1);
    let Some(Popup::Report(r)) = state.popup.as_mut() else {
        return Vec::new();
    };
    match &mut r.stage {
        ReportStage::Building { .. } => {
            if key.code == KeyCode::Esc {
                let request = r.request;
                state.popup = None;
                state.info("Report stopped.");
                return vec![Effect::Cancel(request)];
            }
        }
        ReportStage::Failed(_) => {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                state.popup = None;
            }
        }
        ReportStage::Done {
            markdown,
            file_name,
            scroll,
            hscroll,
            ..
        } => {
            let lines = markdown.lines().count();
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') => state.popup = None,
                KeyCode::Char('j') | KeyCode::Down => *scroll = (*scroll + 1).min(lines),
                KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => *scroll = (*scroll + height).min(lines),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(height),
                KeyCode::Char('g') | KeyCode::Home => {
                    *scroll = 0;
                    *hscroll = 0;
                }
                KeyCode::Char('l') | KeyCode::Right => *hscroll = (*hscroll + 8).min(1000),
                KeyCode::Char('h') | KeyCode::Left => *hscroll = hscroll.saturating_sub(8),
                KeyCode::Char('s') => {
                    return vec![Effect::SaveReport {
                        request: r.request,
                        file_name: file_name.clone(),
                        text: markdown.clone(),
                    }];
                }
                _ => {}
            }
        }
    }
    Vec::new()
}

/// `lockwatch-report-bup-20261127T020304Z.md`: the bucket's name made safe for a file name.
pub fn file_name(bucket: &str, at: jiff::Timestamp) -> String {
    let safe: String = bucket
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "lockwatch-report-{safe}-{}.md",
        at.to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%Y%m%dT%H%M%SZ")
    )
}
