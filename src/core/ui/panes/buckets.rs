//! The buckets pane: every bucket with its versioning and Object Lock, as the server said.

use super::*;

pub fn buckets(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let focused = state.focus == Pane::Buckets;
    let pane = &state.buckets;
    let partial = partial_notes(&pane.load, pane.rows.len(), "R loads again", theme);
    let mut parts: Vec<Part> = partial
        .iter()
        .map(|(top, _)| part(top.clone(), Keep::Always))
        .collect();
    parts.push(part(
        Span::styled(format!("{}", pane.rows.len()), theme.dim),
        Keep::Extra,
    ));
    parts.extend(loading_note(&pane.load, pane.rows.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Buckets", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if pane.rows.is_empty() {
        let text = match &pane.load {
            Load::Loading { .. } => "Loading buckets…",
            Load::Failed { .. } => "The bucket list could not be loaded. R tries again.",
            _ => "No buckets.",
        };
        placeholder(frame, area, b, vec![Line::styled(text, theme.dim)]);
        return;
    }
    // The name column asks for what the longest name needs, so that less important columns
    // give way before names are cut.
    let longest = pane
        .rows
        .iter()
        .map(|r| {
            text::width(&text::name(&r.bucket.name))
                + if state.watch_level(&r.bucket.name).is_some() {
                    2
                } else {
                    0
                }
        })
        .max()
        .unwrap_or(0);
    let columns: [Column; 4] = [
        Column {
            header: "Name",
            width: (longest as u16).clamp(8, 40),
            flex: true,
            priority: 0,
        },
        Column {
            header: "Versioning",
            width: 10,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Object Lock",
            width: 17,
            flex: false,
            priority: 1,
        },
        Column {
            header: "Created",
            width: 10,
            flex: false,
            priority: 3,
        },
    ];
    let spec = TableSpec {
        columns: &columns,
        block: b,
        focused,
    };
    table::draw(frame, area, spec, &pane.view, theme, |i, chosen, widths| {
        let row = &pane.rows[i];
        let (versioning, lock, lock_style) = match &row.detail {
            Detail::Loading(_) => ("…".to_string(), "…".to_string(), theme.dim),
            Detail::Stopped => ("stopped".to_string(), "stopped · R".to_string(), theme.dim),
            Detail::Failed(e) => ("?".to_string(), format!("? {}", e.short()), theme.unknown),
            Detail::Loaded(d) => {
                let style = match &d.lock {
                    crate::domain::BucketLock::Enabled {
                        default_retention: Some((crate::domain::RetentionMode::Compliance, _)),
                    } => theme.compliance,
                    crate::domain::BucketLock::Enabled {
                        default_retention: Some((crate::domain::RetentionMode::Governance, _)),
                    } => theme.governance,
                    _ => Style::new(),
                };
                (d.versioning.label().to_string(), d.lock.label(), style)
            }
        };
        let created = row
            .bucket
            .created
            .map(|t| format::timestamp(t)[..10].to_string())
            .unwrap_or_else(|| "—".into());
        // A bucket its watcher alerts on: marked before its name, in the alert's colour.
        let (name, name_style) = match state.watch_level(&row.bucket.name) {
            Some(crate::domain::watch::Level::Critical) => {
                (format!("▲ {}", text::name(&row.bucket.name)), theme.error)
            }
            Some(crate::domain::watch::Level::Warning) => {
                (format!("△ {}", text::name(&row.bucket.name)), theme.warning)
            }
            _ => (text::name(&row.bucket.name).into_owned(), Style::new()),
        };
        let cells = chosen.iter().zip(widths).map(|(&c, &w)| match c {
            0 => cell(&name, w, name_style),
            1 => cell(&versioning, w, Style::new()),
            2 => cell(&lock, w, lock_style),
            _ => cell(&created, w, theme.dim),
        });
        Row::new(cells.collect::<Vec<_>>())
    });
}
