//! `lockwatch report`.

use super::*;

/// `lockwatch report`: exit 0 with the report written, 1 when the listing failed part way
/// (nothing but CSV rows already written is printed), 2 when lockwatch could not connect.
pub(super) async fn report(
    cli: &Cli,
    config: &Config,
    location: &crate::domain::location::S3Location,
    format: crate::report::Format,
    console: &mut Console<'_>,
) -> Exit {
    let mut connection = match connect_for_command(cli, config, console).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    learn_identity(&mut connection).await;
    let show_progress = console.err_is_terminal;
    let Console { out, err, .. } = console;
    let mut out = std::io::BufWriter::new(&mut **out);
    let built = crate::report::build(
        &connection.s3,
        &connection.info.endpoint,
        location,
        format,
        &mut out,
        |versions| {
            if show_progress {
                let _ = write!(err, "\rreading locks… {versions} versions");
            }
        },
    )
    .await;
    if show_progress {
        let _ = write!(err, "\r\x1b[K");
    }
    let coverage = match built {
        Ok(mut c) => {
            c.taken_by = Some(connection.info.actor.describe());
            c
        }
        Err(e) => {
            let _ = out.flush();
            drop(out);
            say!(console, "lockwatch: {}", shown(&e));
            return match e {
                // Not one version read: nothing was listed.
                crate::report::ReportError::Listing { versions: 0, .. } => Exit::CouldNotStart,
                _ => Exit::Partly,
            };
        }
    };
    let written = match format {
        crate::report::Format::Csv => Ok(()),
        crate::report::Format::Markdown => out.write_all(coverage.markdown().as_bytes()),
        crate::report::Format::Json => serde_json::to_writer_pretty(&mut out, &coverage)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
    };
    let written = written.and_then(|_| out.flush());
    drop(out);
    if let Err(e) = written {
        say!(console, "lockwatch: cannot write the report: {}", shown(&e));
        return Exit::CouldNotStart;
    }
    Exit::Done
}
