//! The only code that talks to aws-sdk-s3. Everything S3-compatible servers do differently
//! (missing fields, checksum headers, path style, odd error bodies) is handled here, and
//! everything above sees domain types and `S3Error`.

mod connect;
mod error;
mod integrity;
mod ops;

pub use connect::{
    ConnectError, ConnectOptions, Connection, ConnectionInfo, PathStyle, StaticCredentials,
    Timeouts, connect,
};
pub use error::S3Error;
pub use ops::{
    ALTERED_KEYS, DeleteOutcome, Download, ObjectDetails, ObjectPager, ObjectsPage, PutOptions,
    VersionMarker, VersionPager, VersionsPage,
};

/// A connected S3 client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    /// Every write is refused in this layer, before a request is built.
    read_only: bool,
}
