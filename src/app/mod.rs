//! Application state and the pure `update` function: actions in, effects out. No I/O, no
//! spawning, no clock reads (the time is an argument).

mod bucket_forms;
mod buckets;
mod bulk;
mod clipboard;
mod details;
mod dialog;
mod download;
mod form;
mod mouse;
mod objects;
mod report_view;
mod retention;
mod upload;
mod versions;
mod view;
mod writes;

pub use bucket_forms::{
    BucketForm, BucketFormKind, BucketRequest, check as check_bucket_form, check_bucket_name,
};
pub use buckets::{BucketRow, BucketsPane, Detail};
pub use bulk::{BulkUndelete, Stage as BulkStage};
pub use dialog::{Confirm, DialogLine, LineStyle, PendingWrite, Popup, TypedConfirm};
pub use download::{DownloadForm, Transfer, download_target};
pub use form::{Field, FieldKind, Form};
pub use mouse::{Mouse, MouseKind};
pub use objects::{Marks, ObjectsPane, ReleasedRows};
pub use report_view::{ReportStage, ReportView, file_name as report_file_name};
pub use retention::{RetentionForm, check as check_retention, compliance_refusal, parse_until};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Buckets,
    Objects,
    Versions,
}

impl Pane {
    pub fn scope(self) -> Scope {
        match self {
            Pane::Buckets => Scope::Buckets,
            Pane::Objects => Scope::Objects,
            Pane::Versions => Scope::Versions,
        }
    }

    fn next(self) -> Pane {
        match self {
            Pane::Buckets => Pane::Objects,
            Pane::Objects => Pane::Versions,
            Pane::Versions => Pane::Buckets,
        }
    }

    fn previous(self) -> Pane {
        match self {
            Pane::Buckets => Pane::Versions,
            Pane::Objects => Pane::Buckets,
            Pane::Versions => Pane::Objects,
        }
    }
}

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

/// The lock of one version as far as lockwatch knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockStatus {
    Loading,
    Known(LockInfo),
    /// HeadObject failed or was refused; the reason is shown.
    Unknown(S3Error),
}

/// Where a listing stopped, to go on from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// ListObjectsV2's continuation token, and the greatest key or folder listed before it
    /// (the token is opaque: the listing going on must answer only what follows that).
    Token {
        token: String,
        after: Option<String>,
    },
    /// ListObjectVersions' key and version-id markers.
    Marker(crate::domain::pages::VersionMarker),
}

/// A page of the objects pane's listing: plain, or versions when deleted objects are shown.
#[derive(Debug, Clone)]
pub enum LevelPage {
    Objects(ObjectsPage),
    Versions(VersionsPage),
}

