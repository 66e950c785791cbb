//! Keys and the keymap. The keymap is data (assets/keymap.toml): every binding carries the
//! description that the help screen shows, so help cannot drift from the keys.

use serde::Deserialize;
use std::fmt;

/// A key press as lockwatch matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Converts a terminal key event; `None` for releases and keys lockwatch never binds.
    pub fn from_crossterm(event: &crossterm::event::KeyEvent) -> Option<Key> {
        use crossterm::event::{KeyCode as C, KeyEventKind, KeyModifiers as M};
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let code = match event.code {
            C::Char(c) => KeyCode::Char(c),
            C::Enter => KeyCode::Enter,
            C::Esc => KeyCode::Esc,
            C::Tab => KeyCode::Tab,
            C::BackTab => KeyCode::BackTab,
            C::Backspace => KeyCode::Backspace,
            C::Delete => KeyCode::Delete,
            C::Up => KeyCode::Up,
            C::Down => KeyCode::Down,
            C::Left => KeyCode::Left,
            C::Right => KeyCode::Right,
            C::Home => KeyCode::Home,
            C::End => KeyCode::End,
            C::PageUp => KeyCode::PageUp,
            C::PageDown => KeyCode::PageDown,
            C::F(n) => KeyCode::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: event.modifiers.contains(M::CONTROL),
            alt: event.modifiers.contains(M::ALT),
        })
    }
}

impl std::str::FromStr for Key {
    type Err = String;

    fn from_str(spec: &str) -> Result<Key, String> {
        let mut rest = spec;
        let mut key = Key::plain(KeyCode::Esc);
        let mut shift = false;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                key.ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                key.alt = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                shift = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if shift { c.to_ascii_uppercase() } else { c }),
            _ => match rest {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" if shift => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key '{spec}'")),
                },
                _ => return Err(format!("unknown key '{spec}'")),
            },
        };
        Ok(key)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
        }
    }
}

/// What a key asks lockwatch to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    NextPane,
    PreviousPane,
    Filter,
    GoTo,
    Refresh,
    Help,
    Close,
    Quit,
    Suspend,
    ToggleDeleted,
    Restore,
    Delete,
    DeleteVersion,
    RestoreByCopy,
    LegalHold,
    AuditLog,
    Details,
    Retention,
    CreateBucket,
    LockSettings,
    Upload,
    Download,
    CancelTransfer,
    Mark,
    MarkAll,
    BulkUndelete,
    AsOf,
    Report,
    Copy,
    ToggleMouse,
    Messages,
    Sort,
}

impl Command {
    /// The command's name in the keymap and the config file (`restore_by_copy`).
    pub fn name(self) -> String {
        let debug = format!("{self:?}");
        let mut out = String::new();
        for (i, ch) in debug.chars().enumerate() {
            if ch.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(ch.to_ascii_lowercase());
            } else {
                out.push(ch);
            }
        }
        out
    }

    /// Whether the command writes to the server (refused when lockwatch runs read-only).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Command::Restore
                | Command::Delete
                | Command::DeleteVersion
                | Command::RestoreByCopy
                | Command::LegalHold
                | Command::Retention
                | Command::CreateBucket
                | Command::LockSettings
                | Command::Upload
        )
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Buckets,
    Objects,
    Versions,
}

impl Scope {
    /// The scope's name in the keymap and the config file (`[keys.objects]`).
    pub fn config_name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Buckets => "buckets",
            Scope::Objects => "objects",
            Scope::Versions => "versions",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Buckets => "Buckets pane",
            Scope::Objects => "Objects pane",
            Scope::Versions => "Versions pane",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub command: Command,
    pub desc: String,
}

#[derive(Debug, Deserialize)]
struct RawBinding {
    on: Vec<String>,
    run: Command,
    desc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    #[serde(default)]
    global: Vec<RawBinding>,
    #[serde(default)]
    buckets: Vec<RawBinding>,
    #[serde(default)]
    objects: Vec<RawBinding>,
    #[serde(default)]
    versions: Vec<RawBinding>,
}

/// Bindings by scope, in the order they are written (the help screen keeps that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub scopes: Vec<(Scope, Vec<Binding>)>,
}

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

