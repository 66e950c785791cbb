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
pub(super) async fn undelete(cli: &Cli, config: &Config, options: &UndeleteOptions) -> ExitCode {
    use crate::undelete as u;
    use std::io::{IsTerminal, Write};
    let interactive = std::io::stdin().is_terminal();
    if !options.dry_run && !options.yes && !interactive {
        eprintln!(
            "lockwatch: standard input is not a terminal, so lockwatch cannot ask before sending: pass --yes to confirm the plan, or --dry-run to only see it"
        );
        return Exit::CouldNotStart.into();
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
        return Exit::CouldNotStart.into();
    }
    let s3 = &connection.s3;
    let after = match options.after {
        Some(t) => match on_servers_clock(s3, &options.location.bucket, t).await {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("lockwatch: --after: {e}");
                return Exit::CouldNotStart.into();
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
                crate::domain::text::sanitize(&options.location.bucket),
                crate::domain::text::sanitize(&options.location.prefix),
                shown(&e)
            );
            return Exit::CouldNotStart.into();
        }
    };
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let summary = crate::domain::undelete::summarize(&plans);
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
        return Exit::CouldNotStart.into();
    }
    drop(out);
    let acting = summary.remove + summary.copy;
    if options.dry_run {
        eprintln!("Dry run: nothing was sent.");
        return Exit::Done.into();
    }
    if acting == 0 {
        eprintln!("Nothing to do: no key needs restoring.");
        return Exit::Done.into();
    }
    if !options.yes {
        let answer = format!("undelete {acting}");
        eprint!("Type '{answer}' to carry out this plan (anything else cancels): ");
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() || line.trim() != answer {
            eprintln!("Not confirmed: nothing was sent.");
            return Exit::Partly.into();
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
    let audit_path = crate::audit::default_path();
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
                    .and_then(|p| crate::audit::append(p, &entry));
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
        Exit::Done.into()
    } else {
        Exit::Partly.into()
    }
}
