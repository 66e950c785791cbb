//! A bucket's posture: what else, beside the locks, decides how long a deleted or overwritten
//! backup can be brought back — versioning and MFA Delete, the default retention, lifecycle
//! rules, the bucket policy, replication and encryption — and the recovery window computed
//! from them, with the risks that shorten it, most serious first. Pure: the S3 layer reads
//! the answers, this module judges them.

mod lifecycle;
mod policy;
mod summary;
#[cfg(test)]
mod tests;

pub use lifecycle::{LifecycleRule, RuleFilter};
pub use policy::{DANGEROUS_ACTIONS, Effect, PolicySummary, Statement};
pub use summary::{RiskRow, Summary};

use super::{BucketLock, RetentionMode, RetentionPeriod, Versioning};

/// What a server answered for one part of the posture. "Not supported by this server", "none
/// configured" and "access denied" are different answers and are never shown alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    Configured(T),
    /// The server has the operation and nothing is configured.
    NoneConfigured,
    /// The server does not implement the operation (NotImplemented, 501, or a refusal that
    /// names it as unsupported).
    NotSupported(String),
    /// These credentials may not read it.
    Denied(String),
    /// No usable answer (network, 5xx, unreadable).
    Failed(String),
}

impl<T> Answer<T> {
    pub fn configured(&self) -> Option<&T> {
        match self {
            Answer::Configured(t) => Some(t),
            _ => None,
        }
    }

    /// What to show when there is nothing configured to show.
    pub fn describe_absence(&self) -> Option<String> {
        match self {
            Answer::Configured(_) => None,
            Answer::NoneConfigured => Some("none configured".into()),
            Answer::NotSupported(why) => Some(format!("not supported by this server ({why})")),
            Answer::Denied(why) => Some(format!("access denied ({why})")),
            Answer::Failed(why) => Some(format!("could not be read ({why})")),
        }
    }
}

/// The versioning status with MFA Delete as GetBucketVersioning reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersioningState {
    pub status: Versioning,
    /// `Some(true)` when MFA Delete is enabled; `None` when the server does not say.
    pub mfa_delete: Option<bool>,
}

/// Everything read about a bucket's posture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posture {
    pub versioning: Answer<VersioningState>,
    pub lock: Answer<BucketLock>,
    pub lifecycle: Answer<Vec<LifecycleRule>>,
    pub policy: Answer<PolicySummary>,
    /// GetBucketPolicyStatus: whether the server judges the policy to make the bucket public.
    pub policy_public: Answer<bool>,
    pub replication: Answer<String>,
    pub encryption: Answer<String>,
}

/// How serious a finding is, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// One thing that shortens the recovery window or makes it unknown, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub severity: Severity,
    pub finding: String,
    pub evidence: String,
}

/// How long a file deleted or overwritten now can be brought back, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryWindow {
    /// At least this many days; `None` when nothing bounds it (kept until someone deletes
    /// it) and `Some(0)` when it may be gone at once.
    pub at_least_days: Option<u32>,
    /// `Unbounded` when no rule removes noncurrent versions and nothing can delete them
    /// early; otherwise the sentence says what ends it.
    pub sentence: String,
    pub reasons: Vec<String>,
    pub risks: Vec<Risk>,
}

/// A retention period in days (a year counted as 365 days, as S3 does for defaults).
fn period_days(p: &RetentionPeriod) -> u32 {
    match p {
        RetentionPeriod::Days(d) => u32::try_from(*d).unwrap_or(0),
        RetentionPeriod::Years(y) => u32::try_from(*y).unwrap_or(0).saturating_mul(365),
    }
}

