//! What the README and `--help` tell a user to type works as written.
//!
//! - The README's "Try it" walkthrough is replayed key by key in a pseudo-terminal at 80×24,
//!   each step's README sentence checked to be there, each step's outcome read off the screen.
//! - Every `lockwatch …` command line in the README (code blocks and inline code) and in the
//!   examples of `--help` and each subcommand's help is collected and must be accounted for
//!   below: run exactly as written — against `lockwatch sandbox --port 9000`, itself run as
//!   written, in a fresh home — with its exit code and output checked, or, where it cannot
//!   run here, said why (a host outside this machine, a synopsis with placeholders) and its
//!   syntax checked by the real command-line parser. A documented command no entry names
//!   fails the test, and so does an entry the documents no longer hold.

use crate::support::pty::Session;
use clap::Parser;
use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const README: &str = include_str!("../../README.md");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The README's sentence for a step must be there as the test replays it.
fn readme_says(sentence: &str) {
    let flat: String = README.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(sentence),
        "the README no longer says {sentence:?}: replay what it says now"
    );
}

#[test]
fn the_readme_walkthrough_works_as_written_at_80x24() {
    let mut app = Session::start("http://127.0.0.1:9", &["--demo"], 80, 24);
    readme_says(
        "`bup` — the backup guide's COMPLIANCE bucket with one day of retention — is selected. Press `Enter` to open it",
    );
    app.wait_text("COMPLIANCE 1 day");
    app.send("\r");
    app.wait_text("short-lock/");
    readme_says(
        "Press `.` to show deleted objects: `× tux.svg` appears, and `× logs/` says `all deleted`",
    );
    app.send(".");
    app.wait_for("logs/ marked", Duration::from_secs(20), |s| {
        s.lines()
            .any(|l| l.contains("× logs/") && l.contains("all deleted"))
    });
    readme_says("Move to `tux.svg` with `j`/`k`");
    let screen = app.wait_text("× tux.svg");
    // Down to it: one `j` per row above it.
    let rows_above = screen
        .lines()
        .skip_while(|l| !l.contains("Name ↑"))
        .skip(1)
        .take_while(|l| !l.contains("× tux.svg"))
        .count();
    app.send(&"j".repeat(rows_above));
    readme_says("press `Enter` to see its versions, its delete marker and the lock countdown");
    app.send("\r");
    app.wait_for("versions and the countdown", Duration::from_secs(20), |s| {
        s.contains("1 delete marker") && s.contains("COMPLIANCE") && s.contains(" left")
    });
    readme_says(
        "Press `j` to select the locked version, then `D` and type its name (`tux.svg`, `Enter`): the server refuses to delete it, and lockwatch says why. `Enter` closes the message.",
    );
    app.send("j");
    app.send("D");
    app.wait_text("Type");
    app.send("tux.svg\r");
    let refused = app.wait_text("Delete refused");
    assert!(refused.contains("was not deleted"), "{refused}");
    app.send("\r");
    readme_says(
        "Press `k` to go back to the delete marker and `r` to restore the file (it asks first; `y` confirms)",
    );
    app.send("k");
    app.send("r");
    app.wait_text("Yes, restore");
    app.send("y");
    app.wait_for("the file back", Duration::from_secs(20), |s| {
        s.contains("Restored tux.svg") && s.contains("0 delete markers")
    });
    readme_says(
        "`?` shows every key of the pane you are in (type `/` and a word, such as `/restore`, to keep the keys that match; `Esc` twice closes it)",
    );
    app.send("?");
    app.wait_text("Help — keys");
    app.send("/restore");
    app.wait_for("the keys that match", Duration::from_secs(10), |s| {
        s.contains("holds \"restore\"")
            && s.contains("[restore_by_copy]")
            && !s.contains("[delete]")
    });
    app.send("\u{1b}");
    app.wait_text("To rebind");
    app.send("\u{1b}");
    app.wait_for("help closed", Duration::from_secs(10), |s| {
        !s.contains("Help — keys")
    });
    readme_says(
        "`:` goes to any place, as `:bup-governance` and `Enter` does; `Tab` moves between panes.",
    );
    app.send(":bup-governance\r");
    app.wait_text("s3://bup-governance/");
    readme_says(
        "the buckets pane marks it `▲ bup-nightly`. Press `:bup-nightly` and `Enter`, then `i`: the bucket's details end with the deletion storm, its counts and the keys it hit. `q` quits.",
    );
    app.wait_for("the storm marked", Duration::from_secs(30), |s| {
        s.contains("▲ bup-nightly")
    });
    app.send(":bup-nightly\r");
    app.wait_text("host-01/");
    app.send("i");
    app.wait_text("Bucket bup-nightly");
    // The watch section is at the end of the details.
    for _ in 0..4 {
        app.send("\u{1b}[6~");
    }
    app.wait_for("the storm in the details", Duration::from_secs(10), |s| {
        s.contains("deletion_storm: deletion storm: 60 delete") && s.contains("host-01/nightly.tar")
    });
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(true));
}

