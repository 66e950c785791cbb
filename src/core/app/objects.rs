//! The objects pane: one level of a bucket, optionally with deleted objects.

use super::view::{Filter, ListView, RowSet, matches, position, positions_of};
use super::{AppState, Effect, LevelPage, Load, Pane, RequestId, Resume};
use crate::domain::error::S3Error;
use crate::domain::listing::{Level, LevelRow, display_name, parent_prefix};
use crate::domain::sort::{self, Placed, SortBy, SortedRows, natural_cmp};
use crate::keys::Command;
use std::cmp::Ordering;
use std::sync::Arc;

/// Rows marked for a bulk action, by position among the prefixes and among the objects of the
/// level. Both only grow while a listing streams in (a page appends, or replaces the last
/// object by the same key), so positions stay valid until the level is replaced, and then the
/// marks go with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    prefixes: Vec<bool>,
    objects: Vec<bool>,
    count: usize,
}

impl Marks {
    fn slot(&mut self, level: &Level, row: usize) -> Option<&mut bool> {
        let (list, i) = if row < level.prefixes.len() {
            (&mut self.prefixes, row)
        } else if row - level.prefixes.len() < level.objects_len() {
            (&mut self.objects, row - level.prefixes.len())
        } else {
            return None;
        };
        if list.len() <= i {
            list.resize(i + 1, false);
        }
        list.get_mut(i)
    }

    pub fn is_marked(&self, level: &Level, row: usize) -> bool {
        let (list, i) = if row < level.prefixes.len() {
            (&self.prefixes, row)
        } else {
            (&self.objects, row - level.prefixes.len())
        };
        list.get(i).copied().unwrap_or(false)
    }

