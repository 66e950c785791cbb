use clap::Parser;
use lockwatch::app::StartAt;
use lockwatch::cli::{Cli, Command};
use lockwatch::config::Config;
use lockwatch::domain::format::TimeArg;
use lockwatch::keys::Keymap;
use lockwatch::s3::{ConnectOptions, Connection, PathStyle, StaticCredentials};
use lockwatch::sandbox::{self, Sandbox};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(filter) = cli.log.as_deref().filter(|f| !f.trim().is_empty())
        && let Err(e) = lockwatch::logging::init(filter, cli.log_file.clone())
    {
        eprintln!("lockwatch: {}", shown(&e));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lockwatch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
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
                let options = lockwatch::ls::LsOptions {
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
                ExitCode::SUCCESS
            }
            Some(Command::Man) => {
                let command = <Cli as clap::CommandFactory>::command();
                let mut page = Vec::new();
                if let Err(e) = clap_mangen::Man::new(command).render(&mut page) {
                    eprintln!("lockwatch: cannot render the manual page: {e}");
                    return ExitCode::FAILURE;
                }
                use std::io::Write;
                match std::io::stdout().write_all(&page) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("lockwatch: cannot write the manual page: {e}");
                        ExitCode::FAILURE
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
    let Some(path) = lockwatch::config::default_path() else {
        return Config::default();
    };
    Config::load(&path)
}

/// `connect` for the commands beside the UI: a failure is said on stderr (exit code 2), and
/// so are the connection's warnings.
async fn connect_for_command(cli: &Cli, config: &Config) -> Result<Connection, ExitCode> {
    let connection = connect(cli, config).await.map_err(|e| {
        eprintln!("lockwatch: cannot connect: {}", shown(&e));
        ExitCode::from(2)
    })?;
    for warning in &connection.info.warnings {
        eprintln!("lockwatch: warning: {}", shown(&warning));
    }
    Ok(connection)
}

/// Connects the way the flags, the environment and the config file say.
async fn connect(cli: &Cli, config: &Config) -> Result<Connection, String> {
    if !config.problems.is_empty() {
        eprintln!(
            "lockwatch: warning: the config file has {} ignored line(s); `lockwatch config check` lists them",
            config.problems.len()
        );
    }
    let mut options = cli.connect_options(config, |k| std::env::var(k).ok())?;
    let env = |k: &str| std::env::var(k).ok();
    let endpoint_chosen =
        cli.endpoint.is_some() || cli.endpoint_url.is_some() || config.default_endpoint.is_some();
    let Some(source) =
        lockwatch::openstack::requested(cli.os_cloud.as_deref(), endpoint_chosen, env)
    else {
        return lockwatch::s3::connect(&options)
            .await
            .map_err(|e| e.to_string());
    };
    let login = openstack_login(source, &mut options, cli.save_as.as_deref()).await?;
    let from_catalogue = options.endpoint_url.as_deref() == Some(login.0.endpoint.as_str());
    let mut connection = lockwatch::s3::connect(&options)
        .await
        .map_err(|e| e.to_string())?;
    connection.info.endpoint = format!(
        "{} ({}, project {})",
        connection.info.endpoint,
        login.0.source.describe(),
        login.0.project()
    );
    if let Some(how) = login.1 {
        connection.info.credentials_source = how;
    }
    if from_catalogue {
        connection.info.endpoint_source = Some(format!(
            "the object-store entry of Keystone's catalogue ({})",
            login.0.catalogue_url
        ));
    }
    Ok(connection)
}

/// Logs in to the OpenStack cloud and fills in the endpoint (unless a flag gave one), the
/// region (unless given) and the EC2 keys. Questions are asked on the terminal, before the UI.
async fn openstack_login(
    source: lockwatch::openstack::CloudSource,
    options: &mut ConnectOptions,
    save_as: Option<&str>,
) -> Result<(lockwatch::openstack::Login, Option<String>), String> {
    use lockwatch::openstack;
    use std::io::IsTerminal;
    let cloud = openstack::load(&source).map_err(|e| e.to_string())?;
    // Keystone takes a moment (a token, the catalogue, the EC2 credentials): say so.
    if std::io::stderr().is_terminal() {
        eprintln!(
            "lockwatch: logging in to {} through Keystone…",
            shown(&source.describe())
        );
    }
    let login = openstack::login(source, cloud)
        .await
        .map_err(|e| e.to_string())?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut err = std::io::stderr();
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut ask = openstack::Ask {
        input: &mut input,
        out: &mut err,
        interactive,
    };
    if options.endpoint_url.is_none() {
        options.endpoint_url = Some(login.endpoint.clone());
    }
    if options.region.is_none() {
        options.region = login.region.clone();
    }
    let how = match openstack::choose_credential(&login, &mut ask)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(chosen) => {
            options.static_credentials = Some(StaticCredentials {
                access_key_id: chosen.credential.access,
                secret_access_key: chosen.credential.secret,
            });
            Some(chosen.how)
        }
        None => {
            // A login by application credential: Keystone will not show EC2 credentials.
            eprintln!("lockwatch: {}", openstack::OpenStackError::Delegated);
            let from_env = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
            if !from_env && options.profile.is_none() {
                let keys = openstack::ask_for_keys(&mut ask).map_err(|e| e.to_string())?;
                options.static_credentials = Some(keys);
                Some("EC2 keys typed at the start".into())
            } else {
                None
            }
        }
    };
    if let Some(name) = save_as {
        let keys = options.static_credentials.clone().ok_or_else(|| {
            "--save-as: nothing to save, the keys come from the environment or --profile"
                .to_string()
        })?;
        let save = openstack::Save {
            name: name.to_string(),
            credentials_file: lockwatch::s3::aws_credentials_file()
                .ok_or("--save-as: no home directory for ~/.aws/credentials")?,
            config_file: lockwatch::config::default_path()
                .ok_or("--save-as: no place for the config file")?,
            endpoint_url: options
                .endpoint_url
                .clone()
                .unwrap_or_else(|| login.endpoint.clone()),
            region: options.region.clone(),
        };
        openstack::confirm_and_save(&save, &keys, &mut ask)?;
    }
    Ok((login, how))
}

