//! The configuration file: named endpoints and key bindings. Optional; never required to
//! start. A file with mistakes is used for what it gets right, and every line it ignores is
//! reported with its line and why (`lockwatch config check` prints them all).
//!
//! Precedence, for each setting: flags > environment > this file > AWS profile > defaults.

use crate::keys::{Command, Key, Keymap, Scope};
use crate::s3::PathStyle;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The commented default written by `lockwatch config init`.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

/// `LOCKWATCH_CONFIG`, else `~/.config/lockwatch/config.toml` (the platform's config place).
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOCKWATCH_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "lockwatch").map(|d| d.config_dir().join("config.toml"))
}

/// A named endpoint: where and how to connect. Credentials stay in the AWS files or the
/// environment (`profile` names the AWS profile to take them from).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub path_style: Option<PathStyle>,
    pub ca_bundle: Option<PathBuf>,
    pub read_only: bool,
}

/// Something in the file that was ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    /// The dotted key it concerns (`endpoint.binero.region`), when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)?;
        if let Some(k) = &self.key {
            write!(f, " ({k})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What the file says, once read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub default_endpoint: Option<String>,
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Per scope: command → keys, replacing that command's default keys in that scope.
    pub keys: Vec<(Scope, Command, Vec<Key>, usize)>,
    /// `mouse = false`: the terminal keeps the mouse (for its own copy and paste).
    pub mouse: Option<bool>,
    /// `[theme] name = …`: a built-in theme.
    pub theme_name: Option<String>,
    /// `[theme] ROLE = "colour"`: foreground colours by role.
    pub theme_colours: Vec<(String, ratatui::style::Color)>,
    pub problems: Vec<Problem>,
}

/// Words that name a secret: such a setting is refused wherever it appears.
const SECRET_WORDS: [&str; 5] = ["secret", "password", "token", "access_key", "credential"];

/// The most a configuration file may hold: a hand-written file is a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

struct Reader<'a> {
    text: &'a str,
    /// Where each line starts: a problem's line is found by binary search, so a file full of
    /// ignored lines costs linear time, not quadratic.
    line_starts: Vec<usize>,
    problems: Vec<Problem>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Reader {
            text,
            line_starts,
            problems: Vec::new(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count());
        (line.max(1), column + 1)
    }

    fn problem(&mut self, span: std::ops::Range<usize>, key: Option<String>, message: String) {
        let (line, column) = self.line_col(span.start);
        self.problems.push(Problem {
            line,
            column,
            key,
            message,
        });
    }

    fn string(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.problem(value.span(), Some(key.into()), "expected a string".into());
                None
            }
        }
    }
}

