//! Making text from a server safe to draw: anyone who can write to a bucket chooses its key
//! names, and a key must never reach the terminal as a control sequence or reorder the screen.

use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// Characters that are drawn escaped: controls (C0, DEL, C1), bidirectional overrides and
/// isolates, zero-width characters, line/paragraph separators, the replacement character, and
/// characters wider than two cells (U+17D8 KHMER SIGN BEYYAL counts 3 in Unicode's tables and
/// 2 in terminals: the columns after it would shift).
pub fn must_escape(c: char) -> bool {
    c.is_control()
        || c.width().is_some_and(|w| w > 2)
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
                | '\u{061C}'
                // The rest of Unicode's Default_Ignorable_Code_Point: drawn as nothing (or, by
                // some terminals, as a blank of a width lockwatch cannot know), so that
                // `invoice.pdf` and `invoice.pdf` with a tag character would look the same.
                | '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{206A}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
                // Terminals draw this for bytes they could not decode: a key holding it
                // would look like a display fault.
                | '\u{FFFD}'
        )
}

/// JSON text with every character `must_escape` names written as a `\uXXXX` escape (a pair of
/// them above U+FFFF): the same JSON to a parser, but a line that `tail` or `less` shows as it
/// is, never reordered by a bidirectional override or hiding an invisible character. Only
/// string contents can hold such characters, so replacing them anywhere is safe.
pub fn json_visible(json: &str) -> Cow<'_, str> {
    if !json.chars().any(must_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if must_escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The display form of untrusted text: unchanged when harmless, else with each dangerous
/// character written as a visible escape (`\x1b`, `\u{202e}`).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(must_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if must_escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The display form of a name someone else chose (object key, bucket, version id), such that
/// two different names never look the same: unchanged when harmless; otherwise quoted like
/// `"a\x1bb "`, with `\\` and `\"` inside the quotes. A name needs quotes when it holds a
/// character that must be escaped, starts with a quote, is empty, or begins or ends with
/// whitespace (a trailing space would otherwise be invisible).
pub fn name(s: &str) -> Cow<'_, str> {
    let harmless = !s.is_empty()
        && !s.starts_with('"')
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.chars().any(must_escape);
    if harmless {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 10);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if must_escape(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    use std::fmt::Write;
    let code = c as u32;
    let _ = if code < 0x100 {
        write!(out, "\\x{code:02x}")
    } else {
        write!(out, "\\u{{{code:04x}}}")
    };
}

/// Display width of already-sanitized text, in terminal cells.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Splits `s` at spaces into lines at most `max` cells wide (a word wider than that gets a
/// line of its own, cut).
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let needed = if line.is_empty() {
            width(word)
        } else {
            width(&line) + 1 + width(word)
        };
        if needed > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&truncate(word, max));
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts already-sanitized text to at most `max` cells, ending in `…` when cut; never splits a
/// character (a wide character that would straddle the edge is dropped).
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Cuts already-sanitized text to at most `max` cells keeping its end, starting with `…` when
/// cut (`…/deep/folder/` of a long location); never splits a character.
pub fn truncate_left(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        kept.push(c);
        used += w;
    }
    let mut out = String::from('…');
    out.extend(kept.into_iter().rev());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_lines_within_the_width() {
        assert_eq!(
            wrap("Mark every row shown, or unmark them", 12),
            ["Mark every", "row shown,", "or unmark", "them"]
        );
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("abcdefghij xy", 4), ["abc…", "xy"]);
        for line in wrap("Point in time: show this folder as it was at a time", 9) {
            assert!(width(&line) <= 9, "{line}");
        }
    }

    #[test]
    fn harmless_text_is_borrowed_unchanged() {
        assert!(matches!(
            sanitize("backups/db-2026.sql.gz"),
            Cow::Borrowed(_)
        ));
        assert_eq!(sanitize("日本語.txt"), "日本語.txt");
    }

    #[test]
    fn escape_sequences_are_made_visible() {
        assert_eq!(sanitize("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(sanitize("x\u{9b}y"), "x\\x9by");
        assert_eq!(sanitize("line\nbreak\r"), "line\\x0abreak\\x0d");
        assert_eq!(sanitize("del\x7f"), "del\\x7f");
    }

    #[test]
    fn default_ignorable_characters_are_made_visible() {
        // Four keys that all looked like `invoice.pdf`.
        for (key, shown) in [
            ("invoice\u{E0041}.pdf", "invoice\\u{e0041}.pdf"),
            ("invoice.pdf\u{FE0F}", "invoice.pdf\\u{fe0f}"),
            ("in\u{034F}voice.pdf", "in\\u{034f}voice.pdf"),
            ("invoice\u{00AD}.pdf", "invoice\\xad.pdf"),
        ] {
            assert_eq!(sanitize(key), shown, "{key:?}");
        }
        // Hangul fillers shift whole rows in some terminals.
        assert_eq!(sanitize("a\u{3164}b"), "a\\u{3164}b");
        assert_eq!(
            sanitize("\u{115F}\u{1160}\u{FFA0}\u{180E}"),
            "\\u{115f}\\u{1160}\\u{ffa0}\\u{180e}"
        );
    }

    #[test]
    fn bidi_and_zero_width_are_made_visible() {
        assert_eq!(sanitize("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(sanitize("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
        assert_eq!(sanitize("p\u{2029}"), "p\\u{2029}");
        assert_eq!(sanitize("\u{17d8}"), "\\u{17d8}");
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本語テキスト", 6), "日本…");
        assert_eq!(width(&truncate("日本語テキスト", 6)), 5);
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate_left("s3://b/a/deep/", 9), "…/a/deep/");
        assert_eq!(truncate_left("日本語テキスト", 6), "…スト");
        assert_eq!(truncate_left("abc", 3), "abc");
    }

    #[test]
    fn names_that_could_be_mistaken_are_quoted() {
        assert_eq!(name("db.sql.gz"), "db.sql.gz");
        assert!(matches!(name("dir\\file"), Cow::Borrowed(_)));
        assert_eq!(name("report.pdf "), "\"report.pdf \"");
        assert_eq!(name(" lead"), "\" lead\"");
        assert_eq!(name(""), "\"\"");
        assert_eq!(name("a\u{1b}b"), "\"a\\x1bb\"");
        // The literal text of an escape is not the escaped character: the two differ on screen.
        assert_ne!(name("a\\x1bb"), name("a\u{1b}b"));
        assert_eq!(name("\"quoted\""), "\"\\\"quoted\\\"\"");
        assert_eq!(name("x\\\u{7}"), "\"x\\\\\\x07\"");
    }
}

/// Properties checked over many generated strings, with a terminal emulator as the judge of
/// what a string does to a screen.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Characters that have caused trouble in terminals, mixed with anything at all.
    fn nasty_char() -> impl Strategy<Value = char> {
        prop_oneof![
            3 => any::<char>(),
            2 => prop::sample::select(vec![
                '\u{1b}', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{7f}', '\u{9b}', '\u{9d}',
                '\u{90}', '\u{85}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200d}',
                '\u{2060}', '\u{feff}', '\u{2028}', '\u{2029}', '\u{61c}', '[', ']', ';', 'P',
                '\\', '"', ' ', '日', '語', '\u{301}', '\u{20dd}', 'e', '/', '.',
                '\u{e0041}', '\u{fe0f}', '\u{34f}', '\u{3164}', '\u{115f}', '\u{ffa0}',
                '\u{180e}', '\u{ad}', '\u{17d8}',
            ]),
            1 => (0u32..0x200).prop_filter_map("a char", char::from_u32),
        ]
    }

    fn nasty_string() -> impl Strategy<Value = String> {
        prop::collection::vec(nasty_char(), 0..48).prop_map(|v| v.into_iter().collect())
    }

    /// Counts everything a terminal does besides printing: bells, titles, clipboard writes,
    /// and sequences it did not understand.
    #[derive(Default)]
    struct Witness(usize);

    impl vt100::Callbacks for Witness {
        fn audible_bell(&mut self, _: &mut vt100::Screen) {
            self.0 += 1;
        }
        fn set_window_title(&mut self, _: &mut vt100::Screen, _: &[u8]) {
            self.0 += 1;
        }
        fn set_window_icon_name(&mut self, _: &mut vt100::Screen, _: &[u8]) {
            self.0 += 1;
        }
        fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], _: &[u8]) {
            self.0 += 1;
        }
        fn unhandled_control(&mut self, _: &mut vt100::Screen, _: u8) {
            self.0 += 1;
        }
        fn unhandled_escape(&mut self, _: &mut vt100::Screen, _: Option<u8>, _: Option<u8>, _: u8) {
            self.0 += 1;
        }
        fn unhandled_osc(&mut self, _: &mut vt100::Screen, _: &[&[u8]]) {
            self.0 += 1;
        }
    }

    /// Where the cursor ends up after a terminal draws `s` from the top-left corner, and how
    /// many things other than printing the terminal was made to do.
    fn drawn(s: &str) -> (u16, u16, usize, vt100::Screen) {
        let mut parser = vt100::Parser::new_with_callbacks(4, 2000, 0, Witness::default());
        parser.process(s.as_bytes());
        let (row, col) = parser.screen().cursor_position();
        (row, col, parser.callbacks().0, parser.screen().clone())
    }

    /// Every character there is, alone, as the terminal model draws its sanitized form: on one
    /// line, exactly as wide as lockwatch reports, making the terminal do nothing but print.
    #[test]
    fn every_unicode_character_is_drawn_as_wide_as_reported() {
        let mut parser = vt100::Parser::new_with_callbacks(2, 200, 0, Witness::default());
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let text = c.to_string();
            let out = sanitize(&text);
            parser.process(b"\x1b[H\x1b[2J");
            parser.process(out.as_bytes());
            let (row, col) = parser.screen().cursor_position();
            assert_eq!(
                (row, usize::from(col)),
                (0, width(&out)),
                "U+{:04X} drawn as {out:?}",
                c as u32
            );
            assert_eq!(
                parser.callbacks().0,
                0,
                "U+{:04X} made the terminal act",
                c as u32
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn sanitized_text_is_plain_and_as_wide_as_reported(s in nasty_string()) {
            for out in [sanitize(&s), name(&s)] {
                prop_assert!(!out.chars().any(must_escape), "{out:?}");
                prop_assert!(out.chars().all(|c| c.width().is_some()), "{out:?}");
                let (row, col, events, screen) = drawn(&out);
                prop_assert_eq!(row, 0, "{:?} moved to another line", out);
                prop_assert_eq!(usize::from(col), width(&out), "{}", out.escape_unicode());
                prop_assert_eq!(events, 0, "{:?} made the terminal act", out);
                prop_assert!(!screen.alternate_screen() && !screen.hide_cursor());
            }
        }

        #[test]
        fn different_names_never_look_the_same(a in nasty_string(), b in nasty_string()) {
            prop_assume!(a != b);
            prop_assert_ne!(name(&a), name(&b));
        }

        #[test]
        fn truncation_fits_and_keeps_whole_characters(s in nasty_string(), max in 0usize..40) {
            let safe = name(&s);
            let cut = truncate(&safe, max);
            prop_assert!(width(&cut) <= max, "{cut:?} is wider than {max}");
            if cut != safe {
                let kept = cut.strip_suffix('…').unwrap_or(&cut);
                prop_assert!(safe.starts_with(kept), "{cut:?} is not a prefix of {safe:?}");
                prop_assert!(max == 0 || cut.ends_with('…'));
            }
            let cut = truncate_left(&safe, max);
            prop_assert!(width(&cut) <= max, "{cut:?} is wider than {max}");
            if cut != safe {
                let kept = cut.strip_prefix('…').unwrap_or(&cut);
                prop_assert!(safe.ends_with(kept), "{cut:?} is not an end of {safe:?}");
                prop_assert!(max == 0 || cut.starts_with('…'));
            }
        }
    }
}
