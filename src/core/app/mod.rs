//! Application state and the pure `update` function: actions in, effects out. No I/O, no
//! spawning, no clock reads (the time is an argument).

mod bucket_forms;
mod buckets;
mod clipboard;
mod details;
mod dialog;
mod download;
mod form;
pub mod help;
mod input;
mod messages;
mod mouse;
mod objects;
mod report_view;
mod retention;
mod undelete;
mod upload;
mod versions;
mod view;
mod writes;

pub use bucket_forms::{
    BucketForm, BucketFormKind, BucketRequest, check as check_bucket_form, check_bucket_name,
};
pub use buckets::{BucketRow, BucketsPane, Detail};
pub use dialog::{Confirm, DialogLine, LineStyle, PendingWrite, Popup, TypedConfirm};
pub use download::{DownloadForm, Transfer, download_target};
pub use form::{Field, FieldKind, Form};
pub use help::{Help, HelpRow};
pub use messages::{Action, Effect, LevelPage, LockStatus, Resume};
pub use mouse::{Mouse, MouseKind};
pub use objects::{FolderProbe, Marks, ObjectsPane, ReleasedRows};
pub use report_view::{ReportStage, ReportView, file_name as report_file_name};
pub use retention::{RetentionForm, check as check_retention, compliance_refusal, parse_until};
pub use undelete::{BulkUndelete, Stage as BulkStage};
pub use upload::{UploadForm, check as check_upload};
pub use versions::VersionsPane;
pub use view::{Cursor, Filter, ListView};
pub use writes::{explain_refusal, lock_sentences};

use crate::domain::connection::ConnectionInfo;
use crate::domain::error::S3Error;
use crate::domain::pages::{DeleteOutcome, ObjectsPage, VersionsPage};
pub use crate::domain::transfer::{
    DownloadError, DownloadRequest, Downloaded, RestoreDone, RestoreFailure, SeenLatest,
    UploadRequest, Uploaded,
};
use crate::domain::{Bucket, BucketDetails, HistoryEntry, LockInfo, VersionRef};
use crate::keys::{Command, Key, KeyCode, Keymap, Scope};
use jiff::Timestamp;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::sync::Arc;

/// Tags a request so that its replies can be matched to the place that asked, and dropped when
/// the user has moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The request id of an effect built before it is sent (a write awaiting its confirmation);
/// `Effect::set_request` gives it the real one. `request_id` never hands out 0.
pub const PENDING: RequestId = RequestId(0);

/// The three panes: where they sit is `layout`'s, which one has focus is the state's.
pub use crate::layout::Pane;

/// Where a listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Load {
    #[default]
    Idle,
    Loading {
        request: RequestId,
        pages: u32,
    },
    Complete {
        pages: u32,
    },
    /// Stopped by the user: what is shown is partial.
    Stopped {
        pages: u32,
    },
    /// Failed after `pages` pages: what is shown is partial.
    Failed {
        error: S3Error,
        pages: u32,
    },
}

impl Load {
    pub fn request(&self) -> Option<RequestId> {
        match self {
            Load::Loading { request, .. } => Some(*request),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Load::Loading { .. })
    }

    fn pages(&self) -> u32 {
        match self {
            Load::Idle => 0,
            Load::Loading { pages, .. }
            | Load::Complete { pages }
            | Load::Stopped { pages }
            | Load::Failed { pages, .. } => *pages,
        }
    }

    /// Counts a page that arrived for `request`; false if the page is stale.
    fn page_arrived(&mut self, request: RequestId, more: bool) -> bool {
        let Load::Loading { request: r, pages } = self else {
            return false;
        };
        if *r != request {
            return false;
        }
        let pages = *pages + 1;
        *self = if more {
            Load::Loading { request, pages }
        } else {
            Load::Complete { pages }
        };
        true
    }

    fn fail(&mut self, request: RequestId, error: S3Error) -> bool {
        if self.request() != Some(request) {
            return false;
        }
        *self = Load::Failed {
            error,
            pages: self.pages(),
        };
        true
    }

    /// Stops a running listing; returns the request to cancel.
    fn stop(&mut self) -> Option<RequestId> {
        let request = self.request()?;
        *self = Load::Stopped {
            pages: self.pages(),
        };
        Some(request)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Success,
    Error,
}

/// How many status messages `m` keeps.
pub const MESSAGE_LOG: usize = 200;

/// A status message as `m` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMessage {
    /// When it was said (set by `update`, which knows the time).
    pub at: Option<Timestamp>,
    pub kind: MessageKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub kind: MessageKind,
    pub text: String,
    /// When a tick first saw it; information and successes expire `STATUS_SECONDS` later.
    pub since: Option<Timestamp>,
}

