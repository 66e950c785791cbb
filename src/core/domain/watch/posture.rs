//! A bucket's posture as the watcher keeps it between intervals (`Snapshot`, small and
//! serializable), and what a change weakens.
//!
//! The watcher compares each new reading with a *baseline*, not with the reading before: a
//! weakening stays alerted until the posture is restored or a person accepts it
//! (`--accept`), so a weakened bucket is never reported fine again just because it stayed
//! weakened. A part that changed without weakening anything (a longer retention, a rule
//! removed) becomes the baseline at once, so that going back from it is a weakening too. A
//! part that could not be read is never compared: it says nothing either way, and the
//! watcher's health says it could not read it.

use super::{Finding, Kind, Level};
use crate::domain::posture::{Answer, Effect, Posture, recovery_window};
use crate::domain::{BucketLock, RetentionPeriod, Versioning};
use serde::{Deserialize, Serialize};

/// The bucket's default retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// As the server spells it: COMPLIANCE, GOVERNANCE or anything else.
    pub mode: String,
    /// A year counted as 365 days, as S3 counts a default retention.
    pub days: u32,
    /// As configured ("30 days", "1 year").
    pub written: String,
}

/// The Object Lock configuration: whether it is on and its default retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub enabled: bool,
    pub default: Option<Retention>,
}

/// A lifecycle rule that removes versions (current ones expire, or noncurrent ones are
/// deleted), as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `LifecycleRule::describe`: its name, what it concerns and what it does.
    pub described: String,
}

/// A policy statement allowing what removes or unprotects versions, or anything to everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub sid: Option<String>,
    pub principals: String,
    pub actions: String,
    pub everyone: bool,
    pub conditional: bool,
}

impl Grant {
    fn described(&self) -> String {
        format!(
            "statement {} allows {} to {}{}",
            self.sid.as_deref().unwrap_or("(no Sid)"),
            self.principals,
            self.actions,
            if self.conditional {
                " (under a Condition lockwatch does not evaluate)"
            } else {
                ""
            }
        )
    }
}

/// The recovery window a posture gives: at least this many days, or unbounded (no rule
/// removes versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    Unbounded,
    Days(u32),
}

impl Window {
    fn of(days: Option<u32>) -> Window {
        days.map_or(Window::Unbounded, Window::Days)
    }

    /// Whether `self` is shorter than `before`.
    pub fn shorter_than(self, before: Window) -> bool {
        match (before, self) {
            (Window::Unbounded, Window::Days(_)) => true,
            (Window::Days(b), Window::Days(a)) => a < b,
            _ => false,
        }
    }

    /// Days, infinite when unbounded (for metrics).
    pub fn days(self) -> f64 {
        match self {
            Window::Unbounded => f64::INFINITY,
            Window::Days(d) => f64::from(d),
        }
    }

    pub fn described(self) -> String {
        match self {
            Window::Unbounded => "unbounded (no rule removes versions)".into(),
            Window::Days(0) => "none (versions may be gone at once)".into(),
            Window::Days(1) => "1 day".into(),
            Window::Days(d) => format!("{d} days"),
        }
    }
}

/// Each part is `None` when it could not be read (`unread` says why); `Some` holds what was
/// read, "none configured" included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Enabled, Suspended or never.
    pub versioning: Option<String>,
    pub lock: Option<Lock>,
    pub lifecycle: Option<Vec<Rule>>,
    /// The recovery window the posture gives.
    pub window: Option<Window>,
    pub grants: Option<Vec<Grant>>,
    pub policy_public: Option<bool>,
    /// Whether replication is configured (`None`: unread or not supported).
    pub replication: Option<bool>,
    pub encryption: Option<bool>,
    /// The parts that could not be read, each with why ("GetBucketPolicy: access denied
    /// (…)"); a part the server does not support is not listed.
    #[serde(default)]
    pub unread: Vec<String>,
}

