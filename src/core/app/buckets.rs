//! The buckets pane: names first, then versioning and lock details as they arrive.

use super::view::{Filter, ListView, matches, position};
use super::{AppState, Effect, Load, Pane, Popup, RequestId};
use crate::app::dialog::{DialogLine, LineStyle};
use crate::domain::error::S3Error;
use crate::domain::{Bucket, BucketDetails};
use crate::keys::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// Being read by this request (`Esc` stops it).
    Loading(RequestId),
    Loaded(BucketDetails),
    Failed(S3Error),
    /// Stopped with `Esc` before it came.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRow {
    pub bucket: Bucket,
    pub detail: Detail,
}

#[derive(Debug, Clone, Default)]
pub struct BucketsPane {
    pub rows: Vec<BucketRow>,
    pub load: Load,
    pub view: ListView,
    /// A bucket to select once the names arrive (the start location).
    pub pending_select: Option<String>,
}

impl BucketsPane {
    pub fn reload(&mut self, request: RequestId) -> Effect {
        self.load = Load::Loading { request, pages: 0 };
        Effect::ListBuckets { request }
    }

    pub fn selected(&self) -> Option<&BucketRow> {
        self.view.selected_row().and_then(|i| self.rows.get(i))
    }

    pub fn details(&self, bucket: &str) -> Option<&Detail> {
        self.rows
            .iter()
            .find(|r| r.bucket.name == bucket)
            .map(|r| &r.detail)
    }

    pub fn on_details(&mut self, bucket: &str, result: Result<BucketDetails, S3Error>) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.bucket.name == bucket) {
            if !matches!(row.detail, Detail::Loading(_)) {
                return;
            }
            row.detail = match result {
                Ok(d) => Detail::Loaded(d),
                Err(e) => Detail::Failed(e),
            };
        }
    }

    /// What a write read back: replaces whatever the row held.
    pub fn set_details(&mut self, bucket: &str, details: BucketDetails) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.bucket.name == bucket) {
            row.detail = Detail::Loaded(details);
        }
    }

    /// Stops the details still loading; their requests, to cancel.
    pub fn stop_details(&mut self) -> Vec<RequestId> {
        let mut stopped = Vec::new();
        for row in &mut self.rows {
            if let Detail::Loading(request) = row.detail {
                stopped.push(request);
                row.detail = Detail::Stopped;
            }
        }
        stopped
    }

    fn filter_for(&self, text: Option<String>) -> Option<Filter> {
        let text = text?;
        let needle = text.to_lowercase();
        let matches = (0..self.rows.len())
            .filter(|&i| matches(&self.rows[i].bucket.name, &needle))
            .map(position)
            .collect();
        Some(Filter { text, matches })
    }

    pub fn set_filter(&mut self, text: Option<String>, height: usize) {
        let filter = self.filter_for(text);
        self.view.reset(self.rows.len(), filter, height);
    }
}

pub(super) fn on_loaded(
    state: &mut AppState,
    request: RequestId,
    result: Result<Vec<Bucket>, S3Error>,
) -> Vec<Effect> {
    let pane = &mut state.buckets;
    match result {
        Ok(buckets) => {
            if !pane.load.page_arrived(request, false) {
                return Vec::new();
            }
            let previous = pane.selected().map(|r| r.bucket.name.clone());
            pane.rows = buckets
                .into_iter()
                .map(|bucket| BucketRow {
                    bucket,
                    detail: Detail::Stopped,
                })
                .collect();
            pane.rows.sort_by(|a, b| a.bucket.name.cmp(&b.bucket.name));
            let names: Vec<String> = pane.rows.iter().map(|r| r.bucket.name.clone()).collect();
            let filter = pane.filter_for(pane.view.filter_text());
            let height = state.page_height(Pane::Buckets);
            let pane = &mut state.buckets;
            pane.view.reset(pane.rows.len(), filter, height);
            let want = pane.pending_select.take().or(previous);
            if let Some(i) = want.and_then(|w| names.iter().position(|n| *n == w)) {
                pane.view.select_row(i, height);
            }
        }
        Err(error) => {
            if !pane.load.fail(request, error.clone()) {
                return Vec::new();
            }
            explain_listing_failure(state, &error);
            return Vec::new();
        }
    }
    let mut effects = Vec::with_capacity(state.buckets.rows.len());
    for i in 0..state.buckets.rows.len() {
        let request = state.request_id();
        let row = &mut state.buckets.rows[i];
        row.detail = Detail::Loading(request);
        effects.push(Effect::LoadBucketDetails {
            request,
            bucket: row.bucket.name.clone(),
        });
    }
    effects
}

/// The first request tells whether lockwatch can talk to the server at all: say what was tried
/// and how to fix it.
fn explain_listing_failure(state: &mut AppState, error: &S3Error) {
    let info = &state.connection;
    let mut lines = vec![
        DialogLine::new(
            format!("The bucket list could not be loaded: {error}"),
            LineStyle::Error,
        ),
        DialogLine::plain(""),
    ];
    lines.extend(info.tried().into_iter().map(DialogLine::plain));
    lines.push(DialogLine::plain(""));
    let advice = info.advice(error, crate::domain::connection::Surface::Ui);
    lines.extend(advice.into_iter().map(DialogLine::plain));
    state.popup = Some(Popup::Message {
        title: "Cannot list buckets".into(),
        lines,
        error: true,
    });
}

pub(super) fn on_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    match command {
        Command::Open => {
            let Some(row) = state.buckets.selected() else {
                return Vec::new();
            };
            let bucket = row.bucket.name.clone();
            state.focus = Pane::Objects;
            state.open_level(bucket, String::new(), None)
        }
        Command::Refresh => {
            let request = state.request_id();
            let mut effects: Vec<Effect> = state
                .buckets
                .load
                .stop()
                .map(Effect::Cancel)
                .into_iter()
                .collect();
            effects.push(state.buckets.reload(request));
            effects
        }
        _ => Vec::new(),
    }
}
