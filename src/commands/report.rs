//! `lockwatch report`.

use super::*;

/// `lockwatch report`: exit 0 with the report written, 1 when the listing failed part way
/// (nothing but CSV rows already written is printed), 2 when lockwatch could not connect.
pub(super) async fn report(
    cli: &Cli,
    config: &Config,
    location: &crate::domain::location::S3Location,
    format: crate::report::Format,
) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let connection = match connect_for_command(cli, config).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let show_progress = std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let built = crate::report::build(
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
            return match e {
                // Not one version read: nothing was listed.
                crate::report::ReportError::Listing { versions: 0, .. } => {
                    Exit::CouldNotStart.into()
                }
                _ => Exit::Partly.into(),
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
    if let Err(e) = written.and_then(|_| out.flush()) {
        eprintln!("lockwatch: cannot write the report: {}", shown(&e));
        return Exit::CouldNotStart.into();
    }
    Exit::Done.into()
}
