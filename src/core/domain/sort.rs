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
            // Held to the millisecond; every date jiff can hold stays within 1..u64::MAX.
            time.map(|t| i64::MAX.abs_diff(t.as_millisecond()))
        }
    };
    value.unwrap_or(u64::MAX)
}

/// A value below 2^`bits` as fewer bits that never reverse its order: values below
/// 2^`exact` are kept exactly, larger ones like a float (the position of their highest bit,
/// then the `exact - 1` bits after it). Two different values can compress to the same number
/// only from 2^`exact` on. The largest result is `compressed_max(exact, bits)`.
const fn compress(v: u64, exact: u32) -> u32 {
    let bits = 64 - v.leading_zeros();
    if bits <= exact {
        return v as u32;
    }
    let shift = bits - exact;
    let half = 1u32 << (exact - 1);
    // The top `exact` bits of v: at least `half` (the highest bit is set), below 2 × half.
    let mantissa = (v >> shift) as u32;
    (1 << exact) + (shift - 1) * half + (mantissa - half)
}

const fn compressed_max(exact: u32, bits: u32) -> u32 {
    compress(u64::MAX >> (64 - bits), exact)
}

/// Sizes: exact below 64 MiB.
const SIZE_EXACT: u32 = 26;
const SIZE_MAX: u32 = compressed_max(SIZE_EXACT, 64);

/// Times, in whole seconds from a reference: exact within four years of it. Distances from
/// 2^39 seconds on (17,000 years; jiff's calendar spans 20,000) are clamped there: their keys
/// tie, and the exact times decide.
const TIME_EXACT: u32 = 27;
const TIME_BITS: u32 = 39;
/// How many compressed time values there are.
const TIMES: u32 = compressed_max(TIME_EXACT, TIME_BITS) + 1;

/// The key of a folder: always on top, then by name.
const FOLDER: u32 = 0;
/// The key of every object sorted by name.
const BY_NAME: u32 = 1;
/// The key of an object without the value sorted by (a deleted object's size): last.
const NO_VALUE: u32 = u32::MAX;

/// One sorted slot: a row's 32-bit sort key (high half) and the row (low half). Sorting
/// them as numbers sorts by key, then by row.
type Slot = u64;

fn slot(key: u32, row: u32) -> Slot {
    (u64::from(key) << 32) | u64::from(row)
}

fn slot_key(e: Slot) -> u32 {
    (e >> 32) as u32
}

fn slot_row(e: Slot) -> u32 {
    e as u32
}

/// The rows of a level in a sort order, in 8 bytes a row (a level can hold ten million): each
/// position holds the row and a 32-bit key that orders it as its exact rank (`rank`) would,
/// wherever two keys differ. Equal keys are decided by the exact rank (read from the level,
/// only where the key had to round: sizes from 64 MiB, times more than four years from the
/// first one seen, times within one second that carry milliseconds), then by name.
///
/// Rows added while a listing streams are merged into a short *pending* run at the end,
/// sorted among itself and shown below the rest; the run is merged into the rest when it
/// reaches a thirty-second of it, or when the caller asks (the objects pane does when a page
/// brings folders, which stay on top, and when the listing ends). Every page then costs a
/// pass over the pending run (small) and, now and then, one pass over all the rows: a page
/// never waits for a sort of everything, and nothing is held twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortedRows {
    by: SortBy,
    /// The second date keys are measured from: the first one met, so that the times near it
    /// (most of a listing's) are keyed exactly.
    reference: Option<i64>,
    entries: Vec<Slot>,
    /// How many entries, from the first, are in their final order; the rest are pending.
    merged: usize,
}

/// The pending run is merged into the rest once it is this fraction of it.
const PENDING_FRACTION: usize = 32;

/// How positions moved when rows were merged in: the entries from `base` to `base + kept`
/// stayed in their order, and each entry merged in went after `gaps[j]` of them. The entries
/// merged in are new rows, or (`moved`) the ones that were pending after the kept ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    base: usize,
    kept: usize,
    gaps: Vec<u32>,
    moved: bool,
}

