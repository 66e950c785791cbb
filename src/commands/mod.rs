//! The command line: `lockwatch` with no command opens the UI; `ls`, `report`, `undelete`,
//! `config`, `sandbox`, `completions` and `man` run beside it. `src/main.rs` only calls `main`.
//! Exit codes: 0 done, 1 done in part or refused (a listing cut short, a key that failed, a
//! plan not confirmed, a config file with problems), 2 could not start (connect, list, ask).

mod config;
mod connect;
mod demo;
mod ls;
mod report;
mod ui;
mod undelete;

use crate::app::StartAt;
use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::domain::format::TimeArg;
use crate::keys::Keymap;
use crate::s3::{ConnectOptions, Connection, PathStyle, StaticCredentials};
use crate::sandbox::{self, Sandbox};
use clap::Parser;
use std::process::ExitCode;

use config::config_command;
use connect::{connect, connect_for_command, pick_endpoint};
use demo::{seeded_sandbox, serve_sandbox};
use ls::list;
use report::report;
use ui::run_ui;
use undelete::{UndeleteOptions, undelete};

/// lockwatch's exit codes, one meaning each (`--help`, the man page and the README say so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done: the listing, report or run is complete, or the UI was quit.
    Done,
    /// Done in part, or refused: a listing cut short, a key that failed, a plan not confirmed,
    /// a config file with problems.
    Partly,
    /// Could not start: no connection, nothing listed at all, no terminal, nobody to ask.
    CouldNotStart,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Done => 0,
            Exit::Partly => 1,
            Exit::CouldNotStart => 2,
        })
    }
}

/// Parses the command line and runs what it asks.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(filter) = cli.log.as_deref().filter(|f| !f.trim().is_empty())
        && let Err(e) = crate::logging::init(filter, cli.log_file.clone())
    {
        eprintln!("lockwatch: {}", shown(&e));
        return Exit::CouldNotStart.into();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lockwatch: cannot start the async runtime: {e}");
            return Exit::Partly.into();
        }
    };
    let config = load_config();
    runtime.block_on(async move {
        match cli.command {
            Some(Command::Sandbox { port }) => serve_sandbox(port).await,
            Some(Command::Ls {
                ref location,
                versions,
                recursive,
                json,
                at,
            }) => {
                let options = crate::ls::LsOptions {
                    location: location.clone(),
                    versions,
                    recursive,
                    json,
                    at: None,
                };
                list(&cli, &config, options, at).await
            }
            Some(Command::Undelete {
                ref location,
                after,
                dry_run,
                json,
                yes,
            }) => {
                let options = UndeleteOptions {
                    location: location.clone(),
                    after,
                    dry_run,
                    json,
                    yes,
                };
                undelete(&cli, &config, &options).await
            }
            Some(Command::Report {
                ref location,
                format,
            }) => report(&cli, &config, location, format).await,
            Some(Command::Config { action }) => config_command(action, &config),
            Some(Command::Completions { shell }) => {
                let mut command = <Cli as clap::CommandFactory>::command();
                clap_complete::generate(shell, &mut command, "lockwatch", &mut std::io::stdout());
                Exit::Done.into()
            }
            Some(Command::Man) => {
                let command = <Cli as clap::CommandFactory>::command();
                let mut page = Vec::new();
                if let Err(e) = clap_mangen::Man::new(command).render(&mut page) {
                    eprintln!("lockwatch: cannot render the manual page: {e}");
                    return Exit::Partly.into();
                }
                use std::io::Write;
                match std::io::stdout().write_all(&page) {
                    Ok(()) => Exit::Done.into(),
                    Err(e) => {
                        eprintln!("lockwatch: cannot write the manual page: {e}");
                        Exit::Partly.into()
                    }
                }
            }
            None => run_ui(cli, config).await,
        }
    })
}

/// The config file (LOCKWATCH_CONFIG or the platform's place); what it ignores is said on
/// stderr, and lockwatch goes on with the rest.
fn load_config() -> Config {
    let Some(path) = crate::config::default_path() else {
        return Config::default();
    };
    Config::load(&path)
}

/// Text that may hold a server's words (an error's `<Message>`, a key), escaped as the UI
/// escapes it: no control sequence of a server reaches the user's terminal.
fn shown(text: &impl std::fmt::Display) -> String {
    crate::domain::text::sanitize(&text.to_string()).into_owned()
}

/// A command-line time: `-3h` and the like are taken from the server's clock (the Date header
/// of one request about the bucket, whatever it answers), as the UI takes them; said when the
/// server's clock differs from this machine's.
async fn on_servers_clock(
    s3: &crate::s3::S3,
    bucket: &str,
    time: TimeArg,
) -> Result<jiff::Timestamp, String> {
    if let TimeArg::At(t) = time {
        return Ok(t);
    }
    let _ = s3.bucket_versioning(bucket).await;
    let local = jiff::Timestamp::now();
    let offset = s3.server_clock_offset();
    let now = offset
        .and_then(|o| local.checked_add(o).ok())
        .unwrap_or(local);
    if let Some(o) = offset {
        eprintln!(
            "lockwatch: the server's clock is {} {} this machine's; relative times are counted from the server's: {} UTC",
            crate::domain::lock::format_remaining(jiff::SignedDuration::from_secs(
                o.as_secs().abs()
            )),
            if o.is_negative() {
                "behind"
            } else {
                "ahead of"
            },
            crate::domain::format::timestamp(now)
        );
    }
    time.resolve(now)
}
