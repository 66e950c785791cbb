//! `c` create a bucket and `L` change a bucket's lock settings: forms checked before anything is
//! sent, with the reason shown; COMPLIANCE confirmed with what it means.

use super::dialog::{Confirm, DialogLine, LineStyle, PendingWrite, Popup, finish_write};
use super::form::{Field, Form, FormEvent};
use super::{AppState, Detail, Effect, PENDING, Pane, RequestId};
use crate::domain::error::S3Error;
use crate::domain::{BucketDetails, BucketLock, RetentionMode, RetentionPeriod, Versioning, text};
use crate::keys::Key;

/// Which bucket form is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketFormKind {
    Create,
    /// Lock settings of an existing bucket; `lock_enabled` tells whether Object Lock is on.
    LockSettings {
        bucket: String,
        lock_enabled: bool,
        /// The default retention the bucket has now, to say what a change weakens.
        current: Option<(RetentionMode, RetentionPeriod)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketForm {
    pub kind: BucketFormKind,
    pub form: Form,
    /// Why the server refused this form when it was last sent: shown in the form.
    pub refused: Option<String>,
}

/// What a bucket form asks for, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRequest {
    /// A new bucket, or settings of an existing one.
    pub create: bool,
    pub bucket: String,
    pub location: Option<String>,
    pub object_lock: bool,
    pub default_retention: Option<(RetentionMode, RetentionPeriod)>,
    /// Lock settings of a bucket without Object Lock: turn versioning on only.
    pub enable_versioning_only: bool,
}

const MODES: [&str; 3] = ["none", "COMPLIANCE", "GOVERNANCE"];
const UNITS: [&str; 2] = ["days", "years"];

/// S3's bucket naming rules; the reason when a name breaks one.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "'{}' is not allowed: only lowercase letters, digits, dots and hyphens.",
            text::sanitize(&c.to_string())
        ));
    }
    if !(3..=63).contains(&name.len()) {
        return Err(format!(
            "A bucket name has 3 to 63 characters; this one has {}.",
            name.len()
        ));
    }
    let (first, last) = (name.as_bytes()[0], name.as_bytes()[name.len() - 1]);
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err("A bucket name starts and ends with a letter or digit.".into());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("A bucket name has no two dots, or dot and hyphen, side by side.".into());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("A bucket name must not look like an IP address.".into());
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") {
        return Err("That prefix or suffix is reserved by S3.".into());
    }
    Ok(())
}

fn retention_fields(mode: usize) -> Vec<Field> {
    vec![
        Field::choice("Default retention", &MODES, mode, "for every new version"),
        Field::text("Period", "1", "a whole number"),
        Field::choice("Unit", &UNITS, 0, ""),
    ]
}

/// The form for a new bucket. LocationConstraint starts empty: the connection's region is not
/// a constraint the server is known to accept (Ceph wants its zonegroup, and an OpenStack
/// login's region is Keystone's, which Ceph refuses; AWS refuses `us-east-1` as one).
pub fn create_form() -> BucketForm {
    let mut fields = vec![
        Field::text("Name", "", "3–63 lowercase letters, digits, dots, hyphens"),
        Field::text(
            "LocationConstraint",
            "",
            "empty for the server's default; else the provider's zonegroup (europe-se-1)",
        ),
        Field::choice(
            "Object Lock",
            &["on", "off"],
            0,
            "on also turns versioning on; it cannot be turned off",
        ),
    ];
    fields.extend(retention_fields(1));
    BucketForm {
        kind: BucketFormKind::Create,
        form: Form::new(fields),
        refused: None,
    }
}

