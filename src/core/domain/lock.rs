//! Object Lock state of a version and the countdown to the moment it can be deleted.
//!
//! What a server says about a lock is kept as it said it: a mode lockwatch does not know, a
//! legal-hold status other than ON/OFF, or a date past the calendar lockwatch computes with is
//! shown as sent and judged as possibly protecting, never as unprotected.

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RetentionMode {
    Compliance,
    Governance,
    /// A mode string this version of lockwatch does not know, kept verbatim.
    Other(String),
}

impl RetentionMode {
    /// The mode as a server spells it. S3 defines exactly `COMPLIANCE` and `GOVERNANCE`; any
    /// other spelling (`governance` included) is kept as an unknown mode.
    pub fn parse(s: &str) -> RetentionMode {
        match s {
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

    pub fn is_known(&self) -> bool {
        !matches!(self, RetentionMode::Other(_))
    }
}

/// A version's legal-hold status as the server reported it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum LegalHold {
    #[default]
    Off,
    On,
    /// A status other than ON or OFF, kept verbatim: it may protect the version.
    Unknown(String),
}

impl LegalHold {
    pub fn parse(s: &str) -> LegalHold {
        match s {
            "ON" => LegalHold::On,
            "OFF" => LegalHold::Off,
            _ => LegalHold::Unknown(s.to_string()),
        }
    }

    pub fn is_on(&self) -> bool {
        *self == LegalHold::On
    }

    /// Whether the hold may stop a delete: ON, or a status lockwatch cannot read.
    pub fn may_block(&self) -> bool {
        !matches!(self, LegalHold::Off)
    }

    /// `ON`, `off`, or `unknown ("X")`.
    pub fn label(&self) -> String {
        match self {
            LegalHold::On => "ON".into(),
            LegalHold::Off => "off".into(),
            LegalHold::Unknown(s) => format!("unknown (\"{}\")", super::text::sanitize(s)),
        }
    }
}

/// A retain-until date exactly as the server sent it (seconds and nanoseconds since the Unix
/// epoch). Servers accept and return dates such as 9999-12-31T23:59:59Z ("forever") that lie
/// past the last instant lockwatch's calendar holds (9999-12-30T22:00Z): such a date is shown as
/// sent and judged as that last instant, so it is never taken to have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RetainUntil {
    secs: i64,
    nanos: u32,
}

impl RetainUntil {
    pub fn from_unix(secs: i64, nanos: u32) -> RetainUntil {
        RetainUntil {
            secs,
            nanos: nanos.min(999_999_999),
        }
    }

    pub fn at(t: Timestamp) -> RetainUntil {
        RetainUntil::from_unix(t.as_second(), t.subsec_nanosecond().max(0) as u32)
    }

    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The date as an instant lockwatch can compute with, when the calendar holds it.
    pub fn timestamp(self) -> Option<Timestamp> {
        Timestamp::new(self.secs, self.nanos as i32).ok()
    }

    /// The instant the lock is judged by: the date itself, or the calendar's last (first)
    /// instant for a date beyond its end (before its start).
    pub fn instant(self) -> Timestamp {
        self.timestamp().unwrap_or(if self.secs > 0 {
            Timestamp::MAX
        } else {
            Timestamp::MIN
        })
    }

    /// Whether the date lies past the calendar lockwatch computes with.
    pub fn beyond_calendar(self) -> bool {
        self.timestamp().is_none()
    }

    /// `2026-11-26 19:50:35`, in UTC, for any date the server sends.
    pub fn utc(self) -> String {
        let (date, h, m, s) = self.civil();
        format!("{date} {h:02}:{m:02}:{s:02}")
    }

    /// `9999-12-31`: the date alone.
    pub fn date(self) -> String {
        self.civil().0
    }

    /// RFC 3339 (`2026-11-26T19:50:35Z`, with fractional seconds when the server sent any).
    pub fn rfc3339(self) -> String {
        if let Some(t) = self.timestamp() {
            return t.to_string();
        }
        let (date, h, m, s) = self.civil();
        if self.nanos == 0 {
            format!("{date}T{h:02}:{m:02}:{s:02}Z")
        } else {
            let frac = format!("{:09}", self.nanos);
            format!(
                "{date}T{h:02}:{m:02}:{s:02}.{}Z",
                frac.trim_end_matches('0')
            )
        }
    }