impl Config {
    /// Reads the file at `path`; a missing file is an empty configuration. Only a regular
    /// file of at most `MAX_CONFIG_BYTES` is read: a FIFO, a device (`/dev/zero`) or a huge
    /// file is a problem said at start, never a hang.
    pub fn load(path: &Path) -> Config {
        match crate::files::read_regular_text(path, MAX_CONFIG_BYTES) {
            Ok(text) => {
                let mut c = Config::parse(&text);
                c.path = Some(path.to_path_buf());
                c
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config {
                path: Some(path.to_path_buf()),
                ..Config::default()
            },
            Err(e) => Config {
                path: Some(path.to_path_buf()),
                problems: vec![Problem {
                    line: 0,
                    column: 0,
                    key: None,
                    message: format!("cannot read {}: {e}", path.display()),
                }],
                ..Config::default()
            },
        }
    }

    /// Reads configuration text, keeping what is right and reporting the rest.
    pub fn parse(text: &str) -> Config {
        let (table, errors) = DeTable::parse_recoverable(text);
        let mut r = Reader::new(text);
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            r.problem(span, None, e.message().trim().to_string());
        }
        let mut config = Config::default();
        for (key, value) in table.get_ref() {
            let name = key.get_ref().as_ref();
            match name {
                "default_endpoint" => config.default_endpoint = r.string(name, value),
                "endpoint" => match value.get_ref() {
                    DeValue::Table(endpoints) => {
                        for (ename, evalue) in endpoints {
                            let ename = ename.get_ref().to_string();
                            if let Some(e) = read_endpoint(&mut r, &ename, evalue) {
                                config.endpoints.insert(ename, e);
                            }
                        }
                    }
                    _ => r.problem(
                        value.span(),
                        Some(name.into()),
                        "expected tables like [endpoint.NAME]".into(),
                    ),
                },
                "keys" => read_keys(&mut r, value, &mut config.keys),
                "theme" => read_theme(&mut r, value, &mut config),
                "mouse" => match value.get_ref() {
                    DeValue::Boolean(b) => config.mouse = Some(*b),
                    _ => r.problem(
                        value.span(),
                        Some(name.into()),
                        "expected true or false".into(),
                    ),
                },
                other => check_unknown(&mut r, key.span(), other, "top-level setting"),
            }
        }
        if let Some(d) = &config.default_endpoint
            && !config.endpoints.contains_key(d)
        {
            let span = table
                .get_ref()
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == "default_endpoint")
                .map_or(0..0, |(_, v)| v.span());
            r.problem(
                span,
                Some("default_endpoint".into()),
                format!("no [endpoint.{d}] is defined"),
            );
            config.default_endpoint = None;
        }
        config.problems = r.problems;
        config.problems.sort_by_key(|p| (p.line, p.column));
        config
    }

    /// The keymap with this file's bindings applied. Conflicts (one key, two commands in one
    /// scope) are problems; the later binding is then left out.
    pub fn keymap(&self, base: &Keymap) -> (Keymap, Vec<Problem>) {
        let mut keymap = base.clone();
        let mut problems = Vec::new();
        for (scope, command, keys, line) in &self.keys {
            let Some((_, bindings)) = keymap.scopes.iter_mut().find(|(s, _)| s == scope) else {
                continue;
            };
            let clash = bindings
                .iter()
                .filter(|b| b.command != *command)
                .find_map(|b| keys.iter().find(|k| b.keys.contains(k)).map(|k| (*k, b)));
            if let Some((key, other)) = clash {
                problems.push(Problem {
                    line: *line,
                    column: 1,
                    key: Some(format!("keys.{}.{}", scope.config_name(), command.name())),
                    message: format!(
                        "{key} is already bound to {} in this scope; rebind that first",
                        other.command.name()
                    ),
                });
                continue;
            }
            match bindings.iter_mut().find(|b| b.command == *command) {
                Some(b) => b.keys = keys.clone(),
                None => {
                    // A command bound only in another scope: its description comes along.
                    let desc = base
                        .scopes
                        .iter()
                        .flat_map(|(_, bs)| bs)
                        .find(|b| b.command == *command)
                        .map_or_else(|| command.name(), |b| b.desc.clone());
                    bindings.push(crate::keys::Binding {
                        keys: keys.clone(),
                        command: *command,
                        desc,
                    });
                }
            }
        }
        (keymap, problems)
    }
}

fn check_unknown(r: &mut Reader<'_>, span: std::ops::Range<usize>, name: &str, what: &str) {
    let lower = name.to_ascii_lowercase();
    if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        r.problem(
            span,
            Some(name.into()),
            "secrets do not belong in this file: keep them in ~/.aws/credentials or the environment and name the profile here".into(),
        );
    } else {
        r.problem(span, Some(name.into()), format!("unknown {what}: ignored"));
    }
}

fn read_endpoint(r: &mut Reader<'_>, name: &str, value: &Spanned<DeValue<'_>>) -> Option<Endpoint> {
    let DeValue::Table(fields) = value.get_ref() else {
        r.problem(
            value.span(),
            Some(format!("endpoint.{name}")),
            "expected a table: [endpoint.NAME] with endpoint_url = \"…\" and so on".into(),
        );
        return None;
    };
    let mut e = Endpoint::default();
    let mut url_span = value.span();
    for (k, v) in fields {
        let field = k.get_ref().as_ref();
        let dotted = format!("endpoint.{name}.{field}");
        match field {
            "endpoint_url" => {
                url_span = v.span();
                e.endpoint_url = r.string(&dotted, v);
            }
            "region" => e.region = r.string(&dotted, v),
            "profile" => e.profile = r.string(&dotted, v),
            "ca_bundle" => e.ca_bundle = r.string(&dotted, v).map(PathBuf::from),
            "path_style" => {
                e.path_style = r.string(&dotted, v).and_then(|s| match s.as_str() {
                    "auto" => Some(PathStyle::Auto),
                    "always" => Some(PathStyle::Always),
                    "never" => Some(PathStyle::Never),
                    _ => {
                        r.problem(
                            v.span(),
                            Some(dotted.clone()),
                            "expected auto, always or never".into(),
                        );
                        None
                    }
                })
            }
            "read_only" => match v.get_ref() {
                DeValue::Boolean(b) => e.read_only = *b,
                _ => r.problem(v.span(), Some(dotted), "expected true or false".into()),
            },
            other => check_unknown(r, k.span(), other, "endpoint setting"),
        }
    }
    if let Some(url) = &e.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        r.problem(
            url_span,
            Some(format!("endpoint.{name}.endpoint_url")),
            format!("{url:?} is not an http:// or https:// URL: the endpoint is ignored"),
        );
        return None;
    }
    Some(e)
}

