//! Bulk undelete in the UI: the marked rows (or the selected one) → an optional incident time
//! → the plan, shown as a dry run → carried out in the background, with progress and cancel →
//! a report of what was done, skipped and failed. Nothing is sent before `y` on the plan.

use super::{AppState, Effect, Pane, Popup, RequestId};
use crate::domain::error::S3Error;
use crate::domain::format;
use crate::domain::format::plural;
use crate::domain::listing::LevelRow;
use crate::domain::text;
use crate::domain::undelete::{KeyOutcome, Tally, Targets};
use crate::domain::undelete::{KeyPlan, PlanSummary};
use crate::keys::{Key, KeyCode};
use jiff::Timestamp;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUndelete {
    pub request: RequestId,
    pub bucket: String,
    pub targets: Targets,
    pub stage: Stage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Asking for the incident time (empty: every deleted key).
    Time {
        input: String,
        error: Option<String>,
    },
    Planning {
        after: Option<Timestamp>,
        keys: usize,
    },
    /// The dry run: nothing sent yet.
    Plan {
        after: Option<Timestamp>,
        plans: Arc<Vec<KeyPlan>>,
        summary: PlanSummary,
        scroll: usize,
        /// Why `y` did nothing, when it did nothing.
        note: Option<String>,
        /// How the keys were listed (the plan says it, as the command line's does).
        listed: crate::domain::pages::ListedAs,
    },
    PlanFailed(String),
    Running {
        total: usize,
        tally: Tally,
        /// The latest outcomes, newest last.
        outcomes: Vec<(Arc<str>, KeyOutcome)>,
        cancelling: bool,
    },
    Report {
        tally: Tally,
        outcomes: Vec<(Arc<str>, KeyOutcome)>,
        scroll: usize,
    },
}

impl BulkUndelete {
    /// What the popup's first line says is being undeleted.
    pub fn what(&self) -> String {
        let mut parts = Vec::new();
        if !self.targets.keys.is_empty() {
            parts.push(plural(self.targets.keys.len(), "key"));
        }
        // Folders by name: one or two said whole, more counted after the first.
        match self.targets.folders.as_slice() {
            [] => {}
            [one] => parts.push(format!("everything below {}", text::name(one))),
            [a, b] => parts.push(format!(
                "everything below {} and {}",
                text::name(a),
                text::name(b)
            )),
            [first, rest @ ..] => parts.push(format!(
                "everything below {} and {} more",
                text::name(first),
                plural(rest.len(), "folder")
            )),
        }
        parts.join(" and ")
    }
}

/// `U` in the objects pane.
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let pane = &state.objects;
    let Some(bucket) = pane.bucket.clone() else {
        state.info("Open a bucket first.");
        return Vec::new();
    };
    let mut targets = Targets {
        level: pane.prefix.clone(),
        ..Targets::default()
    };
    if pane.marks.count() > 0 {
        let (folders, keys) = pane.marks.targets(&pane.level);
        targets.folders = folders;
        targets.keys = keys;
    } else {
        match pane.selected() {
            Some(LevelRow::Prefix(p)) => targets.folders.push(p.to_string()),
            Some(LevelRow::Object(o)) => targets.keys.push(o.key().to_string()),
            None => {
                state.info("Nothing to undelete: mark rows with space (or * for all), then U.");
                return Vec::new();
            }
        }
    }
    let request = state.request_id();
    // The point-in-time view already says which time to go back to.
    if let Some(after) = state.objects.as_of {
        state.popup = Some(Popup::Bulk(Box::new(BulkUndelete {
            request,
            bucket: bucket.clone(),
            targets: targets.clone(),
            stage: Stage::Planning {
                after: Some(after),
                keys: 0,
            },
        })));
        return vec![Effect::PlanBulk {
            request,
            bucket,
            targets,
            after: Some(after),
        }];
    }
    state.popup = Some(Popup::Bulk(Box::new(BulkUndelete {
        request,
        bucket,
        targets,
        stage: Stage::Time {
            input: String::new(),
            error: None,
        },
    })));
    Vec::new()
}

/// `t` in the objects pane: asks for the time of the point-in-time view.
pub(super) fn open_as_of(state: &mut AppState) -> Vec<Effect> {
    if state.objects.bucket.is_none() {
        state.info("Open a bucket first.");
        return Vec::new();
    }
    let input = state
        .objects
        .as_of
        .map(format::timestamp)
        .unwrap_or_default();
    state.popup = Some(Popup::AsOf { input, error: None });
    Vec::new()
}

