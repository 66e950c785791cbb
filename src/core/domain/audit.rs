//! The audit trail's records as plain data: what was written, where, with what outcome. The
//! words of the trail (`Write`, `Outcome`) are typed here, once; the file keeps them as the
//! same strings it always held, so trails written by any lockwatch read back.

use crate::domain::RetentionMode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a write asked the server to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Remove a delete marker (the key's older version becomes the latest again).
    Restore,
    /// Copy an older version over the latest.
    RestoreByCopy,
    /// DeleteObject without a version: a delete marker is added.
    Delete,
    /// DeleteObject of one version, permanently.
    DeleteVersion {
        bypass_governance: bool,
    },
    LegalHold {
        on: bool,
    },
    Retention {
        mode: RetentionMode,
        until: Timestamp,
        bypass_governance: bool,
    },
    CreateBucket,
    EnableVersioning,
    SetDefaultRetention,
    Upload,
    /// One key of a bulk undelete: its delete markers removed.
    BulkUndelete,
    /// One key of a bulk undelete: the version before the incident copied back.
    BulkCopyBack,
    /// `watch --notifications`: a topic with an HTTP push endpoint (the SNS API).
    CreateTopic,
    DeleteTopic,
    /// `watch --notifications`: the watcher's topic configuration added to the bucket's
    /// notification configuration, or removed from it.
    AddNotification,
    RemoveNotification,
}

impl fmt::Display for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bypass = |b: bool| if b { "-bypassing-governance" } else { "" };
        match self {
            Write::Restore => f.write_str("restore"),
            Write::RestoreByCopy => f.write_str("restore-by-copy"),
            Write::Delete => f.write_str("delete"),
            Write::DeleteVersion { bypass_governance } => {
                write!(f, "delete-version{}", bypass(*bypass_governance))
            }
            Write::LegalHold { on: true } => f.write_str("legal-hold-on"),
            Write::LegalHold { on: false } => f.write_str("legal-hold-off"),
            Write::Retention {
                mode,
                until,
                bypass_governance,
            } => write!(
                f,
                "retention-{}-until-{until}{}",
                mode.as_str().to_ascii_lowercase(),
                bypass(*bypass_governance)
            ),
            Write::CreateBucket => f.write_str("create-bucket"),
            Write::EnableVersioning => f.write_str("enable-versioning"),
            Write::SetDefaultRetention => f.write_str("set-default-retention"),
            Write::Upload => f.write_str("upload"),
            Write::BulkUndelete => f.write_str("bulk-undelete"),
            Write::BulkCopyBack => f.write_str("bulk-copy-back"),
            Write::CreateTopic => f.write_str("create-topic"),
            Write::DeleteTopic => f.write_str("delete-topic"),
            Write::AddNotification => f.write_str("add-notification"),
            Write::RemoveNotification => f.write_str("remove-notification"),
        }
    }
}

/// How a write ended, as far as lockwatch can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server said it was done.
    Ok,
    /// The server refused it (a 4xx: a lock, a permission, a condition).
    Refused,
    /// It failed: a 5xx, the network, or no answer (a write whose answer was lost may have
    /// happened; lockwatch never resends it).
    Failed,
    /// Not sent: what it was about changed since lockwatch looked.
    NotSentChanged,
    /// The server did not confirm it, and reading the key back showed it done.
    DoneUnconfirmed,
    /// The server did not confirm it, and reading back said this.
    Unconfirmed { read_back: String },
    /// A word this lockwatch does not know, read from a trail (shown as written).
    Other(String),
}

const DONE_UNCONFIRMED: &str = "done, read back: the server did not confirm it";
const UNCONFIRMED: &str = "unconfirmed, read back: ";