impl Placed {
    /// Where the entry that was at `old` is now.
    pub fn position(&self, old: usize) -> usize {
        if old < self.base {
            return old;
        }
        let i = old - self.base;
        if i < self.kept {
            return old + self.gaps.partition_point(|&g| g as usize <= i);
        }
        let j = i - self.kept;
        match self.gaps.get(j) {
            Some(&g) if self.moved => self.base + g as usize + j,
            _ => old + self.gaps.len(),
        }
    }

    /// Where the entries merged in are now, in order (for new rows: in the order of the rows
    /// given to `SortedRows::add`, sorted).
    pub fn merged_in(&self) -> impl Iterator<Item = usize> + '_ {
        self.gaps
            .iter()
            .enumerate()
            .map(|(j, &g)| self.base + g as usize + j)
    }

    /// Moves `positions` (ascending, of entries that were in the order) to where those entries
    /// are now, keeping them ascending. Only the positions from `base` on are touched, in
    /// place: a page's rows move only the pending run's positions, however many there are
    /// before it.
    pub fn remap(&self, positions: &mut Vec<u32>) {
        let first_kept = positions.partition_point(|&p| (p as usize) < self.base);
        let first_after = positions.partition_point(|&p| (p as usize) < self.base + self.kept);
        // Those merged in (only after a settle): which one each is, and where it is now.
        let after: Vec<(usize, u32)> = positions[first_after..]
            .iter()
            .map(|&p| {
                let p = p as usize;
                (p - self.base - self.kept, index(self.position(p)))
            })
            .collect();
        positions.truncate(first_after);
        positions.resize(first_after + after.len(), 0);
        // From the end: the kept positions after which `s` entries were merged in (those at or
        // past gap s - 1) all move by `s`, as one block; the entry merged in before them goes
        // in front. Each block is a copy and an addition over a slice, not a branch a row.
        let (mut end, mut write, mut waiting) = (first_after, positions.len(), after.len());
        for s in (0..=self.gaps.len()).rev() {
            let from = match s.checked_sub(1) {
                None => first_kept,
                Some(g) => {
                    let gap = self.gaps[g] as usize;
                    first_kept
                        + first_from_end(&positions[first_kept..end], |p| {
                            p as usize - self.base >= gap
                        })
                }
            };
            let len = end - from;
            if len > 0 {
                positions.copy_within(from..end, write - len);
                let shift = index(s);
                for p in &mut positions[write - len..write] {
                    *p += shift;
                }
                write -= len;
                end = from;
            }
            if s > 0 && waiting > 0 && after[waiting - 1].0 == s - 1 {
                write -= 1;
                positions[write] = after[waiting - 1].1;
                waiting -= 1;
            }
        }
    }
}

/// Where the run of values at the end of `sorted` for which `tail` holds begins (`tail` is
/// false, then true, along the slice), searching from the end: the run is short.
fn first_from_end<T: Copy>(sorted: &[T], tail: impl Fn(T) -> bool) -> usize {
    let mut start = sorted.len();
    let mut step = 1;
    while start > 0 && tail(sorted[start - 1]) {
        let probe = start.saturating_sub(step);
        if tail(sorted[probe]) {
            start = probe;
            step *= 2;
        } else {
            return probe + 1 + sorted[probe + 1..start].partition_point(|&v| !tail(v));
        }
    }
    start
}

/// Merges `new` (ascending) into `v` (ascending) in place, from the end: each stretch of `v`
/// that goes after a new value moves once, as a block.
pub fn merge_ascending(v: &mut Vec<u32>, new: &[u32]) {
    merge_from_end(v, 0, new, |old, n| old > n);
}

/// Merges `new` (in order) into `v[base..]` (in order) in place, from the end, `after(old,
/// new)` saying whether a value already there goes after a new one. For each new value, how
/// many of `v[base..]` went before it.
fn merge_from_end<T: Copy + Default>(
    v: &mut Vec<T>,
    base: usize,
    new: &[T],
    after: impl Fn(T, T) -> bool,
) -> Vec<u32> {
    let mut end = v.len();
    v.resize(end + new.len(), T::default());
    let mut gaps = vec![0; new.len()];
    for (j, &n) in new.iter().enumerate().rev() {
        let at = base + first_from_end(&v[base..end], |old| after(old, n));
        v.copy_within(at..end, at + j + 1);
        v[at + j] = n;
        gaps[j] = u32::try_from(at - base).unwrap_or(u32::MAX);
        end = at;
    }
    gaps
}

