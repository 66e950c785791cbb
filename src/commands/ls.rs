//! `lockwatch ls`.

use super::*;

/// `lockwatch ls`: exit 0 when the listing is complete, 1 when it stopped part way (what was
/// printed is partial), 2 when lockwatch could not connect or list a single page.
pub(super) async fn list(
    cli: &Cli,
    config: &Config,
    mut options: crate::work::ls::LsOptions,
    at: Option<TimeArg>,
    console: &mut Console<'_>,
) -> Exit {
    let connection = match connect_for_command(cli, config, console).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(at) = at {
        match on_servers_clock(&connection.s3, &options.location.bucket, at, console).await {
            Ok(t) => options.at = Some(t),
            Err(e) => {
                say!(console, "lockwatch: --at: {e}");
                return Exit::CouldNotStart;
            }
        }
    }
    let options = &options;
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, &mut *console.out);
    let listed = crate::work::ls::run(&connection.s3, options, &mut out).await;
    let flushed = out.flush();
    drop(out);
    match listed {
        Ok(count) => match flushed {
            Ok(()) => {
                if count.rows == 0 && !count.reader_gone {
                    say!(
                        console,
                        "lockwatch: nothing is listed under s3://{}/{}",
                        crate::domain::text::sanitize(&options.location.bucket),
                        crate::domain::text::sanitize(&options.location.prefix)
                    );
                }
                Exit::Done
            }
            // The reader went away (`| head`): what it wanted was written.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Done,
            Err(e) => {
                say!(console, "lockwatch: cannot write the listing: {e}");
                Exit::Partly
            }
        },
        Err(e) => {
            say!(console, "lockwatch: {}", shown(&e));
            match e {
                // Not one page: nothing was listed.
                crate::work::ls::LsError::Server { count, error } if count.pages == 0 => {
                    explain_first_failure(&connection, &error, console).await;
                    Exit::CouldNotStart
                }
                _ => Exit::Partly,
            }
        }
    }
}