impl Outcome {
    /// The trail's word for it.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Refused => "refused".into(),
            Outcome::Failed => "failed".into(),
            Outcome::NotSentChanged => "not sent: changed".into(),
            Outcome::DoneUnconfirmed => DONE_UNCONFIRMED.into(),
            Outcome::Unconfirmed { read_back } => format!("{UNCONFIRMED}{read_back}").into(),
            Outcome::Other(s) => s.as_str().into(),
        }
    }

    pub fn parse(s: &str) -> Outcome {
        match s {
            "ok" => Outcome::Ok,
            "refused" => Outcome::Refused,
            "failed" => Outcome::Failed,
            "not sent: changed" => Outcome::NotSentChanged,
            DONE_UNCONFIRMED => Outcome::DoneUnconfirmed,
            _ => match s.strip_prefix(UNCONFIRMED) {
                Some(read_back) => Outcome::Unconfirmed {
                    read_back: read_back.to_string(),
                },
                None => Outcome::Other(s.to_string()),
            },
        }
    }

    /// The outcome of a write the server answered (or did not): a 4xx is a refusal, anything
    /// else that is not a success a failure, with the server's code when it gave one.
    pub fn of<T>(result: &Result<T, crate::domain::error::S3Error>) -> (Outcome, Option<String>) {
        use crate::domain::error::S3Error;
        match result {
            Ok(_) => (Outcome::Ok, None),
            Err(S3Error::Service { code, status, .. }) => (
                if status.is_some_and(|s| (400..500).contains(&s)) {
                    Outcome::Refused
                } else {
                    Outcome::Failed
                },
                Some(code.clone()),
            ),
            Err(S3Error::Changed(_)) => (Outcome::NotSentChanged, None),
            Err(_) => (Outcome::Failed, None),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        String::deserialize(d).map(|s| Outcome::parse(&s))
    }
}

/// One write as the trail records it, before the trail adds when, where and who.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub bucket: String,
    /// Empty for a write to the bucket itself.
    pub key: String,
    pub version_id: Option<String>,
    pub write: Write,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    /// The new version or marker a write created, or what it removed.
    pub result_version_id: Option<String>,
}

impl Record {
    /// The trail's line for this record.
    pub fn entry(self, time: Timestamp, endpoint: &str, actor: Actor) -> AuditEntry {
        AuditEntry {
            time: crate::domain::format::json_time(time),
            endpoint: endpoint.to_string(),
            bucket: self.bucket,
            key: self.key,
            version_id: self.version_id,
            action: self.write.to_string(),
            outcome: self.outcome,
            error_code: self.error_code,
            result_version_id: self.result_version_id,
            actor: Some(actor),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub time: String,
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// What was asked (`Write` as text: `restore`, `delete`, `delete-version`, …); a string,
    /// so that a trail written by another lockwatch reads back whole.
    pub action: String,
    /// `ok`, or `refused` / `failed` with the S3 error code, …
    pub outcome: Outcome,
    pub error_code: Option<String>,
    /// The new version or marker a write created, or what it removed.
    pub result_version_id: Option<String>,
    /// Who wrote it (absent from entries written before lockwatch recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
}

/// Who did a write, as far as lockwatch knows: the access key (masked as on screen), the user
/// the server says these credentials are (ListBuckets' Owner), the Keystone user and project
/// of an `--os-cloud` login, and the local user and host lockwatch ran as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystone_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystone_project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Actor {
    /// The server's name for these credentials: the display name, else the id.
    pub fn server_user(&self) -> Option<&str> {
        self.owner_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or(self.owner_id.as_deref().filter(|i| !i.is_empty()))
    }

    /// One line: `alice (key ****262d; Keystone alice in demo; local ops@backup-1)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(key) = &self.access_key {
            parts.push(format!("key {key}"));
        }
        if let Some(user) = &self.keystone_user {
            parts.push(match &self.keystone_project {
                Some(p) => format!("Keystone {user} in {p}"),
                None => format!("Keystone {user}"),
            });
        }
        match (&self.local_user, &self.host) {
            (Some(u), Some(h)) => parts.push(format!("local {u}@{h}")),
            (Some(u), None) => parts.push(format!("local {u}")),
            (None, Some(h)) => parts.push(format!("on {h}")),
            (None, None) => {}
        }
        let who = self.server_user().unwrap_or("(the server did not say who)");
        if parts.is_empty() {
            who.to_string()
        } else {
            format!("{who} ({})", parts.join("; "))
        }
    }
}

