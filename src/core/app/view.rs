//! A scrolling, filterable, sortable list: which row is selected, which is at the top, in
//! which order the rows are shown, which of them the filter lets through. Rows themselves live
//! in the panes.
//!
//! Three kinds of index meet here: a *row* is an index into the pane's data; a *position* is a
//! place in display order (the same as the row unless the pane is sorted); a *visible* index
//! counts only the positions the filter lets through (the cursor's unit).

use crate::domain::sort::SortedRows;
pub use crate::domain::sort::index as position;
use crate::keys::Command;
use std::ops::Range;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// Positions (in display order) of the rows that match, ascending; in 32 bits, as a
    /// filter can match ten million rows.
    pub matches: Vec<u32>,
}

/// Cursor positions are indices into the visible rows (the filter's matches when filtering).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// A set of rows, a bit each (ten million rows: 1.25 MB).
pub struct RowSet(Vec<u64>);

impl RowSet {
    pub fn new(rows: usize) -> RowSet {
        RowSet(vec![0; rows.div_ceil(64)])
    }

    pub fn insert(&mut self, row: usize) {
        if let Some(word) = self.0.get_mut(row / 64) {
            *word |= 1 << (row % 64);
        }
    }

    pub fn contains(&self, row: usize) -> bool {
        self.0
            .get(row / 64)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }
}

/// The display positions of the rows in `hit` under `order`, ascending.
pub fn positions_of(order: &SortedRows, hit: &RowSet) -> Vec<u32> {
    order
        .rows()
        .enumerate()
        .filter(|&(_, r)| hit.contains(r))
        .map(|(p, _)| position(p))
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    pub cursor: Cursor,
    pub filter: Option<Filter>,
    /// How many rows the pane holds (before filtering).
    pub len: usize,
    /// The display order of a sorted pane, covering every row; `None`: rows in their order.
    pub order: Option<SortedRows>,
}

impl ListView {
    pub fn visible_len(&self) -> usize {
        match &self.filter {
            Some(f) => f.matches.len(),
            None => self.len,
        }
    }

    /// The row index behind a visible position.
    pub fn row_at(&self, visible: usize) -> Option<usize> {
        let position = match &self.filter {
            Some(f) => f.matches.get(visible).map(|&p| p as usize),
            None => (visible < self.len).then_some(visible),
        }?;
        match &self.order {
            Some(order) => order.row(position),
            None => Some(position),
        }
    }

    /// The display position of `row`.
    pub fn position_of(&self, row: usize) -> Option<usize> {
        match &self.order {
            Some(order) => order.position(row),
            None => (row < self.len).then_some(row),
        }
    }

    pub fn selected_row(&self) -> Option<usize> {
        self.row_at(self.cursor.selected)
    }

    /// Visible positions on screen for a pane `height` rows tall.
    pub fn on_screen(&self, height: usize) -> Range<usize> {
        let end = (self.cursor.offset + height).min(self.visible_len());
        self.cursor.offset.min(end)..end
    }

    pub fn filter_text(&self) -> Option<String> {
        self.filter.as_ref().map(|f| f.text.clone())
    }

    /// Keeps the selection inside the rows and on screen.
    pub fn clamp(&mut self, height: usize) {
        let len = self.visible_len();
        let height = height.max(1);
        if len == 0 {
            self.cursor = Cursor::default();
            return;
        }
        self.cursor.selected = self.cursor.selected.min(len - 1);
        if self.cursor.selected < self.cursor.offset {
            self.cursor.offset = self.cursor.selected;
        } else if self.cursor.selected >= self.cursor.offset + height {
            self.cursor.offset = self.cursor.selected + 1 - height;
        }
        self.cursor.offset = self.cursor.offset.min(len.saturating_sub(height));
    }

    pub fn apply(&mut self, command: Command, height: usize) {
        let len = self.visible_len();
        if len == 0 {
            return;
        }
        let page = height.max(1);
        let s = self.cursor.selected;
        self.cursor.selected = match command {
            Command::Up => s.saturating_sub(1),
            Command::Down => (s + 1).min(len - 1),
            Command::Top => 0,
            Command::Bottom => len - 1,
            Command::PageUp => s.saturating_sub(page),
            Command::PageDown => (s + page).min(len - 1),
            _ => s,
        };
        self.clamp(height);
    }

    /// Selects the row with index `row` if it is visible.
    pub fn select_row(&mut self, row: usize, height: usize) {
        let visible = self.position_of(row).and_then(|p| match &self.filter {
            Some(f) => f.matches.binary_search(&position(p)).ok(),
            None => (p < self.len).then_some(p),
        });
        if let Some(v) = visible {
            self.cursor.selected = v;
        }
        self.clamp(height);
    }

    /// The display position of the selected row.
    pub fn selected_position(&self) -> Option<usize> {
        match &self.filter {
            Some(f) => f.matches.get(self.cursor.selected).map(|&p| p as usize),
            None => (self.cursor.selected < self.len).then_some(self.cursor.selected),
        }
    }

