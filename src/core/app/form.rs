//! A small keyboard form: text fields and choices, Tab/↑/↓ between them, ←/→ or space to
//! change a choice. Used by the create-bucket and lock-settings dialogs.

use crate::keys::{Key, KeyCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text(String),
    Choice {
        options: Vec<String>,
        selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    /// A line of help under the field.
    pub hint: String,
}

impl Field {
    pub fn text(label: &str, value: &str, hint: &str) -> Field {
        Field {
            label: label.into(),
            kind: FieldKind::Text(value.into()),
            hint: hint.into(),
        }
    }

    pub fn choice(label: &str, options: &[&str], selected: usize, hint: &str) -> Field {
        Field {
            label: label.into(),
            kind: FieldKind::Choice {
                options: options.iter().map(|o| o.to_string()).collect(),
                selected: selected.min(options.len().saturating_sub(1)),
            },
            hint: hint.into(),
        }
    }

    pub fn value(&self) -> &str {
        match &self.kind {
            FieldKind::Text(t) => t,
            FieldKind::Choice { options, selected } => {
                options.get(*selected).map_or("", String::as_str)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
}

/// What a key did to a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    Edited,
    Submit,
    Cancel,
    Ignored,
}

impl Form {
    pub fn new(fields: Vec<Field>) -> Form {
        Form { fields, focus: 0 }
    }

    pub fn value(&self, label: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map_or("", Field::value)
    }

    /// Applies a path completion to the text field `label`, unless the user has typed on since
    /// `input` was sent. Returns the candidates to show.
    pub fn complete_path(
        &mut self,
        label: &str,
        input: &str,
        names: Result<Vec<String>, String>,
    ) -> Option<Vec<String>> {
        let field = self.fields.iter_mut().find(|f| f.label == label)?;
        if field.value() != input {
            return None;
        }
        Some(match names {
            Ok(names) => {
                let (completed, candidates) = crate::domain::paths::complete(input, &names);
                field.kind = FieldKind::Text(completed);
                candidates
            }
            Err(e) => vec![format!("({e})")],
        })
    }

    pub fn on_key(&mut self, key: Key) -> FormEvent {
        let count = self.fields.len().max(1);
        match key.code {
            KeyCode::Esc => return FormEvent::Cancel,
            KeyCode::Enter => return FormEvent::Submit,
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % count,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + count - 1) % count,
            _ => {
                let Some(field) = self.fields.get_mut(self.focus) else {
                    return FormEvent::Ignored;
                };
                match (&mut field.kind, key.code) {
                    (FieldKind::Text(t), KeyCode::Char(c)) if !key.ctrl && !key.alt => t.push(c),
                    (FieldKind::Text(t), KeyCode::Backspace) => {
                        t.pop();
                    }
                    (
                        FieldKind::Choice { options, selected },
                        KeyCode::Right | KeyCode::Char(' ' | 'l'),
                    ) => {
                        *selected = (*selected + 1) % options.len().max(1);
                    }
                    (
                        FieldKind::Choice { options, selected },
                        KeyCode::Left | KeyCode::Char('h'),
                    ) => {
                        let n = options.len().max(1);
                        *selected = (*selected + n - 1) % n;
                    }
                    _ => return FormEvent::Ignored,
                }
            }
        }
        FormEvent::Edited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_edits_the_focused_text_and_arrows_change_choices() {
        let mut form = Form::new(vec![
            Field::text("Name", "", ""),
            Field::choice("Mode", &["A", "B", "C"], 0, ""),
        ]);
        for c in "bup".chars() {
            form.on_key(Key::char(c));
        }
        assert_eq!(form.value("Name"), "bup");
        form.on_key(Key::plain(KeyCode::Tab));
        form.on_key(Key::plain(KeyCode::Left));
        assert_eq!(form.value("Mode"), "C");
        form.on_key(Key::char(' '));
        assert_eq!(form.value("Mode"), "A");
        form.on_key(Key::plain(KeyCode::Tab));
        assert_eq!(form.focus, 0, "focus wraps");
        assert_eq!(form.on_key(Key::plain(KeyCode::Enter)), FormEvent::Submit);
        assert_eq!(form.on_key(Key::plain(KeyCode::Esc)), FormEvent::Cancel);
    }
}
