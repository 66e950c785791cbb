//! The bucket, upload and download forms.

use super::*;

pub(super) fn bucket_form_box(frame: &mut Frame, f: &crate::app::BucketForm, theme: &Theme) {
    use crate::app::BucketFormKind;
    let title = match &f.kind {
        BucketFormKind::Create => "Create bucket".to_string(),
        BucketFormKind::LockSettings { bucket, .. } => {
            format!("Lock settings of {}", text::sanitize(bucket))
        }
    };
    let mut lines = form_lines(&f.form, theme);
    lines.push(Line::raw(""));
    if let Some(why) = &f.refused {
        lines.push(Line::styled(text::sanitize(why).into_owned(), theme.error));
    }
    match crate::app::check_bucket_form(f) {
        Ok(_) => lines.push(Line::styled(
            "Ready: Enter reviews and confirms.",
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "Tab/↑/↓: field   ←/→ or space: choose   Enter: review   Esc: cancel",
        theme.dim,
    ));
    boxed(frame, &title, lines, theme.border_focused, theme);
}

pub(super) fn upload_box(
    frame: &mut Frame,
    f: &crate::app::UploadForm,
    now: jiff::Timestamp,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Into s3://{}/{}",
                text::sanitize(&f.bucket),
                text::sanitize(&f.prefix)
            ),
            theme.emphasis,
        ),
        Line::raw(""),
    ];
    lines.extend(form_lines(&f.form, theme));
    if !f.candidates.is_empty() {
        let shown: Vec<String> = f
            .candidates
            .iter()
            .take(8)
            .map(|c| text::sanitize(c).into_owned())
            .collect();
        let more = f.candidates.len().saturating_sub(8);
        lines.push(Line::styled(
            format!(
                "{}{}",
                shown.join("  "),
                if more > 0 {
                    format!("  … {more} more")
                } else {
                    String::new()
                }
            ),
            theme.dim,
        ));
    }
    lines.push(Line::raw(""));
    match crate::app::check_upload(f, now) {
        Ok(u) => lines.push(Line::styled(
            format!("Ready: Enter uploads to {}", text::sanitize(&u.key)),
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "Tab: complete the path   ↑/↓: field   ←/→ or space: choose   Enter: upload   Esc: cancel",
        theme.dim,
    ));
    boxed(frame, "Upload", lines, theme.border_focused, theme);
}

pub(super) fn download_box(frame: &mut Frame, f: &crate::app::DownloadForm, theme: &Theme) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Save s3://{}/{}{}",
                text::sanitize(&f.bucket),
                text::sanitize(&f.key),
                f.version_id.as_deref().map_or(String::new(), |v| format!(
                    " (version {})",
                    text::sanitize(v)
                ))
            ),
            theme.emphasis,
        ),
        Line::raw(""),
    ];
    lines.extend(form_lines(&f.form, theme));
    if !f.candidates.is_empty() {
        let shown: Vec<String> = f
            .candidates
            .iter()
            .take(8)
            .map(|c| text::sanitize(c).into_owned())
            .collect();
        lines.push(Line::styled(shown.join("  "), theme.dim));
    }
    lines.push(Line::raw(""));
    match crate::app::download_target(f) {
        Ok(path) => lines.push(Line::styled(
            format!("Ready: Enter saves as {}", text::sanitize(&path)),
            theme.success,
        )),
        Err(e) => lines.push(Line::styled(e, theme.error)),
    }
    lines.push(Line::styled(
        "An existing file is never replaced without asking. Tab completes; Esc cancels.",
        theme.dim,
    ));
    boxed(frame, "Save a version", lines, theme.border_focused, theme);
}
