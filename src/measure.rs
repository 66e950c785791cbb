//! Figures for `--bench-report FILE`, measured inside the running UI: how long each frame takes
//! to draw, how long from a key being read to the frame that shows its effect, how long
//! handling a key takes, how long a listing's first rows take to reach the screen (and how much
//! of that was the server's answer), the most rows a pane held, and the peak memory. Off unless
//! asked for.

use crate::app::{Action, Effect, RequestId};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When each key was read from the terminal, in order; the run loop takes them as it
/// handles the keys.
pub type KeyClock = Arc<Mutex<VecDeque<Instant>>>;

pub struct Measurements {
    pub path: PathBuf,
    pub keys_read: KeyClock,
    draw: Vec<Duration>,
    key_update: Vec<Duration>,
    key_to_frame: Vec<Duration>,
    /// Keys handled since the last frame, with the time each was read.
    waiting: Vec<Instant>,
    /// Listings asked for whose first page has not arrived yet.
    listings: HashMap<RequestId, Instant>,
    /// First pages handled since the last frame: when their listing started and when the page
    /// arrived.
    first_pages: Vec<(Instant, Instant)>,
    first_page_round_trip: Vec<Duration>,
    first_rows_on_screen: Vec<Duration>,
    first_rows_after_page: Vec<Duration>,
    pub rows_max: usize,
}

/// A set of timings: how many, the median, the 99th percentile and the slowest.
#[derive(Debug, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Each listing's first page: the server's part and the whole way to the screen.
#[derive(Debug, Serialize)]
pub struct FirstRows {
    /// From asking for the listing to its first page arriving in the UI.
    pub page_round_trip: Percentiles,
    /// From asking for the listing to the frame that shows its first rows.
    pub on_screen: Percentiles,
    /// The difference: what lockwatch itself added after the page arrived.
    pub after_page: Percentiles,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub frames: Percentiles,
    pub key_to_frame: Percentiles,
    pub key_update: Percentiles,
    pub first_rows: FirstRows,
    pub rows_max: usize,
    /// Peak resident memory (VmHWM), where the system reports it.
    pub peak_rss_mb: Option<f64>,
}

impl Percentiles {
    pub fn of(samples: &[Duration]) -> Percentiles {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| -> f64 {
            if ms.is_empty() {
                return 0.0;
            }
            let i = ((ms.len() as f64 - 1.0) * q).round() as usize;
            ms[i.min(ms.len() - 1)]
        };
        Percentiles {
            count: ms.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: ms.last().copied().unwrap_or(0.0),
        }
    }
}

/// Peak resident set size from /proc/self/status, in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

impl Measurements {
    pub fn new(path: &Path) -> Measurements {
        Measurements {
            path: path.to_path_buf(),
            keys_read: KeyClock::default(),
            draw: Vec::new(),
            key_update: Vec::new(),
            key_to_frame: Vec::new(),
            waiting: Vec::new(),
            listings: HashMap::new(),
            first_pages: Vec::new(),
            first_page_round_trip: Vec::new(),
            first_rows_on_screen: Vec::new(),
            first_rows_after_page: Vec::new(),
            rows_max: 0,
        }
    }

    /// The runtime is about to run `effect`: a listing (objects or versions) starts its clock.
    pub fn effect_run(&mut self, effect: &Effect) {
        if let Effect::ListLevel { request, .. } | Effect::ListVersions { request, .. } = effect {
            self.listings.insert(*request, Instant::now());
        }
    }

    /// `action` is about to be handled: a listing's first page stops the server's part.
    pub fn action_arrived(&mut self, action: &Action) {
        if let Action::LevelPage { request, .. } | Action::VersionsPage { request, .. } = action {
            self.page_arrived(*request);
        }
    }

    fn page_arrived(&mut self, request: RequestId) {
        if let Some(started) = self.listings.remove(&request) {
            self.first_pages.push((started, Instant::now()));
        }
    }

    /// A key was handled; `update` took `took`.
    pub fn key_handled(&mut self, took: Duration) {
        self.key_update.push(took);
        let read = self.keys_read.lock().ok().and_then(|mut q| q.pop_front());
        if let Some(read) = read {
            self.waiting.push(read);
        }
    }

    /// A frame was drawn in `took`; every key handled before it is now visible.
    pub fn frame_drawn(&mut self, took: Duration, rows: usize) {
        self.draw.push(took);
        self.rows_max = self.rows_max.max(rows);
        let now = Instant::now();
        for read in self.waiting.drain(..) {
            self.key_to_frame.push(now - read);
        }
        for (started, arrived) in self.first_pages.drain(..) {
            self.first_page_round_trip.push(arrived - started);
            self.first_rows_on_screen.push(now - started);
            self.first_rows_after_page.push(now - arrived);
        }
    }

    pub fn report(&self) -> Report {
        Report {
            frames: Percentiles::of(&self.draw),
            key_to_frame: Percentiles::of(&self.key_to_frame),
            key_update: Percentiles::of(&self.key_update),
            first_rows: FirstRows {
                page_round_trip: Percentiles::of(&self.first_page_round_trip),
                on_screen: Percentiles::of(&self.first_rows_on_screen),
                after_page: Percentiles::of(&self.first_rows_after_page),
            },
            rows_max: self.rows_max,
            peak_rss_mb: peak_rss_mb(),
        }
    }

    pub fn write(&self) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.report()).map_err(std::io::Error::other)?;
        std::fs::write(&self.path, json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_samples() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Percentiles::of(&samples);
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 51.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(Percentiles::of(&[]).max_ms, 0.0);
    }

    #[test]
    fn only_a_listings_first_page_counts_and_waits_for_its_frame() {
        let mut m = Measurements::new(Path::new("unused"));
        m.listings.insert(RequestId(1), Instant::now());
        m.page_arrived(RequestId(1));
        m.page_arrived(RequestId(1));
        m.page_arrived(RequestId(2));
        assert!(
            m.report().first_rows.on_screen.count == 0,
            "not on screen before a frame"
        );
        m.frame_drawn(Duration::from_millis(1), 10);
        let first = m.report().first_rows;
        assert_eq!(first.on_screen.count, 1);
        assert_eq!(first.page_round_trip.count, 1);
        assert!(first.on_screen.max_ms >= first.page_round_trip.max_ms);
    }
}
