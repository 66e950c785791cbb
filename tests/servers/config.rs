//! The configuration file: parsing (valid and invalid fixtures, with line numbers),
//! precedence against flags and the environment, key rebinding in a pseudo-terminal and in
//! the help screen, named endpoints, and the config subcommands.

use crate::support;

use clap::Parser;
use lockwatch::cli::Cli;
use lockwatch::config::Config;
use lockwatch::keys::{Command, Key, KeyCode, Keymap, Scope};
use lockwatch::s3::PathStyle;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn a_valid_file_gives_endpoints_and_bindings_and_no_problem() {
    let config = Config::parse(&fixture("valid.toml"));
    assert_eq!(config.problems, vec![]);
    assert_eq!(config.default_endpoint.as_deref(), Some("mycloud"));
    let mycloud = &config.endpoints["mycloud"];
    assert_eq!(
        mycloud.endpoint_url.as_deref(),
        Some("https://object.example.net")
    );
    assert_eq!(mycloud.path_style, Some(PathStyle::Always));
    assert!(config.endpoints["archive"].read_only);
    let (keymap, problems) = config.keymap(&Keymap::default_keymap());
    assert_eq!(problems, vec![]);
    let ctrl_e = Key {
        code: KeyCode::Char('e'),
        ctrl: true,
        alt: false,
    };
    assert_eq!(
        keymap.lookup(Scope::Objects, ctrl_e),
        Some(Command::Restore)
    );
    assert_eq!(
        keymap.lookup(Scope::Versions, Key::char('x')),
        Some(Command::Restore)
    );
    assert_eq!(
        keymap.lookup(Scope::Versions, Key::char('r')),
        None,
        "replaced, not added"
    );
    // The light theme with its compliance colour; brought down to 16 colours when the
    // terminal shows no more; NO_COLOR wins over all of it.
    use ratatui::style::Color;
    let theme = config.theme(false, true);
    assert_eq!(theme.compliance.fg, Some(Color::Rgb(255, 0, 0)));
    assert_eq!(theme.title.bg, Some(Color::Blue), "light");
    assert_eq!(
        config.theme(false, false).compliance.fg,
        Some(Color::LightRed)
    );
    let mono = config.theme(true, true);
    assert_eq!((mono.compliance.fg, mono.title.bg), (None, None));
}

