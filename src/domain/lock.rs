//! Object Lock state of a version and the countdown to the moment it can be deleted.

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RetentionMode {
    Compliance,
    Governance,
    /// A mode string this version of lockwatch does not know, kept verbatim.
    Other(String),
}

impl RetentionMode {
    pub fn parse(s: &str) -> RetentionMode {
        match s.to_ascii_uppercase().as_str() {
            "COMPLIANCE" => RetentionMode::Compliance,
            "GOVERNANCE" => RetentionMode::Governance,
            _ => RetentionMode::Other(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RetentionMode::Compliance => "COMPLIANCE",
            RetentionMode::Governance => "GOVERNANCE",
            RetentionMode::Other(s) => s,
        }
    }
}

/// The lock headers of one version, as HeadObject reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockInfo {
    pub mode: Option<RetentionMode>,
    pub retain_until: Option<Timestamp>,
    pub legal_hold: bool,
}

/// What the lock of a version means at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// Retention is in force: nobody can delete the version before `until` (GOVERNANCE: except
    /// with the bypass permission).
    Retained {
        mode: RetentionMode,
        until: Timestamp,
        remaining: SignedDuration,
    },
    /// A retention date that has passed: the version can be deleted unless a legal hold stays.
    Expired {
        mode: Option<RetentionMode>,
        until: Timestamp,
    },
    /// No retention on this version.
    None,
}

impl LockInfo {
    /// The retention state at `now`. A legal hold is independent and reported by `legal_hold`.
    pub fn state(&self, now: Timestamp) -> LockState {
        match (self.retain_until, &self.mode) {
            (Some(until), mode) => {
                let remaining = until.duration_since(now);
                if remaining.is_positive() {
                    LockState::Retained {
                        mode: mode.clone().unwrap_or(RetentionMode::Other("?".into())),
                        until,
                        remaining,
                    }
                } else {
                    LockState::Expired {
                        mode: mode.clone(),
                        until,
                    }
                }
            }
            (None, _) => LockState::None,
        }
    }

    /// Whether S3 would refuse to delete this version at `now` (without a governance bypass).
    pub fn blocks_delete(&self, now: Timestamp) -> bool {
        self.legal_hold || matches!(self.state(now), LockState::Retained { .. })
    }
}

/// Formats the time left before a lock runs out: `3d 4h`, `23h 59m 12s`, `4m 05s`, `12s`.
/// Rounds up to the next second so that a countdown never shows 0s while still locked.
pub fn format_remaining(remaining: SignedDuration) -> String {
    let mut secs = remaining.as_secs();
    if remaining.subsec_nanos() > 0 {
        secs += 1;
    }
    if secs <= 0 {
        return "0s".to_string();
    }
    let days = secs / 86_400;
    let hours = (secs % 86_400) / 3_600;
    let minutes = (secs % 3_600) / 60;
    let seconds = secs % 60;
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m {seconds:02}s")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn remaining_is_formatted_by_magnitude() {
        assert_eq!(
            format_remaining(SignedDuration::from_secs(3 * 86_400 + 4 * 3_600 + 59)),
            "3d 4h"
        );
        assert_eq!(
            format_remaining(SignedDuration::from_secs(86_399)),
            "23h 59m 59s"
        );
        assert_eq!(
            format_remaining(SignedDuration::from_secs(3_600)),
            "1h 00m 00s"
        );
        assert_eq!(format_remaining(SignedDuration::from_secs(245)), "4m 05s");
        assert_eq!(format_remaining(SignedDuration::from_secs(59)), "59s");
        assert_eq!(format_remaining(SignedDuration::from_secs(0)), "0s");
        assert_eq!(format_remaining(SignedDuration::from_secs(-5)), "0s");
    }

    #[test]
    fn remaining_rounds_a_partial_second_up() {
        assert_eq!(format_remaining(SignedDuration::from_millis(1)), "1s");
        assert_eq!(
            format_remaining(SignedDuration::from_millis(59_001)),
            "1m 00s"
        );
    }

    #[test]
    fn retention_expires_exactly_at_retain_until() {
        let info = LockInfo {
            mode: Some(RetentionMode::Compliance),
            retain_until: Some(ts("2026-11-27T19:15:50Z")),
            legal_hold: false,
        };
        assert!(matches!(
            info.state(ts("2026-11-27T19:15:49.999Z")),
            LockState::Retained { .. }
        ));
        assert!(info.blocks_delete(ts("2026-11-27T19:15:49Z")));
        assert!(matches!(
            info.state(ts("2026-11-27T19:15:50Z")),
            LockState::Expired { .. }
        ));
        assert!(!info.blocks_delete(ts("2026-11-27T19:15:50Z")));
    }

    #[test]
    fn legal_hold_blocks_delete_without_retention() {
        let info = LockInfo {
            mode: None,
            retain_until: None,
            legal_hold: true,
        };
        assert_eq!(info.state(ts("2026-01-01T00:00:00Z")), LockState::None);
        assert!(info.blocks_delete(ts("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn unknown_mode_strings_are_kept() {
        assert_eq!(
            RetentionMode::parse("governance"),
            RetentionMode::Governance
        );
        assert_eq!(RetentionMode::parse("WORM").as_str(), "WORM");
    }
}
