//! What goes into `update` (`Action`: input, time, and I/O results tagged with the request
//! they answer) and what comes out (`Effect`: the work the runtime is asked to do, as data).

use super::*;

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
    /// What a folder of the objects pane holds (`Effect::ProbeFolder`): `true` when it holds a
    /// current object (or, as of a time, held a key then).
    FolderProbed {
        request: RequestId,
        prefix: String,
        result: Result<bool, S3Error>,
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
    /// What the watchers of this endpoint (`lockwatch watch`) say now, per location.
    Watched(Vec<crate::domain::watch::Alerts>),
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
        outcome: crate::domain::undelete::KeyOutcome,
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
    /// Whether a folder shown with deleted objects holds a current object (`at`: none), or
    /// whether it held a key at `at` (the view as of a time): a folder of deleted files only,
    /// or one whose files all came later, is marked so.
    ProbeFolder {
        request: RequestId,
        bucket: String,
        prefix: String,
        at: Option<jiff::Timestamp>,
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
