//! lockwatch: a terminal UI for versioned, Object-Lock-protected S3 buckets.

pub mod domain;
pub mod s3;