    pub fn set(&mut self, level: &Level, row: usize, on: bool) {
        let Some(slot) = self.slot(level, row) else {
            return;
        };
        if *slot != on {
            *slot = on;
            if on {
                self.count += 1;
            } else {
                self.count -= 1;
            }
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn clear(&mut self) {
        *self = Marks::default();
    }

    /// The marked folders and keys, in row order.
    pub fn targets(&self, level: &Level) -> (Vec<String>, Vec<String>) {
        let folders = self
            .prefixes
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .filter_map(|(i, _)| level.prefixes.get(i).map(|p| p.to_string()))
            .collect();
        let keys = self
            .objects
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .filter_map(|(i, _)| level.object_key(i).map(str::to_string))
            .collect();
        (folders, keys)
    }
}

/// What a folder shown with deleted objects (or as of a time) holds, as far as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderProbe {
    Asking(RequestId),
    /// A current object (as of a time: a key then).
    Holds,
    /// Deleted files only (as of a time: no key then; its files came later or were gone).
    Empty,
    Failed(S3Error),
}

#[derive(Debug, Clone, Default)]
pub struct ObjectsPane {
    pub bucket: Option<String>,
    /// Empty, or ending in `/`.
    pub prefix: String,
    pub show_deleted: bool,
    /// The point-in-time view: the level as it was at this time (read-only).
    pub as_of: Option<jiff::Timestamp>,
    pub level: Level,
    pub load: Load,
    pub view: ListView,
    /// Name to select once it is listed (the folder we came back from).
    reselect: Option<String>,
    /// Where the listing would go on after the last page that arrived.
    pub resume: Option<Resume>,
    /// Rows marked for bulk undelete (space, *).
    pub marks: Marks,
    /// The order rows are shown in; kept for the whole session, across folders and buckets.
    pub sort: SortBy,
    /// Whether the level's objects, in listing order, are also in natural name order (S3
    /// lists in byte order; they differ only for unpadded numbers). Then an object's index
    /// breaks ties in name order, and sorting by size or date needs no name comparisons.
    names_in_order: bool,
    /// A large level just replaced, for `update` to hand to the runtime.
    pub(super) released: Option<Box<ReleasedRows>>,
    /// What the folders on screen hold, while the level lists versions (deleted objects shown,
    /// or a past time): asked for each folder once it is on screen.
    pub folders: std::collections::HashMap<String, FolderProbe>,
    /// Probes of a level replaced, for `update` to cancel.
    pub(super) stale_probes: Vec<RequestId>,
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
            let old_order = std::mem::take(&mut self.view).order;
            self.view.reorder(None, SortedRows::new(self.sort), None, 0);
            self.names_in_order = true;
            let old = std::mem::replace(&mut self.level, Level::as_of(self.as_of));
            self.retire(old, old_order);
            self.marks.clear();
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
            deleted: self.lists_versions(),
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
            deleted: self.lists_versions(),
            from: Some(from),
        })
    }

    /// Whether the level is built from a version listing (deleted objects shown, or the
    /// point-in-time view, which needs every entry).
    pub fn lists_versions(&self) -> bool {
        self.show_deleted || self.as_of.is_some()
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

    /// The filter for `text` over every row, in the display order `order`.
    fn filter_for(&self, text: Option<String>, order: Option<&SortedRows>) -> Option<Filter> {
        let text = text?;
        let needle = text.to_lowercase();
        let matches = match order {
            Some(order) => {
                // Rows are matched in their order (keys read from memory in sequence), then
                // looked up position by position in a set of bits, not a list of rows.
                let mut hit = RowSet::new(self.level.len());
                self.each_matching_row(&needle, |row| hit.insert(row));
                positions_of(order, &hit)
            }
            None => {
                let mut rows = Vec::new();
                self.each_matching_row(&needle, |row| rows.push(position(row)));
                rows
            }
        };
        Some(Filter { text, matches })
    }

    /// Calls `found` with every row whose name matches, in row order. The keys are read in
    /// order from the level's key buffer: a million of them take milliseconds.
    fn each_matching_row(&self, needle: &str, mut found: impl FnMut(usize)) {
        for (row, p) in self.level.prefixes.iter().enumerate() {
            if matches(display_name(p, &self.prefix), needle) {
                found(row);
            }
        }
        let first = self.level.prefixes.len();
        for (j, key) in self.level.object_keys_from(0).enumerate() {
            if matches(display_name(key, &self.prefix), needle) {
                found(first + j);
            }
        }
    }

    /// Sorts every row afresh in the pane's order and redoes the filter, keeping the selected
    /// row selected.
    fn sort_all(&mut self, height: usize) {
        let selected = self.view.selected_row();
        let mut order = self.view.order.take().unwrap_or_default();
        order.sort_all(&self.level, self.sort, self.names_in_order);
        let filter = self.filter_for(self.view.filter_text(), Some(&order));
        self.view.reorder(selected, order, filter, height);
    }

    /// Merges the rows still pending below the others into them: the listing will add no
    /// more (it stopped or failed).
    pub(super) fn sort_waiting(&mut self, height: usize) {
        if self.view.order.is_some() {
            self.add_rows(&[], true, height);
        }
    }

    /// Adds the rows a page brought (`new`: row indices, after the level's folders moved
    /// them) to the order, keeping the selected row selected and the filter's matches right,
    /// without a pass over every row unless the pending run is merged (see `SortedRows`).
    fn add_rows(&mut self, new: &[u32], settle_all: bool, height: usize) {
        let mut order = self
            .view
            .order
            .take()
            .unwrap_or_else(|| SortedRows::new(self.sort));
        let mut selected = self.view.selected_position();
        let mut filter = self.view.filter.take();
        let placed = order.add(&self.level, self.names_in_order, new);
        follow(&placed, &mut selected, &mut filter);
        if let Some(f) = &mut filter {
            let needle = f.text.to_lowercase();
            let found: Vec<u32> = placed
                .merged_in()
                .filter(|&p| {
                    order
                        .row(p)
                        .and_then(|r| self.level.row(r))
                        .is_some_and(|row| matches(self.row_name(&row), &needle))
                })
                .map(position)
                .collect();
            sort::merge_ascending(&mut f.matches, &found);
        }
        if let Some(placed) = order.settle(&self.level, self.names_in_order, settle_all) {
            follow(&placed, &mut selected, &mut filter);
        }
        self.view.replace(order, filter);
        match selected {
            Some(position) => self.view.select_position(position, height),
            None => self.view.clamp(height),
        }
    }

    /// Lets go of a level no longer shown: a large one goes to the runtime to drop.
    fn retire(&mut self, level: Level, order: Option<SortedRows>) {
        for (_, probe) in self.folders.drain() {
            if let FolderProbe::Asking(request) = probe {
                self.stale_probes.push(request);
            }
        }
        if level.len() >= RELEASE_APART {
            self.released = Some(Box::new(ReleasedRows { level, order }));
        }
    }

    /// Switches to the next order (`S`) and sorts every row afresh.
    fn cycle_sort(&mut self, height: usize) {
        self.sort = self.sort.next();
        self.sort_all(height);
    }

    pub fn set_filter(&mut self, text: Option<String>, height: usize) {
        let filter = self.filter_for(text, self.view.order.as_ref());
        self.view.reset(self.level.len(), filter, height);
    }

    /// Counts for the pane's title: prefixes, present objects, deleted objects.
    pub fn counts(&self) -> (usize, usize, usize) {
        let deleted = self.level.deleted_count();
        (
            self.level.prefixes.len(),
            self.level.objects_len() - deleted,
            deleted,
        )
    }
}

/// A level of this many rows or more is not dropped in the update that replaces it but
/// handed to the runtime (`Effect::Release`): handing ten million rows back takes tens of
/// milliseconds, which a key press or a page would wait for.
const RELEASE_APART: usize = 100_000;

/// A level no longer shown, and its order.
#[derive(Clone, PartialEq, Eq)]
pub struct ReleasedRows {
    pub level: Level,
    pub order: Option<SortedRows>,
}

