//! Conditional requests as AWS evaluates them: `If-Match`, `If-None-Match`,
//! `If-Modified-Since` and `If-Unmodified-Since` on reads (and on a copy's source), `If-Match`
//! and `If-None-Match` on writes (checked against the key's current object under the same lock
//! as the write, so two writers cannot both pass `If-None-Match: *`).

use jiff::Timestamp;

/// An entity tag a condition names, or `*` for any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Any,
    /// Unquoted.
    ETag(String),
}

impl Tag {
    /// `*`, or an ETag quoted or not (a weak `W/` prefix is compared as the strong tag).
    pub fn parse(value: &str) -> Tag {
        let value = value.trim();
        if value == "*" {
            return Tag::Any;
        }
        let value = value.strip_prefix("W/").unwrap_or(value);
        Tag::ETag(value.trim_matches('"').to_string())
    }

    fn matches(&self, etag: &str) -> bool {
        match self {
            Tag::Any => true,
            Tag::ETag(e) => e == etag.trim_matches('"'),
        }
    }
}

/// What a read's conditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// 304: the client's copy is current (GET and HEAD only; a copy's source answers 412).
    NotModified,
    /// 412 PreconditionFailed.
    Failed,
}

/// The conditions of a GET, a HEAD or a copy's source.
#[derive(Debug, Clone, Default)]
pub struct ReadConditions {
    pub if_match: Option<Tag>,
    pub if_none_match: Option<Tag>,
    pub if_modified_since: Option<Timestamp>,
    pub if_unmodified_since: Option<Timestamp>,
}

/// HTTP dates have whole seconds: a version written at 10:00:00.7 was not modified since
/// 10:00:00.
fn whole_seconds(t: Timestamp) -> i64 {
    t.as_second()
}

