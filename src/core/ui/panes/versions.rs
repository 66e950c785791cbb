//! The versions pane: a key's history, newest first, each version's lock and its countdown.

use super::*;

/// What the lock columns of one version say: mode, retain-until, countdown, hold.
struct LockCells {
    mode: (String, Style),
    until: String,
    countdown: (String, Style),
    hold: (String, Style),
    /// What the countdown cell says of the hold when the Hold column does not fit.
    hold_word: Option<&'static str>,
    /// Retention is in force: the countdown alone does not say by which mode or hold.
    retained: bool,
}

impl LockCells {
    /// The countdown cell when the Lock or Hold column did not fit: what protects the version
    /// comes first (`COMPLIANCE+HOLD 3d 4h`), so a narrow cell cuts only the time.
    fn merged_countdown(&self, mode_shown: bool, hold_shown: bool) -> String {
        if !self.retained {
            return self.countdown.0.clone();
        }
        let mut parts = Vec::new();
        if !mode_shown {
            parts.push(self.mode.0.as_str());
        }
        if !hold_shown && let Some(word) = self.hold_word {
            parts.push(word);
        }
        if parts.is_empty() {
            self.countdown.0.clone()
        } else {
            let c = &self.countdown.0;
            let time = c
                .strip_suffix(" left")
                .or_else(|| c.strip_prefix("until "))
                .unwrap_or(c);
            format!("{} {time}", parts.join("+"))
        }
    }
}

fn lock_cells(
    entry: &HistoryEntry,
    status: Option<&LockStatus>,
    now: Timestamp,
    theme: &Theme,
) -> LockCells {
    if let EntryKind::DeleteMarker = entry.kind {
        return LockCells {
            mode: ("—".into(), theme.dim),
            until: "—".into(),
            countdown: ("no lock (marker)".into(), theme.dim),
            hold: ("—".into(), theme.dim),
            hold_word: None,
            retained: false,
        };
    }
    match status {
        None | Some(LockStatus::Loading) => LockCells {
            mode: ("…".into(), theme.dim),
            until: "…".into(),
            countdown: ("…".into(), theme.dim),
            hold: ("…".into(), theme.dim),
            hold_word: None,
            retained: false,
        },
        Some(LockStatus::Unknown(e)) => LockCells {
            mode: ("unknown".into(), theme.unknown),
            until: "?".into(),
            countdown: (format!("? {}", e.short()), theme.unknown),
            hold: ("?".into(), theme.unknown),
            hold_word: None,
            retained: false,
        },
        Some(LockStatus::Known(info)) => {
            let hold = match &info.legal_hold {
                LegalHold::On => ("HOLD".to_string(), theme.legal_hold),
                LegalHold::Unknown(_) => ("?".to_string(), theme.unknown),
                LegalHold::Off => ("—".to_string(), theme.dim),
            };
            let until = info.retain_until.map_or("—".into(), |u| u.utc());
            let (mode, countdown) = match info.state(now) {
                LockState::Retained {
                    mode,
                    until,
                    remaining,
                } => {
                    let (label, style) = match &mode {
                        RetentionMode::Compliance => ("COMPLIANCE".to_string(), theme.compliance),
                        RetentionMode::Governance => ("GOVERNANCE".to_string(), theme.governance),
                        RetentionMode::Other(_) => ("unknown".to_string(), theme.unknown),
                    };
                    ((label, style), (lock::countdown(until, remaining), style))
                }
                LockState::Expired { mode, .. } => (
                    (
                        mode.map(|m| {
                            if m.is_known() {
                                m.as_str().to_string()
                            } else {
                                "unknown".into()
                            }
                        })
                        .unwrap_or_else(|| "—".into()),
                        theme.expired,
                    ),
                    match &info.legal_hold {
                        LegalHold::On => ("expired — held".to_string(), theme.legal_hold),
                        LegalHold::Unknown(_) => ("expired — hold?".to_string(), theme.unknown),
                        LegalHold::Off => ("expired — deletable".to_string(), theme.expired),
                    },
                ),
                LockState::None => (
                    ("none".to_string(), theme.dim),
                    match &info.legal_hold {
                        LegalHold::On => ("legal hold".to_string(), theme.legal_hold),
                        LegalHold::Unknown(_) => ("legal hold?".to_string(), theme.unknown),
                        LegalHold::Off => ("no lock".to_string(), theme.dim),
                    },
                ),
            };
            LockCells {
                hold_word: match &info.legal_hold {
                    LegalHold::On => Some("HOLD"),
                    LegalHold::Unknown(_) => Some("HOLD?"),
                    LegalHold::Off => None,
                },
                retained: matches!(info.state(now), LockState::Retained { .. }),
                mode,
                until,
                countdown,
                hold,
            }
        }
    }
}

