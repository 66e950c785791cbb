//! A table that builds only the rows on screen, with columns dropped by priority when the pane
//! is too narrow.

use crate::app::ListView;
use crate::domain::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

/// A column: its header, the width it needs, whether it takes the leftover space, and its
/// priority (lower numbers are dropped last).
pub struct Column {
    pub header: &'static str,
    pub width: u16,
    pub flex: bool,
    pub priority: u8,
}

/// Which columns fit in `width`, in their original order.
pub fn fit(columns: &[Column], width: u16) -> Vec<usize> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| columns[i].priority);
    let mut chosen = Vec::new();
    let mut used: u16 = 0;
    for i in order {
        let need = columns[i].width + if chosen.is_empty() { 0 } else { 1 };
        if used + need <= width {
            used += need;
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A cell's text from untrusted input: escaped, and cut with an ellipsis to `width`.
pub fn cell<'a>(s: &str, width: u16, style: Style) -> Cell<'a> {
    let safe = text::sanitize(s);
    Cell::from(Span::styled(
        text::truncate(&safe, usize::from(width)).into_owned(),
        style,
    ))
}

pub struct TableSpec<'a> {
    pub columns: &'a [Column],
    pub block: Block<'a>,
    pub focused: bool,
}

/// Draws `view`'s on-screen rows; `row` builds the cells of one row (by row index) given the
/// chosen columns and their widths.
pub fn draw<F>(
    frame: &mut Frame,
    area: Rect,
    spec: TableSpec<'_>,
    view: &ListView,
    theme: &Theme,
    mut row: F,
) where
    F: FnMut(usize, &[usize], &[u16]) -> Row<'static>,
{
    let inner_width = area.width.saturating_sub(2);
    let chosen = fit(spec.columns, inner_width);
    let fixed: u16 = chosen.iter().map(|&i| spec.columns[i].width).sum::<u16>()
        + chosen.len().saturating_sub(1) as u16;
    let spare = inner_width.saturating_sub(fixed);
    let widths: Vec<u16> = chosen
        .iter()
        .map(|&i| spec.columns[i].width + if spec.columns[i].flex { spare } else { 0 })
        .collect();
    let height = usize::from(area.height.saturating_sub(3));
    let range = view.on_screen(height);
    let rows: Vec<Row> = range
        .clone()
        .filter_map(|p| view.row_at(p))
        .map(|i| row(i, &chosen, &widths))
        .collect();
    let header = Row::new(
        chosen
            .iter()
            .map(|&i| Cell::from(Line::from(spec.columns[i].header))),
    )
    .style(theme.header);
    let selected = view
        .cursor
        .selected
        .checked_sub(range.start)
        .filter(|s| range.start + s < range.end);
    let mut table_state = TableState::default().with_selected(selected);
    let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
        .header(header)
        .block(spec.block)
        .column_spacing(1)
        .row_highlight_style(if spec.focused {
            theme.selected
        } else {
            theme.selected_unfocused
        });
    frame.render_stateful_widget(table, area, &mut table_state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_dropped_by_priority_and_keep_their_order() {
        let cols = [
            Column {
                header: "a",
                width: 10,
                flex: true,
                priority: 0,
            },
            Column {
                header: "b",
                width: 10,
                flex: false,
                priority: 2,
            },
            Column {
                header: "c",
                width: 10,
                flex: false,
                priority: 1,
            },
        ];
        assert_eq!(fit(&cols, 40), vec![0, 1, 2]);
        assert_eq!(fit(&cols, 25), vec![0, 2]);
        assert_eq!(fit(&cols, 9), Vec::<usize>::new());
    }
}
