//! The audit trail's records as plain data: what was written, where, with what outcome.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub time: String,
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// What was asked: `restore`, `delete`, `delete-version`, `legal-hold-on`, …
    pub action: String,
    /// `ok`, or `refused` / `failed` with the S3 error code.
    pub outcome: String,
    pub error_code: Option<String>,
    /// The new version or marker a write created, or what it removed.
    pub result_version_id: Option<String>,
}

/// One line of the trail as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLine {
    Entry(AuditEntry),
    /// A line that is not an entry (damaged, or written by something else): shown, not hidden.
    Unreadable(String),
}