pub fn lock_form(bucket: &str, details: &BucketDetails) -> BucketForm {
    let lock_enabled = matches!(details.lock, BucketLock::Enabled { .. });
    let (mode, period) = match &details.lock {
        BucketLock::Enabled {
            default_retention: Some((m, p)),
        } => (
            match m {
                RetentionMode::Compliance => 1,
                _ => 2,
            },
            Some(*p),
        ),
        _ => (0, None),
    };
    let mut fields = retention_fields(mode);
    if let Some(p) = period {
        let (n, unit) = match p {
            RetentionPeriod::Days(n) => (n, 0),
            RetentionPeriod::Years(n) => (n, 1),
        };
        fields[1] = Field::text("Period", &n.to_string(), "a whole number");
        fields[2] = Field::choice("Unit", &UNITS, unit, "");
    }
    if !lock_enabled {
        fields = vec![Field::choice(
            "Versioning",
            &["enable"],
            0,
            "this bucket has no Object Lock: lockwatch can turn versioning on",
        )];
    }
    BucketForm {
        kind: BucketFormKind::LockSettings {
            bucket: bucket.to_string(),
            lock_enabled,
            current: match &details.lock {
                BucketLock::Enabled { default_retention } => default_retention.clone(),
                BucketLock::Disabled => None,
            },
        },
        form: Form::new(fields),
        refused: None,
    }
}

fn retention_of(form: &Form) -> Result<Option<(RetentionMode, RetentionPeriod)>, String> {
    let mode = match form.value("Default retention") {
        "COMPLIANCE" => RetentionMode::Compliance,
        "GOVERNANCE" => RetentionMode::Governance,
        _ => return Ok(None),
    };
    let n: i32 = form
        .value("Period")
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            format!(
                "The period must be a whole number above 0, not '{}'.",
                form.value("Period")
            )
        })?;
    let period = match form.value("Unit") {
        "years" => RetentionPeriod::Years(n),
        _ => RetentionPeriod::Days(n),
    };
    Ok(Some((mode, period)))
}

/// Checks a form; the request it makes, or why it cannot be sent.
pub fn check(f: &BucketForm) -> Result<BucketRequest, String> {
    match &f.kind {
        BucketFormKind::Create => {
            let bucket = f.form.value("Name").trim().to_string();
            check_bucket_name(&bucket)?;
            let object_lock = f.form.value("Object Lock") == "on";
            let default_retention = retention_of(&f.form)?;
            if default_retention.is_some() && !object_lock {
                return Err("A default retention needs Object Lock on.".into());
            }
            let location = Some(f.form.value("LocationConstraint").trim().to_string())
                .filter(|l| !l.is_empty());
            Ok(BucketRequest {
                create: true,
                bucket,
                location,
                object_lock,
                default_retention,
                enable_versioning_only: false,
            })
        }
        BucketFormKind::LockSettings {
            bucket,
            lock_enabled,
            ..
        } => Ok(BucketRequest {
            create: false,
            bucket: bucket.clone(),
            location: None,
            object_lock: *lock_enabled,
            default_retention: if *lock_enabled {
                retention_of(&f.form)?
            } else {
                None
            },
            enable_versioning_only: !lock_enabled,
        }),
    }
}

pub(super) fn open_create(state: &mut AppState) -> Vec<Effect> {
    if state.focus != Pane::Buckets {
        return Vec::new();
    }
    state.popup = Some(Popup::BucketForm(create_form()));
    Vec::new()
}

pub(super) fn open_lock_settings(state: &mut AppState) -> Vec<Effect> {
    let bucket = match state.focus {
        Pane::Buckets => state.buckets.selected().map(|r| r.bucket.name.clone()),
        _ => state.objects.bucket.clone(),
    };
    let Some(bucket) = bucket else {
        state.info("Select a bucket first.");
        return Vec::new();
    };
    match state.buckets.details(&bucket) {
        Some(Detail::Loaded(details)) => {
            let form = lock_form(&bucket, details);
            state.popup = Some(Popup::BucketForm(form));
        }
        _ => state.info("The bucket's lock settings are not known yet; try again in a moment."),
    }
    Vec::new()
}

pub(super) fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    let Some(Popup::BucketForm(f)) = state.popup.as_mut() else {
        return Vec::new();
    };
    match f.form.on_key(key) {
        FormEvent::Cancel => {
            state.popup = None;
            state.info("Cancelled: nothing was changed.");
        }
        FormEvent::Submit => {
            if let Ok(request) = check(f) {
                // Kept to reopen, filled in, if the server refuses.
                state.bucket_draft = Some(f.clone());
                state.popup = Some(Popup::Confirm(confirmation(&f.kind, request)));
            }
        }
        FormEvent::Edited | FormEvent::Ignored => {}
    }
    Vec::new()
}

