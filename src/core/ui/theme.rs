//! Colours and styles by role. Every lock state is also told apart by its text, so nothing
//! depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub header: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub prefix: Style,
    pub deleted: Style,
    pub marker: Style,
    pub compliance: Style,
    pub governance: Style,
    pub legal_hold: Style,
    pub expired: Style,
    pub unknown: Style,
    pub dim: Style,
    pub error: Style,
    pub warning: Style,
    pub success: Style,
    pub emphasis: Style,
    /// The terminal knows 16 colours only: colours are sent as the 16-colour SGR codes.
    pub sixteen_colours: bool,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::dark()
    }
}

/// The roles a config file may colour, by the names it uses.
pub const ROLES: [&str; 19] = [
    "title",
    "border",
    "border_focused",
    "header",
    "selected",
    "selected_unfocused",
    "prefix",
    "deleted",
    "marker",
    "compliance",
    "governance",
    "legal_hold",
    "expired",
    "unknown",
    "dim",
    "error",
    "warning",
    "success",
    "emphasis",
];

impl Theme {
    /// A built-in theme by name: `dark` (the default), `light`, `mono` (no colour at all).
    pub fn named(name: &str) -> Option<Theme> {
        match name {
            "dark" => Some(Theme::dark()),
            "light" => Some(Theme::light()),
            "mono" => Some(Theme::mono()),
            _ => None,
        }
    }

    pub fn role_mut(&mut self, role: &str) -> Option<&mut Style> {
        Some(match role {
            "title" => &mut self.title,
            "border" => &mut self.border,
            "border_focused" => &mut self.border_focused,
            "header" => &mut self.header,
            "selected" => &mut self.selected,
            "selected_unfocused" => &mut self.selected_unfocused,
            "prefix" => &mut self.prefix,
            "deleted" => &mut self.deleted,
            "marker" => &mut self.marker,
            "compliance" => &mut self.compliance,
            "governance" => &mut self.governance,
            "legal_hold" => &mut self.legal_hold,
            "expired" => &mut self.expired,
            "unknown" => &mut self.unknown,
            "dim" => &mut self.dim,
            "error" => &mut self.error,
            "warning" => &mut self.warning,
            "success" => &mut self.success,
            "emphasis" => &mut self.emphasis,
            _ => return None,
        })
    }

    /// For terminals without 256 colours: every colour becomes the nearest of the 16 ANSI
    /// ones (the built-in themes use only those already).
    pub fn in_16_colours(mut self) -> Theme {
        self.sixteen_colours = true;
        for role in ROLES {
            if let Some(style) = self.role_mut(role) {
                style.fg = style.fg.map(nearest_16);
                style.bg = style.bg.map(nearest_16);
            }
        }
        self
    }

    /// NO_COLOR: no colour anywhere; states stay apart by their text and symbols (every lock
    /// state is written out, deleted rows carry ×), and emphasis by bold, underline, reverse.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            title: Style::new().add_modifier(Modifier::REVERSED),
            border: plain,
            border_focused: bold,
            header: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            selected_unfocused: Style::new().add_modifier(Modifier::REVERSED),
            prefix: bold,
            deleted: Style::new().add_modifier(Modifier::ITALIC),
            marker: plain,
            compliance: bold,
            governance: bold,
            legal_hold: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            expired: plain,
            unknown: plain,
            dim: plain,
            error: bold,
            warning: bold,
            success: plain,
            emphasis: bold,
            sixteen_colours: false,
        }
    }

    /// For light terminal backgrounds: darker foregrounds, no yellow text.
    pub fn light() -> Theme {
        Theme {
            title: Style::new().fg(Color::White).bg(Color::Blue),
            border: Style::new().fg(Color::Gray),
            border_focused: Style::new().fg(Color::Blue),
            prefix: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            deleted: Style::new()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
            marker: Style::new().fg(Color::Red),
            governance: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            legal_hold: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            expired: Style::new().fg(Color::Green),
            warning: Style::new().fg(Color::Magenta),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ..Theme::dark()
        }
    }

    pub fn dark() -> Theme {
        Theme {
            title: Style::new().fg(Color::Black).bg(Color::Cyan),
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan),
            header: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            selected_unfocused: Style::new().add_modifier(Modifier::REVERSED),
            prefix: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::BOLD),
            deleted: Style::new()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
            marker: Style::new().fg(Color::LightRed),
            compliance: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            governance: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            legal_hold: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            expired: Style::new().fg(Color::Green),
            unknown: Style::new().fg(Color::DarkGray),
            dim: Style::new().fg(Color::DarkGray),
            error: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            warning: Style::new().fg(Color::Yellow),
            success: Style::new().fg(Color::Green),
            emphasis: Style::new().add_modifier(Modifier::BOLD),
            sixteen_colours: false,
        }
    }
}

