//! `lockwatch undelete`.

use super::*;

pub(super) struct UndeleteOptions {
    pub(super) location: crate::domain::location::S3Location,
    pub(super) after: Option<TimeArg>,
    pub(super) dry_run: bool,
    pub(super) json: bool,
    pub(super) yes: bool,
}

/// `lockwatch undelete`: exit 0 when the plan was shown (dry run) or carried out without a
/// failure, 1 when a key failed, the run was cancelled or the plan was not confirmed, 2 when
/// lockwatch could not connect, list, or ask.
pub(super) async fn undelete(
    cli: &Cli,
    config: &Config,
    options: &UndeleteOptions,
    console: &mut Console<'_>,
) -> Exit {
    use crate::work::undelete as u;
    let interactive = console.input_is_terminal;
    if !options.dry_run && !options.yes && !interactive {
        say!(
            console,
            "lockwatch: standard input is not a terminal, so lockwatch cannot ask before sending: pass --yes to confirm the plan, or --dry-run to only see it"
        );
        return Exit::CouldNotStart;
    }
    let mut connection = match connect_for_command(cli, config, console).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !options.dry_run && connection.info.read_only {
        say!(
            console,
            "lockwatch: this connection is read-only{}: only --dry-run is possible",
            connection
                .info
                .read_only_because
                .as_deref()
                .map_or(String::new(), |w| format!(" ({w})"))
        );
        return Exit::CouldNotStart;
    }
    // Who is about to write, for the audit trail (a dry run writes nothing).
    if !options.dry_run {
        learn_identity(&mut connection).await;
    }
    let s3 = &connection.s3;
    let after = match options.after {
        Some(t) => match on_servers_clock(s3, &options.location.bucket, t, console).await {
            Ok(t) => Some(t),
            Err(e) => {
                say!(console, "lockwatch: --after: {e}");
                return Exit::CouldNotStart;
            }
        },
        None => None,
    };
    let show_progress = console.err_is_terminal;
    let err = &mut *console.err;
    let (plans, listed) = match u::plan(s3, &options.location, after, |keys| {
        if show_progress {
            let _ = write!(err, "\rlisting… {keys} keys planned");
        }
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            if show_progress {
                say!(console, "");
            }
            say!(
                console,
                "lockwatch: cannot list s3://{}/{}: {}. Nothing was sent.",
                crate::domain::text::sanitize(&options.location.bucket),
                crate::domain::text::sanitize(&options.location.prefix),
                shown(&e)
            );
            explain_first_failure(&connection, &e, console).await;
            return Exit::CouldNotStart;
        }
    };
    if show_progress {
        let _ = write!(console.err, "\r\x1b[K");
    }
    let summary = crate::domain::undelete::PlanSummary::of(&plans);
    let mut out: &mut dyn Write = &mut *console.out;
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
            .and_then(|_| writeln!(out, "  listed {}", listed.describe()))
    };
    match printed.and_then(|_| out.flush()) {
        Ok(()) => {}
        // `… | head`: the reader has what it wanted. A plan nobody read is not carried out.
        Err(e) if reader_gone(&e) => {
            if options.dry_run {
                return Exit::Done;
            }
            say!(
                console,
                "lockwatch: the plan's reader went away before it was whole: nothing was sent."
            );
            return Exit::Partly;
        }
        Err(e) => {
            say!(console, "lockwatch: cannot print the plan: {e}");
            return Exit::CouldNotStart;
        }
    }
    if options.json {
        // The plan's lines are one JSON object per key; how it was listed goes with the
        // messages.
        say!(console, "Listed {}.", listed.describe());
    }
    let acting = summary.remove + summary.copy;
    if options.dry_run {
        say!(console, "Dry run: nothing was sent.");
        return Exit::Done;
    }
    if acting == 0 {
        say!(console, "Nothing to do: no key needs restoring.");
        return Exit::Done;
    }
    if !options.yes {
        let answer = format!("undelete {acting}");
        let _ = write!(
            console.err,
            "Type '{answer}' to carry out this plan (anything else cancels): "
        );
        let mut line = String::new();
        if console.input.read_line(&mut line).is_err() || line.trim() != answer {
            say!(console, "Not confirmed: nothing was sent.");
            return Exit::Partly;
        }
    }
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut finished = 0usize;
    // The trail's failures, said once on stderr between the keys' lines.
    let trail_failed = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let trail = crate::audit::Trail::new(
        console.audit_path.clone(),
        &connection.info.endpoint,
        connection.info.actor.clone(),
        {
            let failed = trail_failed.clone();
            move |e| {
                if let Ok(mut first) = failed.lock() {
                    first.get_or_insert(e);
                }
            }
        },
    );
    let mut audit_failed = false;
    // stderr is written by the progress below and by Ctrl-C's message, one at a time (both run
    // in this task).
    let Console { out, err, .. } = console;
    let err = std::cell::RefCell::new(&mut **err);
    let mut execution = Box::pin(u::execute(
        s3,
        &trail,
        &options.location.bucket,
        &plans,
        &cancel,
        |plan, outcome| {
            finished += 1;
            let mut err = err.borrow_mut();
            // The progress counter is cleared before a result line is written beside it on
            // the same terminal, and drawn again after: the lines people paste into an
            // incident ticket start with the result, never with `[1/50]`.
            if show_progress {
                let _ = write!(err, "\r\x1b[K");
                let _ = err.flush();
            }
            if !audit_failed && let Some(e) = trail_failed.lock().ok().and_then(|f| f.clone()) {
                audit_failed = true;
                let _ = writeln!(err, "lockwatch: warning: cannot write the audit trail: {e}");
            }
            let _ = if options.json {
                u::json_line(out, plan, Some(outcome))
            } else {
                writeln!(out, "{}", u::describe_outcome(plan, outcome))
            };
            let _ = out.flush();
            if show_progress {
                let _ = write!(err, "[{finished}/{acting}]");
                let _ = err.flush();
            }
        },
    ));
    let mut interrupted = false;
    let tally = loop {
        tokio::select! {
            tally = &mut execution => break tally,
            signal = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                if signal.is_ok() {
                    cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                    let _ = writeln!(
                        err.borrow_mut(),
                        "\nCancelling: no further key is started; keys under way finish."
                    );
                }
            }
        }
    };
    drop(execution);
    let err = err.into_inner();
    if show_progress {
        let _ = write!(err, "\r\x1b[K");
    }
    let _ = writeln!(err, "{}", u::describe_tally(&tally));
    if options.json {
        let _ = u::json_result(out, &tally).and_then(|()| out.flush());
    }
    if tally.failed == 0 && tally.not_attempted == 0 {
        Exit::Done
    } else {
        Exit::Partly
    }
}