/// Only how many rows: effects are logged (`--log debug`), and ten million rows spelled out
/// would be gigabytes of log.
impl std::fmt::Debug for ReleasedRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleasedRows")
            .field("rows", &self.level.len())
            .finish_non_exhaustive()
    }
}

impl ReleasedRows {
    /// Drops the rows, handing their memory back a few megabytes at a time.
    pub fn release(self) {
        self.level.release();
        if let Some(order) = self.order {
            order.release();
        }
    }
}

/// Moves a selected position and a filter's matches to where `placed` put their rows.
fn follow(placed: &Placed, selected: &mut Option<usize>, filter: &mut Option<Filter>) {
    if let Some(p) = selected {
        *p = placed.position(*p);
    }
    if let Some(f) = filter {
        placed.remap(&mut f.matches);
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
                pane.sort_waiting(height);
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
        // A reload showed the old rows until now; marks were positions in them.
        let old = std::mem::replace(&mut pane.level, Level::as_of(pane.as_of));
        pane.marks.clear();
        let filter = pane.view.filter.take().map(|f| Filter {
            text: f.text,
            matches: Vec::new(),
        });
        let old_order = pane.view.order.take();
        pane.view
            .reorder(None, SortedRows::new(pane.sort), filter, height);
        pane.retire(old, old_order);
        pane.names_in_order = true;
    }
    let prefixes_before = pane.level.prefixes.len();
    let objects_before = pane.level.objects_len();
    // A version listing can replace the last object held (the key goes on in this page): its
    // place in the order is then read again.
    let last_rank = objects_before
        .checked_sub(1)
        .map(|i| sort::rank(&pane.level, pane.sort, prefixes_before + i));
    match page {
        LevelPage::Objects(p) => {
            // A page that goes on is in order (the guard has checked it): its greatest key or
            // folder is the last of one list or the other.
            let after = p
                .objects
                .last()
                .map(|o| o.key.to_string())
                .max(p.prefixes.last().cloned());
            pane.resume = p.next_token.map(|token| Resume::Token { token, after });
            pane.level.absorb_objects_page(p.objects, p.prefixes)
        }
        LevelPage::Versions(p) => {
            pane.resume = p.next.map(Resume::Marker);
            pane.level
                .absorb_versions_page(p.versions, p.markers, p.prefixes)
        }
    }
    if pane.names_in_order {
        let mut keys = pane
            .level
            .object_keys_from(objects_before.saturating_sub(1));
        if let Some(mut previous) = keys.next() {
            pane.names_in_order = keys.all(|key| {
                let in_order = natural_cmp(previous, key) != Ordering::Greater;
                previous = key;
                in_order
            });
        }
    }
    // New prefixes are rows inserted above the objects: the objects' rows move up by as many.
    let prefixes_after = pane.level.prefixes.len();
    let added = prefixes_after - prefixes_before;
    let replaced = last_rank.is_some_and(|rank| {
        let row = prefixes_after + objects_before - 1;
        sort::rank(&pane.level, pane.sort, row) != rank
    });
    if let Some(order) = &mut pane.view.order {
        order.shift_rows(prefixes_before, added);
    }
    if replaced {
        pane.sort_all(height);
    } else {
        let new: Vec<u32> = (prefixes_before..prefixes_after)
            .chain(prefixes_after + objects_before..pane.level.len())
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        // New folders go on top, not in the pending run below the objects.
        pane.add_rows(&new, !more || added > 0, height);
    }
    // Only this page's rows can hold the name (the earlier ones were searched already).
    if let Some(name) = pane.reselect.clone()
        && let Some(i) =
            pane.level
                .position_from(&name, prefixes_before, objects_before.saturating_sub(1))
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
                Some(LevelRow::Object(o)) => Err(Arc::<str>::from(o.key())),
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
        Command::Mark => {
            let height = state.page_height(Pane::Objects);
            let pane = &mut state.objects;
            if let Some(row) = pane.view.selected_row() {
                let on = !pane.marks.is_marked(&pane.level, row);
                pane.marks.set(&pane.level, row, on);
                pane.view.apply(Command::Down, height);
            }
            Vec::new()
        }
        Command::MarkAll => {
            let pane = &mut state.objects;
            let rows: Vec<usize> = (0..pane.view.visible_len())
                .filter_map(|p| pane.view.row_at(p))
                .collect();
            let all = rows.iter().all(|&r| pane.marks.is_marked(&pane.level, r));
            for r in rows {
                pane.marks.set(&pane.level, r, !all);
            }
            let n = pane.marks.count();
            state.info(if all {
                format!("Unmarked the rows shown; {n} marked")
            } else {
                format!("{n} marked: U plans their undelete")
            });
            Vec::new()
        }
        Command::Sort => {
            let height = state.page_height(Pane::Objects);
            state.objects.cycle_sort(height);
            state.info(format!("Sorted {}", state.objects.sort.describe()));
            Vec::new()
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
