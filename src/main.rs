use clap::Parser;
use lockwatch::app::StartAt;
use lockwatch::cli::Cli;
use lockwatch::keys::Keymap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        let connection = match lockwatch::s3::connect(&cli.connect_options()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("lockwatch: cannot connect: {e}");
                eprintln!();
                eprintln!(
                    "Give credentials the way the AWS CLI takes them, for example:\n  \
                     export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...\n  \
                     export AWS_ENDPOINT_URL=https://object.example.net\n\
                     or name a profile with --profile NAME (see lockwatch --help)."
                );
                return ExitCode::from(2);
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
        let start = StartAt {
            bucket: cli.location.as_ref().map(|l| l.bucket.clone()),
            prefix: cli.location.map(|l| l.prefix).unwrap_or_default(),
        };
        match lockwatch::runtime::run(connection, Keymap::default_keymap(), start).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lockwatch: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
