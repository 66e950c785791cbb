//! The sandbox's in-memory buckets with AWS Object Lock semantics. Pure: every call that
//! depends on time takes `now`, so the lock rules are unit-tested without a server.

use jiff::{SignedDuration, Timestamp};
use lockwatch_core::domain::{RetainUntil, RetentionMode, RetentionPeriod, Versioning};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::conditions::{ReadConditions, Verdict, WriteConditions, WriteVerdict};
use crate::integrity::{Algorithm, Kept};

/// What the sandbox refuses, in S3's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    #[error("The specified key does not exist.")]
    NoSuchKey { delete_marker: bool },
    #[error("The specified version does not exist.")]
    NoSuchVersion,
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    #[error("{0}")]
    InvalidBucketName(String),
    /// A lock refused the request (S3 answers 403 AccessDenied).
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    InvalidBucketState(String),
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// A version id names a delete marker where an object is needed (405).
    #[error("The specified method is not allowed against this resource.")]
    MethodNotAllowed,
    #[error("{0}")]
    EntityTooLarge(String),
    /// The memory cap is reached by what is not a body (markers, metadata, tags, buckets,
    /// uploads): S3 answers 503 SlowDown.
    #[error("{0}")]
    Full(String),
    #[error("Object Lock configuration does not exist for this bucket")]
    ObjectLockConfigurationNotFound,
    #[error("The specified object does not have a ObjectLock configuration")]
    NoSuchObjectLockConfiguration,
    #[error("The specified multipart upload does not exist: {0}")]
    NoSuchUpload(String),
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("{0}")]
    InvalidPart(String),
    #[error("{0}")]
    InvalidRange(String),
    #[error(
        "The list of parts was not in ascending order. The parts list must be specified in order by part number."
    )]
    InvalidPartOrder,
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    #[error("{0}")]
    BadDigest(String),
}

const LOCKED: &str = "Access Denied because object protected by object lock.";

/// Size caps that keep a sandbox from eating the machine's memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_object_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_object_bytes: 64 * 1024 * 1024,
            max_total_bytes: 512 * 1024 * 1024,
        }
    }
}

/// What the memory cap counts for what the store keeps beside bodies: each record's share of
/// the maps and structs that hold it (measured order of magnitude, rounded up), plus the
/// bytes of its strings. Over-counting is safe; under-counting would let small requests grow
/// the process past the cap.
/// An entry's struct, with room for the slack of the vector that holds a key's entries (a
/// new key's first entry reserves four slots) and the allocator's own bookkeeping.
const ENTRY_COST: u64 = 4 * std::mem::size_of::<Entry>() as u64 + 128;
const STRING_COST: u64 = 48;
const UPLOAD_COST: u64 = 320;
const PART_COST: u64 = 96;
const BUCKET_COST: u64 = 640;

fn strings_cost(map: &BTreeMap<String, String>) -> u64 {
    map.iter()
        .map(|(k, v)| STRING_COST + (k.len() + v.len()) as u64)
        .sum()
}

impl Described {
    fn cost(&self) -> u64 {
        let fields = [
            &self.content_type,
            &self.cache_control,
            &self.content_disposition,
            &self.content_encoding,
            &self.content_language,
        ];
        let strings: u64 = fields
            .iter()
            .filter_map(|f| f.as_ref())
            .map(|f| STRING_COST + f.len() as u64)
            .sum();
        strings + strings_cost(&self.metadata)
    }
}

/// The checksum of an object completed from parts: with the upload's algorithm, of the parts'
/// checksums (then `-N`) or of all its bytes; with none, the one the completion names, checked
/// against all the bytes. The checksum the completion names must be the one computed
/// (BadDigest otherwise).
fn object_checksum(
    upload: &Upload,
    listed: &[(i32, String)],
    body: &[u8],
    named: Option<&Kept>,
) -> Result<Option<Kept>, StoreError> {
    let computed = match upload.checksum {
        Some(PartsChecksum {
            algorithm,
            full_object: false,
        }) => {
            let mut digests = Vec::new();
            for (number, _) in listed {
                let sum = upload
                    .parts
                    .get(number)
                    .and_then(|(_, _, sum)| sum.as_ref())
                    .and_then(|sum| crate::integrity::decode(&sum.value))
                    .ok_or_else(|| {
                        StoreError::InvalidPart(format!(
                            "Part {number} has no {} checksum.",
                            algorithm.name()
                        ))
                    })?;
                digests.extend(sum);
            }
            Some(Kept {
                algorithm,
                value: format!(
                    "{}-{}",
                    crate::integrity::base64(&algorithm.digest(&digests)),
                    listed.len()
                ),
            })
        }
        Some(PartsChecksum { algorithm, .. }) => Some(Kept {
            algorithm,
            value: algorithm.of(body),
        }),
        None => named.map(|n| Kept {
            algorithm: n.algorithm,
            value: n.algorithm.of(body),
        }),
    };
    if let (Some(named), Some(computed)) = (named, &computed) {
        // A composite value may be named with or without its `-N`.
        let bare = |v: &str| v.split('-').next().unwrap_or_default().to_string();
        if named.algorithm != computed.algorithm || bare(&named.value) != bare(&computed.value) {
            return Err(StoreError::BadDigest(format!(
                "The {} you specified did not match the calculated checksum.",
                named.algorithm.name()
            )));
        }
    }
    Ok(computed)
}

fn bucket_cost(name: &str, location: Option<&str>) -> u64 {
    BUCKET_COST + name.len() as u64 + location.map_or(0, |l| l.len() as u64)
}

fn json_cost(value: &serde_json::Value) -> u64 {
    STRING_COST + serde_json::to_string(value).map_or(0, |t| 4 * t.len() as u64)
}

/// The hex MD5 of a body: the ETag of a single-part upload.
pub fn etag_of(body: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a client says about an object when it writes it, kept and sent back on every read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<Timestamp>,
    /// `x-amz-meta-*`, names lowercased.
    pub metadata: BTreeMap<String, String>,
}

/// The data and metadata of one object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: bytes::Bytes,
    /// Hex MD5 of the body, unquoted.
    pub etag: String,
    pub described: Described,
    /// The checksum sent with it (or asked for by algorithm), checked when it came.
    pub checksum: Option<crate::integrity::Kept>,
    /// The sizes of the parts it was uploaded in, in order; empty for a single upload.
    pub parts: Vec<u64>,
    /// The parts' checksums, in order, when the upload was checksummed; empty otherwise.
    pub part_checksums: Vec<Kept>,
}

/// What comes with a new version beside its data: the lock asked for, its tags, and the
/// conditions on the key's current object under which it may be written.
#[derive(Debug, Clone, Default)]
pub struct Write {
    pub lock: NewLock,
    pub tags: BTreeMap<String, String>,
    pub conditions: WriteConditions,
}

impl From<NewLock> for Write {
    fn from(lock: NewLock) -> Write {
        Write {
            lock,
            ..Write::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Data(Arc<Object>),
    DeleteMarker,
}

/// One version or delete marker of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub version_id: String,
    pub content: Content,
    pub last_modified: Timestamp,
    pub retention: Option<(RetentionMode, RetainUntil)>,
    pub legal_hold: bool,
    /// The version's tag set (PutObjectTagging); a delete marker has none.
    pub tags: BTreeMap<String, String>,
    /// Its place in the order of writes (a key's entries are newest first, so decreasing):
    /// a listing marker naming a version deleted since is placed by it.
    pub seq: u64,
}

impl Object {
    pub fn new(body: bytes::Bytes, described: Described) -> Object {
        Object {
            etag: etag_of(&body),
            body,
            described,
            checksum: None,
            parts: Vec::new(),
            part_checksums: Vec::new(),
        }
    }
}

impl Entry {
    /// What keeping this entry under `key` counts against the memory cap: its body and
    /// everything said about it.
    fn cost(&self, key: &str) -> u64 {
        let own =
            ENTRY_COST + (key.len() + self.version_id.len()) as u64 + strings_cost(&self.tags);
        match &self.content {
            Content::Data(o) => {
                own + o.body.len() as u64
                    + o.described.cost()
                    + 8 * o.parts.len() as u64
                    + o.part_checksums
                        .iter()
                        .map(|c| STRING_COST + c.value.len() as u64)
                        .sum::<u64>()
                    + o.checksum
                        .as_ref()
                        .map_or(0, |c| STRING_COST + c.value.len() as u64)
            }
            Content::DeleteMarker => own,
        }
    }

    pub fn object(&self) -> Option<&Arc<Object>> {
        match &self.content {
            Content::Data(o) => Some(o),
            Content::DeleteMarker => None,
        }
    }

