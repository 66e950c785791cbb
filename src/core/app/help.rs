//! `?`: the keymap in effect, the focused pane first, as rows already cut to the popup's
//! width, so that the keys here know how many lines there are (`G`, the "more below" mark) and
//! the drawing shows exactly those rows. `/` keeps the bindings that match what is typed.

use super::{AppState, Effect, Popup};
use crate::domain::text;
use crate::keys::{Command, Key, KeyCode, Scope};
use ratatui::layout::Rect;

/// The help popup's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Help {
    /// The first row shown; kept within the rows by every key.
    pub scroll: usize,
    /// The bindings shown are those whose keys, command or description hold this (any case).
    pub filter: String,
    /// `/` was pressed: keys go to the filter until Enter or Esc.
    pub typing: bool,
}

/// One row of the help, as wide as the popup at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpRow {
    /// A dim line of explanation.
    Note(String),
    /// A pane's (or "everywhere") heading and its config-file section name.
    Scope {
        title: String,
        section: String,
    },
    /// A binding's first row: its keys, its command's config name, the start of its text.
    Binding {
        keys: String,
        command: String,
        text: String,
        unavailable: bool,
    },
    /// More of a binding's text, indented by `indent` columns.
    More {
        indent: usize,
        text: String,
        unavailable: bool,
    },
    Blank,
}

/// The popup's width and height on a screen this size (centred).
pub fn popup_size(screen: Rect) -> (u16, u16) {
    (
        screen.width.saturating_sub(4).min(110),
        screen.height.saturating_sub(2),
    )
}

/// Rows of text the popup shows at once: inside its border.
pub fn visible_rows(screen: Rect) -> usize {
    usize::from(popup_size(screen).1.saturating_sub(2)).max(1)
}

/// The help's rows for a popup `inner_width` columns wide inside its border.
pub fn rows(state: &AppState, help: &Help, inner_width: usize) -> Vec<HelpRow> {
    let inner_width = inner_width.max(8);
    let mut rows = Vec::new();
    let notes = |rows: &mut Vec<HelpRow>, s: &str| {
        rows.extend(text::wrap(s, inner_width).into_iter().map(HelpRow::Note));
    };
    let needle = help.filter.to_lowercase();
    if needle.is_empty() {
        notes(
            &mut rows,
            "To rebind: [keys.SCOPE] COMMAND = [\"key\", …] in the config file (lockwatch config path); each section's scope and each key's command are the names in brackets.",
        );
    } else {
        notes(
            &mut rows,
            &format!(
                "Keys whose name, command or description holds \"{}\" (Esc shows all):",
                text::sanitize(&help.filter)
            ),
        );
    }
    rows.push(HelpRow::Blank);
    // The focused pane's keys first, then those that work everywhere, then the other panes'.
    let focused = state.focus.scope();
    let mut scopes: Vec<_> = state.keymap.scopes.iter().collect();
    scopes.sort_by_key(|(scope, _)| match scope {
        s if *s == focused => 0,
        Scope::Global => 1,
        _ => 2,
    });
    // One column for the command names, as wide as the longest and a space: a long name such
    // as [restore_by_copy] never runs into its description.
    let command_width = scopes
        .iter()
        .flat_map(|(_, bindings)| bindings.iter())
        .map(|b| b.command.name().len() + 3)
        .max()
        .unwrap_or(0);
    let mut shown = 0;
    for (scope, bindings) in scopes {
        let mut section = Vec::new();
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            let keys = keys.join(", ");
            let mut desc = b.desc.clone();
            let unavailable = state.connection.read_only && b.command.is_write();
            if unavailable {
                desc.push_str(" (unavailable: read-only)");
            }
            if !needle.is_empty()
                && ![keys.as_str(), &b.command.name(), desc.as_str()]
                    .iter()
                    .any(|s| s.to_lowercase().contains(&needle))
            {
                continue;
            }
            let keys = fit(&format!("  {keys:<16} "), inner_width);
            let command = fit(
                &format!("{:<command_width$}", format!("[{}]", b.command.name())),
                inner_width.saturating_sub(text::width(&keys)),
            );
            // The description wraps under itself, beside the keys and the command; where
            // that leaves too little room, it goes below them, indented.
            let indent = text::width(&keys) + text::width(&command);
            let room = inner_width.saturating_sub(indent);
            let (first, rest, indent) = if room >= 24 {
                let mut wrapped = text::wrap(&desc, room).into_iter();
                (
                    wrapped.next().unwrap_or_default(),
                    wrapped.collect(),
                    indent,
                )
            } else {
                (
                    String::new(),
                    text::wrap(&desc, inner_width.saturating_sub(4)),
                    4,
                )
            };
            section.push(HelpRow::Binding {
                keys,
                command,
                text: first,
                unavailable,
            });
            section.extend(rest.into_iter().map(|text| HelpRow::More {
                indent,
                text,
                unavailable,
            }));
        }
        if section.is_empty() {
            continue;
        }
        shown += 1;
        rows.push(HelpRow::Scope {
            title: scope.title().to_string(),
            section: format!("  [{}]", scope.config_name()),
        });
        rows.append(&mut section);
        rows.push(HelpRow::Blank);
    }
    if shown == 0 {
        notes(
            &mut rows,
            &format!(
                "No key matches \"{}\". Backspace changes it, Esc shows all.",
                text::sanitize(&help.filter)
            ),
        );
        rows.push(HelpRow::Blank);
    }
    notes(
        &mut rows,
        "Lock states: COMPLIANCE (nobody can delete before the date), GOVERNANCE (only with bypass permission), HOLD (legal hold: no delete until released), expired — deletable.",
    );
    notes(
        &mut rows,
        "Times are UTC. j/k ↑/↓ PgUp/PgDn scroll, g/G top and bottom, / finds a key, Esc closes.",
    );
    rows
}

