//! `P`: the lock-coverage report as it is built and when it is done.

use super::*;

pub(super) fn report_box(frame: &mut Frame, r: &crate::app::ReportView, theme: &Theme) {
    use crate::app::ReportStage;
    let title = format!("Lock-coverage report of {}", r.location);
    match &r.stage {
        ReportStage::Building { versions } => boxed(
            frame,
            &title,
            vec![
                Line::raw(format!(
                    "Reading the lock of every version… {versions} versions so far"
                )),
                Line::raw(""),
                Line::styled("Esc: stop", theme.dim),
            ],
            theme.border_focused,
            theme,
        ),
        ReportStage::Failed(why) => boxed(
            frame,
            &title,
            vec![
                Line::styled(text::sanitize(why).into_owned(), theme.error),
                Line::raw(""),
                Line::styled("Enter or Esc closes this.", theme.dim),
            ],
            theme.error,
            theme,
        ),
        ReportStage::Done {
            markdown,
            file_name,
            scroll,
            hscroll,
            saved,
        } => {
            // The report as a terminal shows it: tables aligned, prose wrapped to the popup,
            // wide tables scrolled sideways.
            // The list box's inside: the screen less 4 columns (at most 140), less its borders.
            let width = usize::from(frame.area().width.saturating_sub(4).min(140))
                .saturating_sub(2)
                .max(20);
            let rendered = terminal_lines(markdown, width);
            let foot = report_foot(file_name, saved.as_ref(), width, theme);
            // Never past the last screenful: the popup's borders, margins and footer.
            let rows = usize::from(frame.area().height.saturating_sub(4))
                .saturating_sub(foot.len())
                .max(1);
            let scroll = (*scroll).min(rendered.len().saturating_sub(rows));
            let list: Vec<Line<'static>> = rendered
                .into_iter()
                .skip(scroll)
                .take(usize::from(frame.area().height))
                .map(|(l, kind)| {
                    let style = match kind {
                        Kind::Heading => theme.emphasis,
                        Kind::TableHead => theme.dim,
                        Kind::Text => Style::new(),
                    };
                    // Nothing is cut without a mark: a line scrolled sideways starts with `…`,
                    // one wider than the popup ends with it.
                    let mut shown: String = l.chars().skip(*hscroll).collect();
                    if *hscroll > 0 && !l.is_empty() {
                        shown = format!("…{}", shown.chars().skip(1).collect::<String>());
                    }
                    Line::styled(text::truncate(&shown, width).into_owned(), style)
                })
                .collect();
            list_box(
                frame,
                ListBox {
                    title,
                    border: theme.border_focused,
                    head: Vec::new(),
                    list,
                    foot,
                    wrap_list: false,
                },
                theme,
            );
        }
    }
}

/// The report popup's footer: what saving did, the file it saves to, and the keys, on lines of
/// their own so that a long file name never pushes the keys off.
fn report_foot(
    file_name: &str,
    saved: Option<&Result<String, String>>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut foot = vec![Line::raw("")];
    match saved {
        Some(Ok(path)) => foot.push(Line::styled(
            format!("Saved to {}", text::sanitize(path)),
            theme.success,
        )),
        Some(Err(e)) => foot.push(Line::styled(text::sanitize(e).into_owned(), theme.error)),
        None => {}
    }
    foot.push(Line::styled(
        text::truncate(
            &format!("s: save as ./{}", text::sanitize(file_name)),
            width,
        )
        .into_owned(),
        theme.dim,
    ));
    foot.push(Line::styled(
        "j/k pgup/pgdn: scroll   h/l: sideways   Esc: close",
        theme.dim,
    ));
    foot
}

/// What a rendered line is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    TableHead,
    Text,
}

/// The report's Markdown as plain terminal lines: headings without `#`, each table's columns
/// aligned (numbers to the right where the table says so, separator rows dropped, escaped
/// pipes and code marks undone), other lines wrapped at `width`. Server text is sanitized.
fn terminal_lines(markdown: &str, width: usize) -> Vec<(String, Kind)> {
    let mut out = Vec::new();
    let mut table: Vec<&str> = Vec::new();
    for line in markdown.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            table.push(line);
            continue;
        }
        if !table.is_empty() {
            out.extend(render_table(&table, width));
            table.clear();
        }
        // Code marks are Markdown's, not the report's.
        let line = line.replace('`', "");
        if let Some(h) = line.strip_prefix('#') {
            out.push((
                text::sanitize(h.trim_start_matches('#').trim()).into_owned(),
                Kind::Heading,
            ));
        } else {
            for wrapped in wrap(&text::sanitize(&line), width) {
                out.push((wrapped, Kind::Text));
            }
        }
    }
    while out.last().is_some_and(|(l, _)| l.is_empty()) {
        out.pop();
    }
    out
}