    fn lock_refusal(&self, bypass_governance: bool, now: Timestamp) -> Option<StoreError> {
        if self.legal_hold {
            return Some(StoreError::Locked(format!("{LOCKED} (legal hold)")));
        }
        match &self.retention {
            Some((RetentionMode::Governance, until))
                if until.instant() > now && !bypass_governance =>
            {
                Some(StoreError::Locked(LOCKED.into()))
            }
            Some((RetentionMode::Governance, _)) => None,
            Some((_, until)) if until.instant() > now => Some(StoreError::Locked(LOCKED.into())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub created: Timestamp,
    pub location: Option<String>,
    pub versioning: Versioning,
    pub lock_enabled: bool,
    pub default_retention: Option<(RetentionMode, RetentionPeriod)>,
    /// Entries of each key, newest first.
    pub keys: BTreeMap<String, Vec<Entry>>,
    /// The lifecycle configuration as the client sent it (stored and returned; the sandbox
    /// does not run it).
    pub lifecycle: Option<serde_json::Value>,
    /// The bucket policy document as the client sent it (stored and returned; the sandbox has
    /// one user and does not evaluate it).
    pub policy: Option<String>,
    /// Where the deleted "null" version of a key stood among the key's remaining entries
    /// (its place in the order of writes), so a listing marker naming it still has a place.
    pub deleted_null: BTreeMap<String, u64>,
    /// Other bucket configurations a client sets and reads back (tagging, ownership controls,
    /// public access block), as sent; the sandbox keeps them and enforces none.
    pub settings: BTreeMap<Setting, serde_json::Value>,
    /// The bucket's notification configuration: its topic configurations.
    pub notifications: Vec<super::notify::Rule>,
}

/// A bucket configuration kept as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    Tagging,
    OwnershipControls,
    PublicAccessBlock,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

/// What a copy changes: `None` keeps the source's.
#[derive(Debug, Clone, Default)]
pub struct CopyAs {
    pub described: Option<Described>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// Lock settings asked for with a new object.
#[derive(Debug, Clone, Default)]
pub struct NewLock {
    pub retention: Option<(RetentionMode, RetainUntil)>,
    pub legal_hold: bool,
}

/// One row of a version listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListedVersion {
    Entry {
        key: String,
        entry: Entry,
        is_latest: bool,
    },
    Prefix(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionListing {
    pub rows: Vec<ListedVersion>,
    pub next: Option<(String, Option<String>)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectListing {
    pub objects: Vec<(String, Entry)>,
    pub prefixes: Vec<String>,
    /// The last key or prefix returned, when more follow.
    pub next: Option<String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
struct Upload {
    bucket: String,
    key: String,
    described: Described,
    tags: BTreeMap<String, String>,
    lock: NewLock,
    initiated: Timestamp,
    /// Each part: its bytes, its ETag, and its checksum (sent, or computed with the upload's).
    parts: BTreeMap<i32, (bytes::Bytes, String, Option<Kept>)>,
    checksum: Option<PartsChecksum>,
}

/// How an upload in parts is checksummed, as CreateMultipartUpload asked: every part with
/// `algorithm`, and the object with the checksum of the parts' checksums (`-N` after it) or,
/// `full_object`, with the checksum of all its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartsChecksum {
    pub algorithm: Algorithm,
    pub full_object: bool,
}

/// The checksums a CompleteMultipartUpload names: each part's (by number) and the object's.
#[derive(Debug, Clone, Default)]
pub struct CompletionSums {
    pub parts: BTreeMap<i32, Kept>,
    pub object: Option<Kept>,
}

impl Upload {
    fn cost(&self) -> u64 {
        UPLOAD_COST
            + (self.bucket.len() + self.key.len()) as u64
            + self.described.cost()
            + strings_cost(&self.tags)
            + self
                .parts
                .values()
                .map(|(b, _, _)| PART_COST + b.len() as u64)
                .sum::<u64>()
    }
}

/// A multipart upload under way, as ListMultipartUploads shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: Timestamp,
}

#[derive(Debug, Default)]
pub struct Store {
    pub buckets: BTreeMap<String, Bucket>,
    bytes: u64,
    /// Bytes promised to bodies still being read (see `reserve`).
    reserved: u64,
    versions_made: u64,
    uploads: BTreeMap<String, Upload>,
    /// The last uploads completed, so that a CompleteMultipartUpload sent again (an SDK
    /// retrying after a lost answer) is answered as the first was; oldest first.
    completed: std::collections::VecDeque<Completed>,
    pub limits: Limits,
    /// Topics (the SNS API): ARN to push endpoint.
    pub topics: BTreeMap<String, String>,
    /// Where events go to be posted (none: nothing is sent).
    pub outbox: Option<tokio::sync::mpsc::Sender<super::notify::Outgoing>>,
    /// Events dropped because the outbox was full, and events no post delivered.
    pub notices_dropped: u64,
    pub notices_failed: u64,
}

/// How many completed uploads are remembered for a repeated CompleteMultipartUpload.
const COMPLETIONS_KEPT: usize = 1000;

/// The smallest part AWS accepts, except the last.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone)]
struct Completed {
    id: String,
    bucket: String,
    key: String,
    parts: Vec<(i32, String)>,
    version: Option<String>,
    etag: String,
    checksum: Option<Kept>,
}

fn valid_bucket_name(name: &str) -> Result<(), StoreError> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let edges = name
        .bytes()
        .next()
        .zip(name.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    // AWS also refuses a dot beside a dot or a hyphen, and a name written as an IPv4 address.
    let dots = ["..", ".-", "-."].iter().any(|p| name.contains(p));
    let ip = name.parse::<std::net::Ipv4Addr>().is_ok();
    if (3..=63).contains(&name.len()) && ok_chars && edges && !dots && !ip {
        Ok(())
    } else {
        Err(StoreError::InvalidBucketName(format!(
            "The specified bucket is not valid: '{name}' (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no dot beside a dot or a hyphen, not an IP address)"
        )))
    }
}

/// The place in the order of writes a version id of this sandbox carries (its last hex
/// digits after the first 16), or `None` for an id it never made ("null" included).
fn seq_of_version_id(id: &str) -> Option<u64> {
    let (scrambled, counter) = (id.get(..16)?, id.get(16..)?);
    if counter.len() < 8 || !scrambled.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(counter, 16).ok().filter(|&n| n > 0)
}

/// Where a key falls at one level: itself, or rolled up into a common prefix.
fn roll_up<'a>(key: &'a str, prefix: &str, delimiter: Option<&str>) -> Option<&'a str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.get(prefix.len()..)?;
    rest.find(delimiter)
        .map(|i| &key[..prefix.len() + i + delimiter.len()])
}

impl Store {
    pub fn new(limits: Limits) -> Store {
        Store {
            limits,
            ..Store::default()
        }
    }

    /// An opaque, unique version id (splitmix64 of a counter, then the counter).
    fn new_version_id(&mut self) -> String {
        self.versions_made += 1;
        let mut z = self.versions_made.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        format!("{z:016x}{:08x}", self.versions_made)
    }

    /// The id and place in the order of writes of a new entry: a fresh id on a versioned
    /// bucket, "null" otherwise (placed all the same).
    fn new_entry_id(&mut self, versioned: bool) -> (String, u64) {
        if versioned {
            let id = self.new_version_id();
            (id, self.versions_made)
        } else {
            self.versions_made += 1;
            ("null".to_string(), self.versions_made)
        }
    }

    pub fn bucket(&self, name: &str) -> Result<&Bucket, StoreError> {
        self.buckets.get(name).ok_or(StoreError::NoSuchBucket)
    }

    fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket, StoreError> {
        self.buckets.get_mut(name).ok_or(StoreError::NoSuchBucket)
    }

    /// A bucket's notification configuration, to change.
    pub fn notifications_mut(&mut self, name: &str) -> Option<&mut Vec<super::notify::Rule>> {
        self.buckets.get_mut(name).map(|b| &mut b.notifications)
    }

    pub fn create_bucket(
        &mut self,
        name: &str,
        location: Option<String>,
        object_lock: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        valid_bucket_name(name)?;
        if self.buckets.contains_key(name) {
            return Err(StoreError::BucketAlreadyOwnedByYou);
        }
        let cost = bucket_cost(name, location.as_deref());
        self.check_room(cost)?;
        self.grow(cost);
        self.buckets.insert(
            name.to_string(),
            Bucket {
                created: now,
                location: location.filter(|l| !l.is_empty()),
                versioning: if object_lock {
                    Versioning::Enabled
                } else {
                    Versioning::Never
                },
                lock_enabled: object_lock,
                default_retention: None,
                keys: BTreeMap::new(),
                lifecycle: None,
                policy: None,
                deleted_null: BTreeMap::new(),
                settings: BTreeMap::new(),
                notifications: Vec::new(),
            },
        );
        Ok(())
    }

    /// DeleteBucket: only a bucket with no version and no delete marker. Uploads still under
    /// way go with it, as AWS aborts them (an upload is not an object).
    pub fn delete_bucket(&mut self, name: &str) -> Result<(), StoreError> {
        let b = self.bucket(name)?;
        if !b.keys.is_empty() {
            return Err(StoreError::BucketNotEmpty);
        }
        let freed = self.buckets.remove(name).map_or(0, |b| {
            bucket_cost(name, b.location.as_deref())
                + b.lifecycle.as_ref().map_or(0, json_cost)
                + b.policy
                    .as_ref()
                    .map_or(0, |p| STRING_COST + p.len() as u64)
                + b.settings.values().map(json_cost).sum::<u64>()
        });
        let uploads: u64 = self
            .uploads
            .values()
            .filter(|u| u.bucket == name)
            .map(Upload::cost)
            .sum();
        self.uploads.retain(|_, u| u.bucket != name);
        self.shrink(freed + uploads);
        Ok(())
    }

    pub fn set_versioning(&mut self, bucket: &str, enabled: bool) -> Result<(), StoreError> {
        let b = self.bucket_mut(bucket)?;
        if b.lock_enabled && !enabled {
            return Err(StoreError::InvalidBucketState(
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.".into(),
            ));
        }
        b.versioning = if enabled {
            Versioning::Enabled
        } else {
            Versioning::Suspended
        };
        Ok(())
    }

    pub fn set_lock_configuration(
        &mut self,
        bucket: &str,
        default: Option<(RetentionMode, RetentionPeriod)>,
    ) -> Result<(), StoreError> {
        let b = self.bucket_mut(bucket)?;
        if !b.lock_enabled {
            if b.versioning != Versioning::Enabled {
                return Err(StoreError::InvalidBucketState(
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration".into(),
                ));
            }
            b.lock_enabled = true;
        }
        if let Some((mode, period)) = &default {
            if matches!(mode, RetentionMode::Other(_)) {
                return Err(StoreError::InvalidArgument(format!(
                    "Unknown retention mode {}",
                    mode.as_str()
                )));
            }
            let n = match period {
                RetentionPeriod::Days(n) | RetentionPeriod::Years(n) => *n,
            };
            if n <= 0 {
                return Err(StoreError::InvalidArgument(
                    "Default retention period must be a positive integer value".into(),
                ));
            }
        }
        b.default_retention = default;
        Ok(())
    }

    fn check_space(&self, size: u64) -> Result<(), StoreError> {
        if size > self.limits.max_object_bytes {
            return Err(StoreError::EntityTooLarge(format!(
                "This sandbox keeps objects of at most {} bytes in memory; this one has {size}.",
                self.limits.max_object_bytes
            )));
        }
        self.check_total(size)
    }

    /// Everything held: buckets, versions, markers, tags, uploads and their parts (`bytes`),
    /// and bodies being read (`reserved`).
    pub fn held(&self) -> u64 {
        self.bytes + self.reserved
    }

    /// Room for a body of `more` bytes (with what is said about it): EntityTooLarge beyond the
    /// cap, as a body too large for the sandbox.
    fn check_total(&self, more: u64) -> Result<(), StoreError> {
        let held = self.held();
        if held.saturating_add(more) > self.limits.max_total_bytes {
            return Err(StoreError::EntityTooLarge(format!(
                "This sandbox keeps at most {} bytes in memory in total (lockwatch sandbox --max-memory) and holds {held} already.",
                self.limits.max_total_bytes
            )));
        }
        Ok(())
    }

    /// Room for a record with no body (a delete marker, tags, a bucket, an upload): 503
    /// SlowDown beyond the cap, so that a loop of small requests cannot grow the process.
    fn check_room(&self, more: u64) -> Result<(), StoreError> {
        let held = self.held();
        if held.saturating_add(more) > self.limits.max_total_bytes {
            return Err(StoreError::Full(format!(
                "This sandbox keeps at most {} bytes in memory in total (lockwatch sandbox --max-memory) and holds {held}: delete versions, markers or buckets to make room.",
                self.limits.max_total_bytes
            )));
        }
        Ok(())
    }

    fn grow(&mut self, n: u64) {
        self.bytes = self.bytes.saturating_add(n);
    }

    fn shrink(&mut self, n: u64) {
        self.bytes = self.bytes.saturating_sub(n);
    }

    /// Promises `n` more bytes to a body being read, so that bodies read at the same time never
    /// add up past the total: refused at once when they would. `release` gives them back.
    pub fn reserve(&mut self, n: u64) -> Result<(), StoreError> {
        self.check_total(n)?;
        self.reserved += n;
        Ok(())
    }

    pub fn release(&mut self, n: u64) {
        self.reserved = self.reserved.saturating_sub(n);
    }

    /// Stores a new version. The bucket's default retention applies unless `lock` names one.
    pub fn put_object(
        &mut self,
        bucket: &str,
        key: &str,
        object: Object,
        write: impl Into<Write>,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let Write {
            lock,
            tags,
            conditions,
        } = write.into();
        let size = object.body.len() as u64;
        self.check_space(size)?;
        let b = self.bucket(bucket)?;
        let current = b
            .keys
            .get(key)
            .and_then(|e| e.first())
            .and_then(Entry::object)
            .map(|o| o.etag.as_str());
        match conditions.evaluate(current) {
            WriteVerdict::Go => {}
            WriteVerdict::NoSuchKey => {
                return Err(StoreError::NoSuchKey {
                    delete_marker: false,
                });
            }
            WriteVerdict::Failed => return Err(StoreError::PreconditionFailed),
        }
        if (lock.retention.is_some() || lock.legal_hold) && !b.lock_enabled {
            return Err(StoreError::InvalidRequest(
                "Bucket is missing Object Lock Configuration".into(),
            ));
        }
        if let Some((_, until)) = &lock.retention
            && until.instant() <= now
        {
            return Err(StoreError::InvalidArgument(
                "The retain until date must be in the future!".into(),
            ));
        }
        let retention = lock.retention.or_else(|| {
            b.default_retention.as_ref().map(|(mode, period)| {
                let until = match period {
                    RetentionPeriod::Days(d) => {
                        now + SignedDuration::from_hours(24 * i64::from(*d))
                    }
                    RetentionPeriod::Years(y) => {
                        now + SignedDuration::from_hours(24 * 365 * i64::from(*y))
                    }
                };
                (mode.clone(), RetainUntil::at(until))
            })
        });
        let versioned = b.versioning == Versioning::Enabled;
        let (version_id, seq) = self.new_entry_id(versioned);
        let entry = Entry {
            version_id: version_id.clone(),
            content: Content::Data(Arc::new(object)),
            last_modified: now,
            retention,
            legal_hold: lock.legal_hold,
            tags,
            seq,
        };
        self.check_total(entry.cost(key))?;
        self.insert(bucket, key, entry, !versioned, now)?;
        Ok(versioned.then_some(version_id))
    }

    /// Puts `entry` on top of `key`; with `replace_null`, the "null" version is replaced (a
    /// bucket whose versioning is off or suspended keeps one).
    fn insert(
        &mut self,
        bucket: &str,
        key: &str,
        entry: Entry,
        replace_null: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let cost = entry.cost(key);
        let b = self.bucket_mut(bucket)?;
        let entries = b.keys.entry(key.to_string()).or_default();
        let mut freed = 0;
        if replace_null && let Some(i) = entries.iter().position(|e| e.version_id == "null") {
            if let Some(refusal) = entries[i].lock_refusal(false, now) {
                return Err(refusal);
            }
            freed = entries.remove(i).cost(key);
        }
        let (name, version_id, etag, size, seq) = match &entry.content {
            Content::DeleteMarker => (
                "ObjectRemoved:DeleteMarkerCreated",
                entry.version_id.clone(),
                String::new(),
                0,
                entry.seq,
            ),
            Content::Data(o) => (
                "ObjectCreated:Put",
                entry.version_id.clone(),
                o.etag.clone(),
                o.body.len() as u64,
                entry.seq,
            ),
        };
        entries.insert(0, entry);
        self.shrink(freed);
        self.grow(cost);
        self.emit(super::notify::Change {
            bucket,
            key,
            name,
            version_id: if version_id == "null" {
                ""
            } else {
                &version_id
            },
            etag: &etag,
            size,
            at: now,
            seq,
        });
        Ok(())
    }

    fn entries(&self, bucket: &str, key: &str) -> Result<&Vec<Entry>, StoreError> {
        self.bucket(bucket)?
            .keys
            .get(key)
            .filter(|e| !e.is_empty())
            .ok_or(StoreError::NoSuchKey {
                delete_marker: false,
            })
    }

    /// The entry a read names: a version id, or the latest. A delete marker cannot be read.
    pub fn read(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<&Entry, StoreError> {
        let entries = match (self.entries(bucket, key), version_id) {
            (Ok(e), _) => e,
            (Err(StoreError::NoSuchKey { .. }), Some(_)) => return Err(StoreError::NoSuchVersion),
            (Err(e), _) => return Err(e),
        };
        match version_id {
            Some(id) => {
                let entry = entries
                    .iter()
                    .find(|e| e.version_id == id)
                    .ok_or(StoreError::NoSuchVersion)?;
                match entry.content {
                    Content::DeleteMarker => Err(StoreError::MethodNotAllowed),
                    Content::Data(_) => Ok(entry),
                }
            }
            None => {
                let latest = &entries[0];
                match latest.content {
                    Content::DeleteMarker => Err(StoreError::NoSuchKey {
                        delete_marker: true,
                    }),
                    Content::Data(_) => Ok(latest),
                }
            }
        }
    }

    /// DeleteObject without a version id: a delete marker on a versioned bucket.
    pub fn delete_object(
        &mut self,
        bucket: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Deleted, StoreError> {
        let versioning = self.bucket(bucket)?.versioning;
        match versioning {
            Versioning::Enabled | Versioning::Suspended => {
                let versioned = versioning == Versioning::Enabled;
                let (version_id, seq) = self.new_entry_id(versioned);
                let marker = Entry {
                    version_id: version_id.clone(),
                    content: Content::DeleteMarker,
                    last_modified: now,
                    retention: None,
                    legal_hold: false,
                    tags: BTreeMap::new(),
                    seq,
                };
                self.check_room(marker.cost(key))?;
                self.insert(bucket, key, marker, !versioned, now)?;
                Ok(Deleted {
                    version_id: Some(version_id),
                    delete_marker: true,
                })
            }
            Versioning::Never => {
                let b = self.bucket_mut(bucket)?;
                let removed = b.keys.remove(key);
                let freed = removed
                    .as_ref()
                    .map(|e| e.iter().map(|e| e.cost(key)).sum::<u64>())
                    .unwrap_or(0);
                self.shrink(freed);
                if let Some(Entry {
                    content: Content::Data(o),
                    seq,
                    ..
                }) = removed.as_ref().and_then(|e| e.first())
                {
                    self.emit(super::notify::Change {
                        bucket,
                        key,
                        name: "ObjectRemoved:Delete",
                        version_id: "",
                        etag: &o.etag,
                        size: o.body.len() as u64,
                        at: now,
                        seq: *seq,
                    });
                }
                Ok(Deleted {
                    version_id: None,
                    delete_marker: false,
                })
            }
        }
    }

    /// DeleteObject with a version id: removes that version or marker for good, unless a lock
    /// forbids it.
    pub fn delete_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
        bypass_governance: bool,
        now: Timestamp,
    ) -> Result<Deleted, StoreError> {
        let b = self.bucket_mut(bucket)?;
        let Some(entries) = b.keys.get_mut(key) else {
            // S3 answers a delete of a missing version with success.
            return Ok(Deleted {
                version_id: Some(version_id.to_string()),
                delete_marker: false,
            });
        };
        let Some(i) = entries.iter().position(|e| e.version_id == version_id) else {
            return Ok(Deleted {
                version_id: Some(version_id.to_string()),
                delete_marker: false,
            });
        };
        if let Some(refusal) = entries[i].lock_refusal(bypass_governance, now) {
            return Err(refusal);
        }
        let removed = entries.remove(i);
        let tombstone = STRING_COST + key.len() as u64;
        let mut freed = removed.cost(key);
        if entries.is_empty() {
            b.keys.remove(key);
            if b.deleted_null.remove(key).is_some() {
                freed += tombstone;
            }
        } else if removed.version_id == "null"
            && b.deleted_null
                .insert(key.to_string(), removed.seq)
                .is_none()
        {
            // The place kept for a listing marker is memory too (at most one per key).
            freed = freed.saturating_sub(tombstone);
        }
        self.shrink(freed);
        let (etag, size) = match &removed.content {
            Content::DeleteMarker => (String::new(), 0),
            Content::Data(o) => (o.etag.clone(), o.body.len() as u64),
        };
        self.emit(super::notify::Change {
            bucket,
            key,
            name: "ObjectRemoved:Delete",
            version_id,
            etag: &etag,
            size,
            at: now,
            seq: removed.seq,
        });
        Ok(Deleted {
            version_id: Some(version_id.to_string()),
            delete_marker: matches!(removed.content, Content::DeleteMarker),
        })
    }

    /// A version whose lock can be changed: the bucket must have Object Lock.
    fn lockable_mut(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<&mut Entry, StoreError> {
        if !self.bucket(bucket)?.lock_enabled {
            return Err(StoreError::InvalidRequest(
                "Bucket is missing Object Lock Configuration".into(),
            ));
        }
        self.entry_mut(bucket, key, version_id)
    }

    /// A version (the latest when `version_id` is `None`); a delete marker is 405.
    fn entry_mut(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<&mut Entry, StoreError> {
        let b = self.bucket_mut(bucket)?;
        let entries = b.keys.get_mut(key).ok_or(StoreError::NoSuchKey {
            delete_marker: false,
        })?;
        let entry = match version_id {
            Some(id) => entries
                .iter_mut()
                .find(|e| e.version_id == id)
                .ok_or(StoreError::NoSuchVersion)?,
            None => entries.first_mut().ok_or(StoreError::NoSuchKey {
                delete_marker: false,
            })?,
        };
        if matches!(entry.content, Content::DeleteMarker) {
            return Err(StoreError::MethodNotAllowed);
        }
        Ok(entry)
    }

    /// PutObjectRetention: COMPLIANCE can only be extended; GOVERNANCE can be extended, and
    /// shortened, removed or changed only with the bypass.
    pub fn set_retention(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        retention: Option<(RetentionMode, RetainUntil)>,
        bypass_governance: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let entry = self.lockable_mut(bucket, key, version_id)?;
        if let Some((mode, until)) = &retention {
            if matches!(mode, RetentionMode::Other(_)) {
                return Err(StoreError::InvalidArgument(format!(
                    "Unknown retention mode {}",
                    mode.as_str()
                )));
            }
            if until.instant() <= now {
                return Err(StoreError::InvalidArgument(
                    "The retain until date must be in the future!".into(),
                ));
            }
        }
        if let Some((current_mode, current_until)) = &entry.retention
            && current_until.instant() > now
        {
            let extends_same_mode =
                matches!(&retention, Some((m, u)) if m == current_mode && u >= current_until);
            let allowed = match current_mode {
                RetentionMode::Governance => extends_same_mode || bypass_governance,
                _ => extends_same_mode,
            };
            if !allowed {
                return Err(StoreError::Locked(LOCKED.into()));
            }
        }
        entry.retention = retention;
        Ok(())
    }

    pub fn retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(RetentionMode, RetainUntil), StoreError> {
        let b = self.bucket(bucket)?;
        if !b.lock_enabled {
            return Err(StoreError::InvalidRequest(
                "Bucket is missing Object Lock Configuration".into(),
            ));
        }
        let entry = self.read(bucket, key, version_id)?;
        entry
            .retention
            .clone()
            .ok_or(StoreError::NoSuchObjectLockConfiguration)
    }

    pub fn set_legal_hold(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        on: bool,
    ) -> Result<(), StoreError> {
        self.lockable_mut(bucket, key, version_id)?.legal_hold = on;
        Ok(())
    }

    pub fn legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        if !self.bucket(bucket)?.lock_enabled {
            return Err(StoreError::InvalidRequest(
                "Bucket is missing Object Lock Configuration".into(),
            ));
        }
        Ok(self.read(bucket, key, version_id)?.legal_hold)
    }

    /// CopyObject: a new version of `key` from a source version, guarded by `if_match`.
    #[allow(clippy::too_many_arguments)]
    /// CopyObject; `replace` holds the content type and metadata of a copy made with
    /// `x-amz-metadata-directive: REPLACE` (otherwise the source's are copied).
    #[allow(clippy::too_many_arguments)]
    pub fn copy_object(
        &mut self,
        source: (&str, &str, Option<&str>),
        dest: (&str, &str),
        conditions: &ReadConditions,
        replace: CopyAs,
        lock: NewLock,
        now: Timestamp,
    ) -> Result<(Option<String>, String, String), StoreError> {
        let (src_bucket, src_key, src_version) = source;
        let entry = self.read(src_bucket, src_key, src_version)?;
        let source_version = entry.version_id.clone();
        let object = entry
            .object()
            .cloned()
            .ok_or(StoreError::MethodNotAllowed)?;
        if conditions.evaluate(&object.etag, entry.last_modified) != Verdict::Go {
            return Err(StoreError::PreconditionFailed);
        }
        let is_current = self
            .entries(src_bucket, src_key)
            .is_ok_and(|e| e[0].version_id == source_version);
        if (src_bucket, src_key) == dest
            && is_current
            && replace.described.is_none()
            && replace.tags.is_none()
            && lock.retention.is_none()
            && !lock.legal_hold
        {
            return Err(StoreError::InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.".into(),
            ));
        }
        let tags = replace.tags.unwrap_or_else(|| entry.tags.clone());
        let etag = object.etag.clone();
        let mut copy = (*object).clone();
        if let Some(described) = replace.described {
            copy.described = described;
        }
        let write = Write {
            lock,
            tags,
            conditions: WriteConditions::default(),
        };
        let version = self.put_object(dest.0, dest.1, copy, write, now)?;
        Ok((version, source_version, etag))
    }

    /// CreateMultipartUpload: lock headers are checked now and applied on completion.
    pub fn create_upload(
        &mut self,
        bucket: &str,
        key: &str,
        content: (Described, BTreeMap<String, String>),
        lock: NewLock,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        self.create_upload_checked(bucket, key, content, lock, None, now)
    }

    /// `create_upload`, the parts and the object checksummed as `checksum` says.
    pub fn create_upload_checked(
        &mut self,
        bucket: &str,
        key: &str,
        content: (Described, BTreeMap<String, String>),
        lock: NewLock,
        checksum: Option<PartsChecksum>,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let (described, tags) = content;
        let b = self.bucket(bucket)?;
        if (lock.retention.is_some() || lock.legal_hold) && !b.lock_enabled {
            return Err(StoreError::InvalidRequest(
                "Bucket is missing Object Lock Configuration".into(),
            ));
        }
        if let Some((_, until)) = &lock.retention
            && until.instant() <= now
        {
            return Err(StoreError::InvalidArgument(
                "The retain until date must be in the future!".into(),
            ));
        }
        let upload = Upload {
            bucket: bucket.to_string(),
            key: key.to_string(),
            described,
            tags,
            lock,
            initiated: now,
            parts: BTreeMap::new(),
            checksum,
        };
        let cost = upload.cost();
        self.check_room(cost)?;
        let id = format!("upload-{}", self.new_version_id());
        self.uploads.insert(id.clone(), upload);
        self.grow(cost);
        Ok(id)
    }

    fn upload_mut(&mut self, bucket: &str, key: &str, id: &str) -> Result<&mut Upload, StoreError> {
        self.uploads
            .get_mut(id)
            .filter(|u| u.bucket == bucket && u.key == key)
            .ok_or_else(|| StoreError::NoSuchUpload(id.to_string()))
    }

    pub fn upload_part(
        &mut self,
        bucket: &str,
        key: &str,
        id: &str,
        part: i32,
        body: bytes::Bytes,
    ) -> Result<String, StoreError> {
        self.upload_part_checked(bucket, key, id, part, body, None)
            .map(|(etag, _)| etag)
    }

    /// UploadPart with the checksum the part came with (already checked against its bytes):
    /// an upload begun with an algorithm takes parts of that algorithm only, and computes the
    /// checksum of a part sent without one. The part's ETag and checksum.
    pub fn upload_part_checked(
        &mut self,
        bucket: &str,
        key: &str,
        id: &str,
        part: i32,
        body: bytes::Bytes,
        sent: Option<Kept>,
    ) -> Result<(String, Option<Kept>), StoreError> {
        if !(1..=10_000).contains(&part) {
            return Err(StoreError::InvalidArgument(
                "Part number must be an integer between 1 and 10000".into(),
            ));
        }
        let cost = PART_COST + body.len() as u64;
        let asked = self.upload_mut(bucket, key, id)?.checksum;
        let checksum = match (asked, sent) {
            (Some(asked), Some(sent)) if sent.algorithm != asked.algorithm => {
                return Err(StoreError::InvalidRequest(format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                    asked.algorithm.name().to_ascii_lowercase(),
                    sent.algorithm.name().to_ascii_lowercase()
                )));
            }
            (Some(asked), None) => Some(Kept {
                algorithm: asked.algorithm,
                value: asked.algorithm.of(&body),
            }),
            (_, sent) => sent,
        };
        self.check_total(cost)?;
        let etag = etag_of(&body);
        let replaced = self
            .upload_mut(bucket, key, id)?
            .parts
            .insert(part, (body, etag.clone(), checksum.clone()));
        self.shrink(replaced.map_or(0, |(b, _, _)| PART_COST + b.len() as u64));
        self.grow(cost);
        Ok((etag, checksum))
    }

    /// UploadPartCopy: a byte range (inclusive) of a source version becomes a part.
    #[allow(clippy::too_many_arguments)]
    pub fn upload_part_copy(
        &mut self,
        dest: (&str, &str, &str),
        part: i32,
        source: (&str, &str, Option<&str>),
        range: Option<(u64, u64)>,
        conditions: &ReadConditions,
    ) -> Result<String, StoreError> {
        let entry = self.read(source.0, source.1, source.2)?;
        let object = entry
            .object()
            .cloned()
            .ok_or(StoreError::MethodNotAllowed)?;
        if conditions.evaluate(&object.etag, entry.last_modified) != Verdict::Go {
            return Err(StoreError::PreconditionFailed);
        }
        let len = object.body.len() as u64;
        let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
        if start > end || end >= len {
            return Err(StoreError::InvalidRange(format!(
                "The x-amz-copy-source-range bytes={start}-{end} is not within the source's {len} bytes."
            )));
        }
        let body = object.body.slice(start as usize..=end as usize);
        self.upload_part(dest.0, dest.1, dest.2, part, body)
    }

    /// CompleteMultipartUpload: the listed parts, in order, become one new version. Every part
    /// but the last must hold at least 5 MiB. The same completion sent again is answered as
    /// the first was.
    #[allow(clippy::too_many_arguments)]
    pub fn complete_upload(
        &mut self,
        bucket: &str,
        key: &str,
        id: &str,
        parts: &[(i32, String)],
        sums: &CompletionSums,
        conditions: WriteConditions,
        now: Timestamp,
    ) -> Result<(Option<String>, String, Option<Kept>), StoreError> {
        self.bucket(bucket)?;
        let listed: Vec<(i32, String)> = parts
            .iter()
            .map(|(n, e)| (*n, e.trim_matches('"').to_string()))
            .collect();
        let upload = match self.upload_mut(bucket, key, id) {
            Ok(upload) => upload.clone(),
            Err(missing) => {
                return self
                    .completed
                    .iter()
                    .find(|c| c.id == id && c.bucket == bucket && c.key == key)
                    .filter(|c| c.parts == listed)
                    .map(|c| (c.version.clone(), c.etag.clone(), c.checksum.clone()))
                    .ok_or(missing);
            }
        };
        if listed.is_empty() {
            return Err(StoreError::InvalidRequest(
                "You must specify at least one part".into(),
            ));
        }
        let mut body = bytes::BytesMut::new();
        let mut digests = Vec::new();
        let mut sizes = Vec::new();
        if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(StoreError::InvalidPartOrder);
        }
        for (i, (number, etag)) in listed.iter().enumerate() {
            let invalid = || {
                StoreError::InvalidPart(format!(
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. (part {number})"
                ))
            };
            let (data, held, sum) = upload.parts.get(number).ok_or_else(invalid)?;
            if held != etag {
                return Err(invalid());
            }
            if let Some(named) = sums.parts.get(number)
                && sum.as_ref() != Some(named)
            {
                return Err(invalid());
            }
            if i + 1 < listed.len() && (data.len() as u64) < MIN_PART_BYTES {
                return Err(StoreError::EntityTooSmall);
            }
            body.extend_from_slice(data);
            sizes.push(data.len() as u64);
            digests.extend(
                (0..held.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&held[2 * i..2 * i + 2], 16).ok()),
            );
        }
        // The ETag of a multipart object: the MD5 of the parts' MD5s, then "-" and the count.
        let etag = format!("{}-{}", etag_of(&digests), listed.len());
        let checksum = object_checksum(&upload, &listed, &body, sums.object.as_ref())?;
        let part_checksums: Vec<Kept> = if upload.checksum.is_some() {
            listed
                .iter()
                .filter_map(|(n, _)| upload.parts.get(n).and_then(|(_, _, k)| k.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let object = Object {
            body: body.freeze(),
            etag: etag.clone(),
            described: upload.described.clone(),
            checksum: checksum.clone(),
            parts: sizes,
            part_checksums,
        };
        let write = Write {
            lock: upload.lock.clone(),
            tags: upload.tags.clone(),
            conditions,
        };
        // The parts become the object: their memory is given back before the object's is
        // counted, and taken again if it cannot be stored.
        let upload_cost = upload.cost();
        self.shrink(upload_cost);
        let version = match self.put_object(bucket, key, object, write, now) {
            Ok(version) => version,
            Err(refused) => {
                self.grow(upload_cost);
                return Err(refused);
            }
        };
        self.uploads.remove(id);
        if self.completed.len() == COMPLETIONS_KEPT {
            self.completed.pop_front();
        }
        self.completed.push_back(Completed {
            id: id.to_string(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            parts: listed,
            version: version.clone(),
            etag: etag.clone(),
            checksum: checksum.clone(),
        });
        Ok((version, etag, checksum))
    }

    pub fn abort_upload(&mut self, bucket: &str, key: &str, id: &str) -> Result<(), StoreError> {
        self.upload_mut(bucket, key, id)?;
        let freed = self.uploads.remove(id).map_or(0, |u| u.cost());
        self.shrink(freed);
        Ok(())
    }

    /// ListMultipartUploads: the uploads under way in `bucket` whose key starts with `prefix`,
    /// by key, then by when they began.
    pub fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ListedUpload>, StoreError> {
        self.bucket(bucket)?;
        let mut listed: Vec<ListedUpload> = self
            .uploads
            .iter()
            .filter(|(_, u)| u.bucket == bucket && u.key.starts_with(prefix))
            .map(|(id, u)| ListedUpload {
                key: u.key.clone(),
                upload_id: id.clone(),
                initiated: u.initiated,
            })
            .collect();
        listed.sort_by(|a, b| (&a.key, a.initiated).cmp(&(&b.key, b.initiated)));
        Ok(listed)
    }

    /// The tag set of a version (the latest when `version_id` is `None`).
    pub fn tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(String, BTreeMap<String, String>), StoreError> {
        let entry = self.read(bucket, key, version_id)?;
        if entry.object().is_none() {
            return Err(StoreError::MethodNotAllowed);
        }
        Ok((entry.version_id.clone(), entry.tags.clone()))
    }

    /// Replaces (or with an empty set, removes) the tag set of a version. AWS's limits: at
    /// most 10 tags, keys of 1 to 128 characters, values of at most 256.
    pub fn set_tags(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: BTreeMap<String, String>,
    ) -> Result<String, StoreError> {
        if tags.len() > 10 {
            return Err(StoreError::InvalidArgument(
                "Object tags cannot be greater than 10".into(),
            ));
        }
        if tags
            .iter()
            .any(|(k, v)| k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256)
        {
            return Err(StoreError::InvalidArgument(
                "The TagKey you have provided is invalid".into(),
            ));
        }
        let old = strings_cost(&self.entry_mut(bucket, key, version_id)?.tags);
        let new = strings_cost(&tags);
        if new > old {
            self.check_room(new - old)?;
        }
        let entry = self.entry_mut(bucket, key, version_id)?;
        entry.tags = tags;
        let id = entry.version_id.clone();
        self.shrink(old);
        self.grow(new);
        Ok(id)
    }

    pub fn set_lifecycle(
        &mut self,
        bucket: &str,
        lifecycle: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        let new = lifecycle.as_ref().map_or(0, json_cost);
        let old = self.bucket(bucket)?.lifecycle.as_ref().map_or(0, json_cost);
        if new > old {
            self.check_room(new - old)?;
        }
        self.bucket_mut(bucket)?.lifecycle = lifecycle;
        self.shrink(old);
        self.grow(new);
        Ok(())
    }

    /// Sets (or with `None` removes) one of a bucket's kept configurations.
    pub fn set_setting(
        &mut self,
        bucket: &str,
        setting: Setting,
        value: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        let new = value.as_ref().map_or(0, json_cost);
        let old = self
            .bucket(bucket)?
            .settings
            .get(&setting)
            .map_or(0, json_cost);
        if new > old {
            self.check_room(new - old)?;
        }
        let settings = &mut self.bucket_mut(bucket)?.settings;
        match value {
            Some(v) => settings.insert(setting, v),
            None => settings.remove(&setting),
        };
        self.shrink(old);
        self.grow(new);
        Ok(())
    }

    pub fn set_policy(&mut self, bucket: &str, policy: Option<String>) -> Result<(), StoreError> {
        let cost = |p: &Option<String>| p.as_ref().map_or(0, |p| STRING_COST + p.len() as u64);
        let (new, old) = (cost(&policy), cost(&self.bucket(bucket)?.policy));
        if new > old {
            self.check_room(new - old)?;
        }
        self.bucket_mut(bucket)?.policy = policy;
        self.shrink(old);
        self.grow(new);
        Ok(())
    }

    /// ListObjectVersions from `(key_marker, version_id_marker)`, at most `max_keys` rows,
    /// versions and markers of each key newest first, common prefixes rolled up.
    pub fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        marker: (Option<&str>, Option<&str>),
        max_keys: usize,
    ) -> Result<VersionListing, StoreError> {
        let b = self.bucket(bucket)?;
        let (key_marker, version_marker) = (
            marker.0.filter(|k| !k.is_empty()),
            marker.1.filter(|v| !v.is_empty()),
        );
        // AWS: a version-id marker needs a key marker. It names a place in the key's order,
        // not a version that must still be there: a listing goes on after a version deleted
        // since its page (as boto3's `object_versions.delete()` does, page after page). The
        // place of a deleted version comes from its id; an id the sandbox never made is
        // refused, as AWS refuses one it cannot read.
        let resume_at: Option<usize> = match (key_marker, version_marker) {
            (None, Some(_)) => {
                return Err(StoreError::InvalidArgument(
                    "A version-id marker cannot be specified without a key marker.".into(),
                ));
            }
            (Some(km), Some(vm)) => {
                let entries = b.keys.get(km).map(Vec::as_slice).unwrap_or_default();
                match entries.iter().position(|e| e.version_id == vm) {
                    Some(i) => Some(i + 1),
                    None => {
                        let seq = if vm == "null" {
                            // A key with no entries left lists nothing; otherwise the null
                            // version's place was kept when it was deleted.
                            b.deleted_null.get(km).copied().unwrap_or(u64::MAX)
                        } else {
                            seq_of_version_id(vm).ok_or_else(|| {
                                StoreError::InvalidArgument("Invalid version id specified".into())
                            })?
                        };
                        Some(entries.iter().take_while(|e| e.seq >= seq).count())
                    }
                }
            }
            _ => None,
        };
        let mut listing = VersionListing::default();
        let mut last_prefix: Option<&str> = None;
        let start = key_marker.map_or(prefix, |k| k.max(prefix));
        for (key, entries) in b
            .keys
            .range::<str, _>((Bound::Included(start), Bound::Unbounded))
        {
            // Keys with the prefix form one run from `prefix` on; past it, nothing matches.
            if !key.starts_with(prefix) {
                break;
            }
            let rolled = roll_up(key, prefix, delimiter);
            if let Some(km) = key_marker {
                if key.as_str() < km {
                    continue;
                }
                if key == km && version_marker.is_none() {
                    continue;
                }
                if rolled.is_some_and(|p| p == km || km.starts_with(p)) {
                    continue;
                }
            }
            if let Some(p) = rolled {
                if last_prefix == Some(p) {
                    continue;
                }
                if listing.rows.len() == max_keys {
                    listing.next = listing_next(&listing.rows);
                    return Ok(listing);
                }
                last_prefix = Some(p);
                listing.rows.push(ListedVersion::Prefix(p.to_string()));
                continue;
            }
            let skip_to = match (key_marker, resume_at) {
                (Some(km), Some(at)) if key == km => at,
                _ => 0,
            };
            for (i, entry) in entries.iter().enumerate().skip(skip_to) {
                if listing.rows.len() == max_keys {
                    listing.next = listing_next(&listing.rows);
                    return Ok(listing);
                }
                listing.rows.push(ListedVersion::Entry {
                    key: key.clone(),
                    entry: entry.clone(),
                    is_latest: i == 0,
                });
            }
        }
        Ok(listing)
    }

    /// ListObjectsV2: keys whose latest entry is a version, after `after`.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> Result<ObjectListing, StoreError> {
        let b = self.bucket(bucket)?;
        let mut listing = ObjectListing::default();
        let mut last: Option<String> = None;
        let mut count = 0;
        for (key, entries) in b
            .keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        {
            if !key.starts_with(prefix) {
                break;
            }
            let Some(latest) = entries.first() else {
                continue;
            };
            if matches!(latest.content, Content::DeleteMarker) {
                continue;
            }
            if let Some(a) = after {
                if key.as_str() <= a {
                    continue;
                }
                if roll_up(key, prefix, delimiter).is_some_and(|p| p == a) {
                    continue;
                }
            }
            match roll_up(key, prefix, delimiter) {
                Some(p) => {
                    if listing.prefixes.last().map(String::as_str) == Some(p) {
                        continue;
                    }
                    if count == max_keys {
                        listing.next = last;
                        return Ok(listing);
                    }
                    listing.prefixes.push(p.to_string());
                    last = Some(p.to_string());
                }
                None => {
                    if count == max_keys {
                        listing.next = last;
                        return Ok(listing);
                    }
                    listing.objects.push((key.clone(), latest.clone()));
                    last = Some(key.clone());
                }
            }
            count += 1;
        }
        Ok(listing)
    }
}

fn listing_next(rows: &[ListedVersion]) -> Option<(String, Option<String>)> {
    rows.last().map(|row| match row {
        ListedVersion::Entry { key, entry, .. } => (key.clone(), Some(entry.version_id.clone())),
        ListedVersion::Prefix(p) => (p.clone(), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> RetainUntil {
        RetainUntil::at(t(s))
    }

    #[test]
    fn a_bucket_goes_with_its_unfinished_uploads() {
        let mut s = lock_store(None);
        let id = s
            .create_upload(
                "bup",
                "big",
                (Described::default(), BTreeMap::new()),
                NewLock::default(),
                t(NOW),
            )
            .expect("upload");
        s.upload_part("bup", "big", &id, 1, bytes::Bytes::from("part"))
            .expect("part");
        assert_eq!(s.delete_bucket("bup"), Ok(()));
        assert_eq!(s.delete_bucket("bup"), Err(StoreError::NoSuchBucket));
        // The upload went with it: a bucket made again under the name has none.
        s.create_bucket("bup", None, true, t(NOW)).expect("again");
        assert_eq!(s.list_uploads("bup", "").map(|l| l.len()), Ok(0));
        assert!(s.abort_upload("bup", "big", &id).is_err());
    }

    #[test]
    fn a_null_version_marker_still_has_a_place_after_the_null_version_is_gone() {
        let mut s = Store::new(Limits::default());
        s.create_bucket("plain", None, false, t(NOW))
            .expect("bucket");
        let body = || Object::new(bytes::Bytes::from("x"), Described::default());
        // A null version from before versioning, then two versions on top of it.
        s.put_object("plain", "k", body(), NewLock::default(), t(NOW))
            .expect("null");
        s.set_versioning("plain", true).expect("versioning");
        s.put_object("plain", "k", body(), NewLock::default(), t(NOW))
            .expect("v2");
        s.put_object("plain", "j", body(), NewLock::default(), t(NOW))
            .expect("other key");
        let all = s
            .list_versions("plain", "", None, (None, None), 1000)
            .expect("list");
        assert_eq!(all.rows.len(), 3);
        s.delete_version("plain", "k", "null", false, t(NOW))
            .expect("delete null");
        // Going on from ("k", "null") lists nothing of k again and loses nothing after it.
        let after = s
            .list_versions("plain", "", None, (Some("k"), Some("null")), 1000)
            .expect("go on after a deleted null version");
        assert!(after.rows.is_empty(), "{:?}", after.rows);
        let after_j = s
            .list_versions("plain", "", None, (Some("j"), Some("null")), 1000)
            .expect("go on from a key that never had a null version");
        // A place never known lists the key again rather than lose any of it.
        assert_eq!(after_j.rows.len(), 2, "j's version again, then k's");
        // With the key gone entirely, its marker lists from the next key on.
        let v2 = s.entries("plain", "k").expect("k")[0].version_id.clone();
        s.delete_version("plain", "k", &v2, false, t(NOW))
            .expect("delete v2");
        assert!(s.bucket("plain").expect("b").deleted_null.is_empty());
        let gone = s
            .list_versions("plain", "", None, (Some("j"), Some("null")), 1000)
            .expect("list");
        assert!(
            gone.rows
                .iter()
                .all(|r| !matches!(r, ListedVersion::Entry { key, .. } if key == "k"))
        );
    }

    #[test]
    fn a_retain_until_past_the_calendar_is_accepted_and_holds() {
        let mut s = lock_store(None);
        // 9999-12-31T23:59:59Z, which AWS accepts as a retain-until date.
        let forever = RetainUntil::from_unix(253_402_300_799, 0);
        let lock = NewLock {
            retention: Some((RetentionMode::Compliance, forever)),
            legal_hold: false,
        };
        let v = s
            .put_object("bup", "k", body("x"), lock, t(NOW))
            .expect("a far-future date is in the future")
            .expect("v");
        assert!(matches!(
            s.delete_version("bup", "k", &v, true, t("9999-12-30T21:00:00Z")),
            Err(StoreError::Locked(_))
        ));
        assert_eq!(
            s.retention("bup", "k", Some(&v)).expect("retention").1,
            forever
        );
    }

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn body(s: &str) -> Object {
        Object::new(bytes::Bytes::from(s.to_string()), Described::default())
    }

    #[test]
    fn etag_is_the_md5_of_the_body() {
        assert_eq!(etag_of(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(body("abc").etag, "900150983cd24fb0d6963f7d28e17f72");
    }

    const NOW: &str = "2026-11-26T12:00:00Z";

    fn lock_store(default: Option<(RetentionMode, RetentionPeriod)>) -> Store {
        let mut s = Store::new(Limits::default());
        s.create_bucket("bup", None, true, t(NOW)).expect("create");
        s.set_lock_configuration("bup", default).expect("lock");
        s
    }

    #[test]
    fn compliance_blocks_delete_until_retain_until_and_ignores_bypass() {
        let mut s = lock_store(Some((RetentionMode::Compliance, RetentionPeriod::Days(1))));
        let v = s
            .put_object("bup", "k", body("x"), NewLock::default(), t(NOW))
            .expect("put")
            .expect("version");
        let before = t("2026-11-27T11:59:59Z");
        assert!(matches!(
            s.delete_version("bup", "k", &v, true, before),
            Err(StoreError::Locked(_))
        ));
        let after = t("2026-11-27T12:00:00Z");
        s.delete_version("bup", "k", &v, false, after)
            .expect("expired");
    }

    #[test]
    fn governance_needs_the_bypass() {
        let mut s = lock_store(Some((RetentionMode::Governance, RetentionPeriod::Days(1))));
        let v = s
            .put_object("bup", "k", body("x"), NewLock::default(), t(NOW))
            .expect("put")
            .expect("v");
        assert!(matches!(
            s.delete_version("bup", "k", &v, false, t(NOW)),
            Err(StoreError::Locked(_))
        ));
        s.delete_version("bup", "k", &v, true, t(NOW))
            .expect("bypass");
    }

    #[test]
    fn legal_hold_blocks_even_with_bypass_and_no_retention() {
        let mut s = lock_store(None);
        let lock = NewLock {
            retention: None,
            legal_hold: true,
        };
        let v = s
            .put_object("bup", "k", body("x"), lock, t(NOW))
            .expect("put")
            .expect("v");
        assert!(matches!(
            s.delete_version("bup", "k", &v, true, t(NOW)),
            Err(StoreError::Locked(_))
        ));
        s.set_legal_hold("bup", "k", Some(&v), false)
            .expect("release");
        s.delete_version("bup", "k", &v, false, t(NOW))
            .expect("deleted");
    }

    #[test]
    fn markers_carry_no_lock_and_delete_without_version_always_adds_one() {
        let mut s = lock_store(Some((RetentionMode::Compliance, RetentionPeriod::Years(1))));
        s.put_object("bup", "k", body("x"), NewLock::default(), t(NOW))
            .expect("put");
        let d = s.delete_object("bup", "k", t(NOW)).expect("marker");
        assert!(d.delete_marker);
        let m = d.version_id.expect("marker id");
        assert_eq!(
            s.read("bup", "k", None),
            Err(StoreError::NoSuchKey {
                delete_marker: true
            })
        );
        assert_eq!(
            s.read("bup", "k", Some(&m)),
            Err(StoreError::MethodNotAllowed)
        );
        s.delete_version("bup", "k", &m, false, t(NOW))
            .expect("markers are never locked");
        assert!(s.read("bup", "k", None).is_ok(), "restored");
    }

    #[test]
    fn retention_rules_for_changes() {
        let mut s = lock_store(None);
        let until = u("2026-12-01T00:00:00Z");
        let lock = NewLock {
            retention: Some((RetentionMode::Compliance, until)),
            legal_hold: false,
        };
        let v = s
            .put_object("bup", "k", body("x"), lock, t(NOW))
            .expect("put")
            .expect("v");
        let shorter = Some((RetentionMode::Compliance, u("2026-11-30T00:00:00Z")));
        assert!(matches!(
            s.set_retention("bup", "k", Some(&v), shorter, true, t(NOW)),
            Err(StoreError::Locked(_))
        ));
        let to_governance = Some((RetentionMode::Governance, until));
        assert!(matches!(
            s.set_retention("bup", "k", Some(&v), to_governance, true, t(NOW)),
            Err(StoreError::Locked(_))
        ));
        assert!(matches!(
            s.set_retention("bup", "k", Some(&v), None, true, t(NOW)),
            Err(StoreError::Locked(_))
        ));
        let longer = Some((RetentionMode::Compliance, u("2026-12-02T00:00:00Z")));
        s.set_retention("bup", "k", Some(&v), longer, false, t(NOW))
            .expect("extend");
        let past = Some((RetentionMode::Compliance, u("2026-01-01T00:00:00Z")));
        assert!(matches!(
            s.set_retention("bup", "k", Some(&v), past, false, t(NOW)),
            Err(StoreError::InvalidArgument(_))
        ));
    }

    #[test]
    fn versioning_cannot_be_suspended_on_a_lock_bucket() {
        let mut s = lock_store(None);
        assert!(matches!(
            s.set_versioning("bup", false),
            Err(StoreError::InvalidBucketState(_))
        ));
    }

    #[test]
    fn lock_headers_need_a_lock_bucket() {
        let mut s = Store::new(Limits::default());
        s.create_bucket("plain", None, false, t(NOW))
            .expect("create");
        let lock = NewLock {
            retention: Some((RetentionMode::Governance, u("2027-01-01T00:00:00Z"))),
            legal_hold: false,
        };
        assert!(matches!(
            s.put_object("plain", "k", body("x"), lock, t(NOW)),
            Err(StoreError::InvalidRequest(_))
        ));
    }

    /// What `bytes` should be, counted from scratch.
    fn recount(s: &Store) -> u64 {
        let buckets: u64 = s
            .buckets
            .iter()
            .map(|(name, b)| {
                bucket_cost(name, b.location.as_deref())
                    + b.lifecycle.as_ref().map_or(0, json_cost)
                    + b.policy
                        .as_ref()
                        .map_or(0, |p| STRING_COST + p.len() as u64)
                    + b.settings.values().map(json_cost).sum::<u64>()
                    + b.keys
                        .iter()
                        .flat_map(|(k, es)| es.iter().map(move |e| e.cost(k)))
                        .sum::<u64>()
                    + b.deleted_null
                        .keys()
                        .map(|k| STRING_COST + k.len() as u64)
                        .sum::<u64>()
            })
            .sum();
        buckets + s.uploads.values().map(Upload::cost).sum::<u64>()
    }

    #[test]
    fn everything_kept_is_counted_and_given_back() {
        let mut s = Store::new(Limits::default());
        let check = |s: &Store, what: &str| assert_eq!(s.bytes, recount(s), "after {what}");
        s.create_bucket("plain", Some("eu".into()), false, t(NOW))
            .expect("bucket");
        s.put_object(
            "plain",
            "k",
            body("null version"),
            NewLock::default(),
            t(NOW),
        )
        .expect("put");
        s.set_versioning("plain", true).expect("versioning");
        check(&s, "a null version");
        for i in 0..5 {
            s.put_object(
                "plain",
                "k",
                body(&"v".repeat(i)),
                NewLock::default(),
                t(NOW),
            )
            .expect("put");
            s.delete_object("plain", "k", t(NOW)).expect("marker");
        }
        check(&s, "versions and markers");
        let tags: BTreeMap<String, String> = [("a".into(), "b".repeat(200))].into();
        s.set_tags("plain", "k", Some("null"), tags).expect("tags");
        s.set_policy("plain", Some("{}".repeat(100)))
            .expect("policy");
        s.set_setting(
            "plain",
            Setting::Tagging,
            Some(serde_json::json!({"x": "y"})),
        )
        .expect("setting");
        check(&s, "tags, policy, setting");
        s.delete_version("plain", "k", "null", false, t(NOW))
            .expect("delete null");
        check(&s, "a deleted null version's place");
        let id = s
            .create_upload(
                "plain",
                "big",
                (Described::default(), BTreeMap::new()),
                NewLock::default(),
                t(NOW),
            )
            .expect("upload");
        s.upload_part("plain", "big", &id, 1, bytes::Bytes::from("one"))
            .expect("part");
        s.upload_part("plain", "big", &id, 1, bytes::Bytes::from("one again"))
            .expect("part again");
        check(&s, "an upload and its parts");
        let e = s
            .upload_part("plain", "big", &id, 2, bytes::Bytes::from("2"))
            .expect("part 2");
        let e1 = etag_of(b"one again");
        s.complete_upload(
            "plain",
            "big",
            &id,
            &[(1, e1), (2, e)],
            &CompletionSums::default(),
            WriteConditions::default(),
            t(NOW),
        )
        .expect_err("part 1 is too small");
        check(&s, "a refused completion");
        let ids: Vec<(String, String)> = s.buckets["plain"]
            .keys
            .iter()
            .flat_map(|(k, es)| es.iter().map(move |e| (k.clone(), e.version_id.clone())))
            .collect();
        for (k, v) in ids {
            s.delete_version("plain", &k, &v, false, t(NOW))
                .expect("delete");
        }
        check(&s, "every version deleted");
        s.delete_bucket("plain")
            .expect("bucket goes with its upload");
        assert_eq!(s.bytes, 0, "nothing left held");
    }

    #[test]
    fn a_storm_of_small_requests_stops_at_the_cap_and_deleting_makes_room() {
        let mut s = Store::new(Limits {
            max_object_bytes: 1024,
            max_total_bytes: 64 * 1024,
        });
        s.create_bucket("b-1", None, true, t(NOW)).expect("bucket");
        let mut made = 0;
        let refusal = loop {
            match s.delete_object("b-1", &format!("key-{made}"), t(NOW)) {
                Ok(_) => made += 1,
                Err(e) => break e,
            }
            assert!(made < 10_000, "markers never stopped");
        };
        assert!(matches!(refusal, StoreError::Full(_)), "{refusal:?}");
        assert!(refusal.to_string().contains("--max-memory"), "{refusal}");
        assert!(s.held() <= 64 * 1024);
        assert!(made > 50, "{made} markers fit in 64 KiB");
        assert!(matches!(
            s.create_bucket("b-2", None, false, t(NOW)),
            Err(StoreError::Full(_))
        ));
        let first = s.buckets["b-1"].keys["key-0"][0].version_id.clone();
        s.delete_version("b-1", "key-0", &first, false, t(NOW))
            .expect("deleting is always allowed");
        s.delete_object("b-1", "one-more", t(NOW))
            .expect("room again");
    }

    #[test]
    fn size_caps_give_a_clear_error() {
        // Room for the bucket and two small versions' records, besides the bodies.
        let records = BUCKET_COST + 3 + 2 * (ENTRY_COST + 1 + 4);
        let mut s = Store::new(Limits {
            max_object_bytes: 4,
            max_total_bytes: records + 6,
        });
        s.create_bucket("b-1", None, false, t(NOW)).expect("create");
        assert!(matches!(
            s.put_object("b-1", "big", body("12345"), NewLock::default(), t(NOW)),
            Err(StoreError::EntityTooLarge(_))
        ));
        s.put_object("b-1", "a", body("1234"), NewLock::default(), t(NOW))
            .expect("fits");
        assert!(matches!(
            s.put_object("b-1", "b", body("123"), NewLock::default(), t(NOW)),
            Err(StoreError::EntityTooLarge(_))
        ));
        s.put_object("b-1", "a", body("12"), NewLock::default(), t(NOW))
            .expect("replacing frees space");
        s.put_object("b-1", "b", body("123"), NewLock::default(), t(NOW))
            .expect("now it fits");
    }

    fn keys_of(listing: &VersionListing) -> Vec<String> {
        listing
            .rows
            .iter()
            .map(|r| match r {
                ListedVersion::Entry { key, entry, .. } => format!("{key}@{}", entry.version_id),
                ListedVersion::Prefix(p) => p.clone(),
            })
            .collect()
    }

    #[test]
    fn version_listing_pages_with_both_markers_and_rolls_up_prefixes() {
        let mut s = lock_store(None);
        for key in ["a/1", "a/2", "k", "k", "k", "k.bak", "z"] {
            s.put_object("bup", key, body(key), NewLock::default(), t(NOW))
                .expect("put");
        }
        let all = s
            .list_versions("bup", "", Some("/"), (None, None), 1000)
            .expect("list");
        let all_rows = keys_of(&all);
        assert_eq!(all_rows.len(), 6, "{all_rows:?}");
        assert_eq!(all_rows[0], "a/");
        let mut paged = Vec::new();
        let mut marker: (Option<String>, Option<String>) = (None, None);
        loop {
            let page = s
                .list_versions(
                    "bup",
                    "",
                    Some("/"),
                    (marker.0.as_deref(), marker.1.as_deref()),
                    2,
                )
                .expect("page");
            paged.extend(keys_of(&page));
            match page.next {
                Some((k, v)) => marker = (Some(k), v),
                None => break,
            }
        }
        assert_eq!(paged, all_rows);
        let only_k = s
            .list_versions("bup", "k", None, (None, None), 1000)
            .expect("list");
        assert_eq!(keys_of(&only_k).len(), 4, "k's three versions and k.bak");
    }

    #[test]
    fn object_listing_skips_deleted_keys_and_pages() {
        let mut s = lock_store(None);
        for key in ["a/1", "b", "c", "d"] {
            s.put_object("bup", key, body(key), NewLock::default(), t(NOW))
                .expect("put");
        }
        s.delete_object("bup", "c", t(NOW)).expect("delete");
        let first = s.list_objects("bup", "", Some("/"), None, 2).expect("list");
        assert_eq!(first.prefixes, ["a/"]);
        assert_eq!(
            first
                .objects
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        let rest = s
            .list_objects("bup", "", Some("/"), first.next.as_deref(), 2)
            .expect("list");
        assert_eq!(
            rest.objects
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["d"]
        );
        assert_eq!(rest.next, None);
    }

    #[test]
    fn multipart_parts_become_one_version_with_the_lock_asked_at_creation() {
        let mut s = lock_store(None);
        let lock = NewLock {
            retention: Some((RetentionMode::Compliance, u("2027-01-01T00:00:00Z"))),
            legal_hold: false,
        };
        let id = s
            .create_upload(
                "bup",
                "big",
                (Described::default(), BTreeMap::new()),
                lock,
                t(NOW),
            )
            .expect("create");
        let first = bytes::Bytes::from(vec![b'h'; MIN_PART_BYTES as usize]);
        let small = s
            .upload_part("bup", "big", &id, 1, bytes::Bytes::from("hello "))
            .expect("a small part 1");
        let e2 = s
            .upload_part("bup", "big", &id, 2, bytes::Bytes::from("world"))
            .expect("part 2");
        let complete = |s: &mut Store, parts: &[(i32, String)]| {
            s.complete_upload(
                "bup",
                "big",
                &id,
                parts,
                &CompletionSums::default(),
                WriteConditions::default(),
                t(NOW),
            )
        };
        assert_eq!(
            complete(&mut s, &[(1, small.clone()), (2, e2.clone())]),
            Err(StoreError::EntityTooSmall),
            "a part before the last under 5 MiB"
        );
        let e1 = s
            .upload_part("bup", "big", &id, 1, first.clone())
            .expect("part 1 again, 5 MiB");
        assert!(matches!(
            complete(&mut s, &[(1, small), (2, e2.clone())]),
            Err(StoreError::InvalidPart(_))
        ));
        assert!(matches!(
            complete(&mut s, &[(1, e1.clone()), (3, e2.clone())]),
            Err(StoreError::InvalidPart(_))
        ));
        assert_eq!(
            complete(&mut s, &[(2, e2.clone()), (1, e1.clone())]),
            Err(StoreError::InvalidPartOrder)
        );
        let parts = [(1, format!("\"{e1}\"")), (2, e2)];
        let (version, etag, checksum) = complete(&mut s, &parts).expect("complete");
        assert_eq!(checksum, None, "no algorithm asked, none named");
        assert!(etag.ends_with("-2"));
        let entry = s.read("bup", "big", version.as_deref()).expect("read");
        let mut whole = first.to_vec();
        whole.extend_from_slice(b"world");
        assert_eq!(entry.object().map(|o| o.body.to_vec()), Some(whole));
        assert_eq!(
            entry.object().map(|o| o.parts.clone()),
            Some(vec![MIN_PART_BYTES, 5])
        );
        assert_eq!(
            entry.retention.as_ref().map(|r| r.0.clone()),
            Some(RetentionMode::Compliance)
        );
        assert!(matches!(
            s.abort_upload("bup", "big", &id),
            Err(StoreError::NoSuchUpload(_))
        ));
        // Sent again, the same completion is answered as the first; other parts are not.
        assert_eq!(
            complete(&mut s, &parts),
            Ok((version.clone(), etag.clone(), None))
        );
        assert_eq!(
            s.entries("bup", "big").map(Vec::len),
            Ok(1),
            "no second version"
        );
        assert!(matches!(
            complete(&mut s, &parts[..1]),
            Err(StoreError::NoSuchUpload(_))
        ));
    }

    #[test]
    fn an_upload_with_an_algorithm_checksums_its_parts_and_the_whole() {
        let mut s = lock_store(None);
        let sha = Algorithm::Sha256;
        let begin = |s: &mut Store, full_object| {
            s.create_upload_checked(
                "bup",
                "mp",
                (Described::default(), BTreeMap::new()),
                NewLock::default(),
                Some(PartsChecksum {
                    algorithm: sha,
                    full_object,
                }),
                t(NOW),
            )
            .expect("create")
        };
        let first = bytes::Bytes::from(vec![b'a'; MIN_PART_BYTES as usize]);
        let id = begin(&mut s, false);
        let (e1, k1) = s
            .upload_part_checked("bup", "mp", &id, 1, first.clone(), None)
            .expect("part 1");
        let k1 = k1.expect("computed with the upload's algorithm");
        assert_eq!(k1.value, sha.of(&first));
        let crc = Kept {
            algorithm: Algorithm::Crc32,
            value: Algorithm::Crc32.of(b"tail"),
        };
        assert!(matches!(
            s.upload_part_checked("bup", "mp", &id, 2, bytes::Bytes::from("tail"), Some(crc)),
            Err(StoreError::InvalidRequest(_))
        ));
        let (e2, k2) = s
            .upload_part_checked("bup", "mp", &id, 2, bytes::Bytes::from("tail"), None)
            .expect("part 2");
        let k2 = k2.expect("part 2's");
        let mut both = crate::integrity::decode(&k1.value).expect("b64");
        both.extend(crate::integrity::decode(&k2.value).expect("b64"));
        let composite = format!("{}-2", crate::integrity::base64(&sha.digest(&both)));
        let parts = [(1, e1), (2, e2)];
        let wrong = CompletionSums {
            parts: BTreeMap::new(),
            object: Some(Kept {
                algorithm: sha,
                value: sha.of(b"something else"),
            }),
        };
        assert!(matches!(
            s.complete_upload(
                "bup",
                "mp",
                &id,
                &parts,
                &wrong,
                WriteConditions::default(),
                t(NOW)
            ),
            Err(StoreError::BadDigest(_))
        ));
        let named = CompletionSums {
            parts: [(1, k1.clone()), (2, k2.clone())].into(),
            object: Some(Kept {
                algorithm: sha,
                value: composite.clone(),
            }),
        };
        let (_, _, kept) = s
            .complete_upload(
                "bup",
                "mp",
                &id,
                &parts,
                &named,
                WriteConditions::default(),
                t(NOW),
            )
            .expect("complete");
        assert_eq!(kept.map(|k| k.value), Some(composite));
        // Full-object: the checksum of every byte.
        let id = begin(&mut s, true);
        let (e1, _) = s
            .upload_part_checked("bup", "mp", &id, 1, first.clone(), None)
            .expect("part 1");
        let (e2, _) = s
            .upload_part_checked("bup", "mp", &id, 2, bytes::Bytes::from("tail"), None)
            .expect("part 2");
        let (_, _, kept) = s
            .complete_upload(
                "bup",
                "mp",
                &id,
                &[(1, e1), (2, e2)],
                &CompletionSums::default(),
                WriteConditions::default(),
                t(NOW),
            )
            .expect("complete");
        let mut all = first.to_vec();
        all.extend_from_slice(b"tail");
        assert_eq!(kept.map(|k| k.value), Some(sha.of(&all)));
    }

    #[test]
    fn a_part_retried_completes_whichever_send_finishes_last() {
        let mut s = lock_store(None);
        let id = s
            .create_upload(
                "bup",
                "mp",
                (Described::default(), BTreeMap::new()),
                NewLock::default(),
                t(NOW),
            )
            .expect("create");
        let body = bytes::Bytes::from(vec![b'r'; MIN_PART_BYTES as usize]);
        let retry = s
            .upload_part("bup", "mp", &id, 1, body.clone())
            .expect("the retry finishes first");
        let first = s
            .upload_part("bup", "mp", &id, 1, body.clone())
            .expect("the first send finishes last");
        assert_eq!(retry, first, "the same bytes, the same ETag");
        let other = s
            .upload_part("bup", "mp", &id, 2, bytes::Bytes::from("other"))
            .expect("part 2 once");
        s.upload_part("bup", "mp", &id, 2, bytes::Bytes::from("changed"))
            .expect("part 2 again, other bytes");
        // As on AWS, the part is the send that finished last.
        let sums = CompletionSums::default();
        assert!(matches!(
            s.complete_upload(
                "bup",
                "mp",
                &id,
                &[(1, retry.clone()), (2, other)],
                &sums,
                WriteConditions::default(),
                t(NOW),
            ),
            Err(StoreError::InvalidPart(_))
        ));
        let changed = etag_of(b"changed");
        s.complete_upload(
            "bup",
            "mp",
            &id,
            &[(1, retry), (2, changed)],
            &sums,
            WriteConditions::default(),
            t(NOW),
        )
        .expect("the retried part and the last send of part 2");
        let entry = s.read("bup", "mp", None).expect("read");
        assert!(
            entry
                .object()
                .is_some_and(|o| o.body.ends_with(b"changed") && o.parts.len() == 2)
        );
    }

    #[test]
    fn bucket_names_are_checked() {
        let mut s = Store::new(Limits::default());
        for bad in [
            "ab",
            "Bup",
            "-bup",
            "bup-",
            "b..p",
            "b_p",
            "b.-p",
            "b-.p",
            "192.168.5.4",
        ] {
            assert!(
                matches!(
                    s.create_bucket(bad, None, false, t(NOW)),
                    Err(StoreError::InvalidBucketName(_))
                ),
                "{bad}"
            );
        }
        s.create_bucket("bup", None, false, t(NOW)).expect("valid");
        assert_eq!(
            s.create_bucket("bup", None, false, t(NOW)),
            Err(StoreError::BucketAlreadyOwnedByYou)
        );
    }
}