/// How long an information or success message stays on the status line (an error stays until
/// the next key).
pub const STATUS_SECONDS: i64 = 8;

/// A line being typed at the bottom: a filter for the focused pane, or a place to go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterInput {
    pub pane: Pane,
    pub text: String,
    /// What Enter does with the text: `/` filters as it is typed, `:` goes to a place.
    pub kind: InputKind,
}

/// What a line typed at the bottom is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputKind {
    #[default]
    Filter,
    GoTo,
}

pub struct AppState {
    pub keymap: Keymap,
    pub connection: ConnectionInfo,
    pub screen: Rect,
    pub focus: Pane,
    pub buckets: BucketsPane,
    pub objects: ObjectsPane,
    pub versions: VersionsPane,
    pub locks: HashMap<VersionRef, LockStatus>,
    /// What the watchers of this endpoint say, per location (`lockwatch watch`).
    pub watch: Vec<crate::domain::watch::Alerts>,
    pub popup: Option<Popup>,
    pub input: Option<FilterInput>,
    pub status: Option<StatusMessage>,
    /// The last status messages, oldest first, each with the time it was said (`m` shows them):
    /// at most `MESSAGE_LOG` of them.
    pub message_log: std::collections::VecDeque<LoggedMessage>,
    /// Writes under way, shown in the status line.
    pub writes: Vec<(RequestId, String)>,
    /// Of `writes`, the reads before a write (a restore's or delete's re-check) and `i`'s
    /// reads: nothing is written by them, so `Esc` stops them.
    pub checks: Vec<RequestId>,
    /// Downloads under way, with their progress.
    pub transfers: Vec<Transfer>,
    /// A bucket form sent for confirmation, reopened as it was if the server refuses it.
    pub bucket_draft: Option<BucketForm>,
    pub quit: bool,
    /// The server's clock minus the local one, when its answers show a difference beyond
    /// the noise of measuring it. `now` given to `update` and `render` is already the
    /// server's time; this is for saying so.
    pub server_clock: Option<jiff::SignedDuration>,
    /// Whether the terminal reports the mouse to lockwatch (M toggles it).
    pub mouse_capture: bool,
    /// How far a message taller than the screen is scrolled (↑/↓, PgUp/PgDn).
    pub message_scroll: u16,
    /// The last click: pane, visible row, when (for double clicks).
    pub last_click: Option<(Pane, usize, Timestamp)>,
    next_request: u64,
}

/// Where lockwatch opens.
#[derive(Debug, Clone, Default)]
pub struct StartAt {
    pub bucket: Option<String>,
    pub prefix: String,
}

/// Folder probes out at once, at most (`probe_visible_folders`).
const PROBES_IN_FLIGHT: usize = 32;

impl AppState {
    pub fn new(keymap: Keymap, connection: ConnectionInfo, screen: Rect) -> AppState {
        let status = connection.warnings.first().map(|w| StatusMessage {
            kind: MessageKind::Error,
            text: format!("Warning: {w}"),
            since: None,
        });
        AppState {
            keymap,
            connection,
            screen,
            focus: Pane::Buckets,
            buckets: BucketsPane::default(),
            objects: ObjectsPane::default(),
            versions: VersionsPane::default(),
            locks: HashMap::new(),
            watch: Vec::new(),
            popup: None,
            input: None,
            status,
            writes: Vec::new(),
            checks: Vec::new(),
            transfers: Vec::new(),
            bucket_draft: None,
            quit: false,
            server_clock: None,
            mouse_capture: true,
            message_scroll: 0,
            message_log: std::collections::VecDeque::new(),
            last_click: None,
            next_request: 0,
        }
    }

