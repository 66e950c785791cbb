//! `i`: everything the server says about a bucket or a version, in one popup.

use super::dialog::{DialogLine, LineStyle, Popup, finish_write, short_name};
use super::{AppState, Effect, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::listing::{LevelObject, LevelRow};
use crate::domain::pages::ObjectDetails;
use crate::domain::{BucketDetails, BucketLock, format, text};
use jiff::Timestamp;
use std::sync::Arc;

pub(super) fn on_command(state: &mut AppState) -> Vec<Effect> {
    match state.focus {
        Pane::Buckets => match state.buckets.selected() {
            Some(row) => {
                let bucket = row.bucket.name.clone();
                bucket_info(state, bucket)
            }
            None => Vec::new(),
        },
        Pane::Objects => {
            let Some(bucket) = state.objects.bucket.clone() else {
                return Vec::new();
            };
            match state.objects.selected() {
                Some(LevelRow::Object(LevelObject::Present(o))) => {
                    let key = Arc::from(o.key);
                    object_info(state, bucket, key, None)
                }
                Some(LevelRow::Object(LevelObject::Deleted(_))) => {
                    state.info("A deleted object has no current version: open its versions (Enter) and press i on one.");
                    Vec::new()
                }
                _ => bucket_info(state, bucket),
            }
        }
        Pane::Versions => {
            let (Some(bucket), Some(key)) =
                (state.versions.bucket.clone(), state.versions.key.clone())
            else {
                return Vec::new();
            };
            match state.versions.selected() {
                Some(e) if e.is_delete_marker() => {
                    state.info(
                        "A delete marker has no content and no lock; the row shows all it has.",
                    );
                    Vec::new()
                }
                Some(e) => {
                    let version_id = Some(e.version_id.clone());
                    object_info(state, bucket, key, version_id)
                }
                None => Vec::new(),
            }
        }
    }
}

fn bucket_info(state: &mut AppState, bucket: String) -> Vec<Effect> {
    let request = state.start_check(format!("reading bucket {}", short_name(&bucket)));
    vec![Effect::LoadBucketInfo { request, bucket }]
}

fn object_info(
    state: &mut AppState,
    bucket: String,
    key: Arc<str>,
    version_id: Option<String>,
) -> Vec<Effect> {
    let request = state.start_check(format!("reading {}", short_name(&key)));
    vec![Effect::LoadObjectInfo {
        request,
        bucket,
        key,
        version_id,
    }]
}

fn field(name: &str, value: impl Into<String>) -> DialogLine {
    DialogLine::plain(format!("{name:<20}{}", value.into()))
}

pub fn bucket_lines(
    bucket: &str,
    details: &BucketDetails,
    location: Option<&str>,
) -> Vec<DialogLine> {
    let lock = match &details.lock {
        BucketLock::Disabled => "not enabled".to_string(),
        BucketLock::Enabled {
            default_retention: None,
        } => "enabled, no default retention".to_string(),
        BucketLock::Enabled {
            default_retention: Some((mode, period)),
        } => format!("enabled, default {} for {period}", mode.as_str()),
    };
    vec![
        field("Bucket", text::sanitize(bucket)),
        field("Versioning", details.versioning.label()),
        field("Object Lock", lock),
        field(
            "Location",
            location.map_or("(default region, or not reported)".to_string(), |l| {
                text::sanitize(l).into_owned()
            }),
        ),
    ]
}

/// What the listing said of a version's owner (HeadObject does not say it): the owner, or
/// `None` when the server named none; the outer `None` when the version is not listed on
/// screen.
pub type ListedOwner = Option<Option<Arc<crate::domain::Owner>>>;

/// The posture under the bucket's details: each part with what it means, the recovery
/// window and why, then the risks, most serious first.
pub fn posture_lines(p: &crate::domain::posture::Summary) -> Vec<DialogLine> {
    let mut lines = vec![DialogLine::plain("")];
    for (name, value) in &p.lines {
        let value = text::sanitize(value);
        lines.push(if name.is_empty() {
            DialogLine::plain(format!("{:<20}  {value}", ""))
        } else {
            field(name, value)
        });
    }
    lines.push(DialogLine::plain(""));
    lines.push(DialogLine::new(
        format!("Recovery window: {}.", text::sanitize(&p.recovery_window)),
        LineStyle::Emphasis,
    ));
    for reason in &p.reasons {
        lines.push(DialogLine::plain(format!(
            "  because {}",
            text::sanitize(reason)
        )));
    }
    lines.push(DialogLine::plain(""));
    if p.risks.is_empty() {
        // Said, not left out: an auditor reads an absent section as "not checked".
        lines.push(DialogLine::new(
            "Risks: none found in what the server reported",
            LineStyle::Emphasis,
        ));
    } else {
        lines.push(DialogLine::new(
            "Risks, most serious first",
            LineStyle::Emphasis,
        ));
        for r in &p.risks {
            lines.push(DialogLine::new(
                format!("  {}: {}", r.severity, text::sanitize(&r.finding)),
                if r.severity == "high" {
                    LineStyle::Error
                } else {
                    LineStyle::Warning
                },
            ));
            lines.push(DialogLine::plain(format!(
                "    evidence: {}",
                text::sanitize(&r.evidence)
            )));
        }
    }
    lines
}

/// What the watchers say of a bucket (`lockwatch watch`): what is in force, then the last
/// alerts with their evidence; one line when nothing watches it.
pub fn watch_lines(state: &AppState, bucket: &str) -> Vec<DialogLine> {
    let watched: Vec<&crate::domain::watch::Alerts> = state.watched(bucket).collect();
    let mut lines = vec![DialogLine::plain("")];
    if watched.is_empty() {
        lines.push(DialogLine::plain(format!(
            "{:<20}not watched (lockwatch watch s3://{}/ would)",
            "Watch",
            text::sanitize(bucket)
        )));
        return lines;
    }
    for a in watched {
        lines.push(DialogLine::new(
            format!(
                "Watch of s3://{}/{} (last look {})",
                text::sanitize(&a.bucket),
                text::sanitize(&a.prefix),
                text::sanitize(&a.updated_at)
            ),
            LineStyle::Emphasis,
        ));
        if a.now.is_empty() {
            lines.push(DialogLine::plain(
                "  nothing in force: no storm, nothing weakened",
            ));
        }
        for (level, said) in &a.now {
            lines.push(alert_line(*level, format!("  ▲ {}", text::sanitize(said))));
        }
        for e in a.recent.iter().rev().take(5) {
            lines.extend(event_lines(e));
        }
    }
    lines
}

fn alert_line(level: crate::domain::watch::Level, text: String) -> DialogLine {
    DialogLine::new(
        text,
        match level {
            crate::domain::watch::Level::Critical => LineStyle::Error,
            crate::domain::watch::Level::Warning => LineStyle::Warning,
            crate::domain::watch::Level::Info => LineStyle::Normal,
        },
    )
}

/// One alert: its time, name and summary, then its evidence.
fn event_lines(e: &crate::domain::watch::Event) -> Vec<DialogLine> {
    let mut lines = vec![alert_line(
        e.level,
        format!(
            "  {} {}: {}",
            text::sanitize(&e.at),
            e.event.code(),
            text::sanitize(&e.summary)
        ),
    )];
    lines.extend(
        e.evidence
            .iter()
            .map(|l| DialogLine::plain(format!("      {}", text::sanitize(l)))),
    );
    lines
}

/// The alerts of a bucket's watchers that name `key`.
pub fn key_watch_lines(state: &AppState, bucket: &str, key: &str) -> Vec<DialogLine> {
    let events: Vec<&crate::domain::watch::Event> =
        state.watched(bucket).flat_map(|a| a.naming(key)).collect();
    if events.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        DialogLine::plain(""),
        DialogLine::new("What the watcher saw of this key", LineStyle::Emphasis),
    ];
    for e in events {
        lines.extend(event_lines(e));
    }
    lines
}