/// Every `lockwatch …` command line the documents hold, as written (a trailing `# comment`
/// dropped).
fn documented() -> BTreeSet<String> {
    let mut commands = BTreeSet::new();
    let mut take = |line: &str| {
        let line = line.split(" # ").next().unwrap_or(line).trim();
        let line = line.split("   ").next().unwrap_or(line).trim();
        // Usage lines are clap's synopsis, not examples.
        let usage = line.contains("[OPTIONS]");
        if !usage && (line.starts_with("lockwatch ") || line == "lockwatch") {
            commands.insert(line.to_string());
        }
    };
    // Shell blocks (not the screen pictures) and inline code.
    let mut in_block = false;
    let mut in_shell = false;
    for line in README.lines() {
        if let Some(kind) = line.strip_prefix("```") {
            in_block = !in_block;
            in_shell = in_block && kind == "sh";
            continue;
        }
        if in_block && !in_shell {
            continue;
        }
        if in_block {
            take(line);
        } else {
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 1 {
                    take(part);
                }
            }
        }
    }
    // `--help` and every subcommand's: the examples lines and "e.g." commands.
    let mut helps = vec![vec!["--help".to_string()]];
    for sub in [
        "ls",
        "undelete",
        "report",
        "config",
        "completions",
        "man",
        "sandbox",
        "watch",
        "check",
    ] {
        helps.push(vec![sub.to_string(), "--help".to_string()]);
    }
    for args in helps {
        let out = Command::new(env!("CARGO_BIN_EXE_lockwatch"))
            .args(&args)
            .env_clear()
            .output()
            .expect("help");
        for line in text(&out.stdout).lines() {
            let line = line.trim();
            // "Print a shell completion script: lockwatch completions bash > …"
            let tail = line.rsplit(": ").next().unwrap_or(line);
            for candidate in [line, tail] {
                take(candidate);
            }
        }
    }
    commands
}

