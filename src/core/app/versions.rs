//! The versions pane: every version and delete marker of exactly one key, newest first.

use super::view::{Filter, ListView, matches, position};
use super::{AppState, Effect, Load, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::pages::VersionsPage;
use crate::domain::{HistoryEntry, history};
use crate::keys::Command;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct VersionsPane {
    pub bucket: Option<String>,
    pub key: Option<Arc<str>>,
    pub entries: Vec<HistoryEntry>,
    pub load: Load,
    pub view: ListView,
    /// A page came from a server that altered names (`VersionsPage::altered_keys`).
    pub altered_keys: bool,
}

impl VersionsPane {
    /// Empties the pane; returns the listing to cancel, if one was running.
    pub(super) fn clear(&mut self) -> Vec<Effect> {
        let cancel = self.load.stop().map(Effect::Cancel).into_iter().collect();
        *self = VersionsPane::default();
        cancel
    }

    pub(super) fn open(&mut self, bucket: String, key: Arc<str>, request: RequestId) -> Effect {
        self.bucket = Some(bucket.clone());
        self.key = Some(key.clone());
        self.load = Load::Loading { request, pages: 0 };
        Effect::ListVersions {
            request,
            bucket,
            key,
        }
    }

    pub fn selected(&self) -> Option<&HistoryEntry> {
        self.view.selected_row().and_then(|i| self.entries.get(i))
    }

    pub fn latest(&self) -> Option<&HistoryEntry> {
        history::latest(&self.entries)
    }

    pub(super) fn visible_entries(&self, height: usize) -> impl Iterator<Item = &HistoryEntry> {
        self.view
            .on_screen(height)
            .filter_map(|p| self.view.row_at(p))
            .filter_map(|i| self.entries.get(i))
    }

    fn filter_for(&self, text: Option<String>) -> Option<Filter> {
        let text = text?;
        let needle = text.to_lowercase();
        let matches = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| matches(&e.version_id, &needle))
            .map(|(i, _)| position(i))
            .collect();
        Some(Filter { text, matches })
    }

    pub fn set_filter(&mut self, text: Option<String>, height: usize) {
        let filter = self.filter_for(text);
        self.view.reset(self.entries.len(), filter, height);
    }

    /// Takes a page for the open key; false when it was for a key no longer shown.
    pub(super) fn on_page(
        &mut self,
        request: RequestId,
        result: Result<VersionsPage, S3Error>,
        more: bool,
        height: usize,
    ) -> bool {
        let page = match result {
            Ok(page) => page,
            Err(error) => {
                self.load.fail(request, error);
                return false;
            }
        };
        if !self.load.page_arrived(request, more) {
            return false;
        }
        let Some(key) = self.key.clone() else {
            return false;
        };
        let first_page = self.load_pages() == 1;
        if first_page {
            self.entries.clear();
            self.altered_keys = false;
        }
        self.altered_keys |= page.altered_keys;
        history::absorb_page(&mut self.entries, &key, page.versions, page.markers);
        let filter = self.filter_for(self.view.filter_text());
        self.view.reset(self.entries.len(), filter, height);
        true
    }

    fn load_pages(&self) -> u32 {
        match &self.load {
            Load::Loading { pages, .. } | Load::Complete { pages } => *pages,
            _ => 0,
        }
    }
}

pub(super) fn on_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    match command {
        Command::Back => {
            state.focus = Pane::Objects;
            Vec::new()
        }
        Command::Refresh => {
            let (Some(bucket), Some(key)) =
                (state.versions.bucket.clone(), state.versions.key.clone())
            else {
                return Vec::new();
            };
            state
                .locks
                .retain(|v, _| !(v.bucket == bucket && v.key == key));
            let request = state.request_id();
            let mut effects: Vec<Effect> = state
                .versions
                .load
                .stop()
                .map(Effect::Cancel)
                .into_iter()
                .collect();
            effects.push(state.versions.open(bucket, key, request));
            effects
        }
        _ => Vec::new(),
    }
}
