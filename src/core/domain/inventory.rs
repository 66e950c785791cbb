//! S3 Inventory reports, as AWS documents them: `manifest.json` (the bucket, when, the
//! format, the column list and the data files with their MD5) and CSV data files (gzip), one
//! row per version or delete marker with the Object Lock fields. Pure: bytes in, versions and
//! their locks out.

use super::lock::{LegalHold, LockInfo, RetainUntil, RetentionMode};
use super::{EntryKind, HistoryEntry};
use jiff::Timestamp;
use serde::Deserialize;
use std::sync::Arc;

/// What `manifest.json` says (fields lockwatch does not use are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub source_bucket: String,
    #[serde(default)]
    pub destination_bucket: Option<String>,
    /// Milliseconds since the epoch, as a string.
    pub creation_timestamp: String,
    pub file_format: String,
    pub file_schema: String,
    pub files: Vec<DataFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataFile {
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(rename = "MD5checksum")]
    pub md5: String,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| format!("not an S3 Inventory manifest.json: {e}"))?;
        if manifest.files.is_empty() {
            return Err("the manifest lists no data files".into());
        }
        Ok(manifest)
    }

    /// When the inventory was taken.
    pub fn created(&self) -> Option<Timestamp> {
        let ms: i64 = self.creation_timestamp.trim().parse().ok()?;
        Timestamp::from_millisecond(ms).ok()
    }
}

/// The columns of a CSV inventory, by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    columns: usize,
    key: usize,
    version_id: Option<usize>,
    is_latest: Option<usize>,
    is_delete_marker: Option<usize>,
    size: Option<usize>,
    last_modified: Option<usize>,
    etag: Option<usize>,
    storage_class: Option<usize>,
    /// ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus.
    lock: Option<(usize, usize, usize)>,
}

impl Schema {
    /// `fileSchema` of a CSV inventory: `Bucket, Key, VersionId, …`.
    pub fn parse(file_schema: &str) -> Result<Schema, String> {
        let names: Vec<&str> = file_schema.split(',').map(str::trim).collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let key = find("Key").ok_or("the inventory has no Key column")?;
        let lock = match (
            find("ObjectLockMode"),
            find("ObjectLockRetainUntilDate"),
            find("ObjectLockLegalHoldStatus"),
        ) {
            (Some(m), Some(r), Some(h)) => Some((m, r, h)),
            (None, None, None) => None,
            _ => {
                return Err("the inventory has some Object Lock fields but not all three (ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus)".into());
            }
        };
        Ok(Schema {
            columns: names.len(),
            key,
            version_id: find("VersionId"),
            is_latest: find("IsLatest"),
            is_delete_marker: find("IsDeleteMarker"),
            size: find("Size"),
            last_modified: find("LastModifiedDate"),
            etag: find("ETag"),
            storage_class: find("StorageClass"),
            lock,
        })
    }

    pub fn has_lock_fields(&self) -> bool {
        self.lock.is_some()
    }

    /// Whether the inventory lists every version (not only current ones).
    pub fn has_versions(&self) -> bool {
        self.version_id.is_some() && self.is_latest.is_some() && self.is_delete_marker.is_some()
    }