fn period_days(p: &RetentionPeriod) -> u32 {
    match *p {
        RetentionPeriod::Days(d) => u32::try_from(d).unwrap_or(0),
        RetentionPeriod::Years(y) => u32::try_from(y).unwrap_or(0).saturating_mul(365),
    }
}

/// What a part's answer is as kept: the value, or nothing with why it was not read.
fn kept<T, U>(
    answer: &Answer<T>,
    operation: &str,
    unread: &mut Vec<String>,
    value: impl FnOnce(Option<&T>) -> U,
) -> Option<U> {
    match answer {
        Answer::Configured(t) => Some(value(Some(t))),
        Answer::NoneConfigured => Some(value(None)),
        Answer::NotSupported(_) => None,
        Answer::Denied(_) | Answer::Failed(_) => {
            unread.push(format!(
                "{operation}: {}",
                answer.describe_absence().unwrap_or_default()
            ));
            None
        }
    }
}

impl Snapshot {
    pub fn of(posture: &Posture) -> Snapshot {
        let mut unread = Vec::new();
        let versioning = kept(
            &posture.versioning,
            "GetBucketVersioning",
            &mut unread,
            |v| {
                v.map_or(Versioning::Never, |v| v.status)
                    .label()
                    .to_string()
            },
        );
        let lock = kept(
            &posture.lock,
            "GetObjectLockConfiguration",
            &mut unread,
            |l| match l {
                Some(BucketLock::Enabled { default_retention }) => Lock {
                    enabled: true,
                    default: default_retention.as_ref().map(|(mode, period)| Retention {
                        mode: mode.as_str().to_string(),
                        days: period_days(period),
                        written: period.to_string(),
                    }),
                },
                _ => Lock {
                    enabled: false,
                    default: None,
                },
            },
        );
        let lifecycle = kept(
            &posture.lifecycle,
            "GetBucketLifecycleConfiguration",
            &mut unread,
            |rules| {
                rules
                    .into_iter()
                    .flatten()
                    .filter(|r| {
                        r.enabled
                            && (r.noncurrent_days.is_some()
                                || r.expiration_days.is_some()
                                || r.expiration_date.is_some())
                    })
                    .map(|r| Rule {
                        described: r.describe(),
                    })
                    .collect()
            },
        );
        let grants = kept(&posture.policy, "GetBucketPolicy", &mut unread, |p| {
            p.into_iter()
                .flat_map(|p| p.statements.iter())
                .filter(|s| s.effect == Effect::Allow && (!s.grants.is_empty() || s.everyone()))
                .map(|s| Grant {
                    sid: s.sid.clone(),
                    principals: s.principals_written(),
                    actions: s.actions_written(),
                    everyone: s.everyone(),
                    conditional: s.conditional,
                })
                .collect()
        });
        let policy_public = kept(
            &posture.policy_public,
            "GetBucketPolicyStatus",
            &mut unread,
            |p| p.copied().unwrap_or(false),
        );
        let replication = kept(
            &posture.replication,
            "GetBucketReplication",
            &mut unread,
            |r| r.is_some(),
        );
        let encryption = kept(
            &posture.encryption,
            "GetBucketEncryption",
            &mut unread,
            |e| e.is_some(),
        );
        // The window is known only when everything it is computed from was read.
        let window = (versioning.is_some() && lock.is_some() && lifecycle.is_some())
            .then(|| Window::of(recovery_window(posture).at_least_days));
        Snapshot {
            versioning,
            lock,
            lifecycle,
            window,
            grants,
            policy_public,
            replication,
            encryption,
            unread,
        }
    }
}

fn finding(kind: Kind, level: Level, summary: String, evidence: Vec<String>) -> Finding {
    Finding {
        kind,
        level,
        summary,
        evidence,
        counts: None,
    }
}

