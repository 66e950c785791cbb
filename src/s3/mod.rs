//! The only code that talks to aws-sdk-s3. Everything S3-compatible servers do differently
//! (missing fields, checksum headers, path style, odd error bodies) is handled here, and
//! everything above sees domain types and `S3Error`.

mod clock;
mod connect;
mod error;
pub(crate) mod https;
mod integrity;
pub(crate) mod lean;
mod ops;
mod posture;

pub use crate::domain::pages::{
    ALTERED_KEYS, DeleteOutcome, ObjectDetails, ObjectsPage, VersionMarker, VersionsPage,
};
pub use clock::{CLOCK_NOISE, ServerClock, parse_http_date};
pub use connect::{
    ConnectError, ConnectOptions, Connection, ConnectionInfo, DEFAULT_LISTINGS, EnvironmentKeys,
    PathStyle, StaticCredentials, Timeouts, aws_credentials_file, connect, mask,
};
pub use error::S3Error;
pub use ops::{Download, ObjectPager, Pager, PutOptions, TopicConfig, VersionPager};

/// A connected S3 client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    /// Every write is refused in this layer, before a request is built.
    read_only: bool,
    /// The server's clock as its answers date them.
    clock: std::sync::Arc<ServerClock>,
    /// Attempts sent so far, through the SDK and the lean HEAD alike.
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Listings at once for recursive listings (`crate::work::listing`).
    listings: usize,
    /// The report's HeadObject without the SDK's pipeline, where addressing is plain
    /// (a custom endpoint, path style).
    lean: Option<std::sync::Arc<lean::LeanHead>>,
}

impl S3 {
    /// Recursive listings run with up to `listings` requests at once (`--listings`).
    pub fn with_listings(mut self, listings: usize) -> S3 {
        self.listings = listings.max(1);
        self
    }

    pub fn listings(&self) -> usize {
        self.listings
    }

    /// A version's lock, for the report: the lean HeadObject where the connection allows it,
    /// the SDK's otherwise (`head_version`).
    pub async fn head_lock(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<crate::domain::LockInfo, S3Error> {
        match &self.lean {
            Some(lean) => lean.head_lock(bucket, key, version_id).await,
            None => self.head_version(bucket, key, version_id).await,
        }
    }

    /// The same client without the lean path (tests compare the two).
    pub fn without_lean_head(mut self) -> S3 {
        self.lean = None;
        self
    }

    pub fn has_lean_head(&self) -> bool {
        self.lean.is_some()
    }

    /// The server's clock minus the local one, once answers have told; `None` while it is
    /// within the noise of measuring it (2 s) or unknown.
    pub fn server_clock_offset(&self) -> Option<jiff::SignedDuration> {
        self.clock.significant_offset()
    }

    /// The server's time now, as its answers have told (this machine's when they have not).
    pub fn server_now(&self) -> jiff::Timestamp {
        let local = jiff::Timestamp::now();
        self.server_clock_offset()
            .and_then(|o| local.checked_add(o).ok())
            .unwrap_or(local)
    }

    /// Requests sent so far by this client and its clones (each attempt).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }
}
