//! A bucket's posture: what else, beside the locks, decides how long a deleted or overwritten
//! backup can be brought back — versioning and MFA Delete, the default retention, lifecycle
//! rules, the bucket policy, replication and encryption — and the recovery window computed
//! from them, with the risks that shorten it, most serious first. Pure: the S3 layer reads
//! the answers, this module judges them.

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

/// The filter of a lifecycle rule: a rule applies to the objects it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    pub prefix: Option<String>,
    pub tags: Vec<(String, String)>,
    pub size_greater_than: Option<i64>,
    pub size_less_than: Option<i64>,
}

impl RuleFilter {
    /// Whether the rule applies to every object of the bucket.
    pub fn is_whole_bucket(&self) -> bool {
        self.prefix.as_deref().is_none_or(str::is_empty)
            && self.tags.is_empty()
            && self.size_greater_than.is_none()
            && self.size_less_than.is_none()
    }

    pub fn describe(&self) -> String {
        if self.is_whole_bucket() {
            return "every object".into();
        }
        let mut parts = Vec::new();
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            parts.push(format!("prefix {p}"));
        }
        for (k, v) in &self.tags {
            parts.push(format!("tag {k}={v}"));
        }
        if let Some(n) = self.size_greater_than {
            parts.push(format!("larger than {n} bytes"));
        }
        if let Some(n) = self.size_less_than {
            parts.push(format!("smaller than {n} bytes"));
        }
        parts.join(", ")
    }
}

/// One lifecycle rule, in the terms that matter for recovery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub enabled: bool,
    pub filter: RuleFilter,
    /// Current versions expire this many days after creation (a delete marker is added in a
    /// versioned bucket; the data stays as a noncurrent version).
    pub expiration_days: Option<i32>,
    /// Current versions expire on this date (RFC 3339, as the server sent it).
    pub expiration_date: Option<String>,
    /// Delete markers with no versions left behind them are removed.
    pub expired_object_delete_marker: bool,
    /// Noncurrent versions are deleted this many days after they become noncurrent.
    pub noncurrent_days: Option<i32>,
    /// ... except the newest this many noncurrent versions, which are kept.
    pub newer_noncurrent_versions: Option<i32>,
    /// Incomplete multipart uploads are aborted this many days after they began.
    pub abort_incomplete_days: Option<i32>,
}

impl LifecycleRule {
    pub fn name(&self) -> String {
        self.id
            .as_deref()
            .filter(|i| !i.is_empty())
            .map_or_else(|| "(unnamed rule)".into(), |i| format!("rule {i}"))
    }

    /// What the rule does, one clause per action.
    pub fn describe(&self) -> String {
        let mut does = Vec::new();
        if let Some(d) = self.expiration_days {
            does.push(format!("current versions expire {d} days after creation"));
        }
        if let Some(d) = &self.expiration_date {
            does.push(format!("current versions expire on {d}"));
        }
        if let Some(d) = self.noncurrent_days {
            does.push(match self.newer_noncurrent_versions {
                Some(n) => format!(
                    "noncurrent versions are deleted {d} days after they become noncurrent, keeping the newest {n}"
                ),
                None => format!("noncurrent versions are deleted {d} days after they become noncurrent"),
            });
        }
        if self.expired_object_delete_marker {
            does.push("delete markers left alone are removed".into());
        }
        if let Some(d) = self.abort_incomplete_days {
            does.push(format!(
                "unfinished multipart uploads are aborted after {d} days"
            ));
        }
        if does.is_empty() {
            does.push("no action lockwatch reads (transitions only)".into());
        }
        format!(
            "{} ({}, {}): {}",
            self.name(),
            if self.enabled { "enabled" } else { "disabled" },
            self.filter.describe(),
            does.join("; ")
        )
    }
}

/// Whether a policy statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A policy statement that touches what can remove or unprotect versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// Principals as written (`*`, ARNs, canonical ids); with `not_principal`, the ones it
    /// leaves out.
    pub principals: Vec<String>,
    /// `NotPrincipal`: the statement applies to everyone but `principals`.
    pub not_principal: bool,
    /// The action patterns as written that cover one of `DANGEROUS_ACTIONS`; with
    /// `not_action`, every pattern of its `NotAction`.
    pub actions: Vec<String>,
    /// `NotAction`: the statement covers every action but those `actions` match.
    pub not_action: bool,
    /// The actions of `DANGEROUS_ACTIONS` it covers, judged as IAM matches them.
    pub grants: Vec<&'static str>,
    /// Whether it has a Condition (lockwatch does not evaluate conditions; it says so).
    pub conditional: bool,
}

