//! The orders the objects pane can be sorted in, the natural comparison of names, and the
//! sorting of a level's rows, all at once or as pages add rows.

use super::listing::{Level, LevelObject};
use std::cmp::Ordering;

/// What the objects pane is sorted by. Folders stay above objects in every order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Natural name order: `backup-2` before `backup-10`.
    #[default]
    Name,
    /// Largest first; rows without a size (deleted objects) last.
    Size,
    /// Newest first (a deleted object by the time of its delete marker).
    Date,
}

impl SortBy {
    /// The next order `S` switches to.
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Name => SortBy::Size,
            SortBy::Size => SortBy::Date,
            SortBy::Date => SortBy::Name,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SortBy::Name => "by name (numbers in names by value)",
            SortBy::Size => "by size, largest first",
            SortBy::Date => "by date, newest first",
        }
    }
}

/// Compares names the way people count: runs of ASCII digits by their value (`file9` before
/// `file10`), everything else byte by byte as S3 orders keys. Among runs of equal value the
/// one with fewer leading zeros comes first, so two different names are never equal.
///
/// Most pairs differ outside any number, and then cost no more than a plain comparison: only
/// when the first difference touches a digit is the number around it compared.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let digit_at = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    if !digit_at(a, common) && !digit_at(b, common) {
        return a[common..].cmp(&b[common..]);
    }
    // The difference is inside a number: compare from where that number starts.
    let mut start = common;
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    natural_from(&a[start..], &b[start..])
}

fn natural_from(mut a: &[u8], mut b: &[u8]) -> Ordering {
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let order = compare_numbers(na, nb);
                if order != Ordering::Equal {
                    return order;
                }
                a = ra;
                b = rb;
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

/// Two runs of digits by value, then the shorter (fewer leading zeros) first.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let (va, vb) = (strip_zeros(a), strip_zeros(b));
    va.len()
        .cmp(&vb.len())
        .then_with(|| va.cmp(vb))
        .then_with(|| a.len().cmp(&b.len()))
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let zeros = s.iter().take_while(|&&c| c == b'0').count();
    &s[zeros..]
}

/// A row's place in the order `by` before names are compared, as one number that grows down
/// the pane: 0 for folders (always on top), then sizes or times descending, `u64::MAX` for
/// objects without the value (deleted objects have no size), which go last. Every object
/// ranks the same by name.
pub fn rank(level: &Level, by: SortBy, row: usize) -> u64 {
    let folders = level.prefixes.len();
    if row < folders {
        return 0;
    }
    let Some(object) = level.object(row - folders) else {
        return u64::MAX;
    };
    let value = match (by, &object) {
        (SortBy::Name, _) => Some(1),
        // Sizes end far below 2^64: the values stay within 1..u64::MAX.
        (SortBy::Size, LevelObject::Present(p)) => {
            p.size.map(|s| u64::MAX - 1 - s.min(u64::MAX - 2))
        }
        (SortBy::Size, LevelObject::Deleted(_)) => None,
        (SortBy::Date, o) => {
            let time = match o {
                LevelObject::Present(p) => p.last_modified,
                LevelObject::Deleted(d) => d.deleted_at,
            };
            // Nanoseconds as an i64 cover 1677 to 2262; S3's dates are inside that.
            time.map(|t| {
                let n = t
                    .as_nanosecond()
                    .clamp(i128::from(i64::MIN) + 1, i128::from(i64::MAX) - 1);
                i64::MAX.abs_diff(i64::try_from(n).unwrap_or(i64::MAX - 1))
            })
        }
    };
    value.unwrap_or(u64::MAX)
}

/// The sorted rows of a level and each one's rank, position by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sorted {
    pub rows: Vec<u32>,
    pub ranks: Vec<u64>,
}

/// How rows of equal rank are ordered: by name, and by row index where two names are equal
/// (never, at one level). `names_in_order` says the level's objects are listed in natural
/// order already, so their row indices order them without reading a name.
struct Ties<'a> {
    level: &'a Level,
    names_in_order: bool,
}

impl Ties<'_> {
    fn name(&self, row: u32) -> &str {
        let row = row as usize;
        match self.level.prefixes.get(row) {
            Some(p) => p,
            None => self
                .level
                .object_key(row - self.level.prefixes.len())
                .unwrap_or_default(),
        }
    }

    fn compare(&self, rank: u64, a: u32, b: u32) -> Ordering {
        if rank != 0 && self.names_in_order {
            return a.cmp(&b);
        }
        natural_cmp(self.name(a), self.name(b)).then(a.cmp(&b))
    }

    fn compare_ranked(&self, (ra, a): (u64, u32), (rb, b): (u64, u32)) -> Ordering {
        ra.cmp(&rb).then_with(|| self.compare(ra, a, b))
    }
}