/// Everything that changes the state: user input, time, and results of I/O.
#[derive(Debug, Clone)]
pub enum Action {
    Key(Key),
    Resize {
        width: u16,
        height: u16,
    },
    /// Once a second: countdowns move on.
    Tick,
    BucketsLoaded {
        request: RequestId,
        result: Result<Vec<Bucket>, S3Error>,
    },
    BucketDetails {
        bucket: String,
        result: Result<BucketDetails, S3Error>,
    },
    LevelPage {
        request: RequestId,
        result: Result<LevelPage, S3Error>,
        more: bool,
    },
    VersionsPage {
        request: RequestId,
        result: Result<VersionsPage, S3Error>,
        more: bool,
    },
    LockLoaded {
        version: VersionRef,
        result: Result<LockInfo, S3Error>,
    },
    RestorePlanned {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        result: Result<Vec<HistoryEntry>, S3Error>,
    },
    /// The key's history, read before asking to delete it (the confirmation names the
    /// version it will hide, and that is re-checked before the delete is sent).
    DeletePlanned {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        result: Result<Vec<HistoryEntry>, S3Error>,
    },
    Restored {
        request: RequestId,
        result: Result<RestoreDone, RestoreFailure>,
    },
    Deleted {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        result: Result<DeleteOutcome, S3Error>,
        /// The key's history read back when the server did not confirm the delete.
        read_back: Option<Result<Vec<HistoryEntry>, S3Error>>,
    },
    VersionDeleted {
        request: RequestId,
        version: VersionRef,
        result: Result<DeleteOutcome, S3Error>,
        /// The lock read back after a refusal, to explain it.
        lock: Option<Result<LockInfo, S3Error>>,
    },
    LegalHoldSet {
        request: RequestId,
        version: VersionRef,
        on: bool,
        /// The lock read back after the change.
        result: Result<LockInfo, S3Error>,
    },
    VersionCopied {
        request: RequestId,
        version: VersionRef,
        result: Result<Option<String>, S3Error>,
        /// The key's history read back when the server did not confirm the copy.
        read_back: Option<Result<Vec<HistoryEntry>, S3Error>>,
    },
    AuditLoaded {
        result: Result<Vec<crate::domain::audit::AuditLine>, String>,
    },
    BucketInfo {
        request: RequestId,
        bucket: String,
        result: Result<(BucketDetails, Option<String>), S3Error>,
        /// What else decides how long a backup can be brought back (each part's answer).
        posture: Option<crate::domain::posture::Summary>,
    },
    PathCompleted {
        input: String,
        result: Result<Vec<String>, String>,
    },
    DirectoryCompleted {
        input: String,
        result: Result<Vec<String>, String>,
    },
    TransferProgress {
        request: RequestId,
        done: u64,
        total: Option<u64>,
    },
    Downloaded {
        request: RequestId,
        download: DownloadRequest,
        result: Result<Downloaded, DownloadError>,
    },
    Uploaded {
        request: RequestId,
        upload: UploadRequest,
        result: Result<Uploaded, S3Error>,
    },
    BucketApplied {
        request: RequestId,
        asked: BucketRequest,
        /// The bucket read back after the change.
        result: Result<BucketDetails, S3Error>,
    },
    RetentionSet {
        request: RequestId,
        version: VersionRef,
        requested: (crate::domain::RetentionMode, Timestamp),
        /// The lock read back after the change.
        result: Result<LockInfo, S3Error>,
    },
    ObjectInfo {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        result: Result<crate::domain::pages::ObjectDetails, S3Error>,
    },
    /// Writing the audit trail failed; the user must know.
    AuditFailed(String),
    /// Who the server says these credentials are (ListBuckets' Owner).
    Identified(crate::domain::Owner),
    /// SIGTERM, SIGHUP, or the terminal went away.
    Terminate,
    /// SIGTSTP from outside (`kill -TSTP`): suspend as Ctrl-Z does.
    Suspend,
    /// SIGCONT: lockwatch was stopped (by SIGSTOP or Ctrl-Z) and resumed.
    Continued,
    /// Bulk undelete: keys planned so far.
    BulkPlanProgress {
        request: RequestId,
        keys: usize,
    },
    BulkPlanned {
        request: RequestId,
        /// The plan, and how its keys were listed.
        result: Result<
            (
                Vec<crate::domain::undelete::KeyPlan>,
                crate::domain::pages::ListedAs,
            ),
            S3Error,
        >,
    },
    /// Bulk undelete: one key carried out.
    BulkKeyDone {
        request: RequestId,
        key: Arc<str>,
        outcome: crate::domain::undelete::Outcome,
    },
    BulkFinished {
        request: RequestId,
        tally: crate::domain::undelete::Tally,
    },
    /// The server's clock differs from the local one by this much (or no longer does).
    ServerClock(Option<jiff::SignedDuration>),
    Mouse(mouse::Mouse),
    ReportProgress {
        request: RequestId,
        versions: u64,
    },
    /// The report as Markdown and the file name to save it under, or why it failed.
    ReportBuilt {
        request: RequestId,
        result: Result<(String, String), String>,
    },
    /// Where the report was saved, or why it was not.
    ReportSaved {
        request: RequestId,
        result: Result<String, String>,
    },
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Rows no longer shown, too many to drop in the middle of an update: handing hundreds
    /// of megabytes back at once stalls the next page. The runtime drops them on a thread of
    /// their own, a few megabytes at a time.
    Release(Box<ReleasedRows>),
    ListBuckets {
        request: RequestId,
    },
    LoadBucketDetails {
        request: RequestId,
        bucket: String,
    },
    ListLevel {
        request: RequestId,
        bucket: String,
        prefix: String,
        deleted: bool,
        /// Go on from here instead of starting at the beginning (`R` after a partial listing).
        from: Option<Resume>,
    },
    ListVersions {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
    },
    HeadVersions {
        versions: Vec<VersionRef>,
    },
    PlanRestore {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
    },
    PlanDelete {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
    },
    Restore {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        marker_version_id: String,
    },
    DeleteObject {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        /// The key's latest entry when the user confirmed; re-checked before deleting.
        seen: Option<SeenLatest>,
    },
    DeleteVersion {
        request: RequestId,
        version: VersionRef,
        bypass: bool,
    },
    SetLegalHold {
        request: RequestId,
        version: VersionRef,
        on: bool,
    },
    CopyVersion {
        request: RequestId,
        version: VersionRef,
        etag: Option<String>,
        size: Option<u64>,
        /// The key's latest entry when the user confirmed; re-checked before copying.
        seen: Option<SeenLatest>,
    },
    CompletePath {
        input: String,
    },
    CompleteDirectory {
        input: String,
    },
    Download {
        request: RequestId,
        download: DownloadRequest,
    },
    Upload {
        request: RequestId,
        upload: UploadRequest,
    },
    ApplyBucket {
        request: RequestId,
        asked: BucketRequest,
    },
    SetRetention {
        request: RequestId,
        version: VersionRef,
        mode: crate::domain::RetentionMode,
        until: Timestamp,
        bypass: bool,
    },
    LoadAudit,
    LoadBucketInfo {
        request: RequestId,
        bucket: String,
    },
    LoadObjectInfo {
        request: RequestId,
        bucket: String,
        key: Arc<str>,
        version_id: Option<String>,
    },
    Cancel(RequestId),
    /// Lists versions and plans a bulk undelete (nothing is written).
    PlanBulk {
        request: RequestId,
        bucket: String,
        targets: crate::domain::undelete::Targets,
        after: Option<Timestamp>,
    },
    /// Carries out a bulk undelete plan the user confirmed.
    RunBulk {
        request: RequestId,
        bucket: String,
        plans: Arc<Vec<crate::domain::undelete::KeyPlan>>,
    },
    /// Starts no further key of a running bulk undelete.
    CancelBulk {
        request: RequestId,
    },
    /// Builds the lock-coverage report of a bucket or folder.
    BuildReport {
        request: RequestId,
        bucket: String,
        prefix: String,
    },
    /// Writes the report to a new file in the current directory (never over an existing one).
    SaveReport {
        request: RequestId,
        file_name: String,
        text: String,
    },
    Quit,
    /// Hand the terminal back to the shell and stop until resumed (Ctrl-Z, SIGTSTP).
    Suspend,
    /// Take the terminal back and draw everything again (after SIGCONT).
    Redraw,
    /// Put this text on the clipboard through the terminal (OSC 52).
    Clipboard(String),
    /// Turn the terminal's mouse reporting on or off.
    MouseCapture(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Success,
    Error,
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

/// A filter being typed for the focused pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterInput {
    pub pane: Pane,
    pub text: String,
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
    pub popup: Option<Popup>,
    pub input: Option<FilterInput>,
    pub status: Option<StatusMessage>,
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
        self.status = Some(StatusMessage {
            kind: MessageKind::Info,
            text: text.into(),
            since: None,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMessage {
            kind: MessageKind::Error,
            text: text.into(),
            since: None,
        });
    }

    fn success(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMessage {
            kind: MessageKind::Success,
            text: text.into(),
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
    if let Some(rows) = state.objects.released.take() {
        effects.push(Effect::Release(rows));
    }
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
            on_key(state, key, now)
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
            bulk::on_plan_progress(state, request, keys);
            Vec::new()
        }
        Action::BulkPlanned { request, result } => {
            bulk::on_planned(state, request, result);
            Vec::new()
        }
        Action::BulkKeyDone {
            request,
            key,
            outcome,
        } => {
            bulk::on_key_done(state, request, key, outcome);
            Vec::new()
        }
        Action::BulkFinished { request, tally } => {
            bulk::on_finished(state, request, tally);
            Vec::new()
        }
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
    }
}

impl AppState {
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

fn on_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    if state.popup.is_some() {
        return dialog::on_key(state, key, now);
    }
    if state.input.is_some() {
        return on_filter_key(state, key);
    }
    match state.keymap.lookup(state.focus.scope(), key) {
        Some(command) => on_command(state, command, now),
        None => {
            // A key that works in another pane says where, instead of doing nothing silently.
            let elsewhere = [Scope::Buckets, Scope::Objects, Scope::Versions]
                .into_iter()
                .filter(|scope| *scope != state.focus.scope())
                .find_map(|scope| {
                    let binding = state
                        .keymap
                        .bindings(scope)
                        .iter()
                        .find(|b| b.keys.contains(&key))?;
                    Some((scope, binding.desc.clone()))
                });
            if let Some((scope, desc)) = elsewhere {
                state.info(format!(
                    "{key} works in the {}: {desc}. Tab moves between panes.",
                    scope.title().to_lowercase()
                ));
            }
            Vec::new()
        }
    }
}

fn on_filter_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(input) = state.input.as_mut() else {
        return Vec::new();
    };
    let pane = input.pane;
    match key.code {
        KeyCode::Esc => {
            state.input = None;
            state.set_filter(pane, None);
        }
        KeyCode::Enter => {
            state.input = None;
        }
        KeyCode::Backspace => {
            input.text.pop();
            let text = input.text.clone();
            state.set_filter(pane, Some(text));
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            input.text.push(c);
            let text = input.text.clone();
            state.set_filter(pane, Some(text));
        }
        _ => {}
    }
    if pane == Pane::Versions {
        state.request_visible_locks()
    } else {
        Vec::new()
    }
}

