//! `y`: copy the selected row's key, `s3://` URI or version id to the clipboard. The runtime
//! writes it as an OSC 52 sequence, which the terminal (not lockwatch's machine) acts on: it
//! works over SSH.

use super::{AppState, Effect, Pane, Popup};
use crate::domain::listing::LevelRow;
use crate::domain::text;
use crate::keys::{Key, KeyCode};

/// What `y` can copy for the selected row: (key to press, label, text).
pub fn choices(state: &AppState) -> Vec<(char, &'static str, String)> {
    let mut out = Vec::new();
    match state.focus {
        Pane::Buckets => {
            if let Some(row) = state.buckets.selected() {
                out.push(('b', "bucket name", row.bucket.name.clone()));
                out.push(('u', "s3:// URI", format!("s3://{}/", row.bucket.name)));
            }
        }
        Pane::Objects => {
            if let (Some(bucket), Some(row)) = (&state.objects.bucket, state.objects.selected()) {
                let key = match row {
                    LevelRow::Prefix(p) => p.to_string(),
                    LevelRow::Object(o) => o.key().to_string(),
                };
                out.push(('u', "s3:// URI", format!("s3://{bucket}/{key}")));
                out.push(('k', "key", key));
            }
        }
        Pane::Versions => {
            if let (Some(bucket), Some(e)) = (&state.versions.bucket, state.versions.selected()) {
                out.push(('v', "version id", e.version_id.clone()));
                out.push(('u', "s3:// URI", format!("s3://{bucket}/{}", e.key)));
                out.push(('k', "key", e.key.to_string()));
            }
        }
    }
    // A key with control or invisible characters is copied exactly (S3 needs those bytes), with
    // a warning; the form shown on screen can be copied instead.
    if let Some((_, _, key)) = out.iter().find(|(c, _, t)| *c == 'k' && needs_care(t)) {
        let shown = text::name(key).into_owned();
        out.push(('e', "key as shown (escaped)", shown));
    }
    out
}

/// Text that pasted somewhere could act, or look like something else: it holds a control,
/// invisible or direction-changing character.
fn needs_care(text: &str) -> bool {
    text.chars().any(text::must_escape)
}

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let choices = choices(state);
    if choices.is_empty() {
        state.info("Nothing selected to copy.");
        return Vec::new();
    }
    state.popup = Some(Popup::Copy { choices });
    Vec::new()
}

pub(super) fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(Popup::Copy { choices }) = state.popup.as_ref() else {
        return Vec::new();
    };
    let picked = match key.code {
        KeyCode::Esc => None,
        KeyCode::Char(c) => match choices.iter().find(|(k, _, _)| *k == c) {
            Some(choice) => Some(choice.clone()),
            None => return Vec::new(),
        },
        KeyCode::Enter => choices.first().cloned(),
        _ => return Vec::new(),
    };
    state.popup = None;
    let Some((_, label, text)) = picked else {
        return Vec::new();
    };
    if needs_care(&text) {
        state.error(format!(
            "Copied the {label} exactly; it holds control or invisible characters (a newline would run what follows it in a shell): paste with care, or y e for the escaped form"
        ));
    } else {
        state.info(format!(
            "Copied the {label} to the clipboard (by the terminal: OSC 52; some terminals need it allowed)"
        ));
    }
    vec![Effect::Clipboard(text)]
}
