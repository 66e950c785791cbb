//! The objects pane: one level of a bucket, optionally with deleted objects.

use super::view::{Filter, ListView, matches};
use super::{AppState, Effect, LevelPage, Load, Pane, RequestId, Resume};
use crate::domain::listing::{Level, LevelRow, display_name, parent_prefix};
use crate::keys::Command;
use crate::s3::S3Error;

#[derive(Debug, Clone, Default)]
pub struct ObjectsPane {
    pub bucket: Option<String>,
    /// Empty, or ending in `/`.
    pub prefix: String,
    pub show_deleted: bool,
    pub level: Level,
    pub load: Load,
    pub view: ListView,
    /// Name to select once it is listed (the folder we came back from).
    reselect: Option<String>,
    /// Where the listing would go on after the last page that arrived.
    pub resume: Option<Resume>,
}

impl ObjectsPane {
    pub(super) fn open(
        &mut self,
        bucket: String,
        prefix: String,
        reselect: Option<String>,
        request: RequestId,
    ) -> Effect {
        if self.bucket.as_deref() != Some(bucket.as_str()) || self.prefix != prefix {
            self.view = ListView::default();
            self.level = Level::default();
        } else if let Some(row) = self.selected_name() {
            // A reload keeps showing the old rows until the first page replaces them, and
            // keeps the selection on the same name.
            self.reselect = Some(row);
        }
        if reselect.is_some() {
            self.reselect = reselect;
        }
        self.bucket = Some(bucket.clone());
        self.prefix = prefix.clone();
        self.load = Load::Loading { request, pages: 0 };
        self.resume = None;
        Effect::ListLevel {
            request,
            bucket,
            prefix,
            deleted: self.show_deleted,
            from: None,
        }
    }

    /// Goes on with a listing that failed or was stopped, from where it stopped, keeping the
    /// rows already listed. `None` when there is nothing to go on with.
    fn resume_listing(&mut self, request: RequestId) -> Option<Effect> {
        let pages = match &self.load {
            Load::Failed { pages, .. } | Load::Stopped { pages } => *pages,
            _ => return None,
        };
        let from = self.resume.clone()?;
        let bucket = self.bucket.clone()?;
        self.load = Load::Loading { request, pages };
        Some(Effect::ListLevel {
            request,
            bucket,
            prefix: self.prefix.clone(),
            deleted: self.show_deleted,
            from: Some(from),
        })
    }

    pub fn selected(&self) -> Option<LevelRow<'_>> {
        self.view.selected_row().and_then(|i| self.level.row(i))
    }

    fn selected_name(&self) -> Option<String> {
        self.selected().map(|r| row_key(&r).to_string())
    }

    /// The text a row is filtered by: its name below the current prefix.
    pub fn row_name<'a>(&self, row: &LevelRow<'a>) -> &'a str {
        display_name(row_key(row), &self.prefix)
    }

    fn filter_for(&self, text: Option<String>) -> Option<Filter> {
        let text = text?;
        let needle = text.to_lowercase();
        let matches = self
            .level
            .rows()
            .enumerate()
            .filter(|(_, r)| matches(self.row_name(r), &needle))
            .map(|(i, _)| i)
            .collect();
        Some(Filter { text, matches })
    }

    /// Brings `filter`'s matches up to date after a page added prefixes from `prefixes_before`
    /// and objects from `objects_before` on (rows are prefixes first, then objects; a page
    /// only appends to each, or changes the last object of the same key).
    fn extend_matches(&self, filter: &mut Filter, prefixes_before: usize, objects_before: usize) {
        let needle = filter.text.to_lowercase();
        let prefixes = self.level.prefixes.len();
        let added = prefixes - prefixes_before;
        let split = filter.matches.partition_point(|&i| i < prefixes_before);
        if added > 0 {
            for m in &mut filter.matches[split..] {
                *m += added;
            }
            let new_prefixes: Vec<usize> = (prefixes_before..prefixes)
                .filter(|&i| {
                    self.level
                        .row(i)
                        .is_some_and(|r| matches(self.row_name(&r), &needle))
                })
                .collect();
            filter.matches.splice(split..split, new_prefixes);
        }
        for j in objects_before..self.level.objects.len() {
            let i = prefixes + j;
            if self
                .level
                .row(i)
                .is_some_and(|r| matches(self.row_name(&r), &needle))
            {
                filter.matches.push(i);
            }
        }
    }

    pub fn set_filter(&mut self, text: Option<String>, height: usize) {
        let filter = self.filter_for(text);
        self.view.reset(self.level.len(), filter, height);
    }

    /// Counts for the pane's title: prefixes, present objects, deleted objects.
    pub fn counts(&self) -> (usize, usize, usize) {
        let deleted = self.level.deleted_count();
        (
            self.level.prefixes.len(),
            self.level.objects.len() - deleted,
            deleted,
        )
    }
}