/// A colour as a config file writes it: an ANSI name (`red`, `light-blue`, `dark-gray`, …),
/// `#rrggbb`, or a 256-colour index — ratatui's own reading of colour names — and `default`
/// for the terminal's colour.
pub fn parse_colour(s: &str) -> Option<Color> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("default") {
        return Some(Color::Reset);
    }
    s.parse::<Color>().ok()
}

/// The 16 ANSI colours with the RGB values xterm gives them.
const ANSI_16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) if i < 16 => Some(ANSI_16[usize::from(i)].1),
        Color::Indexed(i) if i < 232 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            Some((level(i / 36), level((i / 6) % 6), level(i % 6)))
        }
        Color::Indexed(i) => {
            let v = 8 + 10 * (i - 232);
            Some((v, v, v))
        }
        _ => None,
    }
}

/// The nearest of the 16 ANSI colours (named colours stay as they are).
pub fn nearest_16(c: Color) -> Color {
    let Some((r, g, b)) = rgb_of(c) else {
        return c;
    };
    let distance = |(r2, g2, b2): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, r2) + d(g, g2) + d(b, b2)
    };
    ANSI_16
        .iter()
        .min_by_key(|(_, rgb)| distance(*rgb))
        .map_or(c, |(named, _)| *named)
}

/// Whether the terminal says it shows more than 16 colours (`TERM=*256color*`, or
/// `COLORTERM=truecolor|24bit`).
pub fn has_256_colours(term: Option<&str>, colorterm: Option<&str>) -> bool {
    colorterm.is_some_and(|c| c.contains("truecolor") || c.contains("24bit"))
        || term.is_some_and(|t| t.contains("256color") || t.contains("direct"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_and_brought_down_to_16() {
        assert_eq!(parse_colour("light-blue"), Some(Color::LightBlue));
        assert_eq!(parse_colour("Dark_Gray"), Some(Color::DarkGray));
        assert_eq!(parse_colour("#ff0000"), Some(Color::Rgb(255, 0, 0)));
        assert_eq!(parse_colour("208"), Some(Color::Indexed(208)));
        assert_eq!(parse_colour("#ff00"), None);
        assert_eq!(parse_colour("mauve"), None);
        assert_eq!(nearest_16(Color::Rgb(250, 10, 10)), Color::LightRed);
        assert_eq!(nearest_16(Color::Indexed(21)), Color::Blue);
        assert_eq!(nearest_16(Color::Yellow), Color::Yellow);
        let t = Theme {
            compliance: Style::new().fg(Color::Rgb(200, 0, 0)),
            ..Theme::dark()
        }
        .in_16_colours();
        assert_eq!(t.compliance.fg, Some(Color::Red));
        assert!(has_256_colours(Some("xterm-256color"), None));
        assert!(!has_256_colours(Some("linux"), None));
    }

    #[test]
    fn the_mono_theme_has_no_colour() {
        let mut t = Theme::mono();
        for role in ROLES {
            let s = t.role_mut(role).expect("role");
            assert_eq!((s.fg, s.bg), (None, None), "{role}");
        }
    }
}