pub fn versions(frame: &mut Frame, area: Rect, state: &AppState, now: Timestamp, theme: &Theme) {
    let focused = state.focus == Pane::Versions;
    let pane = &state.versions;
    let (Some(bucket), Some(key)) = (&pane.bucket, &pane.key) else {
        let b = block(
            title_line("Versions", focused, vec![], area.width, theme),
            focused,
            theme,
        );
        placeholder(
            frame,
            area,
            b,
            vec![Line::styled(
                "Select an object and press Enter to see its versions and delete markers.",
                theme.dim,
            )],
        );
        return;
    };
    let markers = pane.entries.iter().filter(|e| e.is_delete_marker()).count();
    let mut parts = vec![
        part(
            Span::styled(text::name(key).into_owned(), theme.emphasis),
            Keep::Place,
        ),
        part(
            Span::styled(
                format!(
                    "{} · {}",
                    plural(pane.entries.len() - markers, "version"),
                    plural(markers, "delete marker")
                ),
                theme.dim,
            ),
            Keep::Extra,
        ),
    ];
    let partial = partial_notes(&pane.load, pane.entries.len(), "R loads again", theme);
    if let Some((top, _)) = &partial {
        parts.insert(0, part(top.clone(), Keep::Always));
    }
    parts.extend(loading_note(&pane.load, pane.entries.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Versions", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if let Some(selected) = pane.selected() {
        b = b.title_bottom(Line::from(vec![
            Span::raw(" "),
            Span::styled(
                if selected.is_delete_marker() {
                    "marker "
                } else {
                    "version "
                },
                theme.dim,
            ),
            Span::raw(text::sanitize(&selected.version_id).into_owned()),
            Span::raw(" "),
        ]));
        let lock = state.locks.get(&VersionRef {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: selected.version_id.clone(),
        });
        if let Some(LockStatus::Unknown(e)) = lock {
            b = b.title_bottom(Line::from(Span::styled(
                format!(
                    " lock unknown: HEAD failed: {} ",
                    text::sanitize(&e.to_string())
                ),
                theme.error,
            )));
        }
    }
    if pane.entries.is_empty() {
        if let Some(lines) = failure_lines(&pane.load, state, theme) {
            placeholder(frame, area, b, lines);
            return;
        }
        let line = if pane.load.is_loading() {
            Line::styled("Loading…", theme.dim)
        } else if pane.altered_keys {
            Line::styled(
                format!(
                    "No versions listed under this exact name: {}.",
                    crate::domain::pages::ALTERED_KEYS
                ),
                theme.warning,
            )
        } else {
            Line::styled("This key has no versions.", theme.dim)
        };
        placeholder(frame, area, b, vec![line]);
        return;
    }
    const COLUMNS: [Column; 11] = [
        Column {
            header: "Kind",
            width: 7,
            flex: false,
            priority: 0,
        },
        Column {
            header: "Latest",
            width: 6,
            flex: false,
            priority: 5,
        },
        Column {
            header: "Version ID",
            width: 8,
            flex: true,
            priority: 1,
        },
        Column {
            header: "Last modified (UTC)",
            width: 19,
            flex: false,
            priority: 6,
        },
        Column {
            header: "Size",
            width: 9,
            flex: false,
            priority: 8,
        },
        Column {
            header: "ETag",
            width: 10,
            flex: false,
            priority: 9,
        },
        Column {
            header: "Lock",
            width: 10,
            flex: false,
            priority: 3,
        },
        Column {
            header: "Retain until (UTC)",
            width: 19,
            flex: false,
            priority: 4,
        },
        Column {
            header: "Countdown",
            width: 19,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Hold",
            width: 4,
            flex: false,
            priority: 7,
        },
        // Who wrote it: the first column to go when the pane is narrow.
        Column {
            header: "Owner",
            width: 12,
            flex: false,
            priority: 10,
        },
    ];
    // Where the Lock column does not fit, the countdown cell names the mode too
    // (`COMPLIANCE 23h 59m 59s`): it takes room from the version id.
    let narrow: [Column; 11] = COLUMNS.map(|c| match c.header {
        "Version ID" => Column { width: 6, ..c },
        "Countdown" => Column { width: 22, ..c },
        _ => c,
    });
    let lock_fits = table::fit(&COLUMNS, area.width.saturating_sub(2)).contains(&6);
    let spec = TableSpec {
        columns: if lock_fits { &COLUMNS } else { &narrow },
        block: b,
        focused,
    };
    table::draw(frame, area, spec, &pane.view, theme, |i, chosen, widths| {
        let entry = &pane.entries[i];
        let status = state.locks.get(&VersionRef {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: entry.version_id.clone(),
        });
        // A lock not asked for while the listing that would have asked failed is not
        // "loading": it is unknown, with the listing's failure as the reason.
        let failed = match (&pane.load, status) {
            (Load::Failed { error, .. }, None) => Some(LockStatus::Unknown(error.clone())),
            _ => None,
        };
        let lock = lock_cells(entry, failed.as_ref().or(status), now, theme);
        let (kind, kind_style) = if entry.is_delete_marker() {
            ("marker", theme.marker)
        } else {
            ("version", Style::new())
        };
        let etag = match &entry.kind {
            EntryKind::Version { etag: Some(e), .. } => e.clone(),
            _ => "—".into(),
        };
        let cells: Vec<_> = chosen
            .iter()
            .zip(widths)
            .map(|(&c, &w)| match c {
                0 => cell(kind, w, kind_style),
                1 => cell(
                    if entry.is_latest { "latest" } else { "" },
                    w,
                    theme.emphasis,
                ),
                2 => cell(&text::name(&entry.version_id), w, Style::new()),
                3 => cell(
                    &format::maybe_timestamp(entry.last_modified),
                    w,
                    Style::new(),
                ),
                4 => cell(
                    &if entry.is_delete_marker() {
                        "—".into()
                    } else {
                        format::maybe_size(entry.size())
                    },
                    w,
                    Style::new(),
                ),
                5 => cell(&etag, w, theme.dim),
                6 => cell(&lock.mode.0, w, lock.mode.1),
                7 => cell(&lock.until, w, Style::new()),
                8 => cell(
                    &lock.merged_countdown(chosen.contains(&6), chosen.contains(&9)),
                    w,
                    lock.countdown.1,
                ),
                9 => cell(&lock.hold.0, w, lock.hold.1),
                _ => cell(
                    &entry
                        .owner
                        .as_ref()
                        .map_or("—".into(), |o| text::name(o.label()).into_owned()),
                    w,
                    theme.dim,
                ),
            })
            .collect();
        Row::new(cells)
    });
}