impl Statement {
    /// Whether it applies to everyone: `Principal` `*` (also `{"AWS": "*"}`), or a
    /// `NotPrincipal` (everyone but the few it names).
    pub fn everyone(&self) -> bool {
        self.not_principal || self.principals.iter().any(|p| p == "*")
    }

    /// Its actions as written, for evidence.
    pub fn actions_written(&self) -> String {
        if self.not_action {
            format!(
                "every action but {} (NotAction), so {}",
                self.actions.join(", "),
                self.grants.join(", ")
            )
        } else {
            self.actions.join(", ")
        }
    }

    /// Its principals as written, for evidence.
    pub fn principals_written(&self) -> String {
        match (self.not_principal, self.principals.is_empty()) {
            (true, _) => format!("everyone but {} (NotPrincipal)", self.principals.join(", ")),
            (false, true) => "(no principal named)".to_string(),
            (false, false) => self.principals.join(", "),
        }
    }
}

/// The actions that can remove versions or weaken their protection.
pub const DANGEROUS_ACTIONS: [&str; 6] = [
    "s3:BypassGovernanceRetention",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
];

/// What a bucket policy says about the dangerous actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySummary {
    pub statements: Vec<Statement>,
    /// The policy could not be read as JSON; the raw text's first characters.
    pub unreadable: Option<String>,
    /// Statements lockwatch cannot judge (an Effect or an Action that is not what IAM
    /// reads), each with why: said as a risk, never passed over.
    pub cannot_judge: Vec<String>,
}

