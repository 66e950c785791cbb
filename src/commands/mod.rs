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
mod watch;

use crate::app::StartAt;
use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::domain::format::TimeArg;
use crate::keys::Keymap;
use crate::s3::{ConnectOptions, Connection, PathStyle, StaticCredentials};
use crate::sandbox::{self, Sandbox};
use clap::Parser;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use config::config_command;
use connect::{connect, connect_for_command, learn_identity, pick_endpoint};
use demo::{seeded_sandbox, serve_sandbox};
use ls::list;
use report::report;
use ui::run_ui;
use undelete::{UndeleteOptions, undelete};
use watch::{check, watch};

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
    /// `lockwatch check`'s Monitoring Plugins status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Status(u8),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Done => 0,
            Exit::Partly => 1,
            Exit::CouldNotStart => 2,
            Exit::Status(code) => code,
        })
    }
}

/// What a command reads, writes and looks up: the process's own stdin, stdout, stderr and
/// environment for `lockwatch` itself, buffers and a map in the in-process tests. The UI draws
/// on the process's terminal whatever this says; everything else goes through here.
pub struct Console<'a> {
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether `input` is a terminal a person types at: questions are asked only then.
    pub input_is_terminal: bool,
    /// Whether `err` is a terminal: progress lines are drawn only then.
    pub err_is_terminal: bool,
    /// Whether `out` is a terminal: `watch` writes its events for a person then.
    pub out_is_terminal: bool,
    /// The environment variables lockwatch reads itself (the AWS SDK still reads the process's
    /// for what lockwatch does not hand it: profiles, web identity, instance metadata).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The config file (`LOCKWATCH_CONFIG` or the platform's place); `None` when no place is
    /// known for this user.
    pub config_path: Option<PathBuf>,
    /// The audit trail the commands append to (`None`: no data directory known).
    pub audit_path: Option<PathBuf>,
}

impl Console<'_> {
    /// A non-empty environment variable.
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }
}

/// The manual page: clap's sections (from the same definitions as `--help`), then KEYS, every
/// binding of the default keymap by pane with what it does (as `?` shows them, and as mc's and
/// tig's pages have them).
fn manual_page(command: clap::Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    let has_subcommands = command.has_subcommands();
    let has_extra = command.get_after_help().is_some() || command.get_after_long_help().is_some();
    let has_version = command.get_version().is_some();
    let man = clap_mangen::Man::new(command);
    man.render_title(page)?;
    man.render_name_section(page)?;
    man.render_synopsis_section(page)?;
    man.render_description_section(page)?;
    man.render_options_section(page)?;
    if has_subcommands {
        man.render_subcommands_section(page)?;
    }
    if has_extra {
        man.render_extra_section(page)?;
    }
    if has_version {
        man.render_version_section(page)?;
    }
    let keymap = crate::keys::Keymap::default_keymap();
    writeln!(page, ".SH KEYS")?;
    writeln!(
        page,
        "The terminal UI's keys, as ? shows them; a config file's [keys.*] tables rebind them."
    )?;
    use crate::keys::Scope;
    for scope in [
        Scope::Global,
        Scope::Buckets,
        Scope::Objects,
        Scope::Versions,
    ] {
        writeln!(page, ".SS \"{}\"", scope.title())?;
        for binding in keymap.bindings(scope) {
            let keys: Vec<String> = binding
                .keys
                .iter()
                .map(|k| format!("\\fB{}\\fR", roff_text(&k.to_string())))
                .collect();
            writeln!(page, ".TP")?;
            writeln!(page, "{}", keys.join(", "))?;
            writeln!(page, "{}", roff_text(&binding.desc))?;
        }
    }
    Ok(())
}

/// Text as roff shows it literally: backslashes escaped, a line never starting with a control
/// character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Whether a write failed because its reader went away (`lockwatch … | head`): a command then
/// stops quietly with exit 0, as Unix tools do.
fn reader_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Writes a generated text whole to stdout: a reader that went away stops it quietly.
fn write_out(console: &mut Console<'_>, text: &[u8], what: &str) -> Exit {
    match console
        .out
        .write_all(text)
        .and_then(|()| console.out.flush())
    {
        Ok(()) => Exit::Done,
        Err(e) if reader_gone(&e) => Exit::Done,
        Err(e) => {
            say!(console, "lockwatch: cannot write {what}: {e}");
            Exit::Partly
        }
    }
}