/// `lockwatch config path|init|check`.
fn config_command(action: lockwatch::cli::ConfigAction, config: &Config) -> ExitCode {
    use lockwatch::cli::ConfigAction;
    let Some(path) = config.path.clone() else {
        eprintln!("lockwatch: no config directory is known for this user; set LOCKWATCH_CONFIG");
        return ExitCode::from(2);
    };
    match action {
        ConfigAction::Path => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        ConfigAction::Init => {
            if let Some(dir) = path.parent()
                && let Err(e) = std::fs::create_dir_all(dir)
            {
                eprintln!("lockwatch: cannot create {}: {e}", dir.display());
                return ExitCode::from(2);
            }
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| {
                    use std::io::Write;
                    f.write_all(lockwatch::config::DEFAULT_CONFIG.as_bytes())
                });
            match created {
                Ok(()) => {
                    println!("wrote {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    eprintln!(
                        "lockwatch: {} already exists; it was left as it is",
                        path.display()
                    );
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("lockwatch: cannot write {}: {e}", path.display());
                    ExitCode::from(2)
                }
            }
        }
        ConfigAction::Check => {
            if !path.exists() {
                println!(
                    "{}: no such file; lockwatch uses its defaults (`lockwatch config init` writes a commented one)",
                    path.display()
                );
                return ExitCode::SUCCESS;
            }
            let (_, key_problems) = config.keymap(&Keymap::default_keymap());
            let mut problems: Vec<&lockwatch::config::Problem> =
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
                println!("{}: fine ({})", path.display(), said.join(", "));
                return ExitCode::SUCCESS;
            }
            for p in problems {
                println!("{}: {p}", path.display());
            }
            ExitCode::FAILURE
        }
    }
}

/// Starts the sandbox and seeds it through lockwatch's own S3 layer, as any client would.
async fn seeded_sandbox(port: u16) -> Result<(Sandbox, Connection), String> {
    let sandbox = sandbox::start(port, sandbox::store::Limits::default())
        .await
        .map_err(|e| format!("cannot start the sandbox on 127.0.0.1:{port}: {e}"))?;
    let options = ConnectOptions {
        endpoint_url: Some(sandbox.endpoint.clone()),
        region: Some(sandbox::REGION.into()),
        path_style: PathStyle::Auto,
        static_credentials: Some(StaticCredentials {
            access_key_id: sandbox::ACCESS_KEY.into(),
            secret_access_key: sandbox::SECRET_KEY.into(),
        }),
        ..ConnectOptions::default()
    };
    let mut connection = lockwatch::s3::connect(&options)
        .await
        .map_err(|e| format!("cannot connect to the sandbox: {e}"))?;
    connection.info.credentials_source = "the built-in sandbox".into();
    connection.info.sandbox = true;
    connection.info.endpoint = format!("{} (built-in sandbox, in memory)", sandbox.endpoint);
    lockwatch::seed::seed_demo(&connection.s3, jiff::Timestamp::now())
        .await
        .map_err(|e| format!("seeding the sandbox failed: {e}"))?;
    Ok((sandbox, connection))
}