fn row_key<'a>(row: &LevelRow<'a>) -> &'a str {
    match row {
        LevelRow::Prefix(p) => p,
        LevelRow::Object(o) => o.key(),
    }
}

pub(super) fn on_page(
    state: &mut AppState,
    request: RequestId,
    result: Result<LevelPage, S3Error>,
    more: bool,
) -> Vec<Effect> {
    let height = state.page_height(Pane::Objects);
    let pane = &mut state.objects;
    let page = match result {
        Ok(page) => page,
        Err(error) => {
            if pane.load.fail(request, error.clone()) {
                state.error(format!("Listing failed: {error}"));
            }
            return Vec::new();
        }
    };
    let first_page = matches!(pane.load, Load::Loading { pages: 0, .. });
    if !pane.load.page_arrived(request, more) {
        return Vec::new();
    }
    if first_page {
        // A reload showed the old rows until now.
        pane.level = Level::default();
        pane.view.reset(0, pane.view.filter.clone(), height);
    }
    let selected = pane.view.selected_row();
    let prefixes_before = pane.level.prefixes.len();
    let objects_before = pane.level.objects.len();
    match page {
        LevelPage::Objects(p) => {
            pane.resume = p.next_token.map(Resume::Token);
            pane.level.absorb_objects_page(p.objects, p.prefixes)
        }
        LevelPage::Versions(p) => {
            pane.resume = p.next.map(Resume::Marker);
            pane.level
                .absorb_versions_page(p.versions, p.markers, p.prefixes)
        }
    }
    // Only the rows this page added are matched against the filter: a long listing with a
    // filter typed stays linear.
    let filter = pane.view.filter.take().map(|mut f| {
        pane.extend_matches(&mut f, prefixes_before, objects_before);
        f
    });
    pane.view.reset(pane.level.len(), filter, height);
    // New prefixes are inserted above the objects: keep the same object selected.
    let added = pane.level.prefixes.len() - prefixes_before;
    if let Some(row) = selected
        && row >= prefixes_before
        && added > 0
    {
        pane.view.select_row(row + added, height);
    }
    if let Some(name) = pane.reselect.clone()
        && let Some(i) = pane.level.rows().position(|r| row_key(&r) == name)
    {
        pane.view.select_row(i, height);
        pane.reselect = None;
    }
    if !more {
        pane.reselect = None;
    }
    Vec::new()
}

pub(super) fn on_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let Some(bucket) = state.objects.bucket.clone() else {
        if command == Command::Back {
            state.focus = Pane::Buckets;
        }
        return Vec::new();
    };
    match command {
        Command::Open => {
            let target = match state.objects.selected() {
                Some(LevelRow::Prefix(p)) => Ok(p.to_string()),
                Some(LevelRow::Object(o)) => Err(o.key().clone()),
                None => return Vec::new(),
            };
            match target {
                Ok(prefix) => state.open_level(bucket, prefix, None),
                Err(key) => {
                    state.focus = Pane::Versions;
                    state.open_versions(bucket, key)
                }
            }
        }
        Command::Back => {
            if state.objects.prefix.is_empty() {
                state.focus = Pane::Buckets;
                return Vec::new();
            }
            let came_from = state.objects.prefix.clone();
            let parent = parent_prefix(&came_from);
            state.open_level(bucket, parent, Some(came_from))
        }
        Command::Refresh => {
            let request = state.request_id();
            if let Some(effect) = state.objects.resume_listing(request) {
                let pages = state.objects.load.pages();
                state.info(format!(
                    "Resuming the listing after {}; R once it is complete loads it all again",
                    if pages == 1 {
                        "1 page".to_string()
                    } else {
                        format!("{pages} pages")
                    }
                ));
                return vec![effect];
            }
            let prefix = state.objects.prefix.clone();
            state.open_level(bucket, prefix, None)
        }
        Command::ToggleDeleted => {
            state.objects.show_deleted = !state.objects.show_deleted;
            state.info(if state.objects.show_deleted {
                "Showing deleted objects: keys whose latest entry is a delete marker"
            } else {
                "Hiding deleted objects"
            });
            let prefix = state.objects.prefix.clone();
            state.open_level(bucket, prefix, None)
        }
        _ => Vec::new(),
    }
}