    /// One CSV line: the entry and, for a version, its lock (`None` for a delete marker).
    pub fn row(&self, line: &str) -> Result<(HistoryEntry, Option<LockInfo>), String> {
        let fields = split_csv(line)?;
        if fields.len() != self.columns {
            return Err(format!(
                "a row has {} fields where the schema names {}",
                fields.len(),
                self.columns
            ));
        }
        let field = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(String::as_str);
        let text = |i: Option<usize>| field(i).filter(|v| !v.is_empty()).map(str::to_string);
        // CSV inventories URL-encode the key.
        let key = super::percent::decode(field(Some(self.key)).unwrap_or(""))
            .map_err(|e| e.to_string())?;
        let flag = |i: Option<usize>| -> Result<Option<bool>, String> {
            match field(i) {
                None | Some("") => Ok(None),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
                Some(v) => Err(format!("{v:?} is neither true nor false")),
            }
        };
        let size = match field(self.size) {
            Some(s) if !s.is_empty() => Some(
                s.parse::<u64>()
                    .map_err(|_| format!("the size {s:?} is not a number"))?,
            ),
            _ => None,
        };
        let last_modified = match field(self.last_modified) {
            Some(t) if !t.is_empty() => Some(
                t.parse::<Timestamp>()
                    .map_err(|_| format!("the date {t:?} cannot be read"))?,
            ),
            _ => None,
        };
        Ok(entry(Fields {
            key,
            version_id: text(self.version_id),
            is_latest: flag(self.is_latest)?,
            is_delete_marker: flag(self.is_delete_marker)?,
            size,
            last_modified,
            etag: text(self.etag),
            storage_class: text(self.storage_class),
            lock: self.lock.map(|(m, r, h)| LockFields {
                mode: text(Some(m)),
                retain_until: text(Some(r)).map(|t| RetainUntil::parse_utc(&t).ok_or(t)),
                legal_hold: text(Some(h)),
            }),
        }))
    }
}

/// One inventory row, whatever its file's format.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// Decoded.
    pub key: String,
    pub version_id: Option<String>,
    /// Absent in an inventory of current versions only: each row is then the latest.
    pub is_latest: Option<bool>,
    pub is_delete_marker: Option<bool>,
    pub size: Option<u64>,
    pub last_modified: Option<Timestamp>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    /// `None` when the inventory has no Object Lock fields.
    pub lock: Option<LockFields>,
}

#[derive(Debug, Clone, Default)]
pub struct LockFields {
    pub mode: Option<String>,
    /// The date, or the text that could not be read as one.
    pub retain_until: Option<Result<RetainUntil, String>>,
    pub legal_hold: Option<String>,
}

/// The entry and, for a version, its lock (`None` for a delete marker). A lock that cannot be
/// read (an unknown mode, a date that cannot be read, a date without a mode, an unknown hold
/// status) stays one: `LockInfo::unreadable` says so and the report counts it as unknown,
/// never as unprotected.
pub fn entry(fields: Fields) -> (HistoryEntry, Option<LockInfo>) {
    let is_marker = fields.is_delete_marker.unwrap_or(false);
    let entry = HistoryEntry {
        key: Arc::from(fields.key),
        version_id: fields.version_id.unwrap_or_else(|| "null".to_string()),
        kind: if is_marker {
            EntryKind::DeleteMarker
        } else {
            EntryKind::Version {
                size: fields.size,
                etag: fields.etag,
                storage_class: fields.storage_class,
            }
        },
        is_latest: fields.is_latest.unwrap_or(true),
        last_modified: fields.last_modified,
        owner: None,
    };
    if is_marker {
        return (entry, None);
    }
    let Some(lock) = fields.lock else {
        return (entry, Some(LockInfo::default()));
    };
    let mode = lock.mode.as_deref().map(RetentionMode::parse);
    let legal_hold = lock
        .legal_hold
        .as_deref()
        .map_or(LegalHold::Off, LegalHold::parse);
    let info = match (mode, lock.retain_until) {
        (mode, Some(Ok(until))) => LockInfo {
            mode,
            retain_until: Some(until),
            legal_hold,
        },
        // A date that cannot be read: with a mode, a mode without a date (unknown); without
        // one, an unknown mode naming the date.
        (Some(mode), Some(Err(_))) | (Some(mode), None) => LockInfo {
            mode: Some(mode),
            retain_until: None,
            legal_hold,
        },
        (None, Some(Err(text))) => LockInfo {
            mode: Some(RetentionMode::Other(format!(
                "none, with a date that cannot be read: {text}"
            ))),
            retain_until: None,
            legal_hold,
        },
        (None, None) => LockInfo {
            mode: None,
            retain_until: None,
            legal_hold,
        },
    };
    (entry, Some(info))
}