impl PolicySummary {
    /// Reads a policy document; only statements naming a dangerous action (or a wildcard
    /// covering one) are kept.
    pub fn parse(document: &str) -> PolicySummary {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(document) else {
            return PolicySummary {
                statements: Vec::new(),
                unreadable: Some(document.chars().take(80).collect()),
                cannot_judge: Vec::new(),
            };
        };
        let list = |v: Option<&serde_json::Value>| -> Vec<String> {
            match v {
                Some(serde_json::Value::String(s)) => vec![s.clone()],
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Some(serde_json::Value::Object(o)) => o
                    .values()
                    .flat_map(|x| match x {
                        serde_json::Value::String(s) => vec![s.clone()],
                        serde_json::Value::Array(a) => a
                            .iter()
                            .filter_map(|y| y.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let statements = match value.get("Statement") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(one @ serde_json::Value::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let mut cannot_judge = Vec::new();
        let mut kept = Vec::new();
        for (n, st) in statements.iter().enumerate() {
            let sid = st.get("Sid").and_then(|s| s.as_str()).map(str::to_string);
            let which = || match &sid {
                Some(sid) => format!("statement {sid}"),
                None => format!("statement {}", n + 1),
            };
            let effect = match st.get("Effect").and_then(|e| e.as_str()) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => {
                    cannot_judge.push(format!(
                        "{}: Effect {} (IAM knows Allow and Deny)",
                        which(),
                        other.unwrap_or("missing")
                    ));
                    continue;
                }
            };
            let (patterns, not_action) = match (st.get("Action"), st.get("NotAction")) {
                (Some(a), None) => (a, false),
                (None, Some(a)) => (a, true),
                _ => {
                    cannot_judge.push(format!(
                        "{}: it has {} (IAM needs exactly one of Action and NotAction)",
                        which(),
                        if st.get("Action").is_some() {
                            "both Action and NotAction"
                        } else {
                            "neither Action nor NotAction"
                        }
                    ));
                    continue;
                }
            };
            let patterns = match patterns {
                serde_json::Value::String(p) => vec![p.clone()],
                serde_json::Value::Array(a) if a.iter().all(|p| p.is_string()) => a
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    cannot_judge.push(format!(
                        "{}: its {} is not a string or a list of strings",
                        which(),
                        if not_action { "NotAction" } else { "Action" }
                    ));
                    continue;
                }
            };
            let grants: Vec<&'static str> = DANGEROUS_ACTIONS
                .iter()
                .copied()
                .filter(|d| patterns.iter().any(|p| action_covers(p, d)) != not_action)
                .collect();
            if grants.is_empty() {
                continue;
            }
            let actions = if not_action {
                patterns
            } else {
                patterns
                    .into_iter()
                    .filter(|p| covers_dangerous(p))
                    .collect()
            };
            let (principals, not_principal) = match st.get("NotPrincipal") {
                Some(p) => (list(Some(p)), true),
                None => (list(st.get("Principal")), false),
            };
            kept.push(Statement {
                sid,
                effect,
                principals,
                not_principal,
                actions,
                not_action,
                grants,
                conditional: st.get("Condition").is_some(),
            });
        }
        PolicySummary {
            statements: kept,
            unreadable: None,
            cannot_judge,
        }
    }

    /// Statements that allow the governance bypass (or every action).
    pub fn allows_bypass(&self) -> Vec<&Statement> {
        self.statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow && s.grants.contains(&"s3:BypassGovernanceRetention")
            })
            .collect()
    }
}

/// Whether an action pattern covers `action` as IAM matches them: case-insensitive, `*` any
/// run of characters and `?` any one, anywhere in the pattern (`s3:Bypass*Retention`,
/// `s3:Put?bjectRetention`, `s3:*Lifecycle*`).
fn action_covers(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let a: Vec<char> = action.to_ascii_lowercase().chars().collect();
    // Glob matching with one step back to the last `*`: linear in practice, never exponential.
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ai));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == a[ai] => {
                pi += 1;
                ai += 1;
            }
            _ => match star {
                Some((sp, sa)) => {
                    pi = sp + 1;
                    ai = sa + 1;
                    star = Some((sp, sa + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn covers_dangerous(pattern: &str) -> bool {
    DANGEROUS_ACTIONS.iter().any(|a| action_covers(pattern, a))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn posture() -> Posture {
        Posture {
            versioning: Answer::Configured(VersioningState {
                status: Versioning::Enabled,
                mfa_delete: Some(false),
            }),
            lock: Answer::Configured(BucketLock::Enabled {
                default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
            }),
            lifecycle: Answer::NoneConfigured,
            policy: Answer::NoneConfigured,
            policy_public: Answer::NoneConfigured,
            replication: Answer::NoneConfigured,
            encryption: Answer::NoneConfigured,
        }
    }

    fn noncurrent(days: i32, prefix: &str) -> LifecycleRule {
        LifecycleRule {
            id: Some("nc".into()),
            enabled: true,
            filter: RuleFilter {
                prefix: Some(prefix.into()),
                ..RuleFilter::default()
            },
            noncurrent_days: Some(days),
            ..LifecycleRule::default()
        }
    }

    #[test]
    fn without_rules_a_versioned_locked_bucket_keeps_everything_until_someone_deletes() {
        let w = recovery_window(&posture());
        assert_eq!(w.at_least_days, None);
        assert!(
            w.sentence.contains("until someone deletes"),
            "{}",
            w.sentence
        );
        assert!(w.risks.is_empty(), "{:?}", w.risks);
    }

    #[test]
    fn a_noncurrent_rule_bounds_the_window_but_never_below_the_lock() {
        let mut p = posture();
        p.lifecycle = Answer::Configured(vec![noncurrent(30, "backups/")]);
        let w = recovery_window(&p);
        assert_eq!(w.at_least_days, Some(30));
        assert!(w.sentence.contains("at least 30 days"));
        p.lock = Answer::Configured(BucketLock::Enabled {
            default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(45))),
        });
        let w = recovery_window(&p);
        assert_eq!(w.at_least_days, Some(45), "the lock holds them longer");
        assert!(
            w.reasons
                .iter()
                .any(|r| r.contains("locks hold them at least 45 days"))
        );
        // A short rule is the most serious risk.
        p.lifecycle = Answer::Configured(vec![noncurrent(2, "")]);
        p.lock = Answer::Configured(BucketLock::Enabled {
            default_retention: None,
        });
        let w = recovery_window(&p);
        assert_eq!(w.at_least_days, Some(2));
        assert_eq!(w.risks[0].severity, Severity::High);
    }

    #[test]
    fn unversioned_buckets_and_unknown_answers_are_never_called_safe() {
        let mut p = posture();
        p.versioning = Answer::Configured(VersioningState {
            status: Versioning::Suspended,
            mfa_delete: None,
        });
        let w = recovery_window(&p);
        assert_eq!(w.at_least_days, Some(0));
        assert_eq!(w.risks[0].severity, Severity::High);
        let mut p = posture();
        p.versioning = Answer::Denied("AccessDenied".into());
        let w = recovery_window(&p);
        assert_eq!(w.at_least_days, None);
        assert!(w.sentence.starts_with("unknown"), "{}", w.sentence);
        let mut p = posture();
        p.lifecycle = Answer::Denied("AccessDenied".into());
        let w = recovery_window(&p);
        assert!(
            w.risks
                .iter()
                .any(|r| r.finding.contains("could not be read")),
            "{:?}",
            w.risks
        );
    }

    #[test]
    fn governance_with_a_policy_allowing_the_bypass_is_a_high_risk() {
        let mut p = posture();
        p.lock = Answer::Configured(BucketLock::Enabled {
            default_retention: Some((RetentionMode::Governance, RetentionPeriod::Days(7))),
        });
        p.policy = Answer::Configured(PolicySummary::parse(
            r#"{"Statement":[{"Sid":"ops","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:user/ops"]},"Action":"s3:Bypass*","Resource":"*"},
                {"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"*"}]}"#,
        ));
        let w = recovery_window(&p);
        let bypass = &w.risks[0];
        assert_eq!(bypass.severity, Severity::High);
        assert!(
            bypass.evidence.contains("arn:aws:iam::1:user/ops"),
            "{bypass:?}"
        );
        // s3:GetObject is harmless: that statement is not kept.
        let summary = p.policy.configured().expect("policy");
        assert_eq!(summary.statements.len(), 1);
    }

    #[test]
    fn actions_are_matched_as_iam_matches_them() {
        for (pattern, action) in [
            ("s3:Bypass*Retention", "s3:BypassGovernanceRetention"),
            ("s3:Delete*Version", "s3:DeleteObjectVersion"),
            ("s3:Put?bjectRetention", "s3:PutObjectRetention"),
            ("s3:*Lifecycle*", "s3:PutLifecycleConfiguration"),
            ("S3:DELETEOBJECTVERSION", "s3:DeleteObjectVersion"),
            ("*", "s3:PutObjectLegalHold"),
            ("s3:*", "s3:PutObjectLegalHold"),
        ] {
            assert!(action_covers(pattern, action), "{pattern} covers {action}");
        }
        for (pattern, action) in [
            ("s3:GetObject", "s3:DeleteObjectVersion"),
            ("s3:Delete?Version", "s3:DeleteObjectVersion"),
            ("s3:Put*Retention", "s3:PutObjectLegalHold"),
            ("iam:*", "s3:PutObjectRetention"),
        ] {
            assert!(
                !action_covers(pattern, action),
                "{pattern} does not cover {action}"
            );
        }
    }

    #[test]
    fn not_action_and_not_principal_grant_what_they_do_not_name() {
        // Everyone, every action but reading: the bypass and version deletes included.
        let p = PolicySummary::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:GetObject"}]}"#,
        );
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].grants.len(), DANGEROUS_ACTIONS.len());
        assert_eq!(p.allows_bypass().len(), 1);
        let mut posture = posture();
        posture.policy = Answer::Configured(p);
        let w = recovery_window(&posture);
        assert!(
            w.risks
                .iter()
                .any(|r| r.severity == Severity::High && r.finding.contains("allows everyone")),
            "{w:?}"
        );
        let summary = summarize(&posture);
        assert!(
            !summary
                .lines
                .iter()
                .any(|(_, l)| l.contains("no statement about removing")),
            "{summary:?}"
        );
        // NotAction naming every dangerous action grants none of them.
        let all = DANGEROUS_ACTIONS
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(",");
        let p = PolicySummary::parse(&format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":"*","NotAction":[{all}]}}}}"#
        ));
        assert!(p.statements.is_empty());
        // NotPrincipal with Allow: everyone but those named.
        let p = PolicySummary::parse(
            r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:DeleteObjectVersion"}}"#,
        );
        assert!(p.statements[0].everyone());
        assert!(
            p.statements[0]
                .principals_written()
                .contains("everyone but")
        );
    }