pub fn object_lines(
    bucket: &str,
    key: &str,
    d: &ObjectDetails,
    owner: ListedOwner,
    now: Timestamp,
) -> Vec<DialogLine> {
    let owner = match owner {
        Some(Some(o)) => match o.display_name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) if name != o.id && !o.id.is_empty() => {
                format!("{} (id {})", text::sanitize(name), text::sanitize(&o.id))
            }
            _ => text::sanitize(o.label()).into_owned(),
        },
        Some(None) => "not named by the server".into(),
        None => "— (the versions pane lists it)".into(),
    };
    let mut lines = vec![
        field(
            "Object",
            format!("s3://{}/{}", text::sanitize(bucket), text::sanitize(key)),
        ),
        field(
            "Version id",
            d.version_id
                .as_deref()
                .map_or("(none)".into(), |v| text::sanitize(v).into_owned()),
        ),
        field("Owner", owner),
        field(
            "Last modified",
            format!("{} UTC", format::maybe_timestamp(d.last_modified)),
        ),
        field("Size", d.size.map_or("—".into(), format::size_exact)),
        field(
            "ETag",
            d.etag
                .as_deref()
                .map_or("—".into(), |e| text::sanitize(e).into_owned()),
        ),
        field(
            "Content type",
            d.content_type
                .as_deref()
                .map_or("—".into(), |c| text::sanitize(c).into_owned()),
        ),
        field(
            "Storage class",
            d.storage_class
                .as_deref()
                .unwrap_or("STANDARD (not reported)"),
        ),
        field(
            "Lock mode",
            match &d.lock.mode {
                None => "none".to_string(),
                Some(m) if m.is_known() => m.as_str().to_string(),
                Some(m) => format!("unknown (\"{}\")", text::sanitize(m.as_str())),
            },
        ),
        field(
            "Retain until",
            d.lock
                .retain_until
                .map_or("—".into(), crate::domain::lock::describe_until),
        ),
        field("Legal hold", d.lock.legal_hold.label()),
        DialogLine::plain(""),
    ];
    lines.extend(
        super::writes::lock_sentences(&d.lock, now)
            .into_iter()
            .map(|s| DialogLine::new(s, LineStyle::Emphasis)),
    );
    if !d.metadata.is_empty() {
        lines.push(DialogLine::plain(""));
        lines.push(DialogLine::new("User metadata", LineStyle::Emphasis));
        for (k, v) in &d.metadata {
            lines.push(field(
                &format!("  {}", text::sanitize(k)),
                text::sanitize(v),
            ));
        }
    }
    lines
}