/// `s` cut to `width` columns, with `…` where it was cut.
fn fit(s: &str, width: usize) -> String {
    if text::width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text::width(&out) + text::width(&c.to_string()) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The inner width of the popup on this screen.
pub fn inner_width(screen: Rect) -> usize {
    usize::from(popup_size(screen).0.saturating_sub(2))
}

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    state.popup = Some(Popup::Help(Help::default()));
    Vec::new()
}

pub(super) fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(Popup::Help(help)) = state.popup.as_ref() else {
        return Vec::new();
    };
    let mut help = help.clone();
    let visible = visible_rows(state.screen);
    if help.typing {
        match key.code {
            KeyCode::Esc => {
                help.typing = false;
                help.filter.clear();
            }
            KeyCode::Enter => help.typing = false,
            KeyCode::Backspace => {
                help.filter.pop();
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => help.filter.push(c),
            _ => {}
        }
        help.scroll = 0;
    } else {
        let total = rows(state, &help, inner_width(state.screen)).len();
        let last = total.saturating_sub(visible);
        match (key.code, state.keymap.lookup(Scope::Global, key)) {
            (KeyCode::Char('/'), _) => {
                help.typing = true;
                help.filter.clear();
                help.scroll = 0;
            }
            (KeyCode::Esc, _) if !help.filter.is_empty() => {
                help.filter.clear();
                help.scroll = 0;
            }
            (KeyCode::Char('G') | KeyCode::End, _) | (_, Some(Command::Bottom)) => {
                help.scroll = last
            }
            (KeyCode::Char('g') | KeyCode::Home, _) | (_, Some(Command::Top)) => help.scroll = 0,
            (_, Some(Command::Down)) => help.scroll = (help.scroll + 1).min(last),
            (_, Some(Command::Up)) => help.scroll = help.scroll.saturating_sub(1),
            (_, Some(Command::PageDown)) => help.scroll = (help.scroll + visible).min(last),
            (_, Some(Command::PageUp)) => help.scroll = help.scroll.saturating_sub(visible),
            (KeyCode::Esc | KeyCode::Enter, _)
            | (_, Some(Command::Help | Command::Close | Command::Quit)) => {
                state.popup = None;
                return Vec::new();
            }
            _ => {}
        }
    }
    state.popup = Some(Popup::Help(help));
    Vec::new()
}

/// What the bottom border says: where the rows shown are, whether more follow, and the filter
/// being typed.
pub fn position(help: &Help, total: usize, visible: usize) -> String {
    let first = help.scroll.min(total.saturating_sub(1));
    let end = (help.scroll + visible).min(total);
    let mut parts = Vec::new();
    if help.typing {
        parts.push(format!("/{}▏ Enter keeps, Esc clears", help.filter));
    }
    if total > visible {
        parts.push(format!("lines {}–{end} of {total}", first + 1));
        if end < total {
            parts.push("more below ↓ (G: the end)".to_string());
        }
    }
    if !help.typing {
        parts.push("/ finds · Esc closes".to_string());
    }
    format!(" {} ", parts.join(" · "))
}
