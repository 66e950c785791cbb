//! `lockwatch undelete`: bulk recovery of a prefix. Lists every version below the prefix,
//! plans each key (domain::undelete), prints the plan, and — once confirmed — carries it out a
//! few keys at a time, re-checking each key just before acting, then reports what was done,
//! skipped and failed, with reasons.

use crate::audit::{Trail, Write as Wrote};
use crate::domain::format::plural;
use crate::domain::location::S3Location;
use crate::domain::pages::ListedAs;
use crate::domain::undelete::{KeyAction, KeyGrouper, KeyPlan, READ_BACK, plan_key};
pub use crate::domain::undelete::{
    KeyOutcome, Tally, Targets, describe_key, describe_outcome, describe_summary, describe_tally,
};
use crate::domain::{HistoryEntry, VersionRef, text};
use crate::s3::{S3, S3Error, VersionPager};
use crate::work::listing::Split;
use crate::work::tasks::{SeenLatest, restore, restore_by_copy};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;

/// Keys worked on at once.
pub const CONCURRENCY: usize = 8;

/// Lists `location` recursively and plans every key. `progress(keys)` is called now and then.
pub async fn plan(
    s3: &S3,
    location: &S3Location,
    after: Option<Timestamp>,
    mut progress: impl FnMut(usize),
) -> Result<(Vec<KeyPlan>, ListedAs), S3Error> {
    let mut plans = Vec::new();
    let listed = plan_listing(
        s3,
        &location.bucket,
        &location.prefix,
        None,
        |_| true,
        after,
        &mut plans,
        &mut progress,
    )
    .await?;
    Ok((plans, listed))
}

/// Plans the marked keys (from one listing of their level) and everything below the marked
/// folders. `progress(keys)` is called as pages arrive.
pub async fn plan_targets(
    s3: &S3,
    bucket: &str,
    targets: &Targets,
    after: Option<Timestamp>,
    mut progress: impl FnMut(usize),
) -> Result<(Vec<KeyPlan>, ListedAs), S3Error> {
    let mut plans = Vec::new();
    let mut listed = ListedAs {
        folders: 0,
        listings: 1,
    };
    if !targets.keys.is_empty() {
        let wanted: std::collections::HashSet<&str> =
            targets.keys.iter().map(String::as_str).collect();
        listed = listed.and(
            plan_listing(
                s3,
                bucket,
                &targets.level,
                Some("/"),
                |key| wanted.contains(key),
                after,
                &mut plans,
                &mut progress,
            )
            .await?,
        );
    }
    for folder in &targets.folders {
        listed = listed.and(
            plan_listing(
                s3,
                bucket,
                folder,
                None,
                |_| true,
                after,
                &mut plans,
                &mut progress,
            )
            .await?,
        );
    }
    Ok((plans, listed))
}

#[allow(clippy::too_many_arguments)]
async fn plan_listing(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    wanted: impl Fn(&str) -> bool,
    after: Option<Timestamp>,
    plans: &mut Vec<KeyPlan>,
    progress: &mut impl FnMut(usize),
) -> Result<ListedAs, S3Error> {
    let mut grouper = KeyGrouper::default();
    let mut listed = ListedAs {
        folders: 0,
        listings: 1,
    };
    let mut absorb = |versions, markers, plans: &mut Vec<KeyPlan>| {
        for (key, history) in grouper.absorb(versions, markers) {
            if wanted(&key) {
                plans.push(plan_key(key, &history, after));
            }
        }
    };
    if delimiter.is_none() {
        // Everything below: split over folders and listed several at once.
        let mut pages = Split::<VersionPager>::start(s3, bucket, prefix, s3.listings(), None);
        while let Some(page) = pages.next_page().await {
            absorb(page?, Vec::new(), plans);
            progress(plans.len());
        }
        listed = pages.listed_as();
    } else {
        let mut pager = VersionPager::new(s3, bucket, prefix, delimiter);
        while let Some(page) = pager.next_page().await {
            let page = page?;
            absorb(page.versions, page.markers, plans);
            progress(plans.len());
        }
    }
    if let Some((key, history)) = grouper.finish()
        && wanted(&key)
    {
        plans.push(plan_key(key, &history, after));
    }
    Ok(listed)
}