pub(super) fn on_bucket_info(
    state: &mut AppState,
    request: RequestId,
    bucket: String,
    result: Result<(BucketDetails, Option<String>), S3Error>,
    posture: Option<crate::domain::posture::Summary>,
) -> Vec<Effect> {
    // Stopped with Esc meanwhile: nothing opens.
    if !finish_write(state, request) {
        return Vec::new();
    }
    state.popup = Some(match result {
        Ok((details, location)) => Popup::Message {
            title: format!("Bucket {}", text::sanitize(&bucket)),
            lines: {
                let mut lines = bucket_lines(&bucket, &details, location.as_deref());
                if let Some(p) = &posture {
                    // The posture says versioning and the lock again, with what they mean.
                    lines.retain(|l| {
                        !(l.text.starts_with("Versioning") || l.text.starts_with("Object Lock"))
                    });
                    lines.extend(posture_lines(p));
                }
                lines.extend(watch_lines(state, &bucket));
                lines
            },
            error: false,
        },
        // The details failed (read-only credentials may not read versioning): each posture
        // part still says what it answered, as the report does.
        Err(e) => Popup::Message {
            title: format!("Bucket {}", text::sanitize(&bucket)),
            lines: {
                let mut lines = vec![DialogLine::new(
                    format!("The server refused or did not answer its details: {e}"),
                    LineStyle::Error,
                )];
                if let Some(p) = &posture {
                    lines.extend(posture_lines(p));
                }
                lines
            },
            error: true,
        },
    });
    Vec::new()
}

pub(super) fn on_object_info(
    state: &mut AppState,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    result: Result<ObjectDetails, S3Error>,
    now: Timestamp,
) -> Vec<Effect> {
    if !finish_write(state, request) {
        return Vec::new();
    }
    // The owner comes from the listing on screen, when this version is in it.
    let pane = &state.versions;
    let listed = match (&result, &pane.bucket, &pane.key) {
        (Ok(d), Some(b), Some(k)) if *b == bucket && **k == *key => pane
            .entries
            .iter()
            .find(|e| Some(e.version_id.as_str()) == d.version_id.as_deref())
            .map(|e| e.owner.clone()),
        _ => None,
    };
    state.popup = Some(match result {
        Ok(details) => Popup::Message {
            title: "Version details (HeadObject)".into(),
            lines: {
                let mut lines = object_lines(&bucket, &key, &details, listed, now);
                lines.extend(key_watch_lines(state, &bucket, &key));
                lines
            },
            error: false,
        },
        Err(e) => Popup::Message {
            title: "Version details".into(),
            lines: vec![DialogLine::new(
                format!("The server refused or did not answer: {e}"),
                LineStyle::Error,
            )],
            error: true,
        },
    });
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LegalHold, LockInfo, Owner};

    fn details() -> ObjectDetails {
        ObjectDetails {
            version_id: Some("v1".into()),
            size: Some(3),
            etag: None,
            content_type: None,
            storage_class: None,
            last_modified: None,
            lock: LockInfo {
                mode: None,
                retain_until: None,
                legal_hold: LegalHold::Off,
            },
            metadata: Vec::new(),
        }
    }

    fn owner_line(owner: ListedOwner) -> String {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().expect("time");
        object_lines("b", "k", &details(), owner, now)
            .into_iter()
            .map(|l| l.text)
            .find(|t| t.starts_with("Owner"))
            .expect("an Owner line")
    }

    #[test]
    fn i_names_the_owner_the_listing_gave_and_says_when_it_gave_none() {
        let both = Arc::new(Owner {
            id: "tenant$alice".into(),
            display_name: Some("Alice".into()),
        });
        assert!(owner_line(Some(Some(both))).ends_with("Alice (id tenant$alice)"));
        let id_only = Arc::new(Owner {
            id: "79a59df9".into(),
            display_name: None,
        });
        assert!(owner_line(Some(Some(id_only))).ends_with("79a59df9"));
        assert!(owner_line(Some(None)).ends_with("not named by the server"));
        assert!(owner_line(None).contains("the versions pane lists it"));
    }
}