/// What `now` weakens against `baseline`, part by part; nothing for a part either could not
/// read.
pub fn weakenings(baseline: &Snapshot, now: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    if let (Some(was), Some(is)) = (&baseline.versioning, &now.versioning)
        && was == "Enabled"
        && is != "Enabled"
    {
        found.push(finding(
            Kind::VersioningSuspended,
            Level::Critical,
            format!(
                "versioning is {}: an overwrite or a delete now replaces the data instead of keeping it",
                if is == "Suspended" { "suspended" } else { "off" }
            ),
            vec![format!("GetBucketVersioning: Status {is}, was {was}")],
        ));
    }
    if let (Some(was), Some(is)) = (&baseline.lock, &now.lock)
        && let Some(before) = &was.default
    {
        match &is.default {
            None => found.push(finding(
                Kind::DefaultRetentionRemoved,
                Level::Critical,
                format!(
                    "the default retention ({} for {}) was removed: new versions are unprotected unless the writer locks each one",
                    before.mode, before.written
                ),
                vec![format!(
                    "GetObjectLockConfiguration: {}, was {} for {}",
                    if is.enabled {
                        "no Rule"
                    } else {
                        "Object Lock not enabled"
                    },
                    before.mode,
                    before.written
                )],
            )),
            Some(after) => {
                if after.days < before.days {
                    found.push(finding(
                        Kind::DefaultRetentionShortened,
                        Level::Critical,
                        format!(
                            "the default retention was shortened from {} to {}: new versions are protected for less time",
                            before.written, after.written
                        ),
                        vec![format!(
                            "GetObjectLockConfiguration: {} for {}, was {} for {}",
                            after.mode, after.written, before.mode, before.written
                        )],
                    ));
                }
                if before.mode == "COMPLIANCE" && after.mode != "COMPLIANCE" {
                    found.push(finding(
                        Kind::DefaultRetentionWeakened,
                        Level::Critical,
                        format!(
                            "the default retention went from COMPLIANCE to {}: users allowed to bypass it can delete new versions at once",
                            after.mode
                        ),
                        vec![format!(
                            "GetObjectLockConfiguration: Mode {}, was COMPLIANCE",
                            after.mode
                        )],
                    ));
                }
            }
        }
    }
    if let (Some(was), Some(is)) = (&baseline.lifecycle, &now.lifecycle) {
        let new: Vec<&Rule> = is.iter().filter(|r| !was.contains(r)).collect();
        if !new.is_empty() {
            let window = match (baseline.window, now.window) {
                (Some(before), Some(after)) => Some((before, after)),
                _ => None,
            };
            let shrank = window.is_some_and(|(before, after)| after.shorter_than(before));
            let summary = match window {
                Some((before, after)) if before != after => format!(
                    "a lifecycle rule now removes versions: the recovery window went from {} to {}",
                    before.described(),
                    after.described()
                ),
                Some((_, after)) => format!(
                    "a lifecycle rule that removes versions was added or changed (the recovery window stays {})",
                    after.described()
                ),
                None => "a lifecycle rule that removes versions was added or changed".to_string(),
            };
            found.push(finding(
                Kind::LifecycleExpiresVersions,
                if shrank {
                    Level::Critical
                } else {
                    Level::Warning
                },
                summary,
                new.iter()
                    .map(|r| format!("GetBucketLifecycleConfiguration: {}", r.described))
                    .collect(),
            ));
        }
    }
    if let (Some(was), Some(is)) = (&baseline.grants, &now.grants) {
        let new: Vec<&Grant> = is.iter().filter(|g| !was.contains(g)).collect();
        if !new.is_empty() {
            let everyone = new.iter().any(|g| g.everyone);
            found.push(finding(
                Kind::PolicyGrantsDangerous,
                Level::Critical,
                if everyone {
                    "the bucket policy now allows everyone what removes or unprotects versions"
                        .to_string()
                } else {
                    "the bucket policy now allows actions that remove or unprotect versions"
                        .to_string()
                },
                new.iter()
                    .map(|g| format!("GetBucketPolicy: {}", g.described()))
                    .collect(),
            ));
        }
    }
    if baseline.policy_public == Some(false) && now.policy_public == Some(true) {
        // One change of the policy is one event: what the server says of it is its evidence.
        if let Some(grants) = found
            .iter_mut()
            .find(|f| f.kind == Kind::PolicyGrantsDangerous)
        {
            grants
                .evidence
                .push("GetBucketPolicyStatus: IsPublic true, was false".into());
        } else {
            found.push(finding(
                Kind::PolicyPublic,
                Level::Critical,
                "the server now judges the bucket policy public: it grants access to everyone"
                    .into(),
                vec!["GetBucketPolicyStatus: IsPublic true, was false".into()],
            ));
        }
    }
    for (kind, was, is, what, operation) in [
        (
            Kind::ReplicationRemoved,
            baseline.replication,
            now.replication,
            "replication",
            "GetBucketReplication",
        ),
        (
            Kind::EncryptionRemoved,
            baseline.encryption,
            now.encryption,
            "default encryption",
            "GetBucketEncryption",
        ),
    ] {
        if was == Some(true) && is == Some(false) {
            found.push(finding(
                kind,
                Level::Warning,
                format!("the bucket's {what} was removed"),
                vec![format!("{operation}: none configured, was configured")],
            ));
        }
    }
    found
}