/// Adds `waiting` rows to `sorted` (the rows of `level` in the order `by`, as left by an
/// earlier call). Each waiting row's rank is read once and the pairs sorted as numbers; names
/// are compared only between rows of equal rank, and not at all where the listing's order is
/// already the natural one. The two sorted lists are then merged, or simply joined when every
/// waiting row comes after the sorted ones (names listed in order, sorted by name: nearly
/// always). Sorting a million rows from nothing takes a fraction of a second; adding a page to
/// them, a pass at most.
pub fn merge(
    level: &Level,
    by: SortBy,
    names_in_order: bool,
    sorted: Sorted,
    waiting: &[u32],
) -> Sorted {
    merge_joined(level, by, names_in_order, sorted, waiting).0
}

/// `merge`, and whether the waiting rows were only put after the sorted ones (which then kept
/// their positions).
pub fn merge_joined(
    level: &Level,
    by: SortBy,
    names_in_order: bool,
    sorted: Sorted,
    waiting: &[u32],
) -> (Sorted, bool) {
    let ties = Ties {
        level,
        names_in_order,
    };
    let folders = level.prefixes.len();
    // By name, with names listed in their natural order: objects waiting in row order are
    // already sorted and all rank the same, so nothing is read or compared (the common case
    // while a listing streams: each page then costs its own rows, not the whole pane's).
    let in_row_order = by == SortBy::Name
        && names_in_order
        && waiting.iter().all(|&r| r as usize >= folders)
        && waiting.windows(2).all(|w| w[0] < w[1]);
    if in_row_order {
        let joins = match (sorted.rows.last().zip(sorted.ranks.last()), waiting.first()) {
            (Some((&row, &rank)), Some(&first)) => {
                ties.compare_ranked((rank, row), (1, first)) == Ordering::Less
            }
            _ => true,
        };
        if joins {
            let Sorted {
                mut rows,
                mut ranks,
            } = sorted;
            rows.extend_from_slice(waiting);
            ranks.resize(ranks.len() + waiting.len(), 1);
            return (Sorted { rows, ranks }, true);
        }
    }
    let mut new: Vec<(u64, u32)> = if in_row_order {
        waiting.iter().map(|&r| (1, r)).collect()
    } else {
        let mut new: Vec<(u64, u32)> = waiting
            .iter()
            .map(|&r| (rank(level, by, r as usize), r))
            .collect();
        new.sort_unstable();
        new
    };
    let mut start = 0;
    while start < new.len() {
        let group = new[start].0;
        let end = start + new[start..].partition_point(|&(r, _)| r == group);
        if end - start > 1 && (group == 0 || !names_in_order) {
            new[start..end].sort_by(|x, y| ties.compare(group, x.1, y.1));
        }
        start = end;
    }
    let last = sorted.rows.last().zip(sorted.ranks.last());
    let joins = match (last, new.first()) {
        (Some((&row, &rank)), Some(&first)) => {
            ties.compare_ranked((rank, row), first) == Ordering::Less
        }
        _ => true,
    };
    let Sorted {
        mut rows,
        mut ranks,
    } = sorted;
    if joins {
        rows.extend(new.iter().map(|&(_, r)| r));
        ranks.extend(new.iter().map(|&(k, _)| k));
        return (Sorted { rows, ranks }, true);
    }
    let mut merged = Sorted {
        rows: Vec::with_capacity(rows.len() + new.len()),
        ranks: Vec::with_capacity(rows.len() + new.len()),
    };
    let mut old = rows.into_iter().zip(ranks).peekable();
    let mut new = new.into_iter().map(|(k, r)| (r, k)).peekable();
    loop {
        let take_old = match (old.peek(), new.peek()) {
            (Some(&(a, ka)), Some(&(b, kb))) => {
                ties.compare_ranked((ka, a), (kb, b)) != Ordering::Greater
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_old { old.next() } else { new.next() };
        if let Some((row, rank)) = next {
            merged.rows.push(row);
            merged.ranks.push(rank);
        }
    }
    (merged, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec![
            "backup-10.tar",
            "backup-9.tar",
            "backup-1.tar",
            "backup-100.tar",
            "backup-09.tar",
            "backup-.tar",
            "Backup-2.tar",
            "backup-9a.tar",
            "backup-9.tar.1",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "Backup-2.tar",
                "backup-.tar",
                "backup-1.tar",
                "backup-9.tar",
                "backup-9.tar.1",
                "backup-9a.tar",
                "backup-09.tar",
                "backup-10.tar",
                "backup-100.tar",
            ]
        );
    }

    #[test]
    fn numbers_longer_than_any_integer_still_compare() {
        let big = "n123456789012345678901234567890";
        let bigger = "n123456789012345678901234567891";
        assert_eq!(natural_cmp(big, bigger), Ordering::Less);
        assert_eq!(natural_cmp("n99", big), Ordering::Less);
    }

    #[test]
    fn dates_and_plain_names_keep_s3_order() {
        for (a, b) in [
            ("2026-01-02/", "2026-01-10/"),
            ("a", "b"),
            ("a", "ab"),
            ("日本", "日本語"),
            ("x/", "x0"),
        ] {
            assert_eq!(natural_cmp(a, b), a.cmp(b), "{a} vs {b}");
        }
    }

    #[test]
    fn the_order_cycles() {
        assert_eq!(SortBy::default().next().next().next(), SortBy::default());
    }

    use crate::domain::ObjectEntry;
    use std::sync::Arc;

    /// A level from sorted unique names: `d…/` names become folders, `x…` names deleted-like
    /// objects without a size, the rest objects with a size and time from the generator.
    fn level(entries: &[(String, u64, i64)]) -> Level {
        let mut level = Level::default();
        let folders = entries
            .iter()
            .filter(|(n, _, _)| n.starts_with('d'))
            .map(|(n, _, _)| format!("{n}/"))
            .collect();
        let objects = entries
            .iter()
            .filter(|(n, _, _)| !n.starts_with('d'))
            .map(|(n, size, secs)| ObjectEntry {
                key: Arc::from(n.as_str()),
                size: (!n.starts_with('x')).then_some(*size),
                last_modified: jiff::Timestamp::from_second(*secs).ok(),
                storage_class: None,
            })
            .collect();
        level.absorb_objects_page(objects, folders);
        level
    }

    /// The order spelled out: rank, then natural name, then row.
    fn reference(level: &Level, by: SortBy) -> Vec<u32> {
        let name = |r: usize| match level.prefixes.get(r) {
            Some(p) => p.to_string(),
            None => level
                .object_key(r - level.prefixes.len())
                .unwrap_or_default()
                .to_string(),
        };
        let mut rows: Vec<u32> = (0..level.len() as u32).collect();
        rows.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            rank(level, by, a)
                .cmp(&rank(level, by, b))
                .then_with(|| natural_cmp(&name(a), &name(b)))
                .then(a.cmp(&b))
        });
        rows
    }

    proptest! {
        /// Rows merged in batches of any sizes end in the same order as one sort of them all,
        /// in every order, whether or not the listing's order is the natural one.
        #[test]
        fn merging_in_batches_equals_sorting_at_once(
            names in proptest::collection::btree_map("[dfx][0-9]{0,2}", (0u64..4, 0i64..4), 0..40),
            cuts in proptest::collection::vec(0usize..40, 0..5),
        ) {
            let entries: Vec<(String, u64, i64)> =
                names.into_iter().map(|(n, (size, secs))| (n, size, secs)).collect();
            let level = level(&entries);
            let keys: Vec<&str> = level.object_keys_from(0).collect();
            let names_in_order = keys.windows(2).all(|w| natural_cmp(w[0], w[1]) != Ordering::Greater);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(level.len())).collect();
            cuts.push(level.len());
            cuts.sort_unstable();
            for by in [SortBy::Name, SortBy::Size, SortBy::Date] {
                let mut sorted = Sorted::default();
                let mut from = 0;
                for &cut in &cuts {
                    let batch: Vec<u32> = (from as u32..cut as u32).collect();
                    sorted = merge(&level, by, names_in_order, sorted, &batch);
                    from = cut;
                }
                prop_assert_eq!(&sorted.rows, &reference(&level, by), "{:?}", by);
                let ranks: Vec<u64> = sorted.rows.iter().map(|&r| rank(&level, by, r as usize)).collect();
                prop_assert_eq!(sorted.ranks, ranks);
            }
        }


        /// A total order: equal only for equal names, antisymmetric, and transitive (checked
        /// by sorting and comparing every ordered pair).
        #[test]
        fn natural_order_is_total(mut names in proptest::collection::vec("[a0-9.]{0,6}", 1..12)) {
            names.sort_by(|a, b| natural_cmp(a, b));
            for (i, a) in names.iter().enumerate() {
                for b in &names[i..] {
                    let order = natural_cmp(a, b);
                    prop_assert!(order != Ordering::Greater, "{a} > {b} after sorting");
                    prop_assert_eq!(order == Ordering::Equal, a == b);
                    prop_assert_eq!(natural_cmp(b, a), order.reverse());
                }
            }
        }
    }
}
