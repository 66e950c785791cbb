use clap::Parser;
use lockwatch::app::StartAt;
use lockwatch::cli::{Cli, Command};
use lockwatch::keys::Keymap;
use lockwatch::s3::{ConnectOptions, Connection, PathStyle, StaticCredentials};
use lockwatch::sandbox::{self, Sandbox};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(filter) = cli.log.as_deref().filter(|f| !f.trim().is_empty())
        && let Err(e) = lockwatch::logging::init(filter, cli.log_file.clone())
    {
        eprintln!("lockwatch: {e}");
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
    runtime.block_on(async move {
        match cli.command {
            Some(Command::Sandbox { port }) => serve_sandbox(port).await,
            Some(Command::Ls {
                ref location,
                versions,
                recursive,
                json,
            }) => {
                let options = lockwatch::ls::LsOptions {
                    location: location.clone(),
                    versions,
                    recursive,
                    json,
                };
                list(&cli, &options).await
            }
            None => run_ui(cli).await,
        }
    })
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
    connection.info.endpoint = format!("{} (built-in sandbox, in memory)", sandbox.endpoint);
    lockwatch::seed::seed_demo(&connection.s3, jiff::Timestamp::now())
        .await
        .map_err(|e| format!("seeding the sandbox failed: {e}"))?;
    Ok((sandbox, connection))
}

/// `lockwatch ls`: exit 0 when the listing is complete, 1 when it stopped part way (what was
/// printed is partial), 2 when lockwatch could not connect.
async fn list(cli: &Cli, options: &lockwatch::ls::LsOptions) -> ExitCode {
    let connection = match lockwatch::s3::connect(&cli.connect_options()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lockwatch: cannot connect: {e}");
            return ExitCode::from(2);
        }
    };
    for warning in &connection.info.warnings {
        eprintln!("lockwatch: warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    match lockwatch::ls::run(&connection.s3, options, &mut out).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write;
            let _ = out.flush();
            eprintln!("lockwatch: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_sandbox(port: u16) -> ExitCode {
    let (sandbox, _connection) = match seeded_sandbox(port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lockwatch: {e}");
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

async fn run_ui(cli: Cli) -> ExitCode {
    let mut sandbox_guard = None;
    let connection = if cli.demo {
        match seeded_sandbox(0).await {
            Ok((sandbox, connection)) => {
                sandbox_guard = Some(sandbox);
                connection
            }
            Err(e) => {
                eprintln!("lockwatch: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        match lockwatch::s3::connect(&cli.connect_options()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("lockwatch: cannot connect: {e}");
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
                eprintln!("lockwatch: seeding the demonstration buckets failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for warning in &connection.info.warnings {
        eprintln!("lockwatch: warning: {warning}");
    }
    let start = StartAt {
        bucket: cli.location.as_ref().map(|l| l.bucket.clone()),
        prefix: cli.location.map(|l| l.prefix).unwrap_or_default(),
    };
    let result = lockwatch::runtime::run(
        connection,
        Keymap::default_keymap(),
        start,
        cli.bench_report.clone(),
    )
    .await;
    drop(sandbox_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lockwatch: {e}");
            ExitCode::FAILURE
        }
    }
}