/// After a command's first request failed: what was tried and how to fix it, as the UI says it
/// (`ConnectionInfo::advice`), and for a bucket that is not there, the buckets that are.
async fn explain_first_failure(
    connection: &Connection,
    error: &crate::s3::S3Error,
    console: &mut Console<'_>,
) {
    use crate::domain::connection::Surface;
    for line in connection.info.tried() {
        say!(console, "  {line}");
    }
    for line in connection.info.advice(error, Surface::CommandLine) {
        say!(console, "{line}");
    }
    if error.code() == Some("NoSuchBucket")
        && let Ok(buckets) = connection.s3.list_buckets().await
    {
        const SHOWN: usize = 20;
        let names: Vec<String> = buckets
            .iter()
            .take(SHOWN)
            .map(|b| crate::domain::text::name(&b.name).into_owned())
            .collect();
        match buckets.len() {
            0 => say!(console, "These credentials see no bucket at this endpoint."),
            n if n > SHOWN => say!(
                console,
                "Buckets here: {} and {} more (lockwatch shows them all).",
                names.join(", "),
                n - SHOWN
            ),
            _ => say!(console, "Buckets here: {}.", names.join(", ")),
        }
    }
}

/// A line on stderr; a failure to write it has nowhere to be said.
macro_rules! say {
    ($console:expr, $($arg:tt)*) => {{
        let _ = writeln!($console.err, $($arg)*);
    }};
}
use say;

/// `lockwatch` itself: the process's arguments, terminal and environment.
pub fn main() -> ExitCode {
    use std::io::IsTerminal;
    let mut input = LazyStdin::default();
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let env = |k: &str| std::env::var(k).ok();
    let mut console = Console {
        input: &mut input,
        input_is_terminal: std::io::stdin().is_terminal(),
        err_is_terminal: err.is_terminal(),
        out_is_terminal: out.is_terminal(),
        out: &mut out,
        err: &mut err,
        env: &env,
        config_path: crate::config::default_path(),
        audit_path: crate::audit::default_path(),
    };
    run(std::env::args_os(), &mut console).into()
}