    /// RFC 3339 to the millisecond, always three digits (`2026-11-26T19:50:35.000Z`), as
    /// lockwatch's JSON and CSV write every time: one width for tools to read. S3 keeps no
    /// finer time; a finer one is cut, never rounded up.
    pub fn rfc3339_millis(self) -> String {
        let (date, h, m, s) = self.civil();
        format!("{date}T{h:02}:{m:02}:{s:02}.{:03}Z", self.nanos / 1_000_000)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fff]Z` (as S3 Inventory and the XML API write dates),
    /// including dates past the calendar lockwatch computes with (9999-12-31T23:59:59Z).
    pub fn parse_utc(s: &str) -> Option<RetainUntil> {
        let s = s.trim();
        let body = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
        let (date, time) = body.split_once(['T', ' '])?;
        let mut d = date.splitn(3, '-');
        let year: i64 = d.next()?.parse().ok()?;
        let month: i64 = d.next()?.parse().ok()?;
        let day: i64 = d.next()?.parse().ok()?;
        let (hms, frac) = match time.split_once('.') {
            Some((hms, frac)) => (hms, Some(frac)),
            None => (time, None),
        };
        let mut t = hms.splitn(3, ':');
        let h: i64 = t.next()?.parse().ok()?;
        let m: i64 = t.next()?.parse().ok()?;
        let sec: i64 = t.next()?.parse().ok()?;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => return None,
        };
        if !(0..=9999).contains(&year)
            || !(1..=days_in_month).contains(&day)
            || !(0..24).contains(&h)
            || !(0..60).contains(&m)
            || !(0..=60).contains(&sec)
        {
            return None;
        }
        let nanos = match frac {
            None => 0,
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{f:0<9}").parse::<u32>().ok()?
            }
            Some(_) => return None,
        };
        // Days from the civil date (the inverse of `civil`).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(RetainUntil::from_unix(
            days * 86_400 + h * 3_600 + m * 60 + sec,
            nanos,
        ))
    }

    /// The UTC date and time of day, from days since the epoch (proleptic Gregorian calendar,
    /// the civil-from-days algorithm), so that dates past jiff's range are written exactly.
    fn civil(self) -> (String, i64, i64, i64) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let date = if (0..=9999).contains(&year) {
            format!("{year:04}-{month:02}-{day:02}")
        } else {
            format!("{year:+}-{month:02}-{day:02}")
        };
        (date, rem / 3_600, rem % 3_600 / 60, rem % 60)
    }
}

impl From<Timestamp> for RetainUntil {
    fn from(t: Timestamp) -> RetainUntil {
        RetainUntil::at(t)
    }
}

/// The lock headers of one version, as HeadObject reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockInfo {
    pub mode: Option<RetentionMode>,
    pub retain_until: Option<RetainUntil>,
    pub legal_hold: LegalHold,
}

/// Whether a HEAD's answer speaks of the version asked for. In a versioned bucket the answer
/// names its version (`x-amz-version-id`); an answer naming another one, or none, may come
/// from a cache or proxy that ignores the query string, and would lend the version asked for
/// another version's lock. `null` (the version written while versioning was off) may go
/// unnamed.
pub fn answered_for(asked: &str, answered: Option<&str>) -> Result<(), String> {
    match answered {
        Some(id) if id == asked => Ok(()),
        None if asked == "null" => Ok(()),
        Some(id) => Err(format!(
            "the server answered for version {}, not the version asked for ({}): a cache or proxy in front of it may ignore the query string, so the lock cannot be read",
            super::text::name(id),
            super::text::name(asked)
        )),
        None => Err(format!(
            "the server's answer named no version (asked for {}): it may not be the version's own answer, so the lock cannot be read",
            super::text::name(asked)
        )),
    }
}

/// What the lock of a version means at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// Retention is in force: nobody can delete the version before `until` (GOVERNANCE: except
    /// with the bypass permission; an unknown mode: as the server decides).
    Retained {
        mode: RetentionMode,
        until: RetainUntil,
        remaining: SignedDuration,
    },
    /// A retention date that has passed: the version can be deleted unless a legal hold stays.
    Expired {
        mode: Option<RetentionMode>,
        until: RetainUntil,
    },
    /// No retention on this version.
    None,
}

impl LockInfo {
    /// The retention state at `now`. A legal hold is independent and reported by `legal_hold`.
    pub fn state(&self, now: Timestamp) -> LockState {
        match (self.retain_until, &self.mode) {
            (Some(until), mode) => {
                let remaining = until.instant().duration_since(now);
                if remaining.is_positive() {
                    LockState::Retained {
                        mode: mode.clone().unwrap_or(RetentionMode::Other(String::new())),
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
            // A mode without a date: the server says something protects it, not until when.
            (None, Some(mode)) => LockState::Retained {
                mode: RetentionMode::Other(format!("{} (no date)", mode.as_str())),
                until: RetainUntil::at(Timestamp::MAX),
                remaining: Timestamp::MAX.duration_since(now),
            },
            (None, None) => LockState::None,
        }
    }

    /// Whether S3 would (or may) refuse to delete this version at `now` without a governance
    /// bypass. Anything lockwatch cannot read counts as refusing.
    pub fn blocks_delete(&self, now: Timestamp) -> bool {
        self.legal_hold.may_block() || matches!(self.state(now), LockState::Retained { .. })
    }

    /// What lockwatch could not read in this lock, in words, if anything: an unknown mode, a
    /// mode without a date, or an unknown legal-hold status.
    pub fn unreadable(&self) -> Option<String> {
        let mut parts = Vec::new();
        match (&self.mode, self.retain_until) {
            (Some(RetentionMode::Other(m)), _) => parts.push(format!(
                "unknown retention mode \"{}\"",
                super::text::sanitize(m)
            )),
            (Some(m), None) => parts.push(format!("mode {} without a date", m.as_str())),
            (None, Some(_)) => parts.push("a retain-until date without a mode".to_string()),
            _ => {}
        }
        if let LegalHold::Unknown(s) = &self.legal_hold {
            parts.push(format!(
                "unknown legal-hold status \"{}\"",
                super::text::sanitize(s)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The retention's text for a sentence: `2026-12-01 00:00:00 UTC`, or for a date past the
/// calendar `9999-12-31 23:59:59 UTC (beyond the calendar lockwatch computes with)`.
pub fn describe_until(until: RetainUntil) -> String {
    if until.beyond_calendar() {
        format!(
            "{} UTC (beyond the calendar lockwatch computes with)",
            until.utc()
        )
    } else {
        format!("{} UTC", until.utc())
    }
}

/// The time left for a countdown: `3d 4h left`, or `until 9999-12-31` when the date lies past
/// the calendar (the remaining time is not computed there).
pub fn countdown(until: RetainUntil, remaining: SignedDuration) -> String {
    if until.beyond_calendar() {
        format!("until {}", until.date())
    } else {
        format!("{} left", format_remaining(remaining))
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

    #[test]
    fn a_head_must_answer_for_the_version_asked() {
        assert!(answered_for("v1", Some("v1")).is_ok());
        assert!(answered_for("null", None).is_ok());
        assert!(answered_for("v1", Some("v2")).is_err_and(|e| e.contains("v2")));
        assert!(answered_for("v1", None).is_err());
        assert!(answered_for("v1", Some("")).is_err());
    }

    use super::*;

    #[test]
    fn utc_dates_are_read_past_the_calendar_and_checked() {
        let r = RetainUntil::parse_utc("9999-12-31T23:59:59.000Z");
        assert_eq!(
            r.map(|r| r.rfc3339()),
            Some("9999-12-31T23:59:59Z".to_string())
        );
        assert!(r.is_some_and(|r| r.beyond_calendar()));
        let r = RetainUntil::parse_utc("2026-11-27T21:05:09.5Z");
        assert_eq!(
            r.map(|r| r.rfc3339()),
            Some("2026-11-27T21:05:09.5Z".to_string())
        );
        assert_eq!(
            RetainUntil::parse_utc("1970-01-01T00:00:00Z").map(|r| r.unix_seconds()),
            Some(0)
        );
        assert_eq!(
            RetainUntil::parse_utc("2024-02-29T00:00:00Z"),
            Some(RetainUntil::at(
                "2024-02-29T00:00:00Z".parse().expect("a time")
            ))
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-27T21:05:09",
            "",
            "soon",
            "2026-11-27T25:00:00Z",
            "2026-11-27T21:05:09.Z",
        ] {
            assert_eq!(RetainUntil::parse_utc(bad), None, "{bad}");
        }
    }

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
            retain_until: Some(RetainUntil::at(ts("2026-11-27T19:15:50Z"))),
            legal_hold: LegalHold::Off,
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
            legal_hold: LegalHold::On,
        };
        assert_eq!(info.state(ts("2026-01-01T00:00:00Z")), LockState::None);
        assert!(info.blocks_delete(ts("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn unknown_mode_strings_are_kept() {
        // S3 spells modes in capitals only; anything else is not a mode lockwatch knows.
        assert_eq!(
            RetentionMode::parse("governance"),
            RetentionMode::Other("governance".into())
        );
        assert_eq!(RetentionMode::parse("WORM").as_str(), "WORM");
        assert_eq!(LegalHold::parse("on"), LegalHold::Unknown("on".into()));
        assert_eq!(LegalHold::parse("OFF"), LegalHold::Off);
    }

    /// 9999-12-31T23:59:59Z, a common "forever", lies past jiff's last instant.
    const FOREVER: i64 = 253_402_300_799;

    #[test]
    fn a_date_past_the_calendar_is_kept_exactly_and_still_protects() {
        let until = RetainUntil::from_unix(FOREVER, 0);
        assert!(until.beyond_calendar());
        assert_eq!(until.utc(), "9999-12-31 23:59:59");
        assert_eq!(until.rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(until.instant(), Timestamp::MAX);
        let info = LockInfo {
            mode: Some(RetentionMode::Compliance),
            retain_until: Some(until),
            legal_hold: LegalHold::Off,
        };
        let now = ts("9999-12-30T21:00:00Z");
        assert!(matches!(
            info.state(now),
            LockState::Retained {
                mode: RetentionMode::Compliance,
                ..
            }
        ));
        assert!(info.blocks_delete(now));
        assert!(describe_until(until).contains("beyond the calendar"));
        assert_eq!(countdown(until, SignedDuration::ZERO), "until 9999-12-31");
    }

    #[test]
    fn json_times_have_three_digits_of_milliseconds_even_beyond_the_calendar() {
        assert_eq!(
            RetainUntil::from_unix(FOREVER, 0).rfc3339_millis(),
            "9999-12-31T23:59:59.000Z"
        );
        assert_eq!(
            RetainUntil::from_unix(FOREVER, 999_999_999).rfc3339_millis(),
            "9999-12-31T23:59:59.999Z"
        );
        let t = ts("2026-11-27T19:15:50.94Z");
        assert_eq!(
            RetainUntil::at(t).rfc3339_millis(),
            "2026-11-27T19:15:50.940Z"
        );
        assert_eq!(
            crate::domain::format::json_time(t),
            RetainUntil::at(t).rfc3339_millis()
        );
        assert_eq!(
            crate::domain::format::json_time(ts("2026-11-27T19:15:50Z")),
            "2026-11-27T19:15:50.000Z"
        );
    }

    #[test]
    fn civil_dates_match_the_calendar_where_both_exist() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56Z",
            "2026-11-27T19:15:50Z",
            "1900-03-01T00:00:00Z",
            "9999-12-30T21:59:59Z",
        ] {
            let t = ts(s);
            assert_eq!(
                RetainUntil::at(t).utc(),
                crate::domain::format::timestamp(t)
            );
        }
        assert_eq!(
            RetainUntil::from_unix(FOREVER + 1, 0).utc(),
            "+10000-01-01 00:00:00"
        );
        assert_eq!(
            RetainUntil::from_unix(FOREVER, 500_000_000).rfc3339(),
            "9999-12-31T23:59:59.5Z"
        );
    }

    #[test]
    fn what_cannot_be_read_still_blocks_a_delete() {
        let now = ts("2026-01-01T00:00:00Z");
        let later = Some(RetainUntil::at(ts("2026-02-01T00:00:00Z")));
        let unknown_mode = LockInfo {
            mode: Some(RetentionMode::parse("FOO")),
            retain_until: later,
            legal_hold: LegalHold::Off,
        };
        assert!(unknown_mode.blocks_delete(now));
        assert!(unknown_mode.unreadable().is_some_and(|u| u.contains("FOO")));
        let unknown_hold = LockInfo {
            legal_hold: LegalHold::parse("MAYBE"),
            ..LockInfo::default()
        };
        assert!(unknown_hold.blocks_delete(now));
        assert!(unknown_hold.unreadable().is_some());
        let mode_without_date = LockInfo {
            mode: Some(RetentionMode::Compliance),
            ..LockInfo::default()
        };
        assert!(mode_without_date.blocks_delete(now));
        assert!(LockInfo::default().unreadable().is_none());
        assert!(!LockInfo::default().blocks_delete(now));
    }
}