/// What a key does to a time being typed.
enum TimeInput {
    /// Nothing more to do (typed, erased, or a time that could not be read: `error` says).
    Editing,
    Cancelled,
    /// Enter on a time (`None`: an empty one).
    Done(Option<Timestamp>),
}

/// Typing a time: characters, Backspace, ctrl-u clears, Esc cancels, Enter reads it
/// (relative times against `now`, the server's time).
fn time_input(
    input: &mut String,
    error: &mut Option<String>,
    key: Key,
    now: Timestamp,
) -> TimeInput {
    match key.code {
        KeyCode::Esc => return TimeInput::Cancelled,
        KeyCode::Backspace => {
            input.pop();
        }
        KeyCode::Char('u') if key.ctrl => input.clear(),
        KeyCode::Char(c) if !key.ctrl && !key.alt => input.push(c),
        KeyCode::Enter => {
            if input.trim().is_empty() {
                return TimeInput::Done(None);
            }
            match format::parse_time_at(input, now) {
                Ok(t) => return TimeInput::Done(Some(t)),
                Err(e) => {
                    *error = Some(e);
                    return TimeInput::Editing;
                }
            }
        }
        _ => return TimeInput::Editing,
    }
    *error = None;
    TimeInput::Editing
}

pub(super) fn on_as_of_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    let Some(Popup::AsOf { input, error }) = state.popup.as_mut() else {
        return Vec::new();
    };
    match time_input(input, error, key, now) {
        TimeInput::Editing => {}
        TimeInput::Cancelled => state.popup = None,
        TimeInput::Done(as_of) => {
            state.popup = None;
            state.objects.as_of = as_of;
            state.info(match as_of {
                Some(t) => format!(
                    "As of {} UTC: each key as it was then (read-only). U brings keys back to it; t and an empty time return to now.",
                    format::timestamp(t)
                ),
                None => "Back to now.".to_string(),
            });
            let (Some(bucket), prefix) =
                (state.objects.bucket.clone(), state.objects.prefix.clone())
            else {
                return Vec::new();
            };
            return state.open_level(bucket, prefix, None);
        }
    }
    Vec::new()
}

pub(super) fn on_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    let read_only = state.connection.read_only;
    let height = usize::from(state.screen.height.saturating_sub(12)).max(1);
    let Some(Popup::Bulk(bulk)) = state.popup.as_mut() else {
        return Vec::new();
    };
    match &mut bulk.stage {
        Stage::Time { input, error } => match time_input(input, error, key, now) {
            TimeInput::Editing => {}
            TimeInput::Cancelled => state.popup = None,
            TimeInput::Done(after) => {
                bulk.stage = Stage::Planning { after, keys: 0 };
                return vec![Effect::PlanBulk {
                    request: bulk.request,
                    bucket: bulk.bucket.clone(),
                    targets: bulk.targets.clone(),
                    after,
                }];
            }
        },
        Stage::Planning { .. } => {
            if key.code == KeyCode::Esc {
                let request = bulk.request;
                state.popup = None;
                state.info("Planning stopped: nothing was sent.");
                return vec![Effect::Cancel(request)];
            }
        }
        Stage::PlanFailed(_) => {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                state.popup = None;
            }
        }
        Stage::Plan {
            plans,
            scroll,
            summary,
            note,
            ..
        } => match key.code {
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                state.popup = None;
                state.info("Bulk undelete closed: nothing was sent.");
            }
            KeyCode::Char('j') | KeyCode::Down => *scroll = (*scroll + 1).min(plans.len()),
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => *scroll = (*scroll + height).min(plans.len()),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(height),
            KeyCode::Char('g') | KeyCode::Home => *scroll = 0,
            KeyCode::Char('G') | KeyCode::End => *scroll = plans.len().saturating_sub(height),
            KeyCode::Char('y') => {
                let acting = summary.remove + summary.copy;
                if read_only {
                    *note = Some("Read-only: lockwatch sends no writes. Nothing was sent.".into());
                } else if acting == 0 {
                    *note = Some("Nothing to do: no key in the plan needs restoring.".into());
                } else {
                    let plans = plans.clone();
                    let bucket = bulk.bucket.clone();
                    bulk.stage = Stage::Running {
                        total: acting,
                        tally: Tally::default(),
                        outcomes: Vec::new(),
                        cancelling: false,
                    };
                    return vec![Effect::RunBulk {
                        request: bulk.request,
                        bucket,
                        plans,
                    }];
                }
            }
            _ => {}
        },
        Stage::Running { cancelling, .. } => {
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('c')) && !*cancelling {
                *cancelling = true;
                return vec![Effect::CancelBulk {
                    request: bulk.request,
                }];
            }
        }
        Stage::Report {
            outcomes, scroll, ..
        } => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
                // The panes listed again when the run finished.
                state.popup = None;
                state.focus = Pane::Objects;
            }
            KeyCode::Char('j') | KeyCode::Down => *scroll = (*scroll + 1).min(outcomes.len()),
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                *scroll = (*scroll + height).min(outcomes.len())
            }
            KeyCode::PageUp => *scroll = scroll.saturating_sub(height),
            _ => {}
        },
    }
    Vec::new()
}