/// How two entries of one level compare.
struct Compare<'a> {
    level: &'a Level,
    by: SortBy,
    names_in_order: bool,
}

impl Compare<'_> {
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

    /// Whether the key alone stands for the exact rank.
    fn exact(&self, key: u32) -> bool {
        match (self.by, key) {
            (_, FOLDER | NO_VALUE) | (SortBy::Name, _) => true,
            (SortBy::Size, _) => 1 + SIZE_MAX - key < 1 << SIZE_EXACT,
            (SortBy::Date, _) => {
                // See `date_key`: the low bit says the time is a whole second, the rest is
                // the compressed distance from the reference, counted down for future times
                // and up for past ones.
                let (whole, c) = if key <= 2 * TIMES {
                    ((key - 1) & 1 == 1, TIMES - 1 - (key - 1) / 2)
                } else {
                    ((key - 1) & 1 == 1, (key - 1 - 2 * TIMES) / 2)
                };
                whole && c < 1 << TIME_EXACT
            }
        }
    }

    /// Whether entries of equal `key` need more than their rows to be ordered.
    fn needs_ties(&self, key: u32) -> bool {
        key == FOLDER || !self.names_in_order || !self.exact(key)
    }

    fn cmp(&self, a: Slot, b: Slot) -> Ordering {
        let key = slot_key(a);
        if key != slot_key(b) || a == b || !self.needs_ties(key) {
            return a.cmp(&b);
        }
        let (ra, rb) = (slot_row(a), slot_row(b));
        let exact = if self.exact(key) {
            Ordering::Equal
        } else {
            rank(self.level, self.by, ra as usize).cmp(&rank(self.level, self.by, rb as usize))
        };
        exact.then_with(|| {
            if key != FOLDER && self.names_in_order {
                ra.cmp(&rb)
            } else {
                natural_cmp(self.name(ra), self.name(rb)).then(ra.cmp(&rb))
            }
        })
    }

    /// Sorts entries: as numbers, then each run of equal keys that needs it by `cmp`.
    fn sort(&self, entries: &mut [Slot]) {
        entries.sort_unstable();
        let mut start = 0;
        while start < entries.len() {
            let key = slot_key(entries[start]);
            let end = start + entries[start..].partition_point(|&e| slot_key(e) == key);
            if end - start > 1 && self.needs_ties(key) {
                entries[start..end].sort_by(|&a, &b| self.cmp(a, b));
            }
            start = end;
        }
    }

    /// Merges `new` (sorted) into `entries[base..]` (sorted) in place (see `merge_from_end`).
    fn merge_into(&self, entries: &mut Vec<Slot>, base: usize, new: &[Slot]) -> Vec<u32> {
        merge_from_end(entries, base, new, |old, e| {
            self.cmp(old, e) == Ordering::Greater
        })
    }
}

impl SortedRows {
    /// No rows yet, to be sorted `by`.
    pub fn new(by: SortBy) -> SortedRows {
        SortedRows {
            by,
            ..SortedRows::default()
        }
    }

    pub fn by(&self) -> SortBy {
        self.by
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops the order, handing its memory back a few megabytes at a time.
    pub fn release(self) {
        super::release_gradually(self.entries);
    }

    /// How many rows, at the end, are sorted only among themselves (shown below the others
    /// until they are merged in).
    pub fn pending(&self) -> usize {
        self.entries.len() - self.merged
    }

    /// The row at `position`.
    pub fn row(&self, position: usize) -> Option<usize> {
        self.entries.get(position).map(|&e| slot_row(e) as usize)
    }

    /// The rows in display order.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|&e| slot_row(e) as usize)
    }

    /// Where `row` is: a pass over every position (to find a row once, not on every page).
    pub fn position(&self, row: usize) -> Option<usize> {
        let row = u32::try_from(row).ok()?;
        self.entries.iter().position(|&e| slot_row(e) == row)
    }