/// Carries out one key's plan. Removing markers goes through `tasks::restore`, which lists the
/// key again and removes a marker only while it is still the latest entry; copying back goes
/// through `restore_by_copy`, which re-checks the latest entry and copies with the source's
/// ETag as a condition. Nothing is ever sent twice; each write is in the trail as one key of a
/// bulk undelete.
pub async fn carry_out(s3: &S3, trail: &Trail, bucket: &str, plan: &KeyPlan) -> KeyOutcome {
    let key = &plan.key;
    match &plan.action {
        KeyAction::Leave(reason) => KeyOutcome::Skipped(reason.describe()),
        KeyAction::RemoveMarkers {
            markers,
            becomes_current,
        } => {
            let mut unconfirmed = 0;
            for (i, marker) in markers.iter().enumerate() {
                let what = Wrote::BulkUndelete;
                match restore(s3, trail, what, bucket, key, &marker.version_id).await {
                    Ok(done) => unconfirmed += usize::from(done.answer_lost.is_some()),
                    Err(e) if i == 0 => {
                        return match e {
                            crate::domain::transfer::RestoreFailure::Refused(r) => {
                                KeyOutcome::Skipped(format!("changed since the plan: {r}"))
                            }
                            other => KeyOutcome::Failed(other.to_string()),
                        };
                    }
                    Err(e) => {
                        return KeyOutcome::Failed(format!(
                            "removed {i} of {} delete markers, then: {e}",
                            markers.len()
                        ));
                    }
                }
            }
            KeyOutcome::Done(format!(
                "removed {}; version {} is current{}",
                plural(markers.len(), "delete marker"),
                text::sanitize(&becomes_current.version_id),
                if unconfirmed > 0 {
                    format!(" ({unconfirmed} {READ_BACK})")
                } else {
                    String::new()
                }
            ))
        }
        KeyAction::CopyBack { source, latest } => {
            let (etag, size) = match &source.kind {
                crate::domain::EntryKind::Version { etag, size, .. } => (etag.as_deref(), *size),
                crate::domain::EntryKind::DeleteMarker => {
                    return KeyOutcome::Failed("the plan named a delete marker as a source".into());
                }
            };
            // The copy must be conditional on the source being what was planned.
            if etag.is_none() {
                return KeyOutcome::Failed(format!(
                    "the listing gave no ETag for version {}, so the copy could not be guarded; nothing was sent",
                    text::sanitize(&source.version_id)
                ));
            }
            let version = VersionRef {
                bucket: bucket.to_string(),
                key: key.clone(),
                version_id: source.version_id.clone(),
            };
            let seen = SeenLatest::VersionId(latest.version_id.clone());
            let what = Wrote::BulkCopyBack;
            match restore_by_copy(s3, trail, what, &version, etag, size, Some(&seen)).await {
                Ok(new_id) => KeyOutcome::Done(format!(
                    "copied version {} back{}",
                    text::sanitize(&source.version_id),
                    new_id.map_or(String::new(), |id| format!(
                        " as version {}",
                        text::sanitize(&id)
                    ))
                )),
                Err(S3Error::Changed(why)) => {
                    KeyOutcome::Skipped(format!("changed since the plan: {why}"))
                }
                Err(e) if e.outcome_unknown() => KeyOutcome::Failed(format!(
                    "the server did not confirm the copy ({e}); it was not sent again: {}",
                    read_back(s3, bucket, key).await
                )),
                Err(e) => KeyOutcome::Failed(e.to_string()),
            }
        }
    }
}

/// What a key holds now, for a report after an unconfirmed write.
async fn read_back(s3: &S3, bucket: &str, key: &str) -> String {
    match s3.key_history(bucket, key).await {
        Ok(history) => match crate::domain::history::latest(&history) {
            Some(l) => format!(
                "its latest entry is now {}",
                crate::work::tasks::describe_entry(l)
            ),
            None => "it has no entries".into(),
        },
        Err(e) => format!("reading it back failed too ({e})"),
    }
}