#[test]
fn an_invalid_file_is_used_for_what_it_gets_right_and_each_problem_has_its_line() {
    let text = fixture("invalid.toml");
    let config = Config::parse(&text);
    let (_, key_problems) = config.keymap(&Keymap::default_keymap());
    let mut all: Vec<String> = config
        .problems
        .iter()
        .chain(&key_problems)
        .map(|p| p.to_string())
        .collect();
    all.sort();
    let expect = [
        ("line 1,", "no [endpoint.nowhere] is defined"),
        ("line 2,", "unknown top-level setting"),
        ("line 6,", "secrets do not belong in this file"),
        ("line 7,", "expected a string"),
        ("line 10,", "is not an http:// or https:// URL"),
        ("line 13,", "unknown key 'ctrl-banana'"),
        ("line 14,", "unknown command"),
        ("line 15,", ". is already bound to toggle_deleted"),
        ("line 17,", "unknown scope"),
        ("line 21,", "no theme \"neon\""),
        ("line 22,", "\"mauve\" is not a colour"),
        ("line 23,", "unknown role"),
    ];
    for (line, what) in expect {
        assert!(
            all.iter().any(|p| p.starts_with(line) && p.contains(what)),
            "{line} {what:?} missing from {all:#?}"
        );
    }
    assert_eq!(all.len(), expect.len(), "{all:#?}");
    // What is right is used: the good endpoint (without its bad region), no default.
    assert_eq!(
        config.endpoints["good"].endpoint_url.as_deref(),
        Some("https://object.example.net")
    );
    assert_eq!(config.endpoints["good"].region, None);
    assert!(!config.endpoints.contains_key("bad"));
    assert_eq!(config.default_endpoint, None);
    // A file that is not even TOML still leaves lockwatch its defaults.
    let broken = Config::parse("[endpoint.x\nendpoint_url = ");
    assert!(!broken.problems.is_empty());
    assert!(broken.problems.iter().all(|p| p.line >= 1));
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let config = Config::parse(&fixture("valid.toml"));
    let cli =
        |args: &[&str]| Cli::parse_from(std::iter::once("lockwatch").chain(args.iter().copied()));
    // The file's default endpoint, nothing else said.
    let o = cli(&[]).connect_options(&config, no_env).expect("options");
    assert_eq!(
        o.endpoint_url.as_deref(),
        Some("https://object.example.net")
    );
    assert_eq!(o.region.as_deref(), Some("europe-se-1"));
    assert_eq!(o.profile.as_deref(), Some("mycloud"));
    assert_eq!(o.path_style, PathStyle::Always);
    assert!(!o.read_only);
    // The environment wins over the file, and lockwatch hands the SDK what it read.
    let env = |k: &str| match k {
        "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1".to_string()),
        "AWS_REGION" => Some("us-east-1".to_string()),
        "AWS_ACCESS_KEY_ID" => Some("AKIAENVIRONMENT".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("from-the-environment".to_string()),
        _ => None,
    };
    let o = cli(&[]).connect_options(&config, env).expect("options");
    assert_eq!(o.endpoint_url.as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(o.region.as_deref(), Some("us-east-1"));
    assert_eq!(o.profile.as_deref(), Some("mycloud"));
    let keys = o.environment_keys.expect("keys from the environment");
    assert_eq!(keys.access_key_id, "AKIAENVIRONMENT");
    assert_eq!(keys.session_token, None);
    // The S3-only variable beats the general one, as in the AWS SDKs; an empty one is unset.
    let env = |k: &str| match k {
        "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1".to_string()),
        "AWS_ENDPOINT_URL_S3" => Some("http://127.0.0.1:3".to_string()),
        "AWS_REGION" => Some(String::new()),
        "AWS_ACCESS_KEY_ID" => Some("AKIAENVIRONMENT".to_string()),
        _ => None,
    };
    let o = cli(&[]).connect_options(&config, env).expect("options");
    assert_eq!(o.endpoint_url.as_deref(), Some("http://127.0.0.1:3"));
    assert_eq!(o.region.as_deref(), Some("europe-se-1"));
    assert!(
        o.environment_keys.is_none(),
        "a key id without a secret is no pair"
    );
    // Flags win over both.
    let o = cli(&[
        "--endpoint-url",
        "http://127.0.0.1:2",
        "--path-style",
        "never",
    ])
    .connect_options(&config, env)
    .expect("options");
    assert_eq!(o.endpoint_url.as_deref(), Some("http://127.0.0.1:2"));
    assert_eq!(o.path_style, PathStyle::Never);
    // Another named endpoint; its read_only says why.
    let o = cli(&["--endpoint", "archive"])
        .connect_options(&config, no_env)
        .expect("options");
    assert!(o.read_only);
    assert!(
        o.read_only_because
            .as_deref()
            .is_some_and(|w| w.contains("'archive'")),
        "{:?}",
        o.read_only_because
    );
    // An unknown name is an error that names what there is.
    let e = cli(&["--endpoint", "nope"])
        .connect_options(&config, no_env)
        .expect_err("unknown endpoint");
    assert!(e.contains("archive, mycloud"), "{e}");
    // No file: the defaults.
    let o = cli(&[])
        .connect_options(&Config::default(), no_env)
        .expect("options");
    assert_eq!(o.endpoint_url, None);
    assert_eq!(o.path_style, PathStyle::Auto);
}

