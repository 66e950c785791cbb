//! Input routing: a key goes to the popup, the filter being typed, or the command the keymap
//! binds it to in the focused pane; each command is one arm of `on_command`.

use super::*;
use crate::domain::text;

pub(super) fn on_key(state: &mut AppState, key: Key, now: Timestamp) -> Vec<Effect> {
    if state.popup.is_some() {
        return dialog::on_key(state, key, now);
    }
    if state.input.is_some() {
        return on_filter_key(state, key);
    }
    match state.keymap.lookup(state.focus.scope(), key) {
        Some(command) => on_command(state, command, now),
        None => {
            // A key that works in another pane says where, instead of doing nothing silently.
            let elsewhere = [Scope::Buckets, Scope::Objects, Scope::Versions]
                .into_iter()
                .filter(|scope| *scope != state.focus.scope())
                .find_map(|scope| {
                    let binding = state
                        .keymap
                        .bindings(scope)
                        .iter()
                        .find(|b| b.keys.contains(&key))?;
                    Some((scope, binding.desc.clone()))
                });
            if let Some((scope, desc)) = elsewhere {
                state.info(format!(
                    "{key} works in the {}: {desc}. Tab moves between panes.",
                    scope.title().to_lowercase()
                ));
            }
            Vec::new()
        }
    }
}

fn on_filter_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(input) = state.input.as_mut() else {
        return Vec::new();
    };
    if input.kind == InputKind::GoTo {
        return on_go_to_key(state, key);
    }
    let pane = input.pane;
    match key.code {
        KeyCode::Esc => {
            state.input = None;
            state.set_filter(pane, None);
        }
        KeyCode::Enter => {
            state.input = None;
        }
        KeyCode::Backspace => {
            input.text.pop();
            let text = input.text.clone();
            state.set_filter(pane, Some(text));
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            input.text.push(c);
            let text = input.text.clone();
            state.set_filter(pane, Some(text));
        }
        _ => {}
    }
    if pane == Pane::Versions {
        state.request_visible_locks()
    } else {
        Vec::new()
    }
}

/// A key while `:` is typing a place: Enter goes there, Esc forgets it.
fn on_go_to_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(input) = state.input.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => state.input = None,
        KeyCode::Backspace => {
            input.text.pop();
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => input.text.push(c),
        KeyCode::Enter => {
            let typed = input.text.trim().to_string();
            state.input = None;
            if typed.is_empty() {
                return Vec::new();
            }
            let with_scheme = if typed.starts_with("s3://") {
                typed.clone()
            } else {
                format!("s3://{}", typed.trim_start_matches('/'))
            };
            return match with_scheme.parse::<crate::domain::location::S3Location>() {
                Ok(place) => state.go_to(place.bucket, place.prefix),
                Err(e) => {
                    state.error(format!("Cannot go there: {e}."));
                    Vec::new()
                }
            };
        }
        _ => {}
    }
    Vec::new()
}

impl AppState {
    /// Opens `prefix` of `bucket` in the objects pane, the bucket selected in its pane (now, or
    /// when the bucket list arrives), as a location on the command line opens.
    pub(super) fn go_to(&mut self, bucket: String, prefix: String) -> Vec<Effect> {
        let height = self.page_height(Pane::Buckets);
        match self
            .buckets
            .rows
            .iter()
            .position(|r| r.bucket.name == bucket)
        {
            Some(i) => {
                if self.buckets.view.filter_text().is_some() {
                    self.buckets.set_filter(None, height);
                }
                self.buckets.view.select_row(i, height);
            }
            None if self.buckets.load.is_loading() => {
                self.buckets.pending_select = Some(bucket.clone())
            }
            None => {}
        }
        // A view as of a time stays so (its title says so); t and an empty time leave it.
        self.focus = Pane::Objects;
        self.open_level(bucket, prefix, None)
    }

    pub(super) fn set_filter(&mut self, pane: Pane, text: Option<String>) {
        let text = text.filter(|t| !t.is_empty());
        let height = self.page_height(pane);
        match pane {
            Pane::Buckets => self.buckets.set_filter(text, height),
            Pane::Objects => self.objects.set_filter(text, height),
            Pane::Versions => self.versions.set_filter(text, height),
        }
    }

    pub(super) fn view_mut(&mut self, pane: Pane) -> &mut ListView {
        match pane {
            Pane::Buckets => &mut self.buckets.view,
            Pane::Objects => &mut self.objects.view,
            Pane::Versions => &mut self.versions.view,
        }
    }
}

