//! The server's clock, read from the `Date` header of its answers. Retention runs on the
//! server's clock, so countdowns and reports must too: a laptop a minute slow would otherwise
//! show a lock as expired while the server still refuses the delete.

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use jiff::{SignedDuration, Timestamp};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Offsets of the last answers (server minus local time), for a median.
const SAMPLES: usize = 15;

/// Below this, an offset is indistinguishable from the `Date` header's one-second steps and
/// the time an answer travels: taken as none.
pub const CLOCK_NOISE: SignedDuration = SignedDuration::from_secs(2);

#[derive(Debug, Default)]
pub struct ServerClock {
    samples: Mutex<VecDeque<i64>>,
}

impl ServerClock {
    /// An answer dated `server` (to the second, as `Date` is) arrived at `local`.
    pub fn record(&self, server: Timestamp, local: Timestamp) {
        // The server's second began up to a second before it wrote the header: its middle is
        // the best guess.
        let offset = server.as_millisecond() + 500 - local.as_millisecond();
        let mut samples = match self.samples.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if samples.len() == SAMPLES {
            samples.pop_front();
        }
        samples.push_back(offset);
    }

    /// The server's clock minus the local clock: the median of the last answers, or `None`
    /// before any answer carried a date.
    pub fn offset(&self) -> Option<SignedDuration> {
        let samples = match self.samples.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut sorted: Vec<i64> = samples.iter().copied().collect();
        sorted.sort_unstable();
        sorted
            .get(sorted.len() / 2)
            .map(|ms| SignedDuration::from_millis(*ms))
    }

    /// The offset when it is larger than the noise of measuring it; `None` otherwise.
    pub fn significant_offset(&self) -> Option<SignedDuration> {
        self.offset().filter(|o| o.abs() >= CLOCK_NOISE)
    }
}

/// `Date: Fri, 27 Nov 2026 01:48:20 GMT` (RFC 9110 IMF-fixdate, which RFC 2822 parses).
pub fn parse_http_date(value: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value.trim())
        .ok()
}

/// Reads the `Date` header of every answer, whatever its status: a refusal is dated too.
#[derive(Debug)]
pub(crate) struct ReadServerDate(pub Arc<ServerClock>);

impl Intercept for ReadServerDate {
    fn name(&self) -> &'static str {
        "lockwatch::ReadServerDate"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let local = Timestamp::now();
        if let Some(server) = context
            .response()
            .headers()
            .get("date")
            .and_then(parse_http_date)
        {
            self.0.record(server, local);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read() {
        assert_eq!(
            parse_http_date("Fri, 27 Nov 2026 01:48:20 GMT"),
            "2026-11-27T01:48:20Z".parse().ok()
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn the_offset_is_the_median_and_small_ones_are_noise() {
        let clock = ServerClock::default();
        assert_eq!(clock.offset(), None);
        let local: Timestamp = "2026-11-27T01:00:00Z".parse().expect("time");
        let ahead = |s: i64| local + SignedDuration::from_secs(s);
        clock.record(ahead(3600), local);
        clock.record(ahead(3600), local);
        // One answer from a cache with an old date does not move the estimate.
        clock.record(ahead(-50), local);
        assert_eq!(clock.offset(), Some(SignedDuration::from_millis(3_600_500)));
        let near = ServerClock::default();
        near.record(local, local);
        assert_eq!(near.significant_offset(), None);
    }
}