/// How a documented command is checked.
enum Check {
    /// Run as written (through `sh -c` when it has a redirection or `~`): its exit code, and
    /// text its standard output (or, for the UI, its screen) must show.
    Run { code: i32, shows: &'static str },
    /// Run in a pseudo-terminal as written: the screen must show this; then `q`.
    Ui { shows: &'static str },
    /// Not run here, and why; parsed by lockwatch's own command-line parser.
    Syntax { why: &'static str },
    /// A command's name in a sentence, not a command line.
    Mention,
    /// The sandbox itself, run first: every other command talks to it.
    Sandbox,
}

fn checks() -> Vec<(&'static str, Check)> {
    use Check::*;
    let outside = "it names a host outside this machine (tests contact only 127.0.0.1)";
    let synopsis = "a synopsis with placeholders, each form of it run by another entry";
    vec![
        ("lockwatch sandbox --port 9000", Sandbox),
        (
            "lockwatch watch s3://bup/ --metrics 127.0.0.1:9464",
            Syntax {
                why: "it watches until interrupted; watch::prometheus_scrapes_the_watcher_and_the_readme_rules_fire runs it with --metrics",
            },
        ),
        (
            "lockwatch watch --notifications s3://bup/",
            Syntax {
                why: "it asks, then watches until interrupted; watch::notifications_raise_a_storm_only_when_read_back_on_ceph runs it with --yes against Ceph RGW",
            },
        ),
        (
            "lockwatch check s3://bup/",
            Run {
                code: 0,
                shows: "LOCKWATCH OK - s3://bup/: nothing weakened, no storm",
            },
        ),
        (
            "lockwatch check s3://bup/ --warning 14 --critical 3",
            // The demo's bup keeps versions one day: the first of them ends within 3 days.
            Run {
                code: 2,
                shows: "LOCKWATCH CRITICAL - s3://bup/: the protection of ",
            },
        ),
        (
            "lockwatch check s3://bup/ --accept",
            Run {
                code: 0,
                shows: "LOCKWATCH OK - s3://bup/",
            },
        ),
        (
            "lockwatch sandbox --empty --max-memory 256MiB",
            Syntax {
                why: "it serves until interrupted; sandbox::the_memory_cap_set_on_the_command_line_holds runs it with 8MiB",
            },
        ),
        (
            "lockwatch",
            Ui {
                shows: "bup-governance",
            },
        ),
        (
            "lockwatch s3://bup/",
            Ui {
                shows: "short-lock/",
            },
        ),
        (
            // Read-only: the UI reads the watchers' status there, and writes nothing to it.
            "lockwatch --state-dir /var/lib/lockwatch s3://bup/",
            Ui {
                shows: "short-lock/",
            },
        ),
        (
            "lockwatch --demo",
            Ui {
                shows: "built-in sandbox",
            },
        ),
        (
            "lockwatch --seed-demo",
            Ui {
                shows: "bup-governance",
            },
        ),
        (
            "lockwatch --endpoint-url https://object.example.net --profile backup s3://bup/",
            Syntax { why: outside },
        ),
        (
            "lockwatch --endpoint-url https://object.example.net --profile backup s3://bup/db/",
            Syntax { why: outside },
        ),
        (
            "lockwatch --os-cloud mycloud",
            Syntax {
                why: "it needs an OpenStack cloud: tests/servers/openstack.rs runs it against Keystone",
            },
        ),
        (
            "lockwatch --os-cloud mycloud --save-as mycloud",
            Syntax {
                why: "it needs an OpenStack cloud: tests/servers/openstack.rs runs it against Keystone",
            },
        ),
        (
            "lockwatch --endpoint mycloud",
            Syntax {
                why: "the README's [endpoint.mycloud] names a host outside this machine",
            },
        ),
        (
            "lockwatch --endpoint mycloud s3://bup/",
            Syntax {
                why: "the README's [endpoint.mycloud] names a host outside this machine",
            },
        ),
        (
            "lockwatch --help",
            Run {
                code: 0,
                shows: "Usage: lockwatch",
            },
        ),
        (
            "lockwatch completions bash > ~/.local/share/bash-completion/completions/lockwatch",
            Run { code: 0, shows: "" },
        ),
        (
            "lockwatch completions bash|zsh|fish",
            Syntax { why: synopsis },
        ),
        (
            "lockwatch man",
            Run {
                code: 0,
                shows: ".TH",
            },
        ),
        (
            "lockwatch man > ~/.local/share/man/man1/lockwatch.1",
            Run { code: 0, shows: "" },
        ),
        (
            "lockwatch config path",
            Run {
                code: 0,
                shows: "config.toml",
            },
        ),
        ("lockwatch config init", Run { code: 0, shows: "" }),
        ("lockwatch config check", Run { code: 0, shows: "" }),
        (
            "lockwatch undelete s3://bup/db/ --dry-run",
            Run {
                code: 0,
                shows: "Plan for s3://bup/db/",
            },
        ),
        (
            "lockwatch undelete s3://bup/db/ --after 2026-11-20T10:00:00Z",
            // No terminal to confirm on: it says so and sends nothing.
            Run { code: 2, shows: "" },
        ),
        (
            "lockwatch undelete s3://bup/db/ --after -3h --dry-run",
            Run {
                code: 0,
                shows: "back to",
            },
        ),
        (
            "lockwatch undelete s3://bup/db/ --yes --json",
            Run {
                code: 0,
                shows: "\"key\":\"db/",
            },
        ),
        (
            "lockwatch report s3://bup/",
            Run {
                code: 0,
                shows: "# Object Lock coverage of `s3://bup/`",
            },
        ),
        (
            "lockwatch report s3://bup/db/ --format json",
            Run {
                code: 0,
                shows: "\"by_protection\"",
            },
        ),
        (
            "lockwatch report s3://bup/ --format csv",
            Run {
                code: 0,
                shows: "key,version_id,is_latest",
            },
        ),
        (
            "lockwatch report s3://bup/ --checkpoint bup.checkpoint",
            Run {
                code: 0,
                shows: "# Object Lock coverage",
            },
        ),
        (
            "lockwatch report s3://bup/ --inventory s3://inventory/bup/config/2026-11-26T01-00Z/manifest.json",
            // No such inventory in the sandbox: the manifest is looked for where it is named.
            Run { code: 2, shows: "" },
        ),
        ("lockwatch report", Mention),
        ("lockwatch undelete", Mention),
        ("lockwatch watch", Mention),
        ("lockwatch watch --notifications", Mention),
        ("lockwatch ls", Mention),
        (
            "lockwatch completions bash",
            Run {
                code: 0,
                shows: "complete",
            },
        ),
        (
            "lockwatch ls --at -3h s3://bup/db/",
            Run { code: 0, shows: "" },
        ),
        (
            "lockwatch ls --versions --json s3://bup/db/",
            Run {
                code: 0,
                shows: "{\"prefix\":\"db/nightly/\"}",
            },
        ),
        (
            "lockwatch report s3://bup/ > coverage.md",
            Run { code: 0, shows: "" },
        ),
        // Named in Performance's prose as what was timed; the synopsis's forms run.
        ("lockwatch ls --versions -r --json", Mention),
        (
            "lockwatch ls [--versions] [-r] [--json] s3://bucket/prefix/",
            Syntax { why: synopsis },
        ),
        (
            "lockwatch ls --at T s3://bucket/prefix/",
            Syntax { why: synopsis },
        ),
    ]
}

/// A synopsis or prose mention, made concrete for the parser: placeholders filled in.
fn parsable(command: &str) -> Vec<String> {
    let command = command
        .replace("[--versions] [-r] [--json] ", "--versions -r --json ")
        .replace("bash|zsh|fish", "bash")
        .replace("--at T ", "--at 2026-11-20T10:00:00Z ");
    let command = command.split(" > ").next().unwrap_or(&command).to_string();
    command.split_whitespace().map(str::to_string).collect()
}

#[test]
fn every_documented_command_runs_as_written() {
    let documented = documented();
    let checks = checks();
    let named: BTreeSet<String> = checks.iter().map(|(c, _)| c.to_string()).collect();
    let unaccounted: Vec<&String> = documented.difference(&named).collect();
    assert!(
        unaccounted.is_empty(),
        "documented commands no test runs: {unaccounted:#?}"
    );
    let stale: Vec<&String> = named.difference(&documented).collect();
    assert!(stale.is_empty(), "no longer documented: {stale:#?}");

    // `lockwatch sandbox --port 9000`, as written; its printed environment is what the other
    // commands use, in a fresh home.
    let home = tempfile::tempdir().expect("home");
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["sandbox", "--port", "9000"])
        .env_clear()
        .env("HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lockwatch sandbox");
    // Stopped however the test ends: a sandbox left on port 9000 would fail the next run.
    let stdout = sandbox.stdout.take().expect("stdout");
    let _stop = crate::support::daemon::Stopped(sandbox);
    let mut env: Vec<(String, String)> = Vec::new();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let started = Instant::now();
        while let Some(Ok(line)) = lines.next() {
            if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
                env.push((k.to_string(), v.to_string()));
            }
            if line.starts_with("# Try:") || started.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
    }
    assert!(
        env.iter()
            .any(|(k, v)| k == "AWS_ENDPOINT_URL" && v == "http://127.0.0.1:9000"),
        "the sandbox did not start on port 9000 as the README says (is the port in use?): {env:?}"
    );
    let mut env_all = env.clone();
    env_all.extend([
        (
            "HOME".to_string(),
            home.path().to_string_lossy().into_owned(),
        ),
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ("TERM".to_string(), "xterm-256color".to_string()),
    ]);
    // The README's own folders for completions and the manual page exist in a user's home.
    for dir in [
        ".local/share/bash-completion/completions",
        ".local/share/man/man1",
    ] {
        std::fs::create_dir_all(home.path().join(dir)).expect("dir");
    }
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_lockwatch"))
        .parent()
        .expect("bin dir")
        .to_string_lossy()
        .into_owned();
    for (command, check) in &checks {
        match check {
            Check::Sandbox | Check::Mention => {}
            Check::Syntax { why } => {
                let args = parsable(command);
                let parsed = lockwatch::cli::Cli::try_parse_from(&args);
                assert!(parsed.is_ok(), "{command} ({why}): {parsed:?}");
            }
            Check::Run { code, shows } => {
                let out: Output = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .env_clear()
                    .envs(env_all.iter().cloned())
                    .env("PATH", format!("{bin_dir}:/usr/bin:/bin"))
                    .current_dir(home.path())
                    .stdin(Stdio::null())
                    .output()
                    .expect("sh");
                let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
                assert_eq!(
                    out.status.code(),
                    Some(*code),
                    "{command}: stdout {stdout}\nstderr {stderr}"
                );
                assert!(
                    stdout.contains(shows),
                    "{command}: {stdout}\nstderr {stderr}"
                );
                if let Some((_, path)) = command.split_once(" > ") {
                    let path = path.trim_start_matches("~/");
                    let written = std::fs::metadata(home.path().join(path)).map(|m| m.len());
                    assert!(written.is_ok_and(|n| n > 0), "{command}: nothing written");
                }
            }
            Check::Ui { shows } => {
                let args = &parsable(command)[1..];
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let ui_home = tempfile::tempdir().expect("home");
                let mut app = Session::start_with_env(&env_all, &args, 100, 30, ui_home);
                let screen = app.wait_for(shows, Duration::from_secs(20), |s| s.contains(shows));
                assert!(!screen.contains("cannot"), "{command}: {screen}");
                app.send("q");
                assert_eq!(
                    app.wait_exit(Duration::from_secs(10)),
                    Some(true),
                    "{command}"
                );
            }
        }
    }
}
