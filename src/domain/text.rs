//! Making text from a server safe to draw: anyone who can write to a bucket chooses its key
//! names, and a key must never reach the terminal as a control sequence or reorder the screen.

use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// Characters that are drawn escaped: controls (C0, DEL, C1), bidirectional overrides and
/// isolates, zero-width characters and line/paragraph separators.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
                | '\u{061C}'
        )
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
            let code = c as u32;
            if code < 0x100 {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Display width of already-sanitized text, in terminal cells.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bidi_and_zero_width_are_made_visible() {
        assert_eq!(sanitize("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(sanitize("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
        assert_eq!(sanitize("p\u{2029}"), "p\\u{2029}");
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本語テキスト", 6), "日本…");
        assert_eq!(width(&truncate("日本語テキスト", 6)), 5);
        assert_eq!(truncate("abc", 0), "");
    }
}