/// The recovery window from the posture: versioning keeps overwritten and deleted data as
/// noncurrent versions; a default retention keeps every new version at least that long; a
/// lifecycle rule deleting noncurrent versions ends the window for the objects it matches
/// (no sooner than the retention); and whatever can delete versions early is a risk.
pub fn recovery_window(posture: &Posture) -> RecoveryWindow {
    let mut reasons = Vec::new();
    let mut risks = Vec::new();
    let versioning = posture.versioning.configured();
    let status = versioning.map(|v| v.status);
    let default = match posture.lock.configured() {
        Some(BucketLock::Enabled {
            default_retention: Some((mode, period)),
        }) => Some((mode.clone(), period_days(period), period.to_string())),
        _ => None,
    };
    let lock_enabled = matches!(posture.lock.configured(), Some(BucketLock::Enabled { .. }));

    match status {
        Some(Versioning::Enabled) => {
            reasons.push("versioning is enabled: a delete or an overwrite keeps the data as a noncurrent version".into())
        }
        Some(Versioning::Suspended) => risks.push(Risk {
            severity: Severity::High,
            finding: "versioning is suspended: an overwrite or a delete replaces the null version, and that data is gone".into(),
            evidence: "GetBucketVersioning: Status Suspended".into(),
        }),
        Some(Versioning::Never) => risks.push(Risk {
            severity: Severity::High,
            finding: "versioning was never enabled: a delete or an overwrite removes the data at once".into(),
            evidence: "GetBucketVersioning: no Status".into(),
        }),
        None => risks.push(Risk {
            severity: Severity::Medium,
            finding: "the versioning status is unknown, so the recovery window is too".into(),
            evidence: format!(
                "GetBucketVersioning: {}",
                posture.versioning.describe_absence().unwrap_or_default()
            ),
        }),
    }
    if versioning.is_some_and(|v| v.status == Versioning::Enabled && v.mfa_delete == Some(false))
        && !lock_enabled
    {
        risks.push(Risk {
            severity: Severity::Low,
            finding: "MFA Delete is off: anyone with these permissions can delete versions without a second factor".into(),
            evidence: "GetBucketVersioning: MFADelete Disabled".into(),
        });
    }
    match &default {
        Some((mode, _, period)) => {
            reasons.push(format!(
                "the default retention ({} for {period}) keeps every new version at least that long",
                mode.as_str()
            ));
            if *mode == RetentionMode::Governance {
                let bypass = posture
                    .policy
                    .configured()
                    .map(|p| p.allows_bypass())
                    .unwrap_or_default();
                if let Some(st) = bypass.first() {
                    risks.push(Risk {
                        severity: Severity::High,
                        finding: "the default retention is GOVERNANCE and the bucket policy allows the bypass: the principals it names can delete protected versions at once".into(),
                        evidence: format!(
                            "policy statement {} allows {} to {}",
                            st.sid.as_deref().unwrap_or("(no Sid)"),
                            st.principals_written(),
                            st.actions_written()
                        ),
                    });
                } else {
                    risks.push(Risk {
                        severity: Severity::Medium,
                        finding: "the default retention is GOVERNANCE: any user with s3:BypassGovernanceRetention (granted by IAM, not only by the bucket policy) can delete protected versions at once".into(),
                        evidence: "GetObjectLockConfiguration: Mode GOVERNANCE".into(),
                    });
                }
            }
        }
        None if lock_enabled => risks.push(Risk {
            severity: Severity::High,
            finding: "Object Lock is enabled but there is no default retention: new versions are unprotected unless the writer locks each one".into(),
            evidence: "GetObjectLockConfiguration: no Rule".into(),
        }),
        None => risks.push(Risk {
            severity: Severity::High,
            finding: "no Object Lock: any version can be deleted by whoever may delete versions".into(),
            evidence: format!(
                "GetObjectLockConfiguration: {}",
                match &posture.lock {
                    Answer::Configured(_) => "not enabled".to_string(),
                    other => other.describe_absence().unwrap_or_default(),
                }
            ),
        }),
    }

    let retained = default.as_ref().map_or(0, |(_, d, _)| *d);
    // The shortest window any enabled rule leaves, and whom that rule concerns.
    let mut window: Option<(u32, String)> = None;
    if let Some(rules) = posture.lifecycle.configured() {
        for rule in rules.iter().filter(|r| r.enabled) {
            if let Some(days) = rule.noncurrent_days {
                let days = u32::try_from(days).unwrap_or(0);
                // A locked version is not deleted before its retain-until date.
                let effective = days.max(retained);
                if window.as_ref().is_none_or(|(w, _)| effective < *w) {
                    window = Some((effective, rule.filter.describe()));
                }
                reasons.push(format!(
                    "{} deletes noncurrent versions of {} {days} days after they become noncurrent{}",
                    rule.name(),
                    rule.filter.describe(),
                    if retained > days {
                        format!(" (locks hold them at least {retained} days)")
                    } else {
                        String::new()
                    }
                ));
                risks.push(Risk {
                    severity: if effective < 7 {
                        Severity::High
                    } else if effective < 30 {
                        Severity::Medium
                    } else {
                        Severity::Low
                    },
                    finding: format!(
                        "noncurrent versions of {} are deleted after {effective} days: a file deleted or overwritten longer ago than that cannot be brought back",
                        rule.filter.describe()
                    ),
                    evidence: rule.describe(),
                });
                if let Some(n) = rule.newer_noncurrent_versions {
                    reasons.push(format!(
                        "{} keeps the newest {n} noncurrent versions whatever their age",
                        rule.name()
                    ));
                }
            }
            if rule.expiration_days.is_some() || rule.expiration_date.is_some() {
                risks.push(Risk {
                    severity: if status == Some(Versioning::Enabled) {
                        Severity::Medium
                    } else {
                        Severity::High
                    },
                    finding: format!(
                        "a rule expires current versions of {}: they are deleted (a delete marker is added where versioning is on) without anyone asking",
                        rule.filter.describe()
                    ),
                    evidence: rule.describe(),
                });
            }
        }
    } else if !matches!(posture.lifecycle, Answer::NoneConfigured) {
        risks.push(Risk {
            severity: Severity::Medium,
            finding: "the lifecycle rules could not be read: a rule lockwatch cannot see may delete versions".into(),
            evidence: format!(
                "GetBucketLifecycleConfiguration: {}",
                posture.lifecycle.describe_absence().unwrap_or_default()
            ),
        });
    }
    if let Some(policy) = posture.policy.configured() {
        for st in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if st.everyone() && !st.conditional {
                risks.push(Risk {
                    severity: Severity::High,
                    finding: format!(
                        "the bucket policy allows everyone ({}) actions that remove or unprotect versions",
                        if st.not_principal {
                            "NotPrincipal: all but the principals it names"
                        } else {
                            "Principal *"
                        }
                    ),
                    evidence: format!(
                        "policy statement {}: {}",
                        st.sid.as_deref().unwrap_or("(no Sid)"),
                        st.actions_written()
                    ),
                });
            }
        }
        if posture.policy_public.configured() == Some(&true) {
            risks.push(Risk {
                severity: Severity::High,
                finding: "the server judges the bucket policy public: it grants access to everyone"
                    .into(),
                evidence: "GetBucketPolicyStatus: IsPublic true".into(),
            });
        }
        if let Some(raw) = &policy.unreadable {
            risks.push(Risk {
                severity: Severity::Medium,
                finding: "the bucket policy is not JSON lockwatch can read".into(),
                evidence: format!("GetBucketPolicy: {raw}…"),
            });
        }
        for why in &policy.cannot_judge {
            risks.push(Risk {
                severity: Severity::Medium,
                finding: "lockwatch cannot judge a statement of the bucket policy: it may grant what removes or unprotects versions".into(),
                evidence: format!("GetBucketPolicy: {why}"),
            });
        }
    } else if matches!(posture.policy, Answer::Denied(_) | Answer::Failed(_)) {
        risks.push(Risk {
            severity: Severity::Medium,
            finding: "the bucket policy could not be read: a statement lockwatch cannot see may grant what removes or unprotects versions".into(),
            evidence: format!(
                "GetBucketPolicy: {}",
                posture.policy.describe_absence().unwrap_or_default()
            ),
        });
    }
    risks.sort_by_key(|r| r.severity);

    let unversioned = matches!(status, Some(Versioning::Never | Versioning::Suspended));
    // Rules lockwatch could not read may remove versions; a GOVERNANCE retention may be
    // bypassed: what the window says is qualified by both.
    let rules_unread = matches!(posture.lifecycle, Answer::Denied(_) | Answer::Failed(_));
    let governance = matches!(&default, Some((RetentionMode::Governance, _, _)));
    let (at_least_days, sentence) = if unversioned {
        (
            Some(0),
            "a file deleted or overwritten now may be gone at once: the bucket keeps no older versions".to_string(),
        )
    } else if status.is_none() {
        (
            None,
            "unknown: the versioning status could not be read".into(),
        )
    } else {
        let unless_unread = if rules_unread {
            ", unless a lifecycle rule lockwatch could not read removes them sooner"
        } else {
            ""
        };
        match window {
            Some((d, whom)) => (
                Some(d),
                format!(
                    "a file deleted or overwritten now can be brought back for at least {d} days ({whom}; the shortest any rule allows{}){unless_unread}",
                    if governance && d <= retained {
                        "; the GOVERNANCE retention that holds them that long can be bypassed by users allowed to, who can remove them sooner"
                    } else {
                        ""
                    }
                ),
            ),
            None if rules_unread => (
                None,
                "unknown: a file deleted or overwritten now can be brought back until someone deletes its versions, unless a lifecycle rule lockwatch could not read removes them".into(),
            ),
            None => (
                None,
                "a file deleted or overwritten now can be brought back until someone deletes its versions: no rule removes them".into(),
            ),
        }
    };
    RecoveryWindow {
        at_least_days,
        sentence,
        reasons,
        risks,
    }
}