/// `lockwatch ls`: exit 0 when the listing is complete, 1 when it stopped part way (what was
/// printed is partial), 2 when lockwatch could not connect.
async fn list(
    cli: &Cli,
    config: &Config,
    mut options: lockwatch::ls::LsOptions,
    at: Option<TimeArg>,
) -> ExitCode {
    let connection = match connect_for_command(cli, config).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(at) = at {
        match on_servers_clock(&connection.s3, &options.location.bucket, at).await {
            Ok(t) => options.at = Some(t),
            Err(e) => {
                eprintln!("lockwatch: --at: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let options = &options;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    match lockwatch::ls::run(&connection.s3, options, &mut out).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write;
            let _ = out.flush();
            eprintln!("lockwatch: {}", shown(&e));
            ExitCode::FAILURE
        }
    }
}

/// `lockwatch report`: exit 0 with the report written, 1 when the listing failed part way
/// (nothing but CSV rows already written is printed), 2 when lockwatch could not connect.
async fn report(
    cli: &Cli,
    config: &Config,
    location: &lockwatch::domain::location::S3Location,
    format: lockwatch::report::Format,
) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let connection = match connect_for_command(cli, config).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let show_progress = std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let built = lockwatch::report::build(
        &connection.s3,
        &connection.info.endpoint,
        location,
        format,
        &mut out,
        |versions| {
            if show_progress {
                eprint!("\rreading locks… {versions} versions");
            }
        },
    )
    .await;
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let coverage = match built {
        Ok(c) => c,
        Err(e) => {
            let _ = out.flush();
            eprintln!("lockwatch: {}", shown(&e));
            return ExitCode::FAILURE;
        }
    };
    let written = match format {
        lockwatch::report::Format::Csv => Ok(()),
        lockwatch::report::Format::Markdown => out.write_all(coverage.markdown().as_bytes()),
        lockwatch::report::Format::Json => serde_json::to_writer_pretty(&mut out, &coverage)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
    };
    if let Err(e) = written.and_then(|_| out.flush()) {
        eprintln!("lockwatch: cannot write the report: {}", shown(&e));
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

struct UndeleteOptions {
    location: lockwatch::domain::location::S3Location,
    after: Option<TimeArg>,
    dry_run: bool,
    json: bool,
    yes: bool,
}

/// `lockwatch undelete`: exit 0 when the plan was shown (dry run) or carried out without a
/// failure, 1 when a key failed, the run was cancelled or the plan was not confirmed, 2 when
/// lockwatch could not connect, list, or ask.
async fn undelete(cli: &Cli, config: &Config, options: &UndeleteOptions) -> ExitCode {
    use lockwatch::undelete as u;
    use std::io::{IsTerminal, Write};
    let interactive = std::io::stdin().is_terminal();
    if !options.dry_run && !options.yes && !interactive {
        eprintln!(
            "lockwatch: standard input is not a terminal, so lockwatch cannot ask before sending: pass --yes to confirm the plan, or --dry-run to only see it"
        );
        return ExitCode::from(2);
    }
    let connection = match connect_for_command(cli, config).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !options.dry_run && connection.info.read_only {
        eprintln!(
            "lockwatch: this connection is read-only{}: only --dry-run is possible",
            connection
                .info
                .read_only_because
                .as_deref()
                .map_or(String::new(), |w| format!(" ({w})"))
        );
        return ExitCode::from(2);
    }
    let s3 = &connection.s3;
    let after = match options.after {
        Some(t) => match on_servers_clock(s3, &options.location.bucket, t).await {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("lockwatch: --after: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let show_progress = std::io::stderr().is_terminal();
    let plans = match u::plan(s3, &options.location, after, |keys| {
        if show_progress {
            eprint!("\rlisting… {keys} keys planned");
        }
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            if show_progress {
                eprintln!();
            }
            eprintln!(
                "lockwatch: cannot list s3://{}/{}: {}. Nothing was sent.",
                lockwatch::domain::text::sanitize(&options.location.bucket),
                lockwatch::domain::text::sanitize(&options.location.prefix),
                shown(&e)
            );
            return ExitCode::from(2);
        }
    };
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let summary = lockwatch::domain::undelete::summarize(&plans);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let printed = if options.json {
        plans
            .iter()
            .try_for_each(|p| u::json_line(&mut out, p, None))
    } else {
        plans
            .iter()
            .try_for_each(|p| writeln!(out, "{}", u::describe_key(p)))
            .and_then(|_| {
                write!(
                    out,
                    "{}",
                    u::describe_summary(&summary, &options.location, after)
                )
            })
    };
    if let Err(e) = printed.and_then(|_| out.flush()) {
        eprintln!("lockwatch: cannot print the plan: {e}");
        return ExitCode::from(2);
    }
    drop(out);
    let acting = summary.remove + summary.copy;
    if options.dry_run {
        eprintln!("Dry run: nothing was sent.");
        return ExitCode::SUCCESS;
    }
    if acting == 0 {
        eprintln!("Nothing to do: no key needs restoring.");
        return ExitCode::SUCCESS;
    }
    if !options.yes {
        let answer = format!("undelete {acting}");
        eprint!("Type '{answer}' to carry out this plan (anything else cancels): ");
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() || line.trim() != answer {
            eprintln!("Not confirmed: nothing was sent.");
            return ExitCode::FAILURE;
        }
    }
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("\nCancelling: no further key is started; keys under way finish.");
            }
        })
    };
    let mut finished = 0usize;
    let audit_path = lockwatch::audit::default_path();
    let mut audit_failed = false;
    let stdout = std::io::stdout();
    let tally = u::execute(
        s3,
        &options.location.bucket,
        &plans,
        &cancel,
        |plan, outcome| {
            finished += 1;
            if let Some(entry) = u::audit_entry(
                &connection.info.endpoint,
                &options.location.bucket,
                plan,
                outcome,
            ) {
                let written = audit_path
                    .as_deref()
                    .ok_or_else(|| {
                        std::io::Error::other("no data directory is known for this user")
                    })
                    .and_then(|p| lockwatch::audit::append(p, &entry));
                if let Err(e) = written
                    && !audit_failed
                {
                    audit_failed = true;
                    eprintln!("lockwatch: warning: cannot write the audit trail: {e}");
                }
            }
            let mut out = stdout.lock();
            let _ = if options.json {
                u::json_line(&mut out, plan, Some(outcome))
            } else {
                writeln!(out, "{}", u::describe_outcome(plan, outcome))
            };
            let _ = out.flush();
            if show_progress {
                eprint!("\r[{finished}/{acting}]");
            }
        },
    )
    .await;
    watcher.abort();
    if show_progress {
        eprint!("\r\x1b[K");
    }
    eprintln!("{}", u::describe_tally(&tally));
    if tally.failed == 0 && tally.not_attempted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn serve_sandbox(port: u16) -> ExitCode {
    let (sandbox, _connection) = match seeded_sandbox(port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lockwatch: {}", shown(&e));
            return ExitCode::FAILURE;
        }
    };
    println!("# lockwatch sandbox: in memory, on 127.0.0.1 only; Ctrl-C stops it.");
    println!("export AWS_ENDPOINT_URL={}", sandbox.endpoint);
    println!("export AWS_ACCESS_KEY_ID={}", sandbox::ACCESS_KEY);
    println!("export AWS_SECRET_ACCESS_KEY={}", sandbox::SECRET_KEY);
    println!("export AWS_REGION={}", sandbox::REGION);
    println!("# Try: aws s3api list-object-versions --bucket bup");
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        eprintln!("lockwatch: cannot listen for signals");
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
    drop(sandbox);
    ExitCode::SUCCESS
}

/// With several named endpoints and nothing saying which (no --endpoint, LOCKWATCH_ENDPOINT,
/// default_endpoint, --endpoint-url or AWS_ENDPOINT_URL), asks on the terminal before the UI
/// starts. `None` when there is nothing to ask, or no terminal to ask on.
fn pick_endpoint(cli: &Cli, config: &Config) -> Result<Option<String>, ExitCode> {
    use std::io::{BufRead, IsTerminal, Write};
    let said = cli.endpoint.is_some()
        || cli.endpoint_url.is_some()
        || config.default_endpoint.is_some()
        || ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()));
    if said || config.endpoints.len() < 2 || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let names: Vec<&String> = config.endpoints.keys().collect();
    let mut err = std::io::stderr();
    let _ = writeln!(err, "lockwatch: which endpoint?");
    for (i, name) in names.iter().enumerate() {
        let e = &config.endpoints[*name];
        let _ = writeln!(
            err,
            "  {}) {}  {}{}",
            i + 1,
            lockwatch::domain::text::name(name),
            e.endpoint_url
                .as_deref()
                .unwrap_or("(the AWS profile's endpoint)"),
            if e.read_only { "  read-only" } else { "" }
        );
    }
    let _ = write!(
        err,
        "Number or name (Enter: 1; set default_endpoint in the config file to skip this): "
    );
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return Err(ExitCode::from(2));
    }
    let answer = line.trim();
    let chosen = if answer.is_empty() {
        Some(names[0].clone())
    } else if let Ok(n) = answer.parse::<usize>() {
        names.get(n.wrapping_sub(1)).map(|s| (*s).clone())
    } else {
        names
            .iter()
            .find(|n| n.as_str() == answer)
            .map(|s| (*s).clone())
    };
    match chosen {
        Some(name) => Ok(Some(name)),
        None => {
            eprintln!("lockwatch: no endpoint {answer:?}");
            Err(ExitCode::from(2))
        }
    }
}