/// The baseline after `now` was read: each part that `now` does not weaken is taken from
/// `now` (a stronger or unrelated change is the new normal); a weakened part keeps its
/// baseline until restored or accepted; an unread part keeps its baseline.
pub fn advance(baseline: &Snapshot, now: &Snapshot) -> Snapshot {
    let weak = weakenings(baseline, now);
    let weakened = |kinds: &[Kind]| weak.iter().any(|f| kinds.contains(&f.kind));
    fn pick<T: Clone>(keep: bool, was: &Option<T>, is: &Option<T>) -> Option<T> {
        if keep || is.is_none() {
            was.clone()
        } else {
            is.clone()
        }
    }
    let lifecycle_weak = weakened(&[Kind::LifecycleExpiresVersions]);
    Snapshot {
        versioning: pick(
            weakened(&[Kind::VersioningSuspended]),
            &baseline.versioning,
            &now.versioning,
        ),
        lock: pick(
            weakened(&[
                Kind::DefaultRetentionRemoved,
                Kind::DefaultRetentionShortened,
                Kind::DefaultRetentionWeakened,
            ]),
            &baseline.lock,
            &now.lock,
        ),
        lifecycle: pick(lifecycle_weak, &baseline.lifecycle, &now.lifecycle),
        window: pick(lifecycle_weak, &baseline.window, &now.window),
        grants: pick(
            weakened(&[Kind::PolicyGrantsDangerous]),
            &baseline.grants,
            &now.grants,
        ),
        policy_public: pick(
            weakened(&[Kind::PolicyPublic]),
            &baseline.policy_public,
            &now.policy_public,
        ),
        replication: pick(
            weakened(&[Kind::ReplicationRemoved]),
            &baseline.replication,
            &now.replication,
        ),
        encryption: pick(
            weakened(&[Kind::EncryptionRemoved]),
            &baseline.encryption,
            &now.encryption,
        ),
        unread: now.unread.clone(),
    }
}

/// The baseline when a person accepts the posture now (`--accept`): every part read now, and
/// for a part that could not be read, what the baseline knew.
pub fn accept(baseline: &Snapshot, now: &Snapshot) -> Snapshot {
    Snapshot {
        versioning: now
            .versioning
            .clone()
            .or_else(|| baseline.versioning.clone()),
        lock: now.lock.clone().or_else(|| baseline.lock.clone()),
        lifecycle: now.lifecycle.clone().or_else(|| baseline.lifecycle.clone()),
        window: now.window.or(baseline.window),
        grants: now.grants.clone().or_else(|| baseline.grants.clone()),
        policy_public: now.policy_public.or(baseline.policy_public),
        replication: now.replication.or(baseline.replication),
        encryption: now.encryption.or(baseline.encryption),
        unread: now.unread.clone(),
    }
}