impl Keymap {
    pub fn parse(text: &str) -> Result<Keymap, String> {
        let raw: RawKeymap = toml::from_str(text).map_err(|e| e.to_string())?;
        let convert = |list: Vec<RawBinding>| -> Result<Vec<Binding>, String> {
            list.into_iter()
                .map(|b| {
                    Ok(Binding {
                        keys: b.on.iter().map(|k| k.parse()).collect::<Result<_, _>>()?,
                        command: b.run,
                        desc: b.desc,
                    })
                })
                .collect()
        };
        Ok(Keymap {
            scopes: vec![
                (Scope::Global, convert(raw.global)?),
                (Scope::Buckets, convert(raw.buckets)?),
                (Scope::Objects, convert(raw.objects)?),
                (Scope::Versions, convert(raw.versions)?),
            ],
        })
    }

    /// The keymap shipped with lockwatch.
    pub fn default_keymap() -> Keymap {
        match Keymap::parse(DEFAULT_KEYMAP) {
            Ok(k) => k,
            // The shipped file is checked by a unit test; reaching this is a build defect.
            Err(e) => panic!("assets/keymap.toml is invalid: {e}"),
        }
    }

    /// The bindings of one scope, in the keymap's order.
    pub fn bindings(&self, scope: Scope) -> &[Binding] {
        self.scopes
            .iter()
            .find(|(s, _)| *s == scope)
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[])
    }

    /// The command for `key` in `pane`: the pane's own binding first, then a global one.
    pub fn lookup(&self, pane: Scope, key: Key) -> Option<Command> {
        [pane, Scope::Global].into_iter().find_map(|scope| {
            self.bindings(scope)
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.command)
        })
    }

    /// The keys bound to `command` in `pane` (or globally), for hints such as "press r".
    pub fn keys_for(&self, pane: Scope, command: Command) -> Vec<Key> {
        [pane, Scope::Global]
            .into_iter()
            .flat_map(|scope| self.bindings(scope).iter())
            .filter(|b| b.command == command)
            .flat_map(|b| b.keys.iter().copied())
            .collect()
    }

    /// The first key bound to `command`, written for a hint ("press r to restore").
    pub fn hint(&self, pane: Scope, command: Command) -> String {
        self.keys_for(pane, command)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "(unbound)".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_named_as_the_keymap_spells_it() {
        #[derive(Deserialize)]
        struct One {
            run: Command,
        }
        assert_eq!(Command::RestoreByCopy.name(), "restore_by_copy");
        for (_, bindings) in Keymap::default_keymap().scopes {
            for b in bindings {
                let parsed: One = toml::from_str(&format!("run = \"{}\"", b.command.name()))
                    .expect("the name parses");
                assert_eq!(parsed.run, b.command);
            }
        }
    }

    #[test]
    fn shipped_keymap_parses_and_binds_the_documented_keys() {
        let map = Keymap::parse(DEFAULT_KEYMAP).expect("assets/keymap.toml parses");
        assert_eq!(
            map.lookup(Scope::Objects, Key::char('.')),
            Some(Command::ToggleDeleted)
        );
        assert_eq!(
            map.lookup(Scope::Versions, Key::char('r')),
            Some(Command::Restore)
        );
        assert_eq!(map.lookup(Scope::Buckets, Key::char('r')), None);
        assert_eq!(
            map.lookup(Scope::Buckets, Key::char('j')),
            Some(Command::Down)
        );
        assert_eq!(
            map.lookup(Scope::Buckets, Key::plain(KeyCode::BackTab)),
            Some(Command::PreviousPane)
        );
        assert_eq!(
            map.lookup(Scope::Objects, Key::char('G')),
            Some(Command::Bottom)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope_or_shadowed_by_accident() {
        let map = Keymap::default_keymap();
        for (scope, bindings) in &map.scopes {
            let mut seen = std::collections::HashSet::new();
            for b in bindings {
                for k in &b.keys {
                    assert!(seen.insert(*k), "{k} bound twice in {scope:?}");
                }
            }
        }
    }

    #[test]
    fn key_specs_round_trip() {
        for spec in [
            "j", "G", "ctrl-r", "enter", "pagedown", "f1", "space", "alt-x",
        ] {
            let key: Key = spec.parse().expect("valid spec");
            let again: Key = key
                .to_string()
                .replace("pgdn", "pagedown")
                .parse()
                .expect("display parses");
            assert_eq!(key, again, "{spec}");
        }
        assert_eq!("shift-tab".parse::<Key>(), Ok(Key::plain(KeyCode::BackTab)));
        assert!("ctrl-nothing".parse::<Key>().is_err());
    }

    #[test]
    fn unknown_commands_are_rejected() {
        let err = Keymap::parse(r#"global = [{ on = ["x"], run = "explode", desc = "" }]"#);
        assert!(err.is_err());
    }
}
