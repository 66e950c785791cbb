//! The posture as lines to show (`i`, the report) and its judgement, ready to serialize.

use super::*;

/// The posture as lines to show (`i`, the report) and its judgement, ready to serialize.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// (what, what it is and means), in a fixed order; lifecycle rules and policy statements
    /// follow their heading as lines of their own with an empty name. Written for tools as
    /// `{"name": …, "value": …}` objects.
    #[serde(serialize_with = "named_lines")]
    pub lines: Vec<(String, String)>,
    pub recovery_window: String,
    pub at_least_days: Option<u32>,
    pub reasons: Vec<String>,
    pub risks: Vec<RiskRow>,
}

/// `lines` as a list of `{"name", "value"}` objects.
fn named_lines<S: serde::Serializer>(
    lines: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        name: &'a str,
        value: &'a str,
    }
    serializer.collect_seq(lines.iter().map(|(name, value)| Line { name, value }))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskRow {
    pub severity: &'static str,
    pub finding: String,
    pub evidence: String,
}

impl Summary {
    /// The lines to show and the judgement of a posture.
    pub fn of(p: &Posture) -> Summary {
        let mut lines: Vec<(String, String)> = Vec::new();
        let absence = |a: Option<String>| a.unwrap_or_default();
        match &p.versioning {
            Answer::Configured(v) => {
                lines.push((
                    "Versioning".into(),
                    match v.status {
                        Versioning::Enabled => {
                            "Enabled: deleted and overwritten files are kept as older versions"
                                .into()
                        }
                        Versioning::Suspended => {
                            "Suspended: new writes replace the null version; older versions stay"
                                .into()
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
                }) => {
                    "enabled, no default retention: only versions locked one by one are protected"
                        .into()
                }
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
                Answer::Configured(r) => {
                    format!("{r}: copies of new versions go to another bucket")
                }
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
}