fn read_theme(r: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, config: &mut Config) {
    use crate::ui::theme::{ROLES, Theme, parse_colour};
    let DeValue::Table(fields) = value.get_ref() else {
        r.problem(
            value.span(),
            Some("theme".into()),
            "expected a [theme] table".into(),
        );
        return;
    };
    for (k, v) in fields {
        let field = k.get_ref().as_ref();
        let dotted = format!("theme.{field}");
        if field == "name" {
            if let Some(name) = r.string(&dotted, v) {
                if Theme::named(&name).is_some() {
                    config.theme_name = Some(name);
                } else {
                    r.problem(
                        v.span(),
                        Some(dotted),
                        format!("no theme {name:?}: dark, light or mono"),
                    );
                }
            }
        } else if ROLES.contains(&field) {
            if let Some(text) = r.string(&dotted, v) {
                match parse_colour(&text) {
                    Some(c) => config.theme_colours.push((field.to_string(), c)),
                    None => r.problem(
                        v.span(),
                        Some(dotted),
                        format!("{text:?} is not a colour: a name like red or light-blue, #rrggbb, or 0-255"),
                    ),
                }
            }
        } else {
            r.problem(
                k.span(),
                Some(dotted),
                format!("unknown role: one of {}", ROLES.join(", ")),
            );
        }
    }
}

impl Config {
    /// The theme in effect: NO_COLOR (`no_colour`) gives the colourless one whatever the file
    /// says; otherwise the file's theme and colours, brought down to the 16 ANSI colours on a
    /// terminal that shows no more.
    pub fn theme(&self, no_colour: bool, colours_256: bool) -> crate::ui::Theme {
        use crate::ui::Theme;
        if no_colour {
            return Theme::mono();
        }
        let mut theme = self
            .theme_name
            .as_deref()
            .and_then(Theme::named)
            .unwrap_or_default();
        for (role, colour) in &self.theme_colours {
            if let Some(style) = theme.role_mut(role) {
                *style = style.fg(*colour);
            }
        }
        if colours_256 {
            theme
        } else {
            theme.in_16_colours()
        }
    }
}

fn scope_of(name: &str) -> Option<Scope> {
    Some(match name {
        "global" => Scope::Global,
        "buckets" => Scope::Buckets,
        "objects" => Scope::Objects,
        "versions" => Scope::Versions,
        _ => return None,
    })
}

fn read_keys(
    r: &mut Reader<'_>,
    value: &Spanned<DeValue<'_>>,
    out: &mut Vec<(Scope, Command, Vec<Key>, usize)>,
) {
    let DeValue::Table(scopes) = value.get_ref() else {
        r.problem(
            value.span(),
            Some("keys".into()),
            "expected tables like [keys.objects]".into(),
        );
        return;
    };
    for (skey, svalue) in scopes {
        let sname = skey.get_ref().as_ref();
        let Some(scope) = scope_of(sname) else {
            r.problem(
                skey.span(),
                Some(format!("keys.{sname}")),
                "unknown scope: use global, buckets, objects or versions".into(),
            );
            continue;
        };
        let DeValue::Table(bindings) = svalue.get_ref() else {
            r.problem(
                svalue.span(),
                Some(format!("keys.{sname}")),
                "expected a table of command = [\"key\", …]".into(),
            );
            continue;
        };
        for (cname, cvalue) in bindings {
            let cname_str = cname.get_ref().as_ref();
            let dotted = format!("keys.{sname}.{cname_str}");
            let command: Option<Command> =
                serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                    serde::de::value::Error,
                >::new(cname_str))
                .ok();
            let Some(command) = command else {
                r.problem(
                    cname.span(),
                    Some(dotted),
                    "unknown command: the help screen (?) and assets/keymap.toml name them".into(),
                );
                continue;
            };
            let DeValue::Array(items) = cvalue.get_ref() else {
                r.problem(
                    cvalue.span(),
                    Some(dotted),
                    "expected a list of keys, like [\"r\", \"ctrl-r\"]".into(),
                );
                continue;
            };
            let mut keys = Vec::new();
            let mut ok = true;
            for item in items {
                match item.get_ref() {
                    DeValue::String(s) => match s.parse::<Key>() {
                        Ok(k) => keys.push(k),
                        Err(e) => {
                            r.problem(item.span(), Some(dotted.clone()), e);
                            ok = false;
                        }
                    },
                    _ => {
                        r.problem(
                            item.span(),
                            Some(dotted.clone()),
                            "expected a key name".into(),
                        );
                        ok = false;
                    }
                }
            }
            if ok && keys.is_empty() {
                r.problem(
                    cvalue.span(),
                    Some(dotted),
                    "no keys: a command needs at least one".into(),
                );
                ok = false;
            }
            if ok {
                let (line, _) = r.line_col(cname.span().start);
                out.push((scope, command, keys, line));
            }
        }
    }
}