#[test]
fn connection_options_go_before_or_after_the_command_and_only_where_they_apply() {
    let cli = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("lockwatch").chain(args.iter().copied()))
            .expect("parses")
    };
    let options = |args: &[&str]| {
        cli(args)
            .connect_options(&Config::default(), no_env)
            .expect("options")
    };
    // Before the command, after it, and after it winning.
    for args in [
        &["--endpoint-url", "http://127.0.0.1:2", "ls", "s3://b/"][..],
        &["ls", "s3://b/", "--endpoint-url", "http://127.0.0.1:2"],
        &[
            "--endpoint-url",
            "http://127.0.0.1:9",
            "ls",
            "s3://b/",
            "--endpoint-url",
            "http://127.0.0.1:2",
        ],
        &["report", "s3://b/", "--endpoint-url", "http://127.0.0.1:2"],
        &[
            "undelete",
            "s3://b/",
            "--endpoint-url",
            "http://127.0.0.1:2",
        ],
    ] {
        assert_eq!(
            options(args).endpoint_url.as_deref(),
            Some("http://127.0.0.1:2"),
            "{args:?}"
        );
    }
    // Defaults the help names, and a value given after the command.
    let o = options(&["ls", "s3://b/"]);
    assert_eq!(o.timeouts.connect, std::time::Duration::from_secs(5));
    assert_eq!(o.timeouts.read, std::time::Duration::from_secs(30));
    assert_eq!(o.timeouts.attempt, std::time::Duration::from_secs(120));
    assert_eq!(o.listings, lockwatch::s3::DEFAULT_LISTINGS);
    let help = String::from_utf8_lossy(
        &lockwatch(Path::new("/nonexistent"), &[], &["ls", "--help"]).stdout,
    )
    .into_owned();
    for said in ["(default 5)", "default 30)", "default 120)"] {
        assert!(help.contains(said), "{said} in {help}");
    }
    assert!(
        help.contains(&format!("(default {})", lockwatch::s3::DEFAULT_LISTINGS)),
        "{help}"
    );
    let o = options(&[
        "report",
        "s3://b/",
        "--read-timeout",
        "7",
        "--listings",
        "9",
    ]);
    assert_eq!(o.timeouts.read, std::time::Duration::from_secs(7));
    assert_eq!(o.listings, 9);
    // --read-only: before the command or after undelete; ls and report never write.
    assert!(options(&["--read-only", "undelete", "s3://b/"]).read_only);
    assert!(options(&["undelete", "s3://b/", "--read-only"]).read_only);
    assert!(!options(&["undelete", "s3://b/"]).read_only);
    assert!(Cli::try_parse_from(["lockwatch", "ls", "s3://b/", "--read-only"]).is_err());
    // Commands that connect to nothing neither take nor show them.
    for command in [
        &["completions", "bash"][..],
        &["man"],
        &["sandbox"],
        &["config", "path"],
    ] {
        let mut args = vec!["lockwatch"];
        args.extend_from_slice(command);
        args.extend_from_slice(&["--endpoint-url", "http://127.0.0.1:2"]);
        assert!(Cli::try_parse_from(&args).is_err(), "{args:?}");
        let mut help = vec![command[0], "--help"];
        if command[0] == "config" {
            help.insert(1, "path");
        }
        let out = lockwatch(Path::new("/nonexistent"), &[], &help);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{help:?}: {text}");
        assert!(
            !text.contains("--endpoint-url") && !text.contains("Connection:"),
            "{help:?} shows connection options:\n{text}"
        );
        assert!(text.lines().count() < 30, "{help:?}:\n{text}");
    }
    for command in ["ls", "undelete", "report"] {
        let out = lockwatch(Path::new("/nonexistent"), &[], &[command, "--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Connection:") && text.contains("--endpoint-url"),
            "{command}:\n{text}"
        );
    }
}

fn lockwatch(home: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .expect("run lockwatch")
}

