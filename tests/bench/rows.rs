//! The UI's state with a million rows, without a server: how long absorbing the pages, drawing
//! a frame and filtering take, and what the rows cost in memory.
//!   cargo run --release --example rows -- [ROWS]
//! Pages of 1000 objects go through `update` as a listing's pages do; frames are drawn on
//! ratatui's TestBackend (the terminal's own output time is not included). Then one key's
//! 10,000 versions arrive in pages of 1000 in the versions pane: each page should cost the same
//! (no merge that grows with what is already held). Sorting: the slowest page of the listing
//! streamed by name, then again by size and by date (each page's rows placed as they arrive),
//! and `S` by size, date and back to name over every row.

use jiff::Timestamp;
use lockwatch::app::{Action, AppState, Effect, LevelPage, StartAt, update};
use lockwatch::domain::{EntryKind, HistoryEntry, ObjectEntry};
use lockwatch::keys::{Key, KeyCode, Keymap};
use lockwatch::s3::{ConnectionInfo, ObjectsPage, VersionMarker, VersionsPage};
use lockwatch::ui::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let now: Timestamp = "2026-11-26T12:00:00Z".parse().expect("time");
    let (width, height) = (200u16, 50u16);
    let mut state = AppState::new(
        Keymap::default_keymap(),
        ConnectionInfo {
            endpoint: "http://127.0.0.1:8333".into(),
            endpoint_source: None,
            region: "us-east-1".into(),
            path_style: true,
            access_key_masked: "****************262d".into(),
            credentials_source: "benchmark".into(),
            read_only: true,
            read_only_because: None,
            warnings: Vec::new(),
            sandbox: false,
            actor: Default::default(),
        },
        Rect::new(0, 0, width, height),
    );
    // Rows let go of are dropped on a thread of their own, as the runtime does.
    let run = |state: &mut AppState, action: Action| -> Vec<Effect> {
        update(state, action, now)
            .into_iter()
            .filter_map(|e| match e {
                Effect::Release(rows) => {
                    std::thread::spawn(move || rows.release());
                    None
                }
                e => Some(e),
            })
            .collect()
    };
    let effects = state.start(StartAt {
        bucket: Some("bench".into()),
        prefix: "backups/".into(),
    });
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListLevel { request, .. } => Some(*request),
            _ => None,
        })
        .expect("opening a bucket lists it");
    let before = rss_mb("VmRSS:");
    let pages = rows.div_ceil(1000);
    // Sizes and times spread the way a backup set's do, so that sorting has work to do.
    let page_of = |page: usize, request| Action::LevelPage {
        request,
        result: Ok(LevelPage::Objects(ObjectsPage {
            objects: (page * 1000..((page + 1) * 1000).min(rows))
                .map(|i| ObjectEntry {
                    key: Arc::from(format!("backups/backup-{i:07}.dat")),
                    size: Some(1_048_576 + (i as u64 * 7919) % 100_000),
                    last_modified: now
                        .checked_sub(jiff::SignedDuration::from_secs(
                            ((i * 104_729) % 86_400) as i64,
                        ))
                        .ok(),
                    storage_class: Some("STANDARD".into()),
                })
                .collect(),
            prefixes: Vec::new(),
            next_token: (page + 1 < pages).then(|| format!("{page}")),
        })),
        more: page + 1 < pages,
    };
    // The time update takes over every page, and over the slowest.
    let stream = |state: &mut AppState, request| {
        let (mut total, mut slowest) = (Duration::ZERO, (Duration::ZERO, 0));
        for page in 0..pages {
            let action = page_of(page, request);
            let t = Instant::now();
            run(state, action);
            total += t.elapsed();
            slowest = slowest.max((t.elapsed(), page));
        }
        (total, slowest)
    };
    let (absorbed, slowest_page) = stream(&mut state, request);
    let held = state.objects.level.len();
    let after = rss_mb("VmRSS:");

    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("backend");
    let theme = Theme::default();
    let mut frames = Vec::new();
    for i in 0..50 {
        // Move somewhere new each frame, so that every frame draws different rows.
        run(
            &mut state,
            Action::Key(Key::plain(if i % 2 == 0 {
                KeyCode::PageDown
            } else {
                KeyCode::End
            })),
        );
        let t = Instant::now();
        terminal
            .draw(|f| render(&state, now, &theme, f))
            .expect("draw");
        frames.push(t.elapsed());
    }
    frames.sort();

    let t = Instant::now();
    state
        .objects
        .set_filter(Some("backup-00042".into()), height as usize);
    let filter = t.elapsed();
    let matched = state
        .objects
        .view
        .filter
        .as_ref()
        .map_or(0, |f| f.matches.len());

    state.objects.set_filter(None, height as usize);
    let mut sorts = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        run(&mut state, Action::Key(Key::char('S')));
        sorts.push(t.elapsed());
    }
    // The same listing again, sorted by size and then by date while it streams: rows are
    // placed with real comparisons.
    let again = |state: &mut AppState| {
        run(state, Action::Key(Key::char('S')));
        let request = run(state, Action::Key(Key::char('R')))
            .iter()
            .find_map(|e| match e {
                Effect::ListLevel { request, .. } => Some(*request),
                _ => None,
            })
            .expect("R lists again");
        stream(state, request)
    };
    let (absorbed_by_size, slowest_by_size) = again(&mut state);
    let (absorbed_by_date, slowest_by_date) = again(&mut state);
    let peak = rss_mb("VmHWM:");
    // By size again, with a filter every row matches: its matches follow each page.
    run(&mut state, Action::Key(Key::char('S')));
    state
        .objects
        .set_filter(Some("backup".into()), height as usize);
    let (absorbed_filtered, slowest_filtered) = again(&mut state);
    let filtered_peak = rss_mb("VmHWM:");
    state.objects.set_filter(None, height as usize);
    run(&mut state, Action::Key(Key::char('S')));
    run(&mut state, Action::Key(Key::char('S')));

    // One key with 10,000 versions, opened in the versions pane.
    run(&mut state, Action::Key(Key::plain(KeyCode::Home)));
    let key: Arc<str> = Arc::from(state.objects.level.object_key(0).expect("a row"));
    let request = run(&mut state, Action::Key(Key::plain(KeyCode::Enter)))
        .iter()
        .find_map(|e| match e {
            Effect::ListVersions { request, .. } => Some(*request),
            _ => None,
        })
        .expect("Enter lists the key's versions");
    let (versions, per_page) = (10_000usize, 1000usize);
    let version_pages = versions / per_page;
    let mut page_times = Vec::new();
    for page in 0..version_pages {
        let entries = (page * per_page..(page + 1) * per_page)
            .map(|i| HistoryEntry {
                key: key.clone(),
                version_id: format!("v{:05}", versions - i),
                kind: EntryKind::Version {
                    size: Some(1024),
                    etag: None,
                    storage_class: None,
                },
                is_latest: i == 0,
                last_modified: now
                    .checked_sub(jiff::SignedDuration::from_secs(i as i64))
                    .ok(),
                owner: None,
            })
            .collect();
        let more = page + 1 < version_pages;
        let t = Instant::now();
        run(
            &mut state,
            Action::VersionsPage {
                request,
                result: Ok(VersionsPage {
                    versions: entries,
                    markers: Vec::new(),
                    prefixes: Vec::new(),
                    next: more.then(|| VersionMarker {
                        key: key.to_string(),
                        version_id: Some(format!("v{:05}", versions - (page + 1) * per_page)),
                    }),
                    altered_keys: false,
                }),
                more,
            },
        );
        page_times.push(t.elapsed());
    }
    let versions_held = state.versions.entries.len();
    assert_eq!(versions_held, versions, "every version is held");

    println!("| measure | value |");
    println!("|---|---|");
    println!("| rows held | {held} |");
    println!(
        "| absorb {pages} pages of 1000 through update | {:.0} ms ({:.2} ms a page) |",
        ms(absorbed),
        ms(absorbed) / pages as f64
    );
    println!(
        "| slowest page (sorted by name as they stream) | {:.1} ms (page {}) |",
        ms(slowest_page.0),
        slowest_page.1
    );
    println!(
        "| the listing again sorted by size: all pages / slowest page | {:.0} ms / {:.1} ms (page {}) |",
        ms(absorbed_by_size),
        ms(slowest_by_size.0),
        slowest_by_size.1
    );
    println!(
        "| the listing again sorted by date: all pages / slowest page | {:.0} ms / {:.1} ms (page {}) |",
        ms(absorbed_by_date),
        ms(slowest_by_date.0),
        slowest_by_date.1
    );
    println!(
        "| by size with a filter every row matches: all pages / slowest page / peak RSS | {:.0} ms / {:.1} ms (page {}) / {:.0} MB |",
        ms(absorbed_filtered),
        ms(slowest_filtered.0),
        slowest_filtered.1,
        filtered_peak
    );
    println!(
        "| S over every row: by size / by date / by name | {:.0} ms / {:.0} ms / {:.0} ms |",
        ms(sorts[0]),
        ms(sorts[1]),
        ms(sorts[2])
    );
    println!(
        "| draw one frame (median / worst of {}) | {:.2} ms / {:.2} ms |",
        frames.len(),
        ms(frames[frames.len() / 2]),
        ms(frames[frames.len() - 1])
    );
    println!(
        "| filter over every row ({matched} match) | {:.1} ms |",
        ms(filter)
    );
    println!(
        "| memory for the rows (RSS growth) / peak RSS (before the filter every row matches) | {:.0} MB / {:.0} MB |",
        after - before,
        peak
    );
    println!(
        "| one key's {versions_held} versions, {version_pages} pages: first page / last page / all | {:.2} ms / {:.2} ms / {:.1} ms |",
        ms(page_times[0]),
        ms(page_times[page_times.len() - 1]),
        ms(page_times.iter().sum())
    );
}
