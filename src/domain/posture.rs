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
    /// Principals as written (`*`, ARNs, canonical ids).
    pub principals: Vec<String>,
    /// The actions of `DANGEROUS_ACTIONS` (or `*` / `s3:*`) it names.
    pub actions: Vec<String>,
    /// Whether it has a Condition (lockwatch does not evaluate conditions; it says so).
    pub conditional: bool,
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
}

impl PolicySummary {
    /// Reads a policy document; only statements naming a dangerous action (or a wildcard
    /// covering one) are kept.
    pub fn parse(document: &str) -> PolicySummary {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(document) else {
            return PolicySummary {
                statements: Vec::new(),
                unreadable: Some(document.chars().take(80).collect()),
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
        let statements = statements
            .iter()
            .filter_map(|st| {
                let effect = match st.get("Effect").and_then(|e| e.as_str()) {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    _ => return None,
                };
                let actions: Vec<String> = list(st.get("Action"))
                    .into_iter()
                    .filter(|a| covers_dangerous(a))
                    .collect();
                if actions.is_empty() {
                    return None;
                }
                Some(Statement {
                    sid: st.get("Sid").and_then(|s| s.as_str()).map(str::to_string),
                    effect,
                    principals: list(st.get("Principal")),
                    actions,
                    conditional: st.get("Condition").is_some(),
                })
            })
            .collect();
        PolicySummary {
            statements,
            unreadable: None,
        }
    }

    /// Statements that allow the governance bypass (or every action).
    pub fn allows_bypass(&self) -> Vec<&Statement> {
        self.statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow
                    && s.actions
                        .iter()
                        .any(|a| action_covers(a, "s3:BypassGovernanceRetention"))
            })
            .collect()
    }
}

/// Whether an action pattern (`s3:Delete*`, `*`) covers `action`.
fn action_covers(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    match p.strip_suffix('*') {
        Some(prefix) => a.starts_with(prefix),
        None => p == a,
    }
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
                            st.principals.join(", "),
                            st.actions.join(", ")
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
            if st.principals.iter().any(|p| p == "*") && !st.conditional {
                risks.push(Risk {
                    severity: Severity::High,
                    finding: "the bucket policy allows everyone (Principal *) actions that remove or unprotect versions".into(),
                    evidence: format!(
                        "policy statement {}: {}",
                        st.sid.as_deref().unwrap_or("(no Sid)"),
                        st.actions.join(", ")
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
    }
    risks.sort_by_key(|r| r.severity);

    let unversioned = matches!(status, Some(Versioning::Never | Versioning::Suspended));
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
        match window {
            Some((d, whom)) => (
                Some(d),
                format!(
                    "a file deleted or overwritten now can be brought back for at least {d} days ({whom}; the shortest any rule allows)"
                ),
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
            if policy.statements.is_empty() && policy.unreadable.is_none() =>
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
                        st.actions.join(", "),
                        if st.principals.is_empty() {
                            "(no principal named)".to_string()
                        } else {
                            st.principals.join(", ")
                        },
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
