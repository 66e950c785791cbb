//! Where events go: JSON lines (standard output or a file appended to, 0600), and for each
//! alert the `--on-alert` command, run without a shell with the event on its standard input.
//!
//! A command that hangs is killed after `COMMAND_TIMEOUT`; at most `COMMANDS_AT_ONCE` run at
//! once, and an alert that finds them all busy is said on standard error and counted, never
//! queued without bound: the watcher goes on watching whatever the command does.

use crate::domain::watch::Event;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
pub const COMMANDS_AT_ONCE: usize = 4;

/// The alert command: a program and its arguments, split as a shell would split the words
/// (quotes kept together) but never given to a shell: no variables, globs or pipes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub program: String,
    pub args: Vec<String>,
}

impl Command {
    pub fn parse(text: &str) -> Result<Command, String> {
        let words = shlex::split(text)
            .ok_or_else(|| format!("cannot split {text:?} into words (an unclosed quote?)"))?;
        let mut words = words.into_iter();
        let program = words
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| "--on-alert needs a program to run".to_string())?;
        Ok(Command {
            program,
            args: words.collect(),
        })
    }
}

/// Where the events of a watcher go.
pub struct Sinks {
    /// `None`: standard output.
    events: Option<PathBuf>,
    /// Standard output is for a person: one line per event, its evidence below.
    readable: bool,
    command: Option<Command>,
    running: Arc<tokio::sync::Semaphore>,
    /// Alerts whose command could not be run, or failed.
    pub command_failures: Arc<AtomicU64>,
}

impl Sinks {
    pub fn new(events: Option<PathBuf>, readable: bool, command: Option<Command>) -> Sinks {
        Sinks {
            events,
            readable,
            command,
            running: Arc::new(tokio::sync::Semaphore::new(COMMANDS_AT_ONCE)),
            command_failures: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Writes the events, then starts the command for each alert among them.
    pub fn send(
        &self,
        events: &[Event],
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<(), String> {
        if events.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        for e in events {
            serde_json::to_writer(&mut lines, e).map_err(|e| e.to_string())?;
            lines.push(b'\n');
        }
        if self.readable && self.events.is_none() {
            lines = events.iter().map(readable).collect::<String>().into_bytes();
        }
        match &self.events {
            None => stdout
                .write_all(&lines)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write the events: {e}"))?,
            Some(path) => crate::files::open_private_append(path)
                .and_then(|mut f| f.write_all(&lines))
                .map_err(|e| format!("cannot write the events to {}: {e}", path.display()))?,
        }
        let Some(command) = &self.command else {
            return Ok(());
        };
        for e in events.iter().filter(|e| e.level.is_alert()) {
            let Ok(permit) = self.running.clone().try_acquire_owned() else {
                self.command_failures.fetch_add(1, Ordering::Relaxed);
                let _ = writeln!(
                    stderr,
                    "lockwatch: the alert command is still running {COMMANDS_AT_ONCE} times; not run for this {} event",
                    e.event.code()
                );
                continue;
            };
            let input = serde_json::to_vec(e).unwrap_or_default();
            let command = command.clone();
            let failures = self.command_failures.clone();
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                if let Err(why) = run(&command, &input) {
                    failures.fetch_add(1, Ordering::Relaxed);
                    eprintln!("lockwatch: the alert command {}: {why}", command.program);
                }
            });
        }
        Ok(())
    }
}

/// An event for a person: its time (the server's, to the second), level, place and summary on
/// one line, each line of evidence below it; every server string escaped.
pub fn readable(e: &Event) -> String {
    let clean = |s: &str| crate::domain::text::sanitize(s).into_owned();
    let time = e.at.get(..19).unwrap_or(&e.at).replace('T', " ");
    let mut out = format!(
        "{time}  {:<8}  s3://{}/{}  {}\n",
        e.level.code().to_uppercase(),
        clean(&e.bucket),
        clean(&e.prefix),
        clean(&e.summary)
    );
    for line in &e.evidence {
        out.push_str(&format!("    · {}\n", clean(line)));
    }
    out
}

/// Runs the command with `input` on its standard input, waiting at most `COMMAND_TIMEOUT`.
fn run(command: &Command, input: &[u8]) -> Result<(), String> {
    let mut child = std::process::Command::new(&command.program)
        .args(&command.args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine: a broken pipe is not an error.
        let _ = stdin.write_all(input);
    }
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("ended with {status}")),
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "still running after {} s: killed",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}
