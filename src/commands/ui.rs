//! `lockwatch` with no command: the terminal UI.

use super::*;

pub(super) async fn run_ui(mut cli: Cli, config: Config, console: &mut Console<'_>) -> Exit {
    if console.var("TERM").is_some_and(|t| t == "dumb") {
        say!(
            console,
            "lockwatch: this terminal (TERM=dumb) cannot draw the interface: it has no cursor movement. Use a terminal such as xterm-256color, or the commands that print: lockwatch ls, report, undelete (lockwatch --help)."
        );
        return Exit::CouldNotStart;
    }
    if !cli.demo {
        match pick_endpoint(&cli, &config, console) {
            Ok(Some(name)) => cli.connect.endpoint = Some(name),
            Ok(None) => {}
            Err(code) => return code,
        }
    }
    let mut sandbox_guard = None;
    let mut demo_watch = None;
    let connection = if cli.demo {
        let keys = match demo::Keys::of_this_run() {
            Ok(keys) => keys,
            Err(e) => {
                say!(console, "lockwatch: {}", shown(&e));
                return Exit::CouldNotStart;
            }
        };
        match seeded_sandbox(0, &keys).await {
            Ok((sandbox, connection)) => {
                if let Err(e) = crate::audit::fresh_sandbox_trail() {
                    say!(
                        console,
                        "lockwatch: warning: the demo's trail still holds earlier runs (cannot set it aside: {e})"
                    );
                }
                sandbox_guard = Some(sandbox);
                // The demo's own watcher, so that the buckets pane can show an attack.
                if let Err(e) = crate::seed::seed_storm_bucket(&connection.s3).await {
                    say!(
                        console,
                        "lockwatch: seeding the sandbox failed: {}",
                        shown(&e)
                    );
                    return Exit::CouldNotStart;
                }
                match demo::DemoState::create() {
                    Ok(state) => {
                        let task = demo::watch_demo(
                            connection.s3.clone(),
                            connection.info.endpoint.clone(),
                            state.0.clone(),
                        );
                        demo_watch = Some((state, task));
                    }
                    Err(e) => say!(
                        console,
                        "lockwatch: warning: the demo's watcher cannot keep its state: {e}"
                    ),
                }
                connection
            }
            Err(e) => {
                say!(console, "lockwatch: {}", shown(&e));
                return Exit::CouldNotStart;
            }
        }
    } else {
        match connect(&cli, &config, console).await {
            Ok(c) => c,
            Err(e) => {
                say!(console, "lockwatch: cannot connect: {}", shown_lines(&e));
                say!(console, "");
                say!(
                    console,
                    "Give credentials the way the AWS CLI takes them, for example:\n  \
                     export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...\n  \
                     export AWS_ENDPOINT_URL=https://object.example.net\n\
                     or name a profile with --profile NAME, or try lockwatch --demo."
                );
                return Exit::CouldNotStart;
            }
        }
    };
    if cli.seed_demo {
        match crate::seed::seed_demo(&connection.s3, jiff::Timestamp::now()).await {
            Ok(report) => {
                if !report.skipped.is_empty() {
                    say!(
                        console,
                        "lockwatch: already there, left alone: {}",
                        report.skipped.join(", ")
                    );
                }
            }
            Err(e) => {
                say!(
                    console,
                    "lockwatch: seeding the demonstration buckets failed: {}",
                    shown(&e)
                );
                return Exit::CouldNotStart;
            }
        }
    }
    for warning in &connection.info.warnings {
        say!(console, "lockwatch: warning: {}", shown(&warning));
    }
    let start = StartAt {
        bucket: cli.location.as_ref().map(|l| l.bucket.clone()),
        prefix: cli.location.map(|l| l.prefix).unwrap_or_default(),
    };
    let (keymap, key_problems) = config.keymap(&Keymap::default_keymap());
    let mut connection = connection;
    let ignored = config.problems.len() + key_problems.len();
    if ignored > 0 {
        let first = config
            .problems
            .iter()
            .chain(&key_problems)
            .next()
            .map(|p| p.to_string())
            .unwrap_or_default();
        connection.info.warnings.insert(
            0,
            format!(
                "the config file has {ignored} ignored line{} (first: {first}); `lockwatch config check` lists them",
                if ignored == 1 { "" } else { "s" }
            ),
        );
    }
    let env = |k: &str| console.var(k);
    let theme = config.theme(
        env("NO_COLOR").is_some(),
        crate::ui::theme::has_256_colours(env("TERM").as_deref(), env("COLORTERM").as_deref()),
    );
    // Where the watchers of this endpoint keep their status: the demo's own, or the user's.
    let watch_state = match &demo_watch {
        Some((state, _)) => Some(state.0.clone()),
        None => cli
            .state_dir
            .clone()
            .or_else(crate::watch::state::default_base),
    };
    let result = crate::runtime::run(
        connection,
        keymap,
        theme,
        config.mouse.unwrap_or(true),
        start,
        cli.bench_report.clone(),
        watch_state,
    )
    .await;
    if let Some((state, task)) = demo_watch {
        // Stopped before its folder goes: an interval under way could write into it again.
        task.abort();
        let _ = task.await;
        drop(state);
    }
    drop(sandbox_guard);
    match result {
        Ok(()) => Exit::Done,
        Err(e) => {
            say!(console, "lockwatch: {}", shown(&e));
            match e {
                crate::runtime::RunError::NoTerminal(_) => Exit::CouldNotStart,
                crate::runtime::RunError::Terminal(_) => Exit::Partly,
            }
        }
    }
}