    fn compare<'a>(&self, level: &'a Level, names_in_order: bool) -> Compare<'a> {
        Compare {
            level,
            by: self.by,
            names_in_order,
        }
    }

    /// The sort key of `row` (see `Compare::exact` for its ranges).
    fn key(&mut self, level: &Level, row: usize) -> u32 {
        let folders = level.prefixes.len();
        if row < folders {
            return FOLDER;
        }
        let Some(object) = level.object(row - folders) else {
            return NO_VALUE;
        };
        match (self.by, object) {
            (SortBy::Name, _) => BY_NAME,
            (SortBy::Size, LevelObject::Present(p)) => p
                .size
                .map_or(NO_VALUE, |s| 1 + SIZE_MAX - compress(s, SIZE_EXACT)),
            (SortBy::Size, LevelObject::Deleted(_)) => NO_VALUE,
            (SortBy::Date, o) => {
                let time = match o {
                    LevelObject::Present(p) => p.last_modified,
                    LevelObject::Deleted(d) => d.deleted_at,
                };
                time.map_or(NO_VALUE, |t| self.date_key(t.as_millisecond()))
            }
        }
    }

    /// The key of a time (milliseconds): newest first. Its second's distance from the
    /// reference second, compressed, counted down from `2 × TIMES` for future times and up
    /// from there for past ones; doubled, and one added for a whole second, which within its
    /// second comes after the times with milliseconds. Where the distance was rounded, the
    /// bit stays 0 (it would order times of different seconds wrongly) and the key is
    /// decided by the exact time.
    fn date_key(&mut self, ms: i64) -> u32 {
        let second = ms.div_euclid(1000);
        let whole = ms.rem_euclid(1000) == 0;
        let reference = *self.reference.get_or_insert(second);
        let distance = second.abs_diff(reference).min((1 << TIME_BITS) - 1);
        let c = compress(distance, TIME_EXACT);
        let bit = u32::from(whole && c < 1 << TIME_EXACT);
        if second > reference {
            1 + 2 * (TIMES - 1 - c) + bit
        } else {
            1 + 2 * TIMES + 2 * c + bit
        }
    }

    /// Sorts every row of `level` afresh in the order `by`, in the space the rows already
    /// take.
    pub fn sort_all(&mut self, level: &Level, by: SortBy, names_in_order: bool) {
        self.by = by;
        self.reference = None;
        let mut entries = std::mem::take(&mut self.entries);
        entries.clear();
        entries.reserve(level.len());
        for row in 0..level.len() {
            let key = self.key(level, row);
            entries.push(slot(key, index(row)));
        }
        self.compare(level, names_in_order).sort(&mut entries);
        self.merged = entries.len();
        self.entries = entries;
    }

    /// Adds `rows` (rows of `level` not yet in the order) to the pending run, or after every
    /// row when they all go there (a listing streaming in name order: nothing moves).
    pub fn add(&mut self, level: &Level, names_in_order: bool, rows: &[u32]) -> Placed {
        let mut new: Vec<Slot> = rows
            .iter()
            .map(|&r| slot(self.key(level, r as usize), r))
            .collect();
        let compare = self.compare(level, names_in_order);
        compare.sort(&mut new);
        let after_all = match (self.entries.last(), new.first()) {
            (Some(&last), Some(&first)) => compare.cmp(last, first) == Ordering::Less,
            _ => true,
        };
        if after_all {
            let base = self.entries.len();
            if self.merged == base {
                self.merged += new.len();
            }
            self.entries.extend_from_slice(&new);
            return Placed {
                base,
                kept: 0,
                gaps: vec![0; new.len()],
                moved: false,
            };
        }
        let base = self.merged;
        let kept = self.entries.len() - base;
        let gaps = compare.merge_into(&mut self.entries, base, &new);
        Placed {
            base,
            kept,
            gaps,
            moved: false,
        }
    }

    /// Merges the pending run into the rest when it has grown to a thirty-second of it, or
    /// whatever its length with `all` (the listing ended). `None` when nothing moved.
    pub fn settle(&mut self, level: &Level, names_in_order: bool, all: bool) -> Option<Placed> {
        let pending = self.pending();
        if pending == 0 || (!all && pending * PENDING_FRACTION < self.merged) {
            return None;
        }
        if self.merged == 0 {
            self.merged = self.entries.len();
            return None;
        }
        let kept = self.merged;
        let run = self.entries.split_off(kept);
        let gaps = self
            .compare(level, names_in_order)
            .merge_into(&mut self.entries, 0, &run);
        self.merged = self.entries.len();
        Some(Placed {
            base: 0,
            kept,
            gaps,
            moved: true,
        })
    }

    /// Moves every row at or above `from` up by `by` (rows inserted in the level above them:
    /// a page's new folders). Their keys and places do not change.
    pub fn shift_rows(&mut self, from: usize, by: usize) {
        if by == 0 {
            return;
        }
        let (from, by) = (index(from), index(by));
        for e in &mut self.entries {
            let row = slot_row(*e);
            if row >= from {
                *e = slot(slot_key(*e), row.saturating_add(by));
            }
        }
    }
}

