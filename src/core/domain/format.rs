//! How times and sizes are written on screen. Times are always UTC, to the second, so that what
//! an auditor reads matches the server's records.

use jiff::{Timestamp, tz::TimeZone};

/// `2026-11-26 19:50:35`, in UTC.
pub fn timestamp(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2026-11-26T19:50:35.000Z`: RFC 3339 in UTC to the millisecond, always three digits, as
/// every time in lockwatch's JSON and CSV is written (one width, for tools).
pub fn json_time(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// How long ago, in one unit and at most three digits: `45s`, `12m`, `47h`, `13d`, `99w`,
/// `3y` (a time in the future is `0s`).
pub fn age_short(age: jiff::SignedDuration) -> String {
    let s = age.as_secs().max(0);
    let (minute, hour, day, week) = (60, 3_600, 86_400, 604_800);
    match s {
        _ if s < minute => format!("{s}s"),
        _ if s < hour => format!("{}m", s / minute),
        _ if s < 48 * hour => format!("{}h", s / hour),
        _ if s < 14 * day => format!("{}d", s / day),
        _ if s < 100 * week => format!("{}w", s / week),
        _ => format!("{}y", s / (365 * day)),
    }
}

/// `timestamp` for an optional value; servers may omit dates.
pub fn maybe_timestamp(t: Option<Timestamp>) -> String {
    t.map(timestamp).unwrap_or_else(|| "—".to_string())
}

/// `1 key`, `3 keys`: a count with its noun.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Human size in binary units: `812 B`, `48.8 KiB`, `1.2 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `size` for an optional value.
pub fn maybe_size(bytes: Option<u64>) -> String {
    bytes.map(size).unwrap_or_else(|| "—".to_string())
}

/// A size as a confirmation states it: `889 bytes`, or `48.8 KiB (49,983 bytes)`.
pub fn size_exact(bytes: u64) -> String {
    if bytes < 1024 {
        bytes_exact(bytes)
    } else {
        format!("{} ({})", size(bytes), bytes_exact(bytes))
    }
}

/// `1,234,567 bytes`: an exact byte count.
pub fn bytes_exact(bytes: u64) -> String {
    let digits = bytes.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} bytes")
}

/// A time given on the command line: a moment, or a span before now (`-3h`) that is taken
/// from the server's clock once lockwatch has heard from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    At(Timestamp),
    Ago(jiff::SignedDuration),
}

impl TimeArg {
    /// The moment meant, with `now` from the server's clock.
    pub fn resolve(self, now: Timestamp) -> Result<Timestamp, String> {
        match self {
            TimeArg::At(t) => Ok(t),
            TimeArg::Ago(back) => now
                .checked_sub(back)
                .map_err(|e| format!("that reaches too far back: {e}")),
        }
    }
}

/// A time typed on the command line: `-90m`, `-2h`, `-3d` (that long ago), RFC 3339 with an
/// offset, or a date (and time) in UTC.
pub fn parse_time_arg(s: &str) -> Result<TimeArg, String> {
    let trimmed = s.trim();
    if let Some(ago) = trimmed.strip_prefix('-') {
        let mut chars = ago.chars();
        let seconds = match chars.next_back() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => 0,
        };
        if let (true, Ok(n)) = (seconds > 0, chars.as_str().parse::<i64>())
            && n >= 0
            && let Some(back) = n.checked_mul(seconds)
        {
            return Ok(TimeArg::Ago(jiff::SignedDuration::from_secs(back)));
        }
    }
    parse_absolute(trimmed).map(TimeArg::At)
}

/// A time typed by the user: relative (`-90m`, `-2h`, `-3d`: that long before `now`), RFC
/// 3339 with an offset, or a date (and time) in UTC.
pub fn parse_time_at(s: &str, now: Timestamp) -> Result<jiff::Timestamp, String> {
    parse_time_arg(s)?
        .resolve(now)
        .map_err(|e| format!("{:?}: {e}", s.trim()))
}

/// An absolute time: RFC 3339 with an offset, or a date (and time) in UTC.
fn parse_absolute(s: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil = s
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| s.parse::<jiff::civil::Date>().map(|d| d.at(0, 0, 0, 0)))
        .map_err(|_| {
            format!(
                "cannot read {s:?} as a time: write 2026-11-20T10:00:00Z (any offset), 2026-11-20 10:00 for UTC, or -2h (also -90m, -3d) for that long ago"
            )
        })?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| format!("{s:?} is not a time lockwatch can use: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_input_is_an_error_not_a_panic() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().expect("time");
        for s in [
            "-",
            "-é",
            "-5é",
            "--",
            "-99999999999999999d",
            "",
            "-0x",
            "--5h",
        ] {
            assert!(parse_time_at(s, now).is_err(), "{s:?}");
        }
    }

    #[test]
    fn times_are_read_absolute_in_utc_or_relative() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().expect("time");
        let read = |s: &str| parse_time_at(s, now).map(|t| t.to_string());
        assert_eq!(
            read("2026-11-20T10:00:00+01:00").as_deref(),
            Ok("2026-11-20T09:00:00Z")
        );
        assert_eq!(
            read("2026-11-20 10:00").as_deref(),
            Ok("2026-11-20T10:00:00Z")
        );
        assert_eq!(read("2026-11-20").as_deref(), Ok("2026-11-20T00:00:00Z"));
        assert_eq!(read("-2h").as_deref(), Ok("2026-11-27T10:00:00Z"));
        assert_eq!(read("-90m").as_deref(), Ok("2026-11-27T10:30:00Z"));
        assert_eq!(read("-3d").as_deref(), Ok("2026-11-24T12:00:00Z"));
        assert!(read("-2x").is_err());
        assert!(read("yesterday").is_err());
        assert!(read("-99999999999999d").is_err());
    }

    #[test]
    fn ages_are_one_unit_of_at_most_three_digits() {
        let age = |s: i64| age_short(jiff::SignedDuration::from_secs(s));
        assert_eq!(age(-5), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(3_599), "59m");
        assert_eq!(age(47 * 3_600), "47h");
        assert_eq!(age(13 * 86_400), "13d");
        assert_eq!(age(99 * 604_800), "99w");
        assert_eq!(age(100 * 604_800), "1y");
        assert_eq!(age(i64::MAX), format!("{}y", i64::MAX / (365 * 86_400)));
    }

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let t: Timestamp = "2024-04-10T10:31:11.177Z".parse().expect("valid");
        assert_eq!(timestamp(t), "2024-04-10 10:31:11");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(49_983), "48.8 KiB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(bytes_exact(49_983), "49,983 bytes");
        assert_eq!(bytes_exact(7), "7 bytes");
    }
}
