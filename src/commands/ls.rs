//! `lockwatch ls`.

use super::*;

/// `lockwatch ls`: exit 0 when the listing is complete, 1 when it stopped part way (what was
/// printed is partial), 2 when lockwatch could not connect or list a single page.
pub(super) async fn list(
    cli: &Cli,
    config: &Config,
    mut options: crate::ls::LsOptions,
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
                return Exit::CouldNotStart.into();
            }
        }
    }
    let options = &options;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    match crate::ls::run(&connection.s3, options, &mut out).await {
        Ok(_) => Exit::Done.into(),
        Err(e) => {
            use std::io::Write;
            let _ = out.flush();
            eprintln!("lockwatch: {}", shown(&e));
            match e {
                // Not one page: nothing was listed.
                crate::ls::LsError::Server { count, .. } if count.pages == 0 => {
                    Exit::CouldNotStart.into()
                }
                _ => Exit::Partly.into(),
            }
        }
    }
}