    #[test]
    fn a_statement_lockwatch_cannot_read_or_a_policy_it_may_not_read_is_a_risk() {
        let p = PolicySummary::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":{"odd":"s3:*"}},{"Effect":"Maybe","Action":"s3:*"}]}"#,
        );
        assert_eq!(p.cannot_judge.len(), 2, "{p:?}");
        let mut posture = posture();
        posture.policy = Answer::Configured(p);
        assert!(
            recovery_window(&posture)
                .risks
                .iter()
                .filter(|r| r.finding.contains("cannot judge"))
                .count()
                == 2
        );
        for answer in [
            Answer::Denied("AccessDenied".into()),
            Answer::Failed("timeout".into()),
        ] {
            posture.policy = answer;
            assert!(
                recovery_window(&posture)
                    .risks
                    .iter()
                    .any(|r| r.finding.contains("policy could not be read"))
            );
        }
        posture.policy = Answer::NoneConfigured;
        assert!(
            !recovery_window(&posture)
                .risks
                .iter()
                .any(|r| r.finding.contains("policy"))
        );
    }

    #[test]
    fn unread_lifecycle_rules_and_a_governance_bypass_qualify_the_window() {
        let mut p = posture();
        p.lifecycle = Answer::Denied("AccessDenied".into());
        let w = recovery_window(&p);
        assert!(w.sentence.starts_with("unknown"), "{}", w.sentence);
        assert!(
            w.sentence
                .contains("unless a lifecycle rule lockwatch could not read removes them"),
            "{}",
            w.sentence
        );
        assert!(!w.sentence.contains("no rule removes them"));
        // A rule read, another maybe not: qualified too.
        p.lifecycle = Answer::Failed("timeout".into());
        assert!(recovery_window(&p).sentence.contains("could not read"));
        // GOVERNANCE holding versions longer than the rule: the bypass can end it sooner.
        let mut p = posture();
        p.lock = Answer::Configured(BucketLock::Enabled {
            default_retention: Some((RetentionMode::Governance, RetentionPeriod::Days(14))),
        });
        p.lifecycle = Answer::Configured(vec![noncurrent(1, "")]);
        let w = recovery_window(&p);
        assert!(w.sentence.contains("at least 14 days"), "{}", w.sentence);
        assert!(w.sentence.contains("can be bypassed"), "{}", w.sentence);
        // COMPLIANCE: nobody can.
        p.lock = Answer::Configured(BucketLock::Enabled {
            default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(14))),
        });
        assert!(!recovery_window(&p).sentence.contains("bypassed"));
    }

    #[test]
    fn policy_wildcards_and_single_statements_are_read() {
        let p = PolicySummary::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#,
        );
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.allows_bypass().len(), 1);
        let broken = PolicySummary::parse("not json");
        assert_eq!(broken.unreadable.as_deref(), Some("not json"));
    }
}

