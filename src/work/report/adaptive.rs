//! How many HEADs the report keeps in flight: it starts low, grows while throughput grows,
//! steps back when growing made it slower, and halves when the server says it is overloaded
//! (503 SlowDown and its kin). Never above the cap (`--concurrency`). Pure: the caller gives
//! the clock.

use std::time::{Duration, Instant};

/// Where the limit starts.
pub const START: usize = 8;
/// The default cap.
pub const DEFAULT_CAP: usize = 64;
/// A window of measurement lasts at least this long…
const WINDOW: Duration = Duration::from_millis(250);
/// …and until this many times the limit have completed.
const WINDOW_ROUNDS: u64 = 2;
/// After a cut, no growth for this long.
const COOL_DOWN: Duration = Duration::from_secs(5);
/// At a plateau, try growing again after this many windows.
const PROBE_EVERY: u32 = 8;

#[derive(Debug, Clone)]
pub struct Adaptive {
    cap: usize,
    limit: usize,
    window_started: Instant,
    done_in_window: u64,
    /// The throughput of the last window, and the limit it was measured at.
    last: Option<(f64, usize)>,
    /// The limit before the last growth, to step back to when growth did not pay.
    before_growth: Option<usize>,
    windows_at_plateau: u32,
    last_cut: Option<Instant>,
    /// The highest limit reached, for the report.
    pub peak: usize,
    /// How many times the server said it was overloaded.
    pub throttled: u64,
}

impl Adaptive {
    pub fn new(cap: usize, now: Instant) -> Adaptive {
        let cap = cap.max(1);
        let limit = START.min(cap);
        Adaptive {
            cap,
            limit,
            window_started: now,
            done_in_window: 0,
            last: None,
            before_growth: None,
            windows_at_plateau: 0,
            last_cut: None,
            peak: limit,
            throttled: 0,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// One request completed (whatever its answer, other than overloaded).
    pub fn completed(&mut self, now: Instant) {
        self.done_in_window += 1;
        let elapsed = now.saturating_duration_since(self.window_started);
        if elapsed < WINDOW || self.done_in_window < WINDOW_ROUNDS * self.limit as u64 {
            return;
        }
        let rate = self.done_in_window as f64 / elapsed.as_secs_f64();
        let cooling = self
            .last_cut
            .is_some_and(|cut| now.saturating_duration_since(cut) < COOL_DOWN);
        match (self.last, self.before_growth) {
            (None, _) if !cooling => self.grow(),
            // The last growth paid (throughput rose by at least half as much as the limit
            // did): grow again.
            (Some((previous, _)), Some(before))
                if rate > previous * (1.0 + (self.limit as f64 / before as f64 - 1.0) / 2.0)
                    && !cooling =>
            {
                self.grow()
            }
            // It did not: step back to where it was, and stay.
            (Some(_), Some(before)) => {
                self.limit = before;
                self.before_growth = None;
                self.windows_at_plateau = 0;
            }
            _ => {
                self.windows_at_plateau += 1;
                if self.windows_at_plateau >= PROBE_EVERY && !cooling {
                    self.windows_at_plateau = 0;
                    self.grow();
                }
            }
        }
        self.last = Some((rate, self.limit));
        self.window_started = now;
        self.done_in_window = 0;
    }

    /// The server said it is overloaded: halve, once per cool-down however many answers say so
    /// (the requests already in flight all meet the same overload).
    pub fn overloaded(&mut self, now: Instant) {
        self.throttled += 1;
        if self
            .last_cut
            .is_some_and(|cut| now.saturating_duration_since(cut) < WINDOW * 4)
        {
            return;
        }
        self.limit = (self.limit / 2).max(1);
        self.last_cut = Some(now);
        self.before_growth = None;
        self.last = None;
        self.window_started = now;
        self.done_in_window = 0;
    }

    fn grow(&mut self) {
        if self.limit >= self.cap {
            self.before_growth = None;
            return;
        }
        self.before_growth = Some(self.limit);
        self.limit = (self.limit + self.limit / 2)
            .max(self.limit + 1)
            .min(self.cap);
        self.peak = self.peak.max(self.limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that completes `limit` requests per `latency` up to `capacity` at once, and
    /// no faster beyond it.
    fn run(adaptive: &mut Adaptive, capacity: usize, seconds: u64) -> Vec<usize> {
        let start = Instant::now();
        let latency = Duration::from_millis(15);
        let mut now = start;
        let mut limits = Vec::new();
        while now < start + Duration::from_secs(seconds) {
            // Answers spread over the round trip, as they come from a real server.
            let served = adaptive.limit().min(capacity) as u32;
            for i in 1..=served {
                adaptive.completed(now + latency * i / served);
            }
            now += latency;
            limits.push(adaptive.limit());
        }
        limits
    }

    #[test]
    fn grows_while_throughput_grows_and_stops_at_the_cap() {
        let mut a = Adaptive::new(64, Instant::now());
        let limits = run(&mut a, 1000, 10);
        assert_eq!(limits.last(), Some(&64));
        assert_eq!(a.peak, 64);
    }

    #[test]
    fn settles_near_what_the_server_can_serve() {
        let mut a = Adaptive::new(512, Instant::now());
        let limits = run(&mut a, 40, 30);
        let tail = &limits[limits.len() - 200..];
        // Probes above it come back down; the limit stays within reach of the capacity.
        assert!(tail.iter().all(|l| (20..=100).contains(l)), "{tail:?}");
        assert!(a.peak < 512, "never ran to the cap: {}", a.peak);
    }

    #[test]
    fn overload_halves_once_per_burst_and_never_below_one() {
        let t = Instant::now();
        let mut a = Adaptive::new(64, t);
        run(&mut a, 1000, 5);
        assert_eq!(a.limit(), 64);
        for _ in 0..50 {
            a.overloaded(t + Duration::from_secs(6));
        }
        assert_eq!(a.limit(), 32, "one burst, one cut");
        assert_eq!(a.throttled, 50);
        for i in 0..20 {
            a.overloaded(t + Duration::from_secs(10 + i));
        }
        assert_eq!(a.limit(), 1);
    }

    #[test]
    fn a_cap_of_one_is_one() {
        let mut a = Adaptive::new(1, Instant::now());
        run(&mut a, 1000, 3);
        assert_eq!(a.limit(), 1);
        assert_eq!(a.peak, 1);
    }
}
