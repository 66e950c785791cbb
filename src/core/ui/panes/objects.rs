//! The objects pane: one level of a bucket (folders and keys), with what each key's latest
//! entry is, partial listings said in the title.

use super::*;

pub fn objects(frame: &mut Frame, area: Rect, state: &AppState, now: Timestamp, theme: &Theme) {
    let focused = state.focus == Pane::Objects;
    let pane = &state.objects;
    let Some(bucket) = &pane.bucket else {
        let b = block(
            title_line("Objects", focused, vec![], area.width, theme),
            focused,
            theme,
        );
        placeholder(
            frame,
            area,
            b,
            vec![Line::styled("Select a bucket and press Enter.", theme.dim)],
        );
        return;
    };
    let (prefixes, present, deleted) = pane.counts();
    let partial = partial_notes(
        &pane.load,
        pane.level.len(),
        if pane.resume.is_some() {
            "R resumes"
        } else {
            "R loads again"
        },
        theme,
    );
    let mut parts: Vec<Part> = partial
        .iter()
        .map(|(top, _)| part(top.clone(), Keep::Always))
        .collect();
    parts.push(part(
        Span::styled(
            format!(
                "s3://{}/{}",
                text::sanitize(bucket),
                text::sanitize(&pane.prefix)
            ),
            theme.emphasis,
        ),
        Keep::Place,
    ));
    // Folders are counted only where there are some: the title has little room.
    let mut counts = match prefixes {
        0 => plural(present, "object"),
        _ => format!(
            "{} · {}",
            plural(prefixes, "folder"),
            plural(present, "object")
        ),
    };
    if pane.lists_versions() {
        counts.push_str(&format!(" · {deleted} deleted"));
    }
    // Briefly where the title is narrow: rows, and deleted ones with the pane's mark for them.
    let mut brief = plural(pane.level.len(), "row");
    if pane.lists_versions() {
        brief.push_str(&format!(" · {deleted}×"));
    }
    parts.push(Part {
        span: Span::styled(counts, theme.dim),
        short: Some(Span::styled(brief, theme.dim)),
        keep: Keep::Count,
    });
    if pane.show_deleted {
        parts.push(part(
            Span::styled("[deleted shown]", theme.warning),
            Keep::Extra,
        ));
    }
    if let Some(t) = pane.as_of {
        // After PARTIAL / FAILED, before the location.
        let at = parts.iter().take_while(|p| p.keep == Keep::Always).count();
        parts.insert(
            at,
            Part {
                span: Span::styled(
                    format!(
                        "AS OF {} UTC · read-only",
                        crate::domain::format::timestamp(t)
                    ),
                    theme.warning,
                ),
                short: Some(Span::styled(
                    format!("AS OF {}", crate::domain::format::timestamp(t)),
                    theme.warning,
                )),
                keep: Keep::Always,
            },
        );
    }
    if pane.marks.count() > 0 {
        parts.push(part(
            Span::styled(
                format!("{} marked · U undeletes", pane.marks.count()),
                theme.warning,
            ),
            Keep::Always,
        ));
    }
    parts.extend(loading_note(&pane.load, pane.level.len(), theme));
    parts.extend(filter_note(&pane.view, theme));
    let mut b = block(
        title_line("Objects", focused, parts, area.width, theme),
        focused,
        theme,
    );
    if let Some((_, bottom)) = partial {
        b = b.title_bottom(bottom);
    }
    if pane.level.is_empty() {
        if let Some(lines) = failure_lines(&pane.load, state, theme) {
            placeholder(frame, area, b, lines);
            return;
        }
        let mut lines = vec![Line::styled(
            if pane.load.is_loading() {
                "Loading…"
            } else {
                "No objects here."
            },
            theme.dim,
        )];
        if !pane.show_deleted && !pane.load.is_loading() {
            lines.push(Line::styled(
                format!(
                    "Press {} to show deleted objects.",
                    state.keymap.hint(Scope::Objects, Command::ToggleDeleted)
                ),
                theme.dim,
            ));
        }
        placeholder(frame, area, b, lines);
        return;
    }
    let longest = pane
        .view
        .on_screen(crate::layout::body_rows(area))
        .filter_map(|p| pane.view.row_at(p))
        .filter_map(|i| pane.level.row(i))
        .map(|r| text::width(&text::name(pane.row_name(&r))) + 2)
        .max()
        .unwrap_or(0);
    // The column the rows are sorted by carries an arrow: ↑ ascending, ↓ descending.
    let sorted = |by: SortBy, plain: &'static str, marked: &'static str| {
        if pane.sort == by { marked } else { plain }
    };
    let columns: [Column; 4] = [
        Column {
            header: sorted(SortBy::Name, "Name", "Name ↑"),
            width: (longest as u16).clamp(12, 48),
            flex: true,
            priority: 0,
        },
        Column {
            header: sorted(SortBy::Size, "Size", "Size ↓"),
            // Room for "del 59m ago" on a deleted row when the date column is left out.
            width: if pane.lists_versions() { 11 } else { 10 },
            flex: false,
            priority: 1,
        },
        Column {
            header: sorted(SortBy::Date, "Last modified (UTC)", "Modified (UTC) ↓"),
            width: 19,
            flex: false,
            priority: 2,
        },
        Column {
            header: "Class",
            width: 11,
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
        let Some(row) = pane.level.row(i) else {
            return Row::new(Vec::<ratatui::widgets::Cell>::new());
        };
        let name = pane.row_name(&row);
        let marked = pane.marks.is_marked(&pane.level, i);
        let mark = |style: Style| -> Style { if marked { theme.warning } else { style } };
        let shown = |name: String| -> String { if marked { format!("● {name}") } else { name } };
        let cells: Vec<_> = match row {
            LevelRow::Prefix(prefix) => {
                // With deleted objects shown: a folder of deleted files only is marked as a
                // deleted key is. As of a time: a folder that held no key then says so.
                let (name, name_style, kind, kind_style) = match pane.folders.get(&**prefix) {
                    Some(FolderProbe::Empty) if pane.as_of.is_some() => (
                        text::name(name).into_owned(),
                        theme.dim,
                        "none then",
                        theme.dim,
                    ),
                    Some(FolderProbe::Empty) => (
                        format!("× {}", text::name(name)),
                        theme.deleted,
                        "all deleted",
                        theme.marker,
                    ),
                    Some(FolderProbe::Failed(_)) => (
                        text::name(name).into_owned(),
                        theme.prefix,
                        "folder ?",
                        theme.unknown,
                    ),
                    _ => (
                        text::name(name).into_owned(),
                        theme.prefix,
                        "folder",
                        theme.dim,
                    ),
                };
                chosen
                    .iter()
                    .zip(widths)
                    .map(|(&c, &w)| match c {
                        0 => cell(&shown(name.clone()), w, mark(name_style)),
                        1 => cell(kind, w, kind_style),
                        _ => cell("", w, Style::new()),
                    })
                    .collect()
            }
            LevelRow::Object(LevelObject::Present(o)) => chosen
                .iter()
                .zip(widths)
                .map(|(&c, &w)| match c {
                    0 => cell(&shown(text::name(name).into_owned()), w, mark(Style::new())),
                    1 => cell(&format::maybe_size(o.size), w, Style::new()),
                    2 => cell(&format::maybe_timestamp(o.last_modified), w, Style::new()),
                    _ => cell(o.storage_class.unwrap_or(""), w, theme.dim),
                })
                .collect(),
            LevelRow::Object(LevelObject::Deleted(d)) => chosen
                .iter()
                .zip(widths)
                .map(|(&c, &w)| match c {
                    0 => cell(
                        &shown(format!("× {}", text::name(name))),
                        w,
                        mark(theme.deleted),
                    ),
                    // Without the date column, when it was deleted goes here.
                    1 if !chosen.contains(&2) => cell(
                        &d.deleted_at.map_or("deleted".to_string(), |t| {
                            format!("del {} ago", format::age_short(now.duration_since(t)))
                        }),
                        w,
                        theme.marker,
                    ),
                    1 => cell("deleted", w, theme.marker),
                    2 => cell(&format::maybe_timestamp(d.deleted_at), w, theme.deleted),
                    _ => cell("", w, Style::new()),
                })
                .collect(),
        };
        Row::new(cells)
    });
}