pub(super) fn on_command(state: &mut AppState, command: Command, now: Timestamp) -> Vec<Effect> {
    let pane = state.focus;
    if state.connection.read_only && command.is_write() {
        let because = state
            .connection
            .read_only_because
            .clone()
            .unwrap_or_else(|| "--read-only".into());
        state.info(format!("Read-only ({because}): lockwatch sends no writes."));
        return Vec::new();
    }
    if pane == Pane::Objects
        && (command.is_write() || command == Command::Download)
        && let Some(t) = state.objects.as_of
    {
        state.info(format!(
            "The view as of {} UTC is read-only: U brings keys back to that time; t and an empty time return to now.",
            crate::domain::format::timestamp(t)
        ));
        return Vec::new();
    }
    match command {
        Command::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Command::Suspend => vec![Effect::Suspend],
        Command::Help => help::open(state),
        Command::NextPane | Command::PreviousPane => {
            state.focus = if command == Command::NextPane {
                pane.next()
            } else {
                pane.previous()
            };
            state.clamp_cursors();
            state.request_visible_locks()
        }
        Command::Filter => {
            let text = state.view_mut(pane).filter_text().unwrap_or_default();
            state.input = Some(FilterInput {
                pane,
                text,
                kind: InputKind::Filter,
            });
            Vec::new()
        }
        Command::GoTo => {
            state.input = Some(FilterInput {
                pane,
                text: String::new(),
                kind: InputKind::GoTo,
            });
            Vec::new()
        }
        Command::Close => {
            if state.view_mut(pane).filter_text().is_some() {
                state.set_filter(pane, None);
                return Vec::new();
            }
            let stopped = match pane {
                Pane::Buckets => state.buckets.load.stop(),
                Pane::Objects => {
                    let height = state.page_height(Pane::Objects);
                    let stopped = state.objects.load.stop();
                    state.objects.sort_waiting(height);
                    stopped
                }
                Pane::Versions => state.versions.load.stop(),
            };
            match stopped {
                Some(request) => {
                    state.info("Stopped loading: the list is partial. Press R to load it again.");
                    vec![Effect::Cancel(request)]
                }
                None => state.stop_background(pane),
            }
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown => {
            let height = state.page_height(pane);
            state.view_mut(pane).apply(command, height);
            if pane == Pane::Versions {
                state.request_visible_locks()
            } else {
                Vec::new()
            }
        }
        Command::Mark | Command::MarkAll | Command::Sort => match pane {
            Pane::Objects => objects::on_command(state, command),
            _ => Vec::new(),
        },
        Command::BulkUndelete => undelete::open(state),
        Command::AsOf => undelete::open_as_of(state),
        Command::Report => report_view::open(state),
        Command::Copy => clipboard::open(state),
        Command::ToggleMouse => {
            state.mouse_capture = !state.mouse_capture;
            state.info(if state.mouse_capture {
                "Mouse on: click selects, double click opens, the wheel scrolls"
            } else {
                "Mouse off: the terminal selects text for copy and paste; M turns it on again"
            });
            vec![Effect::MouseCapture(state.mouse_capture)]
        }
        Command::Open | Command::Back | Command::Refresh | Command::ToggleDeleted => match pane {
            Pane::Buckets => buckets::on_command(state, command),
            Pane::Objects => objects::on_command(state, command),
            Pane::Versions => versions::on_command(state, command),
        },
        Command::Restore | Command::Delete => dialog::on_write_command(state, command),
        Command::DeleteVersion | Command::LegalHold | Command::RestoreByCopy => {
            writes::on_command(state, command, now)
        }
        Command::AuditLog => vec![Effect::LoadAudit],
        Command::Messages => {
            show_messages(state);
            Vec::new()
        }
        Command::Details => details::on_command(state),
        Command::Retention => retention::open(state),
        Command::CreateBucket => bucket_forms::open_create(state),
        Command::Upload => upload::open(state),
        Command::Download => download::open(state),
        Command::CancelTransfer => download::cancel(state),
        Command::LockSettings => bucket_forms::open_lock_settings(state),
    }
}

/// `m`: the last status messages, newest first, each whole with the time it was said (the
/// status line cuts a long one; lazygit's command log does the same service).
fn show_messages(state: &mut AppState) {
    let mut lines: Vec<DialogLine> = state
        .message_log
        .iter()
        .rev()
        .map(|m| {
            let at = m.at.map_or("--:--:--".to_string(), |t| {
                t.to_zoned(jiff::tz::TimeZone::UTC)
                    .strftime("%H:%M:%S")
                    .to_string()
            });
            let style = match m.kind {
                MessageKind::Error => LineStyle::Error,
                MessageKind::Success | MessageKind::Info => LineStyle::Normal,
            };
            DialogLine::new(format!("{at}  {}", text::sanitize(&m.text)), style)
        })
        .collect();
    if lines.is_empty() {
        lines.push(DialogLine::plain("No message yet."));
    }
    state.message_scroll = 0;
    state.popup = Some(Popup::Message {
        title: "Messages, newest first (UTC)".into(),
        lines,
        error: false,
    });
}