/// A row or position in 32 bits, as orders and a filter's matches hold them (half the memory);
/// four billion rows would not fit in memory anyway.
pub fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
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

    /// Adds a level's rows in batches ending at `cuts`, asking to settle after a batch when its
    /// cut says so (and always after the last).
    fn check_batches(level: &Level, cuts: Vec<(usize, bool)>) -> Result<(), TestCaseError> {
        let keys: Vec<&str> = level.object_keys_from(0).collect();
        let names_in_order = keys
            .windows(2)
            .all(|w| natural_cmp(w[0], w[1]) != Ordering::Greater);
        let mut cuts: Vec<(usize, bool)> = cuts
            .into_iter()
            .map(|(c, s)| (c.min(level.len()), s))
            .collect();
        cuts.push((level.len(), true));
        cuts.sort_unstable();
        for by in [SortBy::Name, SortBy::Size, SortBy::Date] {
            let expected: Vec<usize> = reference(level, by).iter().map(|&r| r as usize).collect();
            let mut sorted = SortedRows::new(by);
            let mut from = 0;
            for (i, &(cut, settle)) in cuts.iter().enumerate() {
                let before: Vec<usize> = sorted.rows().collect();
                let every: Vec<u32> = (0..before.len() as u32).collect();
                let batch: Vec<u32> = (from as u32..cut as u32).collect();
                let added = sorted.add(level, names_in_order, &batch);
                let last = i + 1 == cuts.len();
                let settled = if settle {
                    sorted.settle(level, names_in_order, last)
                } else {
                    None
                };
                let mut moved = every.clone();
                added.remap(&mut moved);
                let mut new: Vec<u32> = added.merged_in().map(index).collect();
                if let Some(s) = &settled {
                    s.remap(&mut moved);
                    s.remap(&mut new);
                }
                // One by one (the selection) and as a set (a filter's matches).
                let mut one_by_one = Vec::new();
                for (old, &row) in before.iter().enumerate() {
                    let now = added.position(old);
                    let now = settled.as_ref().map_or(now, |s| s.position(now));
                    prop_assert_eq!(sorted.row(now), Some(row), "{:?}", by);
                    one_by_one.push(index(now));
                }
                one_by_one.sort_unstable();
                prop_assert_eq!(moved, one_by_one);
                let mut new_rows: Vec<usize> =
                    new.iter().filter_map(|&p| sorted.row(p as usize)).collect();
                new_rows.sort_unstable();
                let batch_rows: Vec<usize> = batch.iter().map(|&r| r as usize).collect();
                prop_assert_eq!(new_rows, batch_rows);
                // The merged rows are in order among themselves, and so are the pending ones.
                let rows: Vec<usize> = sorted.rows().collect();
                let (merged, pending) = rows.split_at(rows.len() - sorted.pending());
                for part in [merged, pending] {
                    let mut in_order = part.to_vec();
                    in_order.sort_by_key(|r| expected.iter().position(|e| e == r));
                    prop_assert_eq!(part, &in_order[..]);
                }
                from = cut;
            }
            prop_assert_eq!(sorted.pending(), 0);
            prop_assert_eq!(
                sorted.rows().collect::<Vec<_>>(),
                expected.clone(),
                "{:?}",
                by
            );
            let mut at_once = SortedRows::default();
            at_once.sort_all(level, by, names_in_order);
            prop_assert_eq!(at_once.rows().collect::<Vec<_>>(), expected, "{:?}", by);
        }
        Ok(())
    }

    /// A level of unique names with any sizes and times, the large and far ones included
    /// (keyed with rounding, decided by the exact value).
    fn wide_level(entries: &[(String, u64, i64)]) -> Level {
        let mut level = Level::default();
        let objects = entries
            .iter()
            .map(|(n, size, ms)| ObjectEntry {
                key: Arc::from(n.as_str()),
                size: (!n.starts_with('x')).then_some(*size),
                last_modified: jiff::Timestamp::from_millisecond(*ms).ok(),
                storage_class: None,
            })
            .collect();
        level.absorb_objects_page(objects, Vec::new());
        level
    }

    fn size_strategy() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..4,
            (1u64 << 26) - 2..(1 << 26) + 2,
            (1u64 << 40)..(1 << 40) + 300,
            u64::MAX - 3..=u64::MAX,
        ]
    }

    fn time_strategy() -> impl Strategy<Value = i64> {
        // Year 1, 1970, 2026 (to the millisecond and spread over days), 9999-12-30.
        prop_oneof![
            Just(-62_135_596_800_000i64),
            0i64..3,
            1_790_000_000_000i64..1_790_000_000_300,
            1_790_000_000_000i64..1_790_900_000_000,
            (1_600_000_000i64..1_900_000_000).prop_map(|s| s * 1000),
            (1_790_000_000i64..1_790_000_003).prop_map(|s| s * 1000),
            253_402_200_000_000i64..253_402_200_000_300,
            // Far from the reference: seconds rounded together, some with milliseconds.
            253_402_000_000_000i64..253_402_000_900_000,
            (253_402_000_000i64..253_402_000_900).prop_map(|s| s * 1000),
        ]
    }

    #[test]
    fn compression_keeps_small_values_and_never_reverses_order() {
        for v in [0, 1, (1 << 26) - 1] {
            assert_eq!(u64::from(compress(v, SIZE_EXACT)), v);
        }
        assert_eq!(compress(1 << 26, SIZE_EXACT), 1 << 26);
        assert_eq!(compress((1 << 26) + 1, SIZE_EXACT), 1 << 26);
        assert_eq!(compress(u64::MAX, SIZE_EXACT), SIZE_MAX);
        // Date keys end at 4 × TIMES, below the key of an object without a time.
        assert!(4 * u64::from(TIMES) < u64::from(NO_VALUE));
        let mut edges: Vec<u64> = (0..64)
            .flat_map(|b| {
                let p = 1u64 << b;
                [p - 1, p, p + 1]
            })
            .chain([u64::MAX - 1, u64::MAX])
            .collect();
        edges.sort_unstable();
        for exact in [SIZE_EXACT, TIME_EXACT] {
            assert!(
                edges
                    .windows(2)
                    .all(|w| compress(w[0], exact) <= compress(w[1], exact))
            );
        }
    }

    proptest! {
        #[test]
        fn compression_is_monotone(a in any::<u64>(), b in any::<u64>()) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(compress(lo, SIZE_EXACT) <= compress(hi, SIZE_EXACT));
            let (lo, hi) = (lo >> (64 - TIME_BITS), hi >> (64 - TIME_BITS));
            prop_assert!(compress(lo, TIME_EXACT) <= compress(hi, TIME_EXACT));
            prop_assert!(compress(hi, TIME_EXACT) < TIMES);
        }

        /// Rows added in batches of any sizes (merged in whenever `settle` decides, and all at
        /// the end) end in the same order as one sort of them all, in every order, whether or
        /// not the listing's order is the natural one; and every position `Placed` reports
        /// for a row that was already there holds that row.
        #[test]
        fn adding_in_batches_equals_sorting_at_once(
            names in proptest::collection::btree_map("[dfx][0-9]{0,2}", (0u64..4, 0i64..4), 0..40),
            cuts in proptest::collection::vec((0usize..40, any::<bool>()), 0..5),
        ) {
            let entries: Vec<(String, u64, i64)> =
                names.into_iter().map(|(n, (size, secs))| (n, size, secs)).collect();
            check_batches(&level(&entries), cuts)?;
        }

        #[test]
        fn rounded_keys_are_decided_by_the_exact_values(
            names in proptest::collection::btree_map(
                "[fx][0-9]{0,2}",
                (size_strategy(), time_strategy()),
                0..40,
            ),
            cuts in proptest::collection::vec((0usize..40, any::<bool>()), 0..6),
        ) {
            let entries: Vec<(String, u64, i64)> =
                names.into_iter().map(|(n, (size, ms))| (n, size, ms)).collect();
            check_batches(&wide_level(&entries), cuts)?;
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