fn confirmation(kind: &BucketFormKind, request: BucketRequest) -> Confirm {
    let mut lines = Vec::new();
    let title = match kind {
        BucketFormKind::Create => {
            lines.push(DialogLine::new(
                format!("Create bucket {}", text::sanitize(&request.bucket)),
                LineStyle::Emphasis,
            ));
            lines.push(DialogLine::plain(format!(
                "LocationConstraint: {}",
                request
                    .location
                    .as_deref()
                    .map_or("(server default)".into(), |l| text::sanitize(l)
                        .into_owned())
            )));
            lines.push(DialogLine::plain(if request.object_lock {
                "Object Lock: on (versioning on; neither can be turned off)"
            } else {
                "Object Lock: off"
            }));
            "Create bucket"
        }
        BucketFormKind::LockSettings { .. } if request.enable_versioning_only => {
            lines.push(DialogLine::new(
                format!("Turn versioning on for {}", text::sanitize(&request.bucket)),
                LineStyle::Emphasis,
            ));
            lines.push(DialogLine::plain(
                "Deleted and overwritten objects are then kept as older versions.",
            ));
            "Enable versioning"
        }
        BucketFormKind::LockSettings { .. } => {
            lines.push(DialogLine::new(
                format!(
                    "Change the default retention of {}",
                    text::sanitize(&request.bucket)
                ),
                LineStyle::Emphasis,
            ));
            "Lock settings"
        }
    };
    if let BucketFormKind::LockSettings {
        current: Some((old_mode, old_period)),
        ..
    } = kind
        && !request.enable_versioning_only
    {
        let days = |p: &RetentionPeriod| match p {
            RetentionPeriod::Days(d) => i64::from(*d),
            RetentionPeriod::Years(y) => i64::from(*y) * 365,
        };
        let warning = match &request.default_retention {
            None => Some(format!(
                "New backups will be unprotected: versions written from now on get no retention unless whoever writes them sets one (now: {} for {old_period}). Versions already written keep theirs.",
                old_mode.as_str()
            )),
            Some((RetentionMode::Governance, _)) if *old_mode == RetentionMode::Compliance => {
                Some("Weaker than now: under GOVERNANCE, users allowed to bypass it can delete new versions before their date; under COMPLIANCE nobody can.".to_string())
            }
            Some((_, period)) if days(period) < days(old_period) => Some(format!(
                "Shorter than now ({old_period}): new versions are protected for less time. Versions already written keep their dates."
            )),
            _ => None,
        };
        if let Some(w) = warning {
            lines.push(DialogLine::new(w, LineStyle::Warning));
        }
    }
    if !request.enable_versioning_only {
        match &request.default_retention {
            None => lines.push(DialogLine::plain("Default retention: none")),
            Some((mode, period)) => {
                lines.push(DialogLine::plain(format!(
                    "Default retention: {} for {period}",
                    mode.as_str()
                )));
                if *mode == RetentionMode::Compliance {
                    lines.push(DialogLine::new(
                        format!(
                            "Every version written from now on is locked under COMPLIANCE for {period}: nobody, administrators included, can delete it before then."
                        ),
                        LineStyle::Warning,
                    ));
                }
            }
        }
    }
    lines.push(DialogLine::plain(
        "lockwatch reads the bucket back afterwards and compares.",
    ));
    Confirm {
        title: title.into(),
        lines,
        yes_label: title.into(),
        write: PendingWrite::send(
            Effect::ApplyBucket {
                request: PENDING,
                asked: request.clone(),
            },
            format!(
                "{} {}",
                if request.create {
                    "creating"
                } else {
                    "changing"
                },
                text::sanitize(&request.bucket)
            ),
        ),
        yes_selected: false,
        typed: None,
        bypass: None,
    }
}