/// The cells of a Markdown table row (`\|` is a pipe inside a cell).
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(last) = cells.last_mut() {
                    last.push('|');
                }
            }
            '|' => cells.push(String::new()),
            '`' => {}
            c => {
                if let Some(last) = cells.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A table's rows aligned. A label/value table (two columns, no header) wraps a value too wide for the
/// popup onto lines indented under the value column; wider tables keep their rows whole, to be
/// scrolled sideways.
fn render_table(rows: &[&str], width: usize) -> Vec<(String, Kind)> {
    let is_separator = |cells: &[String]| {
        cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
    };
    let parsed: Vec<Vec<String>> = rows.iter().map(|r| cells(r)).collect();
    let right: Vec<bool> = parsed
        .iter()
        .find(|c| is_separator(c))
        .map(|sep| sep.iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    // Separator rows go, and so does a header of empty cells (a two-column key/value table).
    let body: Vec<&Vec<String>> = parsed
        .iter()
        .filter(|c| !is_separator(c) && c.iter().any(|x| !x.is_empty()))
        .collect();
    let columns = body.iter().map(|c| c.len()).max().unwrap_or(0);
    // A label/value table: two columns under a header of empty cells.
    let label_value = columns == 2
        && parsed
            .first()
            .is_some_and(|h| h.iter().all(|c| c.is_empty()));
    let mut widths = vec![0usize; columns];
    for row in &body {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(text::width(&text::sanitize(c)));
        }
    }
    body.iter()
        .enumerate()
        .flat_map(|(n, row)| {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = text::sanitize(row.get(i).map_or("", String::as_str)).into_owned();
                let pad = w.saturating_sub(text::width(&cell));
                if i > 0 {
                    line.push_str("  ");
                }
                if right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&cell);
                } else {
                    line.push_str(&cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            let kind = if n == 0
                && parsed.len() > 1
                && is_separator(&parsed[1])
                && parsed[0].iter().any(|x| !x.is_empty())
            {
                Kind::TableHead
            } else {
                Kind::Text
            };
            let line = line.trim_end().to_string();
            if !label_value || text::width(&line) <= width {
                return vec![(line, kind)];
            }
            let label = text::sanitize(row.first().map_or("", String::as_str)).into_owned();
            let indent = widths[0] + 2;
            let value = text::sanitize(row.get(1).map_or("", String::as_str)).into_owned();
            let room = width.saturating_sub(indent).max(10);
            wrap(&value, room)
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    let lead = if k == 0 {
                        format!("{label}{}", " ".repeat(indent - text::width(&label)))
                    } else {
                        " ".repeat(indent)
                    };
                    (format!("{lead}{part}"), kind)
                })
                .collect()
        })
        .collect()
}

/// Greedy word wrap at `width` display columns; a word longer than a line is cut.
fn wrap(line: &str, width: usize) -> Vec<String> {
    if text::width(line) <= width {
        return vec![line.to_string()];
    }
    let indent: String = line.chars().take_while(|c| *c == ' ').collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        let needed = text::width(&current) + usize::from(!current.is_empty()) + text::width(word);
        if !current.is_empty() && needed > width {
            out.push(std::mem::take(&mut current));
            current.push_str(&indent);
        }
        if !current.is_empty() && !current.ends_with(' ') {
            current.push(' ');
        }
        current.push_str(word);
        while text::width(&current) > width {
            let head: String = text::truncate(&current, width).into_owned();
            let rest: String = current.chars().skip(head.chars().count()).collect();
            out.push(head);
            current = rest;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned_and_prose_wrapped() {
        let md = "# Title\n\n| protection | versions |\n|---|---:|\n| COMPLIANCE (retained) | 16 |\n| none | 3 |\n\nA sentence long enough to be wrapped at twenty columns.\n| `a\\|b` | x |\n";
        let lines = terminal_lines(md, 20);
        let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(text[0], "Title");
        assert_eq!(lines[0].1, Kind::Heading);
        assert_eq!(text[2], "protection             versions");
        assert_eq!(lines[2].1, Kind::TableHead);
        assert_eq!(text[3], "COMPLIANCE (retained)        16");
        assert_eq!(text[4], "none                          3");
        assert!(text.iter().all(|l| !l.contains("---")), "{text:?}");
        assert!(text.contains(&"A sentence long"), "{text:?}");
        assert!(
            text.contains(&"a|b  x"),
            "an escaped pipe is a pipe: {text:?}"
        );
    }

    #[test]
    fn a_label_value_table_wraps_its_values_under_the_value_column() {
        let md = "| | |\n|---|---|\n| Taken at | 2026-12-07 05:02:44 UTC by the server's clock, which is in step with this machine's |\n| Versioning | Enabled |\n";
        let lines = terminal_lines(md, 40);
        let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
        assert!(text.iter().all(|l| text::width(l) <= 40), "{text:?}");
        assert!(text[0].starts_with("Taken at    2026-12-07"), "{text:?}");
        assert!(
            text[1].starts_with("            "),
            "continued under the value: {text:?}"
        );
        let joined = text.join(" ");
        assert!(
            joined.contains("in step with this"),
            "nothing lost: {text:?}"
        );
        assert!(
            text.iter().any(|l| l.starts_with("Versioning  Enabled")),
            "{text:?}"
        );
    }
}