async fn run_ui(mut cli: Cli, config: Config) -> ExitCode {
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") {
        eprintln!(
            "lockwatch: this terminal (TERM=dumb) cannot draw the interface: it has no cursor movement. Use a terminal such as xterm-256color, or the commands that print: lockwatch ls, report, undelete (lockwatch --help)."
        );
        return ExitCode::from(2);
    }
    if !cli.demo {
        match pick_endpoint(&cli, &config) {
            Ok(Some(name)) => cli.endpoint = Some(name),
            Ok(None) => {}
            Err(code) => return code,
        }
    }
    let mut sandbox_guard = None;
    let connection = if cli.demo {
        match seeded_sandbox(0).await {
            Ok((sandbox, connection)) => {
                sandbox_guard = Some(sandbox);
                connection
            }
            Err(e) => {
                eprintln!("lockwatch: {}", shown(&e));
                return ExitCode::FAILURE;
            }
        }
    } else {
        match connect(&cli, &config).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("lockwatch: cannot connect: {}", shown(&e));
                eprintln!();
                eprintln!(
                    "Give credentials the way the AWS CLI takes them, for example:\n  \
                     export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...\n  \
                     export AWS_ENDPOINT_URL=https://object.example.net\n\
                     or name a profile with --profile NAME, or try lockwatch --demo."
                );
                return ExitCode::from(2);
            }
        }
    };
    if cli.seed_demo {
        match lockwatch::seed::seed_demo(&connection.s3, jiff::Timestamp::now()).await {
            Ok(report) => {
                if !report.skipped.is_empty() {
                    eprintln!(
                        "lockwatch: already there, left alone: {}",
                        report.skipped.join(", ")
                    );
                }
            }
            Err(e) => {
                eprintln!(
                    "lockwatch: seeding the demonstration buckets failed: {}",
                    shown(&e)
                );
                return ExitCode::FAILURE;
            }
        }
    }
    for warning in &connection.info.warnings {
        eprintln!("lockwatch: warning: {}", shown(&warning));
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
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let theme = config.theme(
        env("NO_COLOR").is_some(),
        lockwatch::ui::theme::has_256_colours(env("TERM").as_deref(), env("COLORTERM").as_deref()),
    );
    let result = lockwatch::runtime::run(
        connection,
        keymap,
        theme,
        config.mouse.unwrap_or(true),
        start,
        cli.bench_report.clone(),
    )
    .await;
    drop(sandbox_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lockwatch: {}", shown(&e));
            ExitCode::FAILURE
        }
    }
}

/// Text that may hold a server's words (an error's `<Message>`, a key), escaped as the UI
/// escapes it: no control sequence of a server reaches the user's terminal.
fn shown(text: &impl std::fmt::Display) -> String {
    lockwatch::domain::text::sanitize(&text.to_string()).into_owned()
}

/// A command-line time: `-3h` and the like are taken from the server's clock (the Date header
/// of one request about the bucket, whatever it answers), as the UI takes them; said when the
/// server's clock differs from this machine's.
async fn on_servers_clock(
    s3: &lockwatch::s3::S3,
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
            lockwatch::domain::lock::format_remaining(jiff::SignedDuration::from_secs(
                o.as_secs().abs()
            )),
            if o.is_negative() {
                "behind"
            } else {
                "ahead of"
            },
            lockwatch::domain::format::timestamp(now)
        );
    }
    time.resolve(now)
}
