//! The tests of `app::writes`: refusals explained from the lock.

use super::*;

fn t(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn denied() -> S3Error {
    S3Error::Service {
        code: "AccessDenied".into(),
        message: "forbidden by object lock".into(),
        status: Some(403),
    }
}

#[test]
fn compliance_refusal_is_explained_exactly() {
    let lock = Ok(LockInfo {
        mode: Some(RetentionMode::Compliance),
        retain_until: Some(RetainUntil::at(t("2026-11-27T19:15:50Z"))),
        legal_hold: LegalHold::Off,
    });
    let lines = explain_refusal(&denied(), Some(&lock), t("2026-11-26T20:03:45Z"));
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        text,
        [
            "Refused by the server (AccessDenied: forbidden by object lock).",
            "This version is under COMPLIANCE retention until 2026-11-27 19:15:50 UTC — 23h 12m 05s from now. Nobody, administrators included, can delete it before then.",
        ]
    );
}

#[test]
fn governance_and_hold_refusals_say_what_would_allow_the_delete() {
    let lock = Ok(LockInfo {
        mode: Some(RetentionMode::Governance),
        retain_until: Some(RetainUntil::at(t("2026-12-01T00:00:00Z"))),
        legal_hold: LegalHold::On,
    });
    let lines = explain_refusal(&denied(), Some(&lock), t("2026-11-26T00:00:00Z"));
    let all: String = lines
        .iter()
        .map(|l| l.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("GOVERNANCE retention until 2026-12-01 00:00:00 UTC — 5d 0h from now"),
        "{all}"
    );
    assert!(all.contains("x-amz-bypass-governance-retention"), "{all}");
    assert!(all.contains("legal hold"), "{all}");
}

#[test]
fn a_refusal_the_lock_does_not_explain_is_called_out() {
    let lock = Ok(LockInfo::default());
    let lines = explain_refusal(&denied(), Some(&lock), t("2026-11-26T00:00:00Z"));
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("does not explain this refusal"))
    );
}