    /// Selects the row at display `position` if it is visible.
    pub fn select_position(&mut self, position: usize, height: usize) {
        let visible = match &self.filter {
            Some(f) => f.matches.binary_search(&self::position(position)).ok(),
            None => (position < self.len).then_some(position),
        };
        if let Some(v) = visible {
            self.cursor.selected = v;
        }
        self.clamp(height);
    }

    /// A new display order and filter whose positions the caller maps the selection to (with
    /// `select_position`).
    pub fn replace(&mut self, order: SortedRows, filter: Option<Filter>) {
        self.len = order.len();
        self.order = Some(order);
        self.filter = filter;
    }

    /// Replaces the rows' count and the filter's matches (computed by the pane), keeping the
    /// same row selected where it is still visible. A sorted pane's order must already cover
    /// `len` rows.
    pub fn reset(&mut self, len: usize, filter: Option<Filter>, height: usize) {
        let selected = self.selected_row();
        self.len = len;
        self.filter = filter;
        self.reselect(selected, height);
    }

    /// Like `reset`, with a new display order covering every row; `selected` is the row to
    /// keep selected (taken before the order was taken out to be changed).
    pub fn reorder(
        &mut self,
        selected: Option<usize>,
        order: SortedRows,
        filter: Option<Filter>,
        height: usize,
    ) {
        self.len = order.len();
        self.order = Some(order);
        self.filter = filter;
        self.reselect(selected, height);
    }

    fn reselect(&mut self, selected: Option<usize>, height: usize) {
        match selected {
            Some(row) => self.select_row(row, height),
            None => self.clamp(height),
        }
    }
}

/// Case-insensitive substring match used by every pane's filter. An ASCII needle (nearly
/// every filter typed) is matched byte by byte with ASCII case folding, without allocating:
/// a filter over a million names stays fast. Other needles lowercase the name first.
pub fn matches(haystack: &str, needle_lower: &str) -> bool {
    if !needle_lower.is_ascii() {
        return haystack.to_lowercase().contains(needle_lower);
    }
    let (h, n) = (haystack.as_bytes(), needle_lower.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    if h.len() < n.len() {
        return false;
    }
    (0..=h.len() - n.len()).any(|i| {
        h[i].to_ascii_lowercase() == first
            && h[i + 1..i + n.len()]
                .iter()
                .zip(rest)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_with_and_without_ascii() {
        assert!(matches("Backup-2026.SQL", "sql"));
        assert!(matches("Backup-2026.SQL", ""));
        assert!(!matches("Backup", "backups"));
        assert!(matches("ÄRGER.txt", "ärger"));
        assert!(matches("日本語.tar", ".tar"));
    }

    fn view(len: usize) -> ListView {
        ListView {
            len,
            ..ListView::default()
        }
    }

    #[test]
    fn moving_down_scrolls_only_at_the_edge() {
        let mut v = view(100);
        for _ in 0..9 {
            v.apply(Command::Down, 10);
        }
        assert_eq!(
            v.cursor,
            Cursor {
                selected: 9,
                offset: 0
            }
        );
        v.apply(Command::Down, 10);
        assert_eq!(
            v.cursor,
            Cursor {
                selected: 10,
                offset: 1
            }
        );
        v.apply(Command::Up, 10);
        assert_eq!(
            v.cursor,
            Cursor {
                selected: 9,
                offset: 1
            }
        );
    }

    #[test]
    fn pages_and_ends_stay_in_bounds() {
        let mut v = view(25);
        v.apply(Command::PageDown, 10);
        assert_eq!(v.cursor.selected, 10);
        v.apply(Command::Bottom, 10);
        assert_eq!(
            v.cursor,
            Cursor {
                selected: 24,
                offset: 15
            }
        );
        v.apply(Command::PageDown, 10);
        assert_eq!(v.cursor.selected, 24);
        v.apply(Command::Top, 10);
        assert_eq!(
            v.cursor,
            Cursor {
                selected: 0,
                offset: 0
            }
        );
        let mut empty = view(0);
        empty.apply(Command::Bottom, 10);
        assert_eq!(empty.cursor, Cursor::default());
    }

    #[test]
    fn filtering_keeps_the_selected_row_when_it_still_matches() {
        let mut v = view(10);
        v.select_row(6, 5);
        v.reset(
            10,
            Some(Filter {
                text: "x".into(),
                matches: vec![1, 6, 8],
            }),
            5,
        );
        assert_eq!(v.cursor.selected, 1);
        assert_eq!(v.selected_row(), Some(6));
        v.reset(10, None, 5);
        assert_eq!(v.selected_row(), Some(6));
    }

    #[test]
    fn shrinking_clamps_the_selection() {
        let mut v = view(10);
        v.apply(Command::Bottom, 4);
        v.reset(3, None, 4);
        assert_eq!(v.selected_row(), Some(2));
        assert_eq!(v.on_screen(4), 0..3);
    }
}