    fn request_id(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    /// The first effects: list buckets, and open the start location if one was given.
    pub fn start(&mut self, at: StartAt) -> Vec<Effect> {
        let request = self.request_id();
        let mut effects = vec![self.buckets.reload(request)];
        if let Some(bucket) = at.bucket {
            self.buckets.pending_select = Some(bucket.clone());
            self.focus = Pane::Objects;
            effects.extend(self.open_level(bucket, at.prefix, None));
        }
        effects
    }

    /// How many rows the pane shows at the current screen size.
    pub fn page_height(&self, pane: Pane) -> usize {
        crate::layout::areas(self.screen, self.focus)
            .pane(pane)
            .map(crate::layout::body_rows)
            .unwrap_or(0)
            .max(1)
    }

    /// `Esc` with no listing to stop: stops the checks before a write and `i`'s reads, then
    /// (in the buckets pane) the bucket details still loading. Nothing written is stopped.
    fn stop_background(&mut self, pane: Pane) -> Vec<Effect> {
        if !self.checks.is_empty() {
            let checks = std::mem::take(&mut self.checks);
            let stopped: Vec<String> = self
                .writes
                .iter()
                .filter(|(r, _)| checks.contains(r))
                .map(|(_, what)| what.clone())
                .collect();
            self.writes.retain(|(r, _)| !checks.contains(r));
            self.info(format!("Stopped {}: nothing was sent.", stopped.join(", ")));
            return checks.into_iter().map(Effect::Cancel).collect();
        }
        if pane == Pane::Buckets {
            let requests = self.buckets.stop_details();
            if !requests.is_empty() {
                self.info(format!(
                    "Stopped loading the details of {}; R loads the list again.",
                    if requests.len() == 1 {
                        "1 bucket".to_string()
                    } else {
                        format!("{} buckets", requests.len())
                    }
                ));
                return requests.into_iter().map(Effect::Cancel).collect();
            }
        }
        Vec::new()
    }

    /// A read before a write (or `i`'s), shown with the writes and stopped by `Esc`.
    pub(crate) fn start_check(&mut self, label: String) -> RequestId {
        let request = self.request_id();
        self.writes.push((request, label));
        self.checks.push(request);
        request
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.say(MessageKind::Info, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(MessageKind::Error, text.into());
    }

    fn success(&mut self, text: impl Into<String>) {
        self.say(MessageKind::Success, text.into());
    }

    /// A status message, also kept in the log `m` shows (`update` stamps it with the time).
    fn say(&mut self, kind: MessageKind, text: String) {
        if self.message_log.len() == MESSAGE_LOG {
            self.message_log.pop_front();
        }
        self.message_log.push_back(LoggedMessage {
            at: None,
            kind,
            text: text.clone(),
        });
        self.status = Some(StatusMessage {
            kind,
            text,
            since: None,
        });
    }

    /// Opens `bucket`/`prefix` in the objects pane, cancelling whatever it was listing.
    fn open_level(
        &mut self,
        bucket: String,
        prefix: String,
        reselect: Option<String>,
    ) -> Vec<Effect> {
        let request = self.request_id();
        let mut effects: Vec<Effect> = self
            .objects
            .load
            .stop()
            .map(Effect::Cancel)
            .into_iter()
            .collect();
        if self.objects.bucket.as_deref() != Some(bucket.as_str()) {
            effects.extend(self.versions.clear());
        }
        effects.push(self.objects.open(bucket, prefix, reselect, request));
        effects
    }

    fn open_versions(&mut self, bucket: String, key: Arc<str>) -> Vec<Effect> {
        let request = self.request_id();
        let mut effects = self.versions.clear();
        effects.push(self.versions.open(bucket, key, request));
        effects
    }

    /// Asks what the folders now on screen hold, for those not asked yet, while the level lists
    /// versions: a folder of deleted files only, or one that held no key at the view's time,
    /// is then marked so.
    fn probe_visible_folders(&mut self) -> Vec<Effect> {
        if !self.objects.lists_versions() {
            return Vec::new();
        }
        let Some(bucket) = self.objects.bucket.clone() else {
            return Vec::new();
        };
        let height = self.page_height(Pane::Objects);
        let pane = &self.objects;
        // Scrolling fast through thousands of folders must not queue a probe for each: new
        // ones wait until those out come back (a tick asks again).
        let asking = pane
            .folders
            .values()
            .filter(|p| matches!(p, FolderProbe::Asking(_)))
            .count();
        let room = PROBES_IN_FLIGHT.saturating_sub(asking);
        let wanted: Vec<String> = pane
            .view
            .on_screen(height)
            .filter_map(|p| pane.view.row_at(p))
            .filter_map(|i| match pane.level.row(i) {
                Some(crate::domain::listing::LevelRow::Prefix(p)) => Some(p.to_string()),
                _ => None,
            })
            .filter(|p| !pane.folders.contains_key(p))
            .take(room)
            .collect();
        let at = self.objects.as_of;
        wanted
            .into_iter()
            .map(|prefix| {
                let request = self.request_id();
                self.objects
                    .folders
                    .insert(prefix.clone(), FolderProbe::Asking(request));
                Effect::ProbeFolder {
                    request,
                    bucket: bucket.clone(),
                    prefix,
                    at,
                }
            })
            .collect()
    }

    /// Asks for the locks of the version rows now on screen that are not known yet.
    fn request_visible_locks(&mut self) -> Vec<Effect> {
        let height = self.page_height(Pane::Versions);
        let Some(bucket) = self.versions.bucket.clone() else {
            return Vec::new();
        };
        let wanted: Vec<VersionRef> = self
            .versions
            .visible_entries(height)
            .filter(|e| !e.is_delete_marker())
            .map(|e| VersionRef {
                bucket: bucket.clone(),
                key: e.key.clone(),
                version_id: e.version_id.clone(),
            })
            .filter(|v| !self.locks.contains_key(v))
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        for v in &wanted {
            self.locks.insert(v.clone(), LockStatus::Loading);
        }
        vec![Effect::HeadVersions { versions: wanted }]
    }
}

/// Applies one action. Returns what the runtime should do next.
pub fn update(state: &mut AppState, action: Action, now: Timestamp) -> Vec<Effect> {
    let mut effects = dispatch(state, action, now);
    for said in state.message_log.iter_mut().rev() {
        if said.at.is_some() {
            break;
        }
        said.at = Some(now);
    }
    if let Some(rows) = state.objects.released.take() {
        effects.push(Effect::Release(rows));
    }
    effects.extend(state.objects.stale_probes.drain(..).map(Effect::Cancel));
    effects.extend(state.probe_visible_folders());
    effects
}

fn dispatch(state: &mut AppState, action: Action, now: Timestamp) -> Vec<Effect> {
    match action {
        Action::Key(key) => {
            // An error stays until the user acts; then it goes, so that an old refusal never
            // sits under what the next key does. Other messages expire with time (Tick).
            if state
                .status
                .as_ref()
                .is_some_and(|m| m.kind == MessageKind::Error)
            {
                state.status = None;
            }
            input::on_key(state, key, now)
        }
        Action::Resize { width, height } => {
            state.screen = Rect::new(0, 0, width, height);
            state.clamp_cursors();
            state.request_visible_locks()
        }
        Action::Tick => {
            if let Some(message) = &mut state.status {
                match message.since {
                    None => message.since = Some(now),
                    Some(since)
                        if message.kind != MessageKind::Error
                            && now.duration_since(since).as_secs() >= STATUS_SECONDS =>
                    {
                        state.status = None
                    }
                    Some(_) => {}
                }
            }
            Vec::new()
        }
        Action::Terminate => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Suspend => vec![Effect::Suspend],
        Action::Continued => vec![Effect::Redraw],
        Action::ReportProgress { request, versions } => {
            report_view::on_progress(state, request, versions);
            Vec::new()
        }
        Action::ReportBuilt { request, result } => {
            report_view::on_built(state, request, result);
            Vec::new()
        }
        Action::ReportSaved { request, result } => {
            report_view::on_saved(state, request, result);
            Vec::new()
        }
        Action::Mouse(m) => mouse::on_mouse(state, m, now),
        Action::ServerClock(offset) => {
            if offset.is_some() && state.server_clock.is_none() {
                state.info(format!(
                    "The server's clock is {}: lock countdowns use the server's time",
                    describe_clock(offset)
                ));
            }
            state.server_clock = offset;
            Vec::new()
        }
        Action::BulkPlanProgress { request, keys } => {
            undelete::on_plan_progress(state, request, keys);
            Vec::new()
        }
        Action::BulkPlanned { request, result } => {
            undelete::on_planned(state, request, result);
            Vec::new()
        }
        Action::BulkKeyDone {
            request,
            key,
            outcome,
        } => {
            undelete::on_key_done(state, request, key, outcome);
            Vec::new()
        }
        Action::BulkFinished { request, tally } => undelete::on_finished(state, request, tally),
        Action::BucketsLoaded { request, result } => buckets::on_loaded(state, request, result),
        Action::BucketDetails { bucket, result } => {
            state.buckets.on_details(&bucket, result);
            Vec::new()
        }
        Action::LevelPage {
            request,
            result,
            more,
        } => objects::on_page(state, request, result, more),
        Action::VersionsPage {
            request,
            result,
            more,
        } => {
            let height = state.page_height(Pane::Versions);
            if state.versions.on_page(request, result, more, height) {
                state.request_visible_locks()
            } else {
                Vec::new()
            }
        }
        Action::FolderProbed {
            request,
            prefix,
            result,
        } => {
            if let Some(probe) = state.objects.folders.get_mut(&prefix)
                && *probe == FolderProbe::Asking(request)
            {
                *probe = match result {
                    Ok(true) => FolderProbe::Holds,
                    Ok(false) => FolderProbe::Empty,
                    Err(e) => FolderProbe::Failed(e),
                };
            }
            Vec::new()
        }
        Action::LockLoaded { version, result } => {
            let status = match result {
                Ok(info) => LockStatus::Known(info),
                Err(e) => LockStatus::Unknown(e),
            };
            state.locks.insert(version, status);
            Vec::new()
        }
        Action::RestorePlanned {
            request,
            bucket,
            key,
            result,
        } => dialog::on_restore_planned(state, request, bucket, key, result),
        Action::DeletePlanned {
            request,
            bucket,
            key,
            result,
        } => dialog::on_delete_planned(state, request, bucket, key, result),
        Action::Restored { request, result } => dialog::on_restored(state, request, result),
        Action::Deleted {
            request,
            bucket,
            key,
            result,
            read_back,
        } => dialog::on_deleted(state, request, bucket, key, result, read_back),
        Action::VersionDeleted {
            request,
            version,
            result,
            lock,
        } => writes::on_version_deleted(state, request, version, result, lock, now),
        Action::LegalHoldSet {
            request,
            version,
            on,
            result,
        } => writes::on_legal_hold_set(state, request, version, on, result),
        Action::VersionCopied {
            request,
            version,
            result,
            read_back,
        } => writes::on_version_copied(state, request, version, result, read_back),
        Action::AuditLoaded { result } => {
            match result {
                Ok(entries) => state.popup = Some(Popup::Audit { entries, scroll: 0 }),
                Err(e) => state.error(format!("Cannot read the audit trail: {e}")),
            }
            Vec::new()
        }
        Action::BucketInfo {
            request,
            bucket,
            result,
            posture,
        } => details::on_bucket_info(state, request, bucket, result, posture),
        Action::PathCompleted { input, result } => upload::on_completion(state, input, result),
        Action::DirectoryCompleted { input, result } => {
            download::on_completion(state, input, result)
        }
        Action::TransferProgress {
            request,
            done,
            total,
        } => download::on_progress(state, request, done, total),
        Action::Downloaded {
            request,
            download,
            result,
        } => download::on_done(state, request, download, result),
        Action::Uploaded {
            request,
            upload,
            result,
        } => upload::on_uploaded(state, request, upload, result),
        Action::BucketApplied {
            request,
            asked,
            result,
        } => bucket_forms::on_done(state, request, asked, result),
        Action::RetentionSet {
            request,
            version,
            requested,
            result,
        } => retention::on_set(state, request, version, requested, result, now),
        Action::ObjectInfo {
            request,
            bucket,
            key,
            result,
        } => details::on_object_info(state, request, bucket, key, result, now),
        Action::AuditFailed(e) => {
            state.error(format!("The audit trail could not be written: {e}"));
            Vec::new()
        }
        Action::Identified(owner) => {
            let actor = &mut state.connection.actor;
            actor.owner_id = Some(owner.id).filter(|i| !i.is_empty());
            actor.owner_name = owner.display_name;
            Vec::new()
        }
        Action::Watched(alerts) => {
            state.watch = alerts;
            Vec::new()
        }
    }
}

impl AppState {
    /// The watchers' word on a bucket: its locations (the bucket, its prefixes).
    pub fn watched(&self, bucket: &str) -> impl Iterator<Item = &crate::domain::watch::Alerts> {
        self.watch.iter().filter(move |a| a.bucket == bucket)
    }

    /// The worst level in force in a bucket, as its watchers say.
    pub fn watch_level(&self, bucket: &str) -> Option<crate::domain::watch::Level> {
        self.watched(bucket).filter_map(|a| a.level).max()
    }

    fn clamp_cursors(&mut self) {
        let (b, o, v) = (
            self.page_height(Pane::Buckets),
            self.page_height(Pane::Objects),
            self.page_height(Pane::Versions),
        );
        self.buckets.view.clamp(b);
        self.objects.view.clamp(o);
        self.versions.view.clamp(v);
    }
}

/// `1h 00m 05s ahead of this machine's` / `3m 10s behind this machine's`.
pub fn describe_clock(offset: Option<jiff::SignedDuration>) -> String {
    match offset {
        None => "in step with this machine's".into(),
        Some(o) => format!(
            "{} {} this machine's",
            crate::domain::lock::format_remaining(o.abs()),
            if o.is_negative() {
                "behind"
            } else {
                "ahead of"
            }
        ),
    }
}