pub(super) fn on_done(
    state: &mut AppState,
    request_id: RequestId,
    request: BucketRequest,
    result: Result<BucketDetails, S3Error>,
) -> Vec<Effect> {
    if !finish_write(state, request_id) {
        return Vec::new();
    }
    match result {
        Ok(details) => {
            let expected_lock = if request.object_lock {
                BucketLock::Enabled {
                    default_retention: request.default_retention.clone(),
                }
            } else {
                BucketLock::Disabled
            };
            let versioning_ok = !(request.object_lock || request.enable_versioning_only)
                || details.versioning == Versioning::Enabled;
            if details.lock == expected_lock && versioning_ok {
                state.success(format!(
                    "{}: versioning {}, {} (read back from the server).",
                    text::sanitize(&request.bucket),
                    details.versioning.label(),
                    details.lock.label()
                ));
            } else {
                state.popup = Some(Popup::Message {
                    title: "The server holds something else".into(),
                    lines: vec![
                        DialogLine::new(
                            "The server accepted the request, but reading the bucket back shows:",
                            LineStyle::Error,
                        ),
                        DialogLine::plain(format!(
                            "versioning {}, {}",
                            details.versioning.label(),
                            details.lock.label()
                        )),
                    ],
                    error: true,
                });
            }
            state.buckets.set_details(&request.bucket, details);
        }
        Err(e) => {
            let mut why = e.failure_sentence();
            if e.code() == Some("InvalidLocationConstraint") {
                why.insert_str(
                    0,
                    "A LocationConstraint is the provider's zonegroup (Ceph) or an AWS region other than us-east-1, not a Keystone region; leave it empty for the server's default. ",
                );
            }
            match state.bucket_draft.take() {
                // The form comes back as it was, with why, to correct and send again.
                Some(mut draft) => {
                    draft.refused = Some(why.clone());
                    state.popup = Some(Popup::BucketForm(draft));
                    state.error(format!("Bucket not changed: {why}"));
                }
                None => {
                    state.popup = Some(Popup::Message {
                        title: "Bucket not changed".into(),
                        lines: vec![DialogLine::new(why, LineStyle::Error)],
                        error: true,
                    });
                }
            }
            let request_id = state.request_id();
            return vec![state.buckets.reload(request_id)];
        }
    }
    state.bucket_draft = None;
    let request_id = state.request_id();
    vec![state.buckets.reload(request_id)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_checked_with_the_reason() {
        assert!(check_bucket_name("bup").is_ok());
        assert!(check_bucket_name("backup.2026-11").is_ok());
        for (bad, why) in [
            ("ab", "3 to 63"),
            ("Bup", "not allowed"),
            ("bup_x", "not allowed"),
            ("-bup", "starts and ends"),
            ("b..p", "side by side"),
            ("192.168.1.1", "IP address"),
            ("xn--bup", "reserved"),
        ] {
            let err = check_bucket_name(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn the_guides_bucket_is_what_the_create_form_makes_with_its_location() {
        let mut f = create_form();
        assert_eq!(f.form.value("LocationConstraint"), "", "never the region");
        for c in "bup".chars() {
            f.form.on_key(Key::char(c));
        }
        f.form.focus = 1;
        for c in "europe-se-1".chars() {
            f.form.on_key(Key::char(c));
        }
        let request = check(&f).expect("valid");
        assert_eq!(
            request,
            BucketRequest {
                create: true,
                bucket: "bup".into(),
                location: Some("europe-se-1".into()),
                object_lock: true,
                default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
                enable_versioning_only: false,
            }
        );
    }

    #[test]
    fn retention_without_object_lock_is_refused_before_sending() {
        let mut f = create_form();
        for c in "plain".chars() {
            f.form.on_key(Key::char(c));
        }
        f.form.focus = 2;
        f.form.on_key(Key::char(' '));
        assert_eq!(f.form.value("Object Lock"), "off");
        assert!(check(&f).is_err_and(|e| e.contains("needs Object Lock")));
    }
}