#[test]
fn config_path_init_and_check() {
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("lw.toml");
    let config = path.to_string_lossy().to_string();
    let env = [("LOCKWATCH_CONFIG", config.as_str())];
    let out = lockwatch(home.path(), &env, &["config", "path"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), config);
    // init writes the commented default, which checks clean, and never overwrites.
    let out = lockwatch(home.path(), &env, &["config", "init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("written"),
        lockwatch::config::DEFAULT_CONFIG
    );
    let out = lockwatch(home.path(), &env, &["config", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A clean file: check says what it changes.
    std::fs::write(&path, fixture("valid.toml")).expect("write");
    let out = lockwatch(home.path(), &env, &["config", "check"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "{config}: fine (2 endpoints, default mycloud, 2 commands rebound, theme light, 1 colour)"
        )
    );
    std::fs::write(&path, fixture("invalid.toml")).expect("write");
    let out = lockwatch(home.path(), &env, &["config", "init"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).expect("kept"),
        fixture("invalid.toml")
    );
    // check prints every problem with its line, and fails.
    let out = lockwatch(home.path(), &env, &["config", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(printed.lines().count(), 12, "{printed}");
    assert!(
        printed.contains("line 6, column 1 (aws_secret_access_key): secrets"),
        "{printed}"
    );
}

#[test]
fn a_named_endpoint_connects_and_a_broken_file_does_not_stop_lockwatch() {
    let weed = support::weed::weed();
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("lw.toml");
    std::fs::write(
        &path,
        format!(
            "colour = \"blue\"\n[endpoint.local]\nendpoint_url = \"{}\"\nregion = \"us-east-1\"\n",
            weed.endpoint
        ),
    )
    .expect("write");
    let config = path.to_string_lossy().to_string();
    let env = [
        ("LOCKWATCH_CONFIG", config.as_str()),
        ("AWS_ACCESS_KEY_ID", support::ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", support::SECRET_KEY),
    ];
    let bucket = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let s3 = support::client(&weed.endpoint).await;
            let bucket = support::unique_bucket("named");
            s3.create_bucket(&bucket, None, false)
                .unrecorded()
                .await
                .expect("create");
            s3.put_bytes(
                &bucket,
                "here.txt",
                b"here".to_vec(),
                &lockwatch::s3::PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("upload");
            bucket
        });
    let out = lockwatch(
        home.path(),
        &env,
        &["--endpoint", "local", "ls", &format!("s3://{bucket}/")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("here.txt"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 ignored line"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rebound_key_works_and_help_shows_it() {
    let weed = support::weed::weed();
    let bucket = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let s3 = support::client(&weed.endpoint).await;
            let bucket = support::unique_bucket("rebind");
            s3.create_bucket(&bucket, None, false)
                .unrecorded()
                .await
                .expect("create");
            s3.enable_versioning(&bucket)
                .unrecorded()
                .await
                .expect("versioning");
            s3.put_bytes(
                &bucket,
                "gone.txt",
                b"gone".to_vec(),
                &lockwatch::s3::PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("upload");
            s3.delete_object(&bucket, "gone.txt")
                .unrecorded()
                .await
                .expect("delete");
            bucket
        });
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("lw.toml");
    std::fs::write(&path, "[keys.objects]\nrestore = [\"ctrl-e\"]\n").expect("write");
    let mut env = support::binary_env(&weed.endpoint, home.path());
    env.push((
        "LOCKWATCH_CONFIG".to_string(),
        path.to_string_lossy().to_string(),
    ));
    let mut app =
        support::pty::Session::start_with_env(&env, &[&format!("s3://{bucket}/")], 160, 40, home);
    app.wait_text(&bucket);
    app.send(".");
    app.wait_text("× gone.txt");
    // r no longer restores in the objects pane; ctrl-e does.
    app.send("r");
    app.send("\u{5}");
    app.wait_text("Restore");
    app.send("\u{1b}");
    app.send("?");
    app.wait_text("Help — keys");
    // The objects pane's keys are further down the help: scroll to them.
    let mut help = app.screen();
    for _ in 0..60 {
        if help.contains("Restore the deleted object") {
            break;
        }
        app.send("j");
        std::thread::sleep(std::time::Duration::from_millis(20));
        help = app.screen();
    }
    let line = help
        .lines()
        .find(|l| l.contains("Restore the deleted object"))
        .unwrap_or_else(|| panic!("restore in help: {help}"));
    assert!(line.contains("ctrl-e"), "{line}");
    assert!(
        line.contains("[restore]"),
        "the command's name to rebind it: {line}"
    );
    assert!(help.contains("Objects pane  [objects]"), "{help}");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
}

/// Every cell of the screen: (foreground, background) colours that are not the default.
fn coloured_cells(app: &support::pty::Session) -> usize {
    app.with_screen(|screen| {
        let (rows, cols) = screen.size();
        let mut n = 0;
        for r in 0..rows {
            for c in 0..cols {
                if let Some(cell) = screen.cell(r, c)
                    && (cell.fgcolor() != vt100::Color::Default
                        || cell.bgcolor() != vt100::Color::Default)
                {
                    n += 1;
                }
            }
        }
        n
    })
    .unwrap_or(0)
}

#[test]
fn no_color_draws_without_colour_and_a_theme_from_the_file_takes_effect() {
    let weed = support::weed::weed();
    // NO_COLOR: not one coloured cell, and the states still read as text.
    let home = tempfile::tempdir().expect("home");
    let mut env = support::binary_env(&weed.endpoint, home.path());
    env.push(("NO_COLOR".to_string(), "1".to_string()));
    let mut app = support::pty::Session::start_with_env(&env, &[], 120, 30, home);
    let screen = app.wait_text("Buckets");
    app.wait_for(
        "the buckets listed",
        std::time::Duration::from_secs(10),
        |s| !s.contains("Loading buckets"),
    );
    assert_eq!(coloured_cells(&app), 0, "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));

    // The light theme from the config file: the title bar is blue.
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("lw.toml");
    std::fs::write(&path, "[theme]\nname = \"light\"\n").expect("write");
    let mut env = support::binary_env(&weed.endpoint, home.path());
    env.push((
        "LOCKWATCH_CONFIG".to_string(),
        path.to_string_lossy().to_string(),
    ));
    let mut app = support::pty::Session::start_with_env(&env, &[], 120, 30, home);
    app.wait_text("Buckets");
    let title_bg = app
        .with_screen(|s| s.cell(0, 1).map(|c| c.bgcolor()))
        .flatten();
    assert_eq!(title_bg, Some(vt100::Color::Idx(4)), "blue title bar");
    assert!(coloured_cells(&app) > 0);
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
}

#[test]
fn completions_and_the_manual_page_come_from_the_same_definitions() {
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| -> String {
        let out = lockwatch(home.path(), &[], args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let bash = run(&["completions", "bash"]);
    for word in ["undelete", "report", "--endpoint", "--dry-run"] {
        assert!(
            bash.contains(word),
            "{word} missing from the bash completion"
        );
    }
    // The script is valid bash.
    let script = home.path().join("lockwatch.bash");
    std::fs::write(&script, &bash).expect("write");
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    for shell in ["zsh", "fish"] {
        assert!(run(&["completions", shell]).contains("undelete"), "{shell}");
    }
    let man = run(&["man"]);
    assert!(man.contains(".TH lockwatch 1"), "{man}");
    for word in ["undelete", "report", "endpoint"] {
        assert!(man.contains(word), "{word} missing from the manual page");
    }
    // The KEYS section has every pane's bindings from the keymap, escaped for roff.
    assert!(man.contains(".SH KEYS"), "{man}");
    for pane in [
        "Everywhere",
        "Buckets pane",
        "Objects pane",
        "Versions pane",
    ] {
        assert!(
            man.contains(&format!(".SS \"{pane}\"")),
            "{pane} missing: {man}"
        );
    }
    assert!(man.contains("\\fBU\\fR"), "the U key: {man}");
    assert!(
        man.lines().all(|l| !l.starts_with('\'')),
        "a line roff would read as a request: {man}"
    );
}

#[test]
fn with_several_endpoints_and_none_chosen_lockwatch_asks_which() {
    let weed = support::weed::weed();
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("lw.toml");
    std::fs::write(
        &path,
        format!(
            "[endpoint.archive]\nendpoint_url = \"http://127.0.0.1:9\"\n\n[endpoint.local]\nendpoint_url = \"{}\"\n",
            weed.endpoint
        ),
    )
    .expect("write");
    let mut env: Vec<(String, String)> = support::binary_env(&weed.endpoint, home.path())
        .into_iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL")
        .collect();
    env.push((
        "LOCKWATCH_CONFIG".to_string(),
        path.to_string_lossy().to_string(),
    ));
    let mut app = support::pty::Session::start_with_env(&env, &[], 120, 30, home);
    let asked = app.wait_text("which endpoint?");
    assert!(
        asked.contains("1) archive") && asked.contains("2) local"),
        "{asked}"
    );
    app.send("local\r");
    app.wait_text(&weed.endpoint);
    app.wait_for("the buckets", std::time::Duration::from_secs(10), |s| {
        s.contains("Buckets") && !s.contains("Loading buckets")
    });
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
}

/// `lockwatch` with a watchdog: a read that would hang fails the test instead of stalling it.
fn lockwatch_within(
    home: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    limit: std::time::Duration,
) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run lockwatch");
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("lockwatch {args:?} hung (still running after {limit:?})");
}

#[test]
fn only_a_regular_file_of_sane_size_is_read_as_configuration() {
    let home = tempfile::tempdir().expect("home");
    let fifo = home.path().join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let huge = home.path().join("huge.toml");
    std::fs::write(&huge, "# x\n".repeat(600_000)).expect("write");
    for (path, said) in [
        (fifo.to_string_lossy().to_string(), "not a regular file"),
        ("/dev/zero".to_string(), "not a regular file"),
        (
            huge.to_string_lossy().to_string(),
            "larger than 1048576 bytes",
        ),
    ] {
        let env = [("LOCKWATCH_CONFIG", path.as_str())];
        let out = lockwatch_within(
            home.path(),
            &env,
            &["config", "check"],
            std::time::Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(1), "{path}");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains(said), "{path}: {printed}");
    }
}

#[test]
fn ignored_lines_are_each_reported_once_with_their_line() {
    // 40,000 unknown settings: every one is a problem with its own line (linear time: the
    // lines are indexed once, not counted again for each problem).
    let text: String = (0..40_000).map(|i| format!("unknown_{i} = 1\n")).collect();
    let config = Config::parse(&text);
    assert_eq!(config.problems.len(), 40_000);
    assert_eq!(config.problems[39_999].line, 40_000);
    assert_eq!(config.problems[0].column, 1);
}

#[test]
fn a_device_named_as_an_aws_file_gets_no_chmod_advice() {
    let home = tempfile::tempdir().expect("home");
    let env = [
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_ACCESS_KEY_ID", "k"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ];
    let out = lockwatch_within(
        home.path(),
        &env,
        &["ls", "--connect-timeout", "1", "s3://b/"],
        std::time::Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains("chmod"), "{stderr}");
}

#[test]
fn a_16_colour_terminal_gets_16_colour_codes_and_a_dumb_one_a_clear_refusal() {
    // --demo: the built-in sandbox, nothing to start.
    let home = tempfile::tempdir().expect("home");
    let mut env = support::binary_env("http://127.0.0.1:9", home.path());
    env.retain(|(k, _)| k != "TERM");
    env.push(("TERM".to_string(), "linux".to_string()));
    let mut app = support::pty::Session::start_with_env(&env, &["--demo"], 120, 30, home);
    app.wait_text("bup-governance");
    assert!(coloured_cells(&app) > 0, "colours are still drawn");
    let raw = app.raw_output();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        !raw.contains("38;5;") && !raw.contains("48;5;"),
        "a 256-colour code reached a 16-colour terminal"
    );
    assert!(
        raw.contains("\u{1b}[3") || raw.contains("\u{1b}[9"),
        "16-colour codes"
    );
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));

    let home = tempfile::tempdir().expect("home");
    let out = lockwatch_within(
        home.path(),
        &[("TERM", "dumb")],
        &["--demo"],
        std::time::Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TERM=dumb"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing drawn");
}

#[test]
fn an_endpoint_url_with_a_password_is_refused_without_showing_it() {
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("aws-config");
    std::fs::write(
        &config,
        "[default]\nendpoint_url = http://bob:profilesecret@127.0.0.1:9\n",
    )
    .expect("write");
    let config = config.to_string_lossy().to_string();
    for env in [
        vec![("AWS_ENDPOINT_URL", "http://alice:hunter2@127.0.0.1:9")],
        vec![("AWS_CONFIG_FILE", config.as_str())],
    ] {
        let mut env = env;
        env.extend([
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-east-1"),
        ]);
        let out = lockwatch_within(
            home.path(),
            &env,
            &["ls", "s3://b/"],
            std::time::Duration::from_secs(30),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("user name or password"), "{stderr}");
        assert!(
            stderr.contains("127.0.0.1:9"),
            "the host is named: {stderr}"
        );
        assert!(
            !stderr.contains("hunter2") && !stderr.contains("profilesecret"),
            "{stderr}"
        );
    }
}
