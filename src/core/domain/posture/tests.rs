//! The posture's tests: every answer told apart, the window and its risks.

use super::policy::action_covers;
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
    let summary = Summary::of(&posture);
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
    let p =
        PolicySummary::parse(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#);
    assert_eq!(p.statements.len(), 1);
    assert_eq!(p.allows_bypass().len(), 1);
    let broken = PolicySummary::parse("not json");
    assert_eq!(broken.unreadable.as_deref(), Some("not json"));
}
