//! The report's versions as CSV, for people's tools: one line per entry, every field escaped
//! as on screen and neutralised where a spreadsheet would run it.

use super::*;

/// A CSV field for people's tools: escaped, formula-neutralised, quoted when needed.
pub fn csv_field(s: &str) -> String {
    let safe = text::sanitize(s);
    let safe = if safe.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{safe}")
    } else {
        safe.into_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// The CSV header of `csv_row`.
pub const CSV_HEADER: &str = "key,version_id,is_latest,delete_marker,size,last_modified,protection,mode,retain_until,legal_hold,error,owner_id,owner_name";

/// One entry as a CSV line (RFC 4180 quoting). Text from the server is escaped as on screen
/// (no control sequence reaches a terminal that shows the file) and a field that a spreadsheet
/// would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`;
/// `--format json` keeps every byte exactly.
pub fn csv_row(
    entry: &HistoryEntry,
    lock: Option<&Result<LockInfo, String>>,
    protection: Option<Protection>,
) -> String {
    let q = csv_field;
    let (mode, until, hold, error) = match lock {
        Some(Ok(l)) => (
            l.mode.as_ref().map_or("", |m| m.as_str()).to_string(),
            l.retain_until
                .map(|t| t.rfc3339_millis())
                .unwrap_or_default(),
            match &l.legal_hold {
                LegalHold::On => "true".to_string(),
                LegalHold::Off => "false".to_string(),
                LegalHold::Unknown(s) => format!("unknown:{s}"),
            },
            String::new(),
        ),
        Some(Err(e)) => (String::new(), String::new(), String::new(), e.clone()),
        None => Default::default(),
    };
    [
        q(&entry.key),
        q(&entry.version_id),
        entry.is_latest.to_string(),
        entry.is_delete_marker().to_string(),
        entry.size().map(|s| s.to_string()).unwrap_or_default(),
        entry
            .last_modified
            .map(format::json_time)
            .unwrap_or_default(),
        protection.map(|p| p.code()).unwrap_or("").to_string(),
        q(&mode),
        until,
        q(&hold),
        q(&error),
        q(entry.owner.as_ref().map_or("", |o| o.id.as_str())),
        q(entry
            .owner
            .as_ref()
            .and_then(|o| o.display_name.as_deref())
            .unwrap_or("")),
    ]
    .join(",")
}