fn current(state: &mut AppState, request: RequestId) -> Option<&mut BulkUndelete> {
    match state.popup.as_mut() {
        Some(Popup::Bulk(b)) if b.request == request => Some(b),
        _ => None,
    }
}

pub(super) fn on_plan_progress(state: &mut AppState, request: RequestId, n: usize) {
    if let Some(b) = current(state, request)
        && let Stage::Planning { keys, .. } = &mut b.stage
    {
        *keys = n;
    }
}

pub(super) fn on_planned(
    state: &mut AppState,
    request: RequestId,
    result: Result<(Vec<KeyPlan>, crate::domain::pages::ListedAs), S3Error>,
) {
    let Some(b) = current(state, request) else {
        return;
    };
    let Stage::Planning { after, .. } = b.stage else {
        return;
    };
    b.stage = match result {
        Ok((plans, listed)) => Stage::Plan {
            after,
            summary: PlanSummary::of(&plans),
            plans: Arc::new(plans),
            scroll: 0,
            note: None,
            listed,
        },
        Err(e) => Stage::PlanFailed(format!(
            "Listing the versions failed: {e}. Nothing was sent."
        )),
    };
}

pub(super) fn on_key_done(
    state: &mut AppState,
    request: RequestId,
    key: Arc<str>,
    outcome: KeyOutcome,
) {
    let Some(b) = current(state, request) else {
        return;
    };
    if let Stage::Running {
        tally, outcomes, ..
    } = &mut b.stage
    {
        match outcome {
            KeyOutcome::Done(_) => tally.done += 1,
            KeyOutcome::Skipped(_) => tally.skipped += 1,
            KeyOutcome::Failed(_) => tally.failed += 1,
        }
        outcomes.push((key, outcome));
    }
}

/// The run is over: its report replaces the progress, and every pane showing a key it wrote
/// to lists again (the objects pane its level; the versions pane its key, when that key was
/// acted on), so that no pane keeps showing a removed marker as latest.
pub(super) fn on_finished(
    state: &mut AppState,
    request: RequestId,
    final_tally: Tally,
) -> Vec<Effect> {
    let shown = (state.versions.bucket.clone(), state.versions.key.clone());
    let mut reload = None;
    if let Some(b) = current(state, request)
        && let Stage::Running { outcomes, .. } = &mut b.stage
    {
        let bucket = b.bucket.clone();
        let versions_touched = shown.0.as_deref() == Some(bucket.as_str())
            && shown.1.as_ref().is_some_and(|key| {
                outcomes
                    .iter()
                    .any(|(k, o)| k == key && !matches!(o, KeyOutcome::Skipped(_)))
            });
        let mut outcomes = std::mem::take(outcomes);
        // Failures first, then skips, then what was done: what needs a look comes first.
        outcomes.sort_by_key(|(_, o)| match o {
            KeyOutcome::Failed(_) => 0,
            KeyOutcome::Skipped(_) => 1,
            KeyOutcome::Done(_) => 2,
        });
        b.stage = Stage::Report {
            tally: final_tally.clone(),
            outcomes,
            scroll: 0,
        };
        reload = Some((bucket, versions_touched));
    }
    let mut effects = Vec::new();
    if let Some((bucket, versions_touched)) = reload {
        if state.objects.bucket.as_deref() == Some(bucket.as_str()) {
            let prefix = state.objects.prefix.clone();
            effects.extend(state.open_level(bucket.clone(), prefix, None));
        }
        if versions_touched && let Some(key) = shown.1 {
            let request = state.request_id();
            effects.extend(state.versions.load.stop().map(Effect::Cancel));
            effects.push(state.versions.open(bucket, key, request));
        }
    }
    // Said in the status line too, in case another popup took the report's place.
    let t = final_tally;
    let text = format!(
        "Bulk undelete: {}",
        crate::domain::undelete::describe_tally(&t)
    );
    if t.failed > 0 {
        state.error(text);
    } else {
        state.info(text);
    }
    effects
}