impl AppState {
    fn set_filter(&mut self, pane: Pane, text: Option<String>) {
        let text = text.filter(|t| !t.is_empty());
        let height = self.page_height(pane);
        match pane {
            Pane::Buckets => self.buckets.set_filter(text, height),
            Pane::Objects => self.objects.set_filter(text, height),
            Pane::Versions => self.versions.set_filter(text, height),
        }
    }

    fn view_mut(&mut self, pane: Pane) -> &mut ListView {
        match pane {
            Pane::Buckets => &mut self.buckets.view,
            Pane::Objects => &mut self.objects.view,
            Pane::Versions => &mut self.versions.view,
        }
    }
}

fn on_command(state: &mut AppState, command: Command, now: Timestamp) -> Vec<Effect> {
    let pane = state.focus;
    if state.connection.read_only && command.is_write() {
        let because = state
            .connection
            .read_only_because
            .clone()
            .unwrap_or_else(|| "--read-only".into());
        state.info(format!("Read-only ({because}): lockwatch sends no writes."));
        return Vec::new();
    }
    if pane == Pane::Objects
        && (command.is_write() || command == Command::Download)
        && let Some(t) = state.objects.as_of
    {
        state.info(format!(
            "The view as of {} UTC is read-only: U brings keys back to that time; t and an empty time return to now.",
            crate::domain::format::timestamp(t)
        ));
        return Vec::new();
    }
    match command {
        Command::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Command::Suspend => vec![Effect::Suspend],
        Command::Help => {
            state.popup = Some(Popup::Help { scroll: 0 });
            Vec::new()
        }
        Command::NextPane | Command::PreviousPane => {
            state.focus = if command == Command::NextPane {
                pane.next()
            } else {
                pane.previous()
            };
            state.clamp_cursors();
            state.request_visible_locks()
        }
        Command::Filter => {
            let text = state.view_mut(pane).filter_text().unwrap_or_default();
            state.input = Some(FilterInput { pane, text });
            Vec::new()
        }
        Command::Close => {
            if state.view_mut(pane).filter_text().is_some() {
                state.set_filter(pane, None);
                return Vec::new();
            }
            let stopped = match pane {
                Pane::Buckets => state.buckets.load.stop(),
                Pane::Objects => {
                    let height = state.page_height(Pane::Objects);
                    let stopped = state.objects.load.stop();
                    state.objects.sort_waiting(height);
                    stopped
                }
                Pane::Versions => state.versions.load.stop(),
            };
            match stopped {
                Some(request) => {
                    state.info("Stopped loading: the list is partial. Press R to load it again.");
                    vec![Effect::Cancel(request)]
                }
                None => state.stop_background(pane),
            }
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown => {
            let height = state.page_height(pane);
            state.view_mut(pane).apply(command, height);
            if pane == Pane::Versions {
                state.request_visible_locks()
            } else {
                Vec::new()
            }
        }
        Command::Mark | Command::MarkAll | Command::Sort => match pane {
            Pane::Objects => objects::on_command(state, command),
            _ => Vec::new(),
        },
        Command::BulkUndelete => bulk::open(state),
        Command::AsOf => bulk::open_as_of(state),
        Command::Report => report_view::open(state),
        Command::Copy => clipboard::open(state),
        Command::ToggleMouse => {
            state.mouse_capture = !state.mouse_capture;
            state.info(if state.mouse_capture {
                "Mouse on: click selects, double click opens, the wheel scrolls"
            } else {
                "Mouse off: the terminal selects text for copy and paste; M turns it on again"
            });
            vec![Effect::MouseCapture(state.mouse_capture)]
        }
        Command::Open | Command::Back | Command::Refresh | Command::ToggleDeleted => match pane {
            Pane::Buckets => buckets::on_command(state, command),
            Pane::Objects => objects::on_command(state, command),
            Pane::Versions => versions::on_command(state, command),
        },
        Command::Restore | Command::Delete => dialog::on_write_command(state, command),
        Command::DeleteVersion | Command::LegalHold | Command::RestoreByCopy => {
            writes::on_command(state, command, now)
        }
        Command::AuditLog => vec![Effect::LoadAudit],
        Command::Details => details::on_command(state),
        Command::Retention => retention::open(state),
        Command::CreateBucket => bucket_forms::open_create(state),
        Command::Upload => upload::open(state),
        Command::Download => download::open(state),
        Command::CancelTransfer => download::cancel(state),
        Command::LockSettings => bucket_forms::open_lock_settings(state),
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