/// One line of the trail as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLine {
    Entry(Box<AuditEntry>),
    /// A line that is not an entry (damaged, or written by something else): shown, not hidden.
    Unreadable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_is_described_by_what_is_known_of_it() {
        let mut actor = Actor {
            access_key: Some("****************262d".into()),
            local_user: Some("ops".into()),
            host: Some("backup-1".into()),
            ..Actor::default()
        };
        assert_eq!(
            actor.describe(),
            "(the server did not say who) (key ****************262d; local ops@backup-1)"
        );
        actor.owner_id = Some("tenant$alice".into());
        actor.keystone_user = Some("alice".into());
        actor.keystone_project = Some("demo".into());
        assert_eq!(
            actor.describe(),
            "tenant$alice (key ****************262d; Keystone alice in demo; local ops@backup-1)"
        );
        actor.owner_name = Some("Alice".into());
        assert_eq!(actor.server_user(), Some("Alice"));
    }

    #[test]
    fn entries_written_before_actors_were_recorded_still_read() {
        let old = r#"{"time":"2026-11-20T10:00:00Z","endpoint":"e","bucket":"b","key":"k","version_id":null,"action":"restore","outcome":"ok","error_code":null,"result_version_id":null}"#;
        let entry: AuditEntry = serde_json::from_str(old).expect("an old entry");
        assert_eq!(entry.actor, None);
        let mut new = entry.clone();
        new.actor = Some(Actor {
            owner_id: Some("alice".into()),
            ..Actor::default()
        });
        let line = serde_json::to_string(&new).expect("json");
        assert!(line.contains(r#""actor":{"owner_id":"alice"}"#), "{line}");
        assert_eq!(
            serde_json::from_str::<AuditEntry>(&line).expect("back"),
            new
        );
    }

    #[test]
    fn the_trails_words_are_typed_once_and_read_back_as_written() {
        let outcomes = [
            (Outcome::Ok, "ok"),
            (Outcome::Refused, "refused"),
            (Outcome::Failed, "failed"),
            (Outcome::NotSentChanged, "not sent: changed"),
            (
                Outcome::DoneUnconfirmed,
                "done, read back: the server did not confirm it",
            ),
            (
                Outcome::Unconfirmed {
                    read_back: "the marker is still the latest".into(),
                },
                "unconfirmed, read back: the marker is still the latest",
            ),
            (Outcome::Other("quarantined".into()), "quarantined"),
        ];
        for (outcome, text) in outcomes {
            let json = serde_json::to_string(&outcome).expect("json");
            assert_eq!(json, format!("{text:?}"));
            assert_eq!(
                serde_json::from_str::<Outcome>(&json).expect("back"),
                outcome
            );
        }
        let until: Timestamp = "2027-01-01T00:00:00Z".parse().expect("time");
        let writes = [
            (
                Write::DeleteVersion {
                    bypass_governance: true,
                },
                "delete-version-bypassing-governance",
            ),
            (Write::LegalHold { on: false }, "legal-hold-off"),
            (
                Write::Retention {
                    mode: RetentionMode::Governance,
                    until,
                    bypass_governance: false,
                },
                "retention-governance-until-2027-01-01T00:00:00Z",
            ),
            (Write::BulkCopyBack, "bulk-copy-back"),
        ];
        for (write, text) in writes {
            assert_eq!(write.to_string(), text);
        }
    }

    #[test]
    fn a_write_is_refused_by_a_4xx_and_failed_by_anything_else() {
        use crate::domain::error::S3Error;
        let service = |status| S3Error::Service {
            code: "AccessDenied".into(),
            message: String::new(),
            status: Some(status),
        };
        assert_eq!(Outcome::of(&Ok::<(), S3Error>(())), (Outcome::Ok, None));
        assert_eq!(
            Outcome::of(&Err::<(), _>(service(403))),
            (Outcome::Refused, Some("AccessDenied".into()))
        );
        assert_eq!(
            Outcome::of(&Err::<(), _>(service(503))),
            (Outcome::Failed, Some("AccessDenied".into()))
        );
        assert_eq!(
            Outcome::of(&Err::<(), _>(S3Error::Changed("a new version".into()))),
            (Outcome::NotSentChanged, None)
        );
        assert_eq!(
            Outcome::of(&Err::<(), _>(S3Error::Timeout("no answer".into()))),
            (Outcome::Failed, None)
        );
    }
}