/// Runs one command line (the program's name first, as in `std::env::args_os`) the way
/// `lockwatch` would, with what it reads and writes given by `console`.
pub fn run<I, T>(args: I, console: &mut Console) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are answers on stdout; anything else is a usage error,
            // which a monitoring plugin says with UNKNOWN (3).
            let checking = args.iter().skip(1).any(|a| a == "check");
            return if e.use_stderr() {
                let _ = write!(console.err, "{}", e.render());
                if checking {
                    let _ = write!(
                        console.out,
                        "{}",
                        crate::domain::watch::status::render(
                            crate::domain::watch::status::Status::Unknown,
                            "bad arguments (see lockwatch check --help)",
                            &[],
                            &[]
                        )
                    );
                    return Exit::Status(3);
                }
                Exit::CouldNotStart
            } else {
                let _ = write!(console.out, "{}", e.render());
                Exit::Done
            };
        }
    };
    if let Some(filter) = cli.log.as_deref().filter(|f| !f.trim().is_empty())
        && let Err(e) = crate::logging::init(filter, cli.log_file.clone())
    {
        say!(console, "lockwatch: {}", shown(&e));
        return Exit::CouldNotStart;
    }
    // The report waits on thousands of HEADs, each handed between the connection's task and
    // the report's loop: on two threads every hand-over wakes a sleeping thread (two futex
    // calls and a context switch a HEAD, a third of the report's CPU). On one thread they
    // stay in place. Listings split over many folders keep two threads: their pages are read
    // (parsed) in parallel.
    let mut builder = match cli.command {
        Some(Command::Report(_)) => tokio::runtime::Builder::new_current_thread(),
        _ => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            say!(console, "lockwatch: cannot start the async runtime: {e}");
            return Exit::Partly;
        }
    };
    let config = match &console.config_path {
        Some(path) => Config::load(path),
        None => Config::default(),
    };
    runtime.block_on(async move {
        match cli.command {
            Some(Command::Sandbox {
                port,
                ref access_key,
                ref secret_key,
                max_memory,
                max_object,
                empty,
            }) => {
                let documented = demo::Keys::documented();
                let keys = demo::Keys {
                    access_key: access_key.clone().unwrap_or(documented.access_key),
                    secret_key: secret_key.clone().unwrap_or(documented.secret_key),
                };
                let limits = lockwatch_sandbox::store::Limits {
                    max_object_bytes: max_object.min(max_memory),
                    max_total_bytes: max_memory,
                };
                serve_sandbox(port, keys, limits, !empty, console).await
            }
            Some(Command::Ls {
                ref location,
                versions,
                recursive,
                json,
                at,
                ..
            }) => {
                let options = crate::work::ls::LsOptions {
                    location: location.clone(),
                    versions,
                    recursive,
                    json,
                    at: None,
                };
                list(&cli, &config, options, at, console).await
            }
            Some(Command::Undelete {
                ref location,
                after,
                dry_run,
                json,
                yes,
                ..
            }) => {
                let options = UndeleteOptions {
                    location: location.clone(),
                    after,
                    dry_run,
                    json,
                    yes,
                };
                undelete(&cli, &config, &options, console).await
            }
            Some(Command::Report(ref args)) => report(&cli, &config, args, console).await,
            Some(Command::Watch(ref args)) => watch(&cli, &config, args, console).await,
            Some(Command::Check(ref args)) => check(&cli, &config, args, console).await,
            Some(Command::Config { action }) => config_command(action, &config, console),
            Some(Command::Completions { shell }) => {
                // Generated whole first: clap_complete panics on a write that fails.
                let mut command = <Cli as clap::CommandFactory>::command();
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut command, "lockwatch", &mut script);
                write_out(console, &script, "the completions")
            }
            Some(Command::Man) => {
                let command = <Cli as clap::CommandFactory>::command();
                let mut page = Vec::new();
                if let Err(e) = manual_page(command, &mut page) {
                    say!(console, "lockwatch: cannot render the manual page: {e}");
                    return Exit::Partly;
                }
                write_out(console, &page, "the manual page")
            }
            None => run_ui(cli, config, console).await,
        }
    })
}

/// The process's stdin, locked the first time a command reads it (the UI reads keys from the
/// terminal itself and must not find it locked).
#[derive(Default)]
struct LazyStdin(Option<std::io::StdinLock<'static>>);

impl LazyStdin {
    fn lock(&mut self) -> &mut std::io::StdinLock<'static> {
        self.0.get_or_insert_with(|| std::io::stdin().lock())
    }
}

impl std::io::Read for LazyStdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.lock().read(buf)
    }
}

impl BufRead for LazyStdin {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.lock().fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        self.lock().consume(amount)
    }
}

/// Text that may hold a server's words (an error's `<Message>`, a key), escaped as the UI
/// escapes it: no control sequence of a server reaches the user's terminal.
fn shown(text: &impl std::fmt::Display) -> String {
    crate::domain::text::sanitize(&text.to_string()).into_owned()
}

/// `shown` for a message of several lines (such as the credential sources tried): each line
/// escaped, the lines after the first indented, so that no text can pass for a line of
/// lockwatch's own.
fn shown_lines(text: &impl std::fmt::Display) -> String {
    text.to_string()
        .split('\n')
        .map(|line| crate::domain::text::sanitize(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A command-line time: `-3h` and the like are taken from the server's clock (the Date header
/// of one request about the bucket, whatever it answers), as the UI takes them; said when the
/// server's clock differs from this machine's.
async fn on_servers_clock(
    s3: &crate::s3::S3,
    bucket: &str,
    time: TimeArg,
    console: &mut Console<'_>,
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
        say!(
            console,
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