/// The posture as lines to show (`i`, the report) and its judgement, ready to serialize.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// (what, what it is and means), in a fixed order; lifecycle rules and policy statements
    /// follow their heading as lines of their own with an empty name.
    pub lines: Vec<(String, String)>,
    pub recovery_window: String,
    pub at_least_days: Option<u32>,
    pub reasons: Vec<String>,
    pub risks: Vec<RiskRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskRow {
    pub severity: &'static str,
    pub finding: String,
    pub evidence: String,
}

pub fn summarize(p: &Posture) -> Summary {
    let mut lines: Vec<(String, String)> = Vec::new();
    let absence = |a: Option<String>| a.unwrap_or_default();
    match &p.versioning {
        Answer::Configured(v) => {
            lines.push((
                "Versioning".into(),
                match v.status {
                    Versioning::Enabled => {
                        "Enabled: deleted and overwritten files are kept as older versions".into()
                    }
                    Versioning::Suspended => {
                        "Suspended: new writes replace the null version; older versions stay".into()
                    }
                    Versioning::Never => {
                        "never enabled: a delete or an overwrite removes the data".into()
                    }
                },
            ));
            lines.push((
                "MFA Delete".into(),
                match v.mfa_delete {
                    Some(true) => "on: deleting a version or changing versioning needs the root user's MFA code".into(),
                    Some(false) => "off: deleting a version needs no second factor".into(),
                    None => "not reported by this server".into(),
                },
            ));
        }
        other => lines.push(("Versioning".into(), absence(other.describe_absence()))),
    }
    lines.push((
        "Object Lock".into(),
        match &p.lock {
            Answer::Configured(BucketLock::Disabled) => {
                "not enabled: no version is protected by a retention".into()
            }
            Answer::Configured(BucketLock::Enabled {
                default_retention: None,
            }) => "enabled, no default retention: only versions locked one by one are protected"
                .into(),
            Answer::Configured(BucketLock::Enabled {
                default_retention: Some((mode, period)),
            }) => format!(
                "enabled, default {} for {period}: every new version is protected that long{}",
                mode.as_str(),
                if *mode == RetentionMode::Governance {
                    " (users allowed to bypass governance can delete earlier)"
                } else {
                    ", even from administrators"
                }
            ),
            other => absence(other.describe_absence()),
        },
    ));
    match &p.lifecycle {
        Answer::Configured(rules) => {
            lines.push((
                "Lifecycle".into(),
                format!(
                    "{} rule{}: the server deletes what they match on its own",
                    rules.len(),
                    if rules.len() == 1 { "" } else { "s" }
                ),
            ));
            lines.extend(rules.iter().map(|r| (String::new(), r.describe())));
        }
        Answer::NoneConfigured => lines.push((
            "Lifecycle".into(),
            "none configured: the server deletes nothing on its own".into(),
        )),
        other => lines.push(("Lifecycle".into(), absence(other.describe_absence()))),
    }
    match &p.policy {
        Answer::Configured(policy)
            if policy.statements.is_empty()
                && policy.unreadable.is_none()
                && policy.cannot_judge.is_empty() =>
        {
            lines.push((
                "Bucket policy".into(),
                "present; no statement about removing or unprotecting versions".into(),
            ))
        }
        Answer::Configured(policy) => {
            lines.push((
                "Bucket policy".into(),
                match &policy.unreadable {
                    Some(_) => "present, but not JSON lockwatch can read".into(),
                    None => format!(
                        "{} statement{} about removing or unprotecting versions",
                        policy.statements.len(),
                        if policy.statements.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                },
            ));
            lines.extend(policy.statements.iter().map(|st| {
                (
                    String::new(),
                    format!(
                        "{} {} to {}{}{}",
                        match st.effect {
                            Effect::Allow => "Allow",
                            Effect::Deny => "Deny",
                        },
                        st.actions_written(),
                        st.principals_written(),
                        st.sid
                            .as_deref()
                            .map(|s| format!(" (Sid {s})"))
                            .unwrap_or_default(),
                        if st.conditional {
                            "; with a Condition lockwatch does not evaluate"
                        } else {
                            ""
                        }
                    ),
                )
            }));
            lines.extend(
                policy
                    .cannot_judge
                    .iter()
                    .map(|why| (String::new(), format!("cannot be judged: {why}"))),
            );
        }
        Answer::NoneConfigured => lines.push((
            "Bucket policy".into(),
            "none: only the users' own permissions apply".into(),
        )),
        other => lines.push(("Bucket policy".into(), absence(other.describe_absence()))),
    }
    lines.push((
        "Policy status".into(),
        match &p.policy_public {
            Answer::Configured(true) => {
                "public: the server says the policy grants access to everyone".into()
            }
            Answer::Configured(false) => "not public, as the server judges the policy".into(),
            other => absence(other.describe_absence()),
        },
    ));
    lines.push((
        "Replication".into(),
        match &p.replication {
            Answer::Configured(r) => format!("{r}: copies of new versions go to another bucket"),
            other => absence(other.describe_absence()),
        },
    ));
    lines.push((
        "Default encryption".into(),
        match &p.encryption {
            Answer::Configured(e) => format!("{e}: new objects are encrypted at rest"),
            other => absence(other.describe_absence()),
        },
    ));
    let window = recovery_window(p);
    Summary {
        lines,
        recovery_window: window.sentence,
        at_least_days: window.at_least_days,
        reasons: window.reasons,
        risks: window
            .risks
            .into_iter()
            .map(|r| RiskRow {
                severity: r.severity.label(),
                finding: r.finding,
                evidence: r.evidence,
            })
            .collect(),
    }
}
