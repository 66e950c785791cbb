//! `lockwatch config path|init|check`.

use super::*;

/// `lockwatch config path|init|check`.
pub(super) fn config_command(
    action: crate::cli::ConfigAction,
    config: &Config,
    console: &mut Console<'_>,
) -> Exit {
    use crate::cli::ConfigAction;
    let Some(path) = console.config_path.clone() else {
        say!(
            console,
            "lockwatch: no config directory is known for this user; set LOCKWATCH_CONFIG"
        );
        return Exit::CouldNotStart;
    };
    match action {
        ConfigAction::Path => {
            let _ = writeln!(console.out, "{}", path.display());
            Exit::Done
        }
        ConfigAction::Init => {
            if let Some(dir) = path.parent()
                && let Err(e) = std::fs::create_dir_all(dir)
            {
                say!(console, "lockwatch: cannot create {}: {e}", dir.display());
                return Exit::CouldNotStart;
            }
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| f.write_all(crate::config::DEFAULT_CONFIG.as_bytes()));
            match created {
                Ok(()) => {
                    let _ = writeln!(console.out, "wrote {}", path.display());
                    Exit::Done
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    say!(
                        console,
                        "lockwatch: {} already exists; it was left as it is",
                        path.display()
                    );
                    Exit::Partly
                }
                Err(e) => {
                    say!(console, "lockwatch: cannot write {}: {e}", path.display());
                    Exit::CouldNotStart
                }
            }
        }
        ConfigAction::Check => {
            if !path.exists() {
                let _ = writeln!(
                    console.out,
                    "{}: no such file; lockwatch uses its defaults (`lockwatch config init` writes a commented one)",
                    path.display()
                );
                return Exit::Done;
            }
            let (_, key_problems) = config.keymap(&Keymap::default_keymap());
            let mut problems: Vec<&crate::config::Problem> =
                config.problems.iter().chain(&key_problems).collect();
            problems.sort_by_key(|p| (p.line, p.column));
            if problems.is_empty() {
                // What the file changes, so that a typo that parses is still noticed.
                let plural = |n: usize, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                let mut said = vec![plural(config.endpoints.len(), "endpoint", "endpoints")];
                if let Some(d) = &config.default_endpoint {
                    said.push(format!("default {d}"));
                }
                said.push(plural(
                    config.keys.len(),
                    "command rebound",
                    "commands rebound",
                ));
                if let Some(name) = &config.theme_name {
                    said.push(format!("theme {name}"));
                }
                if !config.theme_colours.is_empty() {
                    said.push(plural(config.theme_colours.len(), "colour", "colours"));
                }
                if config.mouse == Some(false) {
                    said.push("mouse off".into());
                }
                let _ = writeln!(
                    console.out,
                    "{}: fine ({})",
                    path.display(),
                    said.join(", ")
                );
                return Exit::Done;
            }
            for p in problems {
                let _ = writeln!(console.out, "{}: {p}", path.display());
            }
            Exit::Partly
        }
    }
}