/// Carries out every acting key of `plans`, `CONCURRENCY` at a time. `report(plan, outcome)`
/// is called as each key finishes (in completion order). Once `cancel` is set, no further key
/// is started; keys under way finish.
pub async fn execute(
    s3: &S3,
    trail: &Trail,
    bucket: &str,
    plans: &[KeyPlan],
    cancel: &AtomicBool,
    mut report: impl FnMut(&KeyPlan, &KeyOutcome),
) -> Tally {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    let mut tally = Tally::default();
    let acting: Vec<&KeyPlan> = plans.iter().filter(|p| p.acts()).collect();
    let mut started = 0;
    for plan in &acting {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p,
            Some(finished) = tasks.join_next() => {
                tally_one(&mut tally, finished, &mut report);
                permits.clone().acquire_owned().await
            }
        };
        let Ok(permit) = permit else { break };
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        let (s3, trail) = (s3.clone(), trail.clone());
        let (bucket, plan) = (bucket.to_string(), (*plan).clone());
        tasks.spawn(async move {
            let _permit = permit;
            let outcome = carry_out(&s3, &trail, &bucket, &plan).await;
            (plan, outcome)
        });
        started += 1;
    }
    while let Some(finished) = tasks.join_next().await {
        tally_one(&mut tally, finished, &mut report);
    }
    tally.not_attempted = acting.len() - started;
    tally
}

fn tally_one(
    tally: &mut Tally,
    finished: Result<(KeyPlan, KeyOutcome), tokio::task::JoinError>,
    report: &mut impl FnMut(&KeyPlan, &KeyOutcome),
) {
    match finished {
        Ok((plan, outcome)) => {
            match outcome {
                KeyOutcome::Done(_) => tally.done += 1,
                KeyOutcome::Skipped(_) => tally.skipped += 1,
                KeyOutcome::Failed(_) => tally.failed += 1,
            }
            report(&plan, &outcome);
        }
        // A task that panicked: counted as failed; its key is not known here.
        Err(_) => tally.failed += 1,
    }
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    version_id: &'a str,
    last_modified: Option<String>,
    size: Option<u64>,
}

impl<'a> From<&'a HistoryEntry> for JsonEntry<'a> {
    fn from(e: &'a HistoryEntry) -> Self {
        JsonEntry {
            version_id: &e.version_id,
            last_modified: e.last_modified.map(crate::domain::format::json_time),
            size: e.size(),
        }
    }
}

#[derive(Serialize)]
struct JsonKeyPlan<'a> {
    /// `plan`: what will be done (every key, before anything is sent); `outcome`: what was
    /// done, after a run, one line per key carried out.
    phase: &'static str,
    key: &'a str,
    action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove_markers: Vec<JsonEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    becomes_current: Option<JsonEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copy_source: Option<JsonEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// The last JSON line of a run: how many keys ended each way (`phase` `result`).
pub fn json_result(out: &mut impl Write, tally: &Tally) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct JsonResult {
        phase: &'static str,
        done: usize,
        skipped: usize,
        failed: usize,
        not_attempted: usize,
    }
    let line = JsonResult {
        phase: "result",
        done: tally.done,
        skipped: tally.skipped,
        failed: tally.failed,
        not_attempted: tally.not_attempted,
    };
    let mut bytes = serde_json::to_vec(&line).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    out.write_all(&bytes)
}

/// One key's plan (and, after a run, its outcome) as one JSON line.
pub fn json_line(
    out: &mut impl Write,
    plan: &KeyPlan,
    outcome: Option<&KeyOutcome>,
) -> std::io::Result<()> {
    let mut line = JsonKeyPlan {
        phase: if outcome.is_some() { "outcome" } else { "plan" },
        key: &plan.key,
        action: "leave",
        remove_markers: Vec::new(),
        becomes_current: None,
        copy_source: None,
        reason: None,
        outcome: outcome.map(KeyOutcome::code),
        detail: outcome.map(KeyOutcome::detail),
    };
    match &plan.action {
        KeyAction::RemoveMarkers {
            markers,
            becomes_current,
        } => {
            line.action = "remove-markers";
            line.remove_markers = markers.iter().map(JsonEntry::from).collect();
            line.becomes_current = Some(becomes_current.into());
        }
        KeyAction::CopyBack { source, .. } => {
            line.action = "copy-back";
            line.copy_source = Some(source.into());
        }
        KeyAction::Leave(reason) => line.reason = Some(reason.code()),
    }
    let mut bytes = serde_json::to_vec(&line).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    out.write_all(&bytes)
}