/// The fields of one CSV line (RFC 4180 quoting; S3 Inventory quotes every field).
pub fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => return Err("text after a closing quote".into()),
                    }
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus";

    #[test]
    fn rows_become_versions_with_their_locks() {
        let schema = Schema::parse(SCHEMA).expect("schema");
        assert!(schema.has_lock_fields() && schema.has_versions());
        let (entry, lock) = schema
            .row(r#""bup","f%2Fa+b%0A.tar","v1","true","false","12","2026-11-20T10:00:00.000Z","abc","STANDARD","false","","SSE-S3","9999-12-31T23:59:59.000Z","COMPLIANCE","OFF""#)
            .expect("row");
        assert_eq!(&*entry.key, "f/a b\n.tar");
        assert_eq!(entry.version_id, "v1");
        assert!(entry.is_latest && !entry.is_delete_marker());
        assert_eq!(entry.size(), Some(12));
        let lock = lock.expect("a version has a lock");
        assert_eq!(lock.mode, Some(RetentionMode::Compliance));
        assert_eq!(
            lock.retain_until.map(|r| r.date()),
            Some("9999-12-31".into())
        );
        assert_eq!(lock.legal_hold, LegalHold::Off);

        let (marker, lock) = schema
            .row(r#""bup","gone","m1","true","true","","2026-11-21T10:00:00.000Z","","","","","","","","""#)
            .expect("marker row");
        assert!(marker.is_delete_marker() && lock.is_none());
    }

    #[test]
    fn an_unreadable_lock_is_never_no_lock() {
        let schema = Schema::parse(SCHEMA).expect("schema");
        let row = |mode: &str, until: &str, hold: &str| {
            let line = format!(
                r#""b","k","v","true","false","1","2026-11-20T10:00:00.000Z","e","STANDARD","false","","","{until}","{mode}","{hold}""#
            );
            schema.row(&line).expect("row").1.expect("lock")
        };
        assert!(row("GOVERNANCE", "someday", "OFF").unreadable().is_some());
        assert!(row("", "someday", "OFF").unreadable().is_some());
        assert!(
            row("FOREVER", "2030-01-01T00:00:00Z", "OFF")
                .unreadable()
                .is_some()
        );
        assert!(row("", "", "MAYBE").unreadable().is_some());
        assert_eq!(row("", "", "").unreadable(), None);
    }

    #[test]
    fn bad_rows_and_schemas_are_refused() {
        assert!(Schema::parse("Bucket, Size").is_err());
        assert!(Schema::parse("Bucket, Key, ObjectLockMode").is_err());
        let schema = Schema::parse("Bucket, Key").expect("schema");
        assert!(!schema.has_lock_fields() && !schema.has_versions());
        assert!(schema.row(r#""b","k","extra""#).is_err());
        assert!(schema.row(r#""b","k"#).is_err());
        assert!(schema.row(r#""b","%zz""#).is_err());
        assert_eq!(
            split_csv(r#""a ""q"", b",,"c""#).expect("csv"),
            vec!["a \"q\", b", "", "c"]
        );
    }

    #[test]
    fn the_manifest_is_read() {
        let m = Manifest::parse(br#"{"sourceBucket":"bup","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1764201600000","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[{"key":"a.csv.gz","size":10,"MD5checksum":"00"}]}"#).expect("manifest");
        assert_eq!(
            m.created().map(|t| t.to_string()),
            Some("2025-11-27T00:00:00Z".into())
        );
        assert!(Manifest::parse(b"{}").is_err());
        assert!(Manifest::parse(br#"{"sourceBucket":"b","creationTimestamp":"1","fileFormat":"CSV","fileSchema":"Key","files":[]}"#).is_err());
    }
}
