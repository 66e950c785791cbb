//! `lockwatch report`.

use super::*;
use crate::cli::ReportArgs;
use crate::work::report::{Format, Options, Progress, ReportError};

/// `lockwatch report`: exit 0 with the report written, 1 when the listing failed part way or
/// the report was stopped (nothing but CSV rows already written is printed; a checkpoint
/// resumes it), 2 when lockwatch could not connect or start.
pub(super) async fn report(
    cli: &Cli,
    config: &Config,
    args: &ReportArgs,
    console: &mut Console<'_>,
) -> Exit {
    let mut connection = match connect_for_command(cli, config, console).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    learn_identity(&mut connection).await;
    let show_progress = console.err_is_terminal;
    let format = args.format;
    let Console { out, err, .. } = console;
    let mut out = std::io::BufWriter::new(&mut **out);
    let err = std::cell::RefCell::new(err);
    let from_inventory = args.inventory.is_some();
    let progress = |p: Progress| {
        if let Some(warning) = &p.warning {
            let mut err = err.borrow_mut();
            let end = if show_progress { "\r\x1b[K" } else { "" };
            let _ = writeln!(err, "{end}lockwatch: warning: {warning}");
        }
        if show_progress {
            let mut err = err.borrow_mut();
            let _ = match p.sample {
                Some((read, of)) => {
                    write!(err, "\r\x1b[Kreading the sample… {read} of {of} versions")
                }
                None if from_inventory => {
                    write!(
                        err,
                        "\r\x1b[Kreading the inventory… {} versions",
                        p.versions
                    )
                }
                None if p.in_flight == 0 => {
                    write!(err, "\r\x1b[Klisting… {} versions", p.versions)
                }
                None => write!(
                    err,
                    "\r\x1b[Kreading locks… {} versions ({} HEADs at once)",
                    p.versions, p.in_flight
                ),
            };
        }
    };
    let built = if let Some(manifest) = &args.inventory {
        crate::work::report::inventory::build(
            &connection.s3,
            &connection.info.endpoint,
            &args.location,
            manifest,
            format,
            &mut out,
            progress,
        )
        .await
    } else {
        // With a checkpoint, Ctrl-C stops at the next page and saves it; again, at once.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut options = Options::new(format);
        options.concurrency = usize::from(args.concurrency);
        options.checkpoint = args.checkpoint.clone();
        options.sample = args.sample;
        options.seed = args.seed;
        if args.checkpoint.is_some() {
            options.stop = Some(Box::pin(async move {
                let _ = stop_rx.await;
            }));
        }
        let building = crate::work::report::build(
            &connection.s3,
            &connection.info.endpoint,
            &args.location,
            options,
            &mut out,
            progress,
        );
        tokio::pin!(building);
        let mut stop_tx = args.checkpoint.as_ref().map(|_| stop_tx);
        loop {
            tokio::select! {
                built = &mut building => break built,
                signal = tokio::signal::ctrl_c(), if stop_tx.is_some() => {
                    if signal.is_ok() {
                        match stop_tx.take() {
                            Some(tx) => {
                                let _ = tx.send(());
                                let _ = writeln!(
                                    err.borrow_mut(),
                                    "\nStopping: the pages under way finish, then the checkpoint is saved (Ctrl-C again quits at once)."
                                );
                            }
                            None => break Err(ReportError::Interrupted(
                                "quit at once: the checkpoint holds the progress saved last (at most 5 seconds old); run the same command to go on".into(),
                            )),
                        }
                    }
                }
            }
        }
    };
    let err = err.into_inner();
    if show_progress {
        let _ = write!(err, "\r\x1b[K");
    }
    let coverage = match built {
        Ok(mut c) => {
            c.taken_by = Some(connection.info.actor.describe());
            c
        }
        // The reader went away (`| head`): stop quietly, as Unix tools do.
        Err(ReportError::Output(e)) if reader_gone(&e) => return Exit::Done,
        Err(e) => {
            let _ = out.flush();
            drop(out);
            say!(console, "lockwatch: {}", shown(&e));
            if let ReportError::Listing {
                versions: 0, error, ..
            } = &e
            {
                explain_first_failure(&connection, error, console).await;
            }
            return match e {
                // Not one version read: nothing was listed.
                ReportError::Listing { versions: 0, .. }
                | ReportError::Checkpoint(_)
                | ReportError::Refused(_)
                | ReportError::Inventory(_) => Exit::CouldNotStart,
                _ => Exit::Partly,
            };
        }
    };
    let written = match format {
        Format::Csv => Ok(()),
        Format::Markdown => out.write_all(coverage.markdown().as_bytes()),
        Format::Json => serde_json::to_writer_pretty(&mut out, &coverage)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
    };
    let written = written.and_then(|_| out.flush());
    drop(out);
    if let Err(e) = written {
        if reader_gone(&e) {
            return Exit::Done;
        }
        say!(console, "lockwatch: cannot write the report: {}", shown(&e));
        return Exit::CouldNotStart;
    }
    for warning in &coverage.warnings {
        say!(console, "lockwatch: warning: {warning}");
    }
    if coverage.warnings.is_empty() {
        Exit::Done
    } else {
        Exit::Partly
    }
}
