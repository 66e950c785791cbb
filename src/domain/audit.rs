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
}