impl ReadConditions {
    /// AWS's order: `If-Match` decides alone when present (a passing `If-Match` makes
    /// `If-Unmodified-Since` moot), then `If-Unmodified-Since`; then `If-None-Match` decides
    /// alone when present, then `If-Modified-Since`.
    pub fn evaluate(&self, etag: &str, last_modified: Timestamp) -> Verdict {
        let modified = whole_seconds(last_modified);
        match &self.if_match {
            Some(tag) if !tag.matches(etag) => return Verdict::Failed,
            Some(_) => {}
            None => {
                if let Some(since) = self.if_unmodified_since
                    && modified > whole_seconds(since)
                {
                    return Verdict::Failed;
                }
            }
        }
        match &self.if_none_match {
            Some(tag) if tag.matches(etag) => Verdict::NotModified,
            Some(_) => Verdict::Go,
            None => match self.if_modified_since {
                Some(since) if modified <= whole_seconds(since) => Verdict::NotModified,
                _ => Verdict::Go,
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.if_none_match.is_none()
            && self.if_modified_since.is_none()
            && self.if_unmodified_since.is_none()
    }
}

/// What a write's conditions decide about the key's current object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteVerdict {
    Go,
    /// `If-Match` on a key with no current object: 404 NoSuchKey.
    NoSuchKey,
    /// 412 PreconditionFailed.
    Failed,
}

/// The conditions of a PutObject or CompleteMultipartUpload.
#[derive(Debug, Clone, Default)]
pub struct WriteConditions {
    pub if_match: Option<Tag>,
    pub if_none_match: Option<Tag>,
}

impl WriteConditions {
    /// `current` is the ETag of the key's current object, `None` when there is none (no entry,
    /// or a delete marker on top).
    pub fn evaluate(&self, current: Option<&str>) -> WriteVerdict {
        if let Some(tag) = &self.if_match {
            match current {
                None => return WriteVerdict::NoSuchKey,
                Some(etag) if !tag.matches(etag) => return WriteVerdict::Failed,
                Some(_) => {}
            }
        }
        if let (Some(tag), Some(etag)) = (&self.if_none_match, current)
            && tag.matches(etag)
        {
            return WriteVerdict::Failed;
        }
        WriteVerdict::Go
    }
}

/// The conditions of a DeleteObject (`If-Match`, `x-amz-if-match-last-modified-time`,
/// `x-amz-if-match-size`) or of one key of a DeleteObjects, checked against the version named,
/// or the key's latest entry, delete marker included. A key with nothing to delete passes: a
/// delete of nothing succeeds.
#[derive(Debug, Clone, Default)]
pub struct DeleteConditions {
    pub if_match: Option<Tag>,
    pub last_modified: Option<Timestamp>,
    pub size: Option<i64>,
}

impl DeleteConditions {
    /// `target` is `(etag, last modified, size)`, the ETag `None` for a delete marker.
    pub fn hold(&self, target: Option<(Option<&str>, Timestamp, u64)>) -> bool {
        let Some((etag, modified, size)) = target else {
            return true;
        };
        let tag_holds = match (&self.if_match, etag) {
            (None, _) | (Some(Tag::Any), _) => true,
            (Some(tag), Some(etag)) => tag.matches(etag),
            (Some(Tag::ETag(_)), None) => false,
        };
        let time_holds = self
            .last_modified
            .is_none_or(|t| whole_seconds(t) == whole_seconds(modified));
        let size_holds = self
            .size
            .is_none_or(|s| u64::try_from(s).is_ok_and(|s| s == size));
        tag_holds && time_holds && size_holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn reads_follow_the_aws_order() {
        let at = t("2026-12-07T10:00:00.700Z");
        let tag = |s: &str| Some(Tag::parse(s));
        let c = |m, n, ms, us| ReadConditions {
            if_match: m,
            if_none_match: n,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        let before = Some(t("2026-12-07T09:59:59Z"));
        let same_second = Some(t("2026-12-07T10:00:00Z"));
        assert_eq!(c(None, None, None, None).evaluate("e", at), Verdict::Go);
        assert_eq!(
            c(tag("\"e\""), None, None, None).evaluate("e", at),
            Verdict::Go
        );
        assert_eq!(
            c(tag("other"), None, None, None).evaluate("e", at),
            Verdict::Failed
        );
        // A passing If-Match outweighs a failing If-Unmodified-Since.
        assert_eq!(
            c(tag("*"), None, None, before).evaluate("e", at),
            Verdict::Go
        );
        assert_eq!(
            c(None, None, None, before).evaluate("e", at),
            Verdict::Failed
        );
        assert_eq!(
            c(None, None, None, same_second).evaluate("e", at),
            Verdict::Go
        );
        assert_eq!(
            c(None, tag("e"), None, None).evaluate("e", at),
            Verdict::NotModified
        );
        // A failing If-None-Match decides alone: If-Modified-Since is not asked.
        assert_eq!(
            c(None, tag("other"), same_second, None).evaluate("e", at),
            Verdict::Go
        );
        assert_eq!(
            c(None, None, same_second, None).evaluate("e", at),
            Verdict::NotModified
        );
        assert_eq!(c(None, None, before, None).evaluate("e", at), Verdict::Go);
    }

    #[test]
    fn deletes_check_what_they_would_delete() {
        let at = t("2026-12-07T10:00:00.700Z");
        let none = DeleteConditions::default();
        assert!(none.hold(Some((Some("e"), at, 3))));
        let tag = |s: &str| DeleteConditions {
            if_match: Some(Tag::parse(s)),
            ..DeleteConditions::default()
        };
        assert!(tag("e").hold(Some((Some("e"), at, 3))));
        assert!(!tag("x").hold(Some((Some("e"), at, 3))));
        assert!(tag("*").hold(Some((None, at, 0))), "a marker is something");
        assert!(!tag("e").hold(Some((None, at, 0))), "a marker has no ETag");
        assert!(tag("x").hold(None), "nothing to delete");
        let when = DeleteConditions {
            last_modified: Some(t("2026-12-07T10:00:00Z")),
            size: Some(3),
            ..DeleteConditions::default()
        };
        assert!(when.hold(Some((Some("e"), at, 3))));
        assert!(!when.hold(Some((Some("e"), at, 4))));
        assert!(!when.hold(Some((Some("e"), t("2026-12-07T10:00:01Z"), 3))));
    }

    #[test]
    fn writes_check_the_current_object() {
        let w = |m: Option<&str>, n: Option<&str>| WriteConditions {
            if_match: m.map(Tag::parse),
            if_none_match: n.map(Tag::parse),
        };
        assert_eq!(w(None, Some("*")).evaluate(None), WriteVerdict::Go);
        assert_eq!(w(None, Some("*")).evaluate(Some("e")), WriteVerdict::Failed);
        assert_eq!(w(None, Some("e")).evaluate(Some("e")), WriteVerdict::Failed);
        assert_eq!(w(None, Some("x")).evaluate(Some("e")), WriteVerdict::Go);
        assert_eq!(w(Some("*"), None).evaluate(None), WriteVerdict::NoSuchKey);
        assert_eq!(w(Some("x"), None).evaluate(None), WriteVerdict::NoSuchKey);
        assert_eq!(w(Some("*"), None).evaluate(Some("e")), WriteVerdict::Go);
        assert_eq!(w(Some("x"), None).evaluate(Some("e")), WriteVerdict::Failed);
        assert_eq!(w(Some("\"e\""), None).evaluate(Some("e")), WriteVerdict::Go);
    }
}
