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
}

impl Default for Theme {
    fn default() -> Theme {
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
        }
    }
}
