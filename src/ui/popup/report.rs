//! `P`: the lock-coverage report as it is built and when it is done.

use super::*;

pub(super) fn report_box(frame: &mut Frame, r: &crate::app::ReportView, theme: &Theme) {
    use crate::app::ReportStage;
    let title = format!("Lock-coverage report of {}", r.location);
    match &r.stage {
        ReportStage::Building { versions } => boxed(
            frame,
            &title,
            vec![
                Line::raw(format!(
                    "Reading the lock of every version… {versions} versions so far"
                )),
                Line::raw(""),
                Line::styled("Esc: stop", theme.dim),
            ],
            theme.border_focused,
            theme,
        ),
        ReportStage::Failed(why) => boxed(
            frame,
            &title,
            vec![
                Line::styled(text::sanitize(why).into_owned(), theme.error),
                Line::raw(""),
                Line::styled("Enter or Esc closes this.", theme.dim),
            ],
            theme.error,
            theme,
        ),
        ReportStage::Done {
            markdown,
            file_name,
            scroll,
            saved,
        } => {
            let list: Vec<Line<'static>> = markdown
                .lines()
                .skip(*scroll)
                .take(usize::from(frame.area().height))
                .map(|l| {
                    let style = if l.starts_with('#') {
                        theme.emphasis
                    } else {
                        Style::new()
                    };
                    Line::styled(text::sanitize(l).into_owned(), style)
                })
                .collect();
            let mut foot = vec![Line::raw("")];
            match saved {
                Some(Ok(path)) => foot.push(Line::styled(
                    format!("Saved to {}", text::sanitize(path)),
                    theme.success,
                )),
                Some(Err(e)) => {
                    foot.push(Line::styled(text::sanitize(e).into_owned(), theme.error))
                }
                None => {}
            }
            foot.push(Line::styled(
                format!(
                    "s: save as ./{}   j/k pgup/pgdn: scroll   Esc: close",
                    text::sanitize(file_name)
                ),
                theme.dim,
            ));
            list_box(
                frame,
                ListBox {
                    title,
                    border: theme.border_focused,
                    head: Vec::new(),
                    list,
                    foot,
                },
                theme,
            );
        }
    }
}
