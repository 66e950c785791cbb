//! The work layer: multi-step work over the S3 layer, each a function the UI's runtime and the
//! command line both call. Every write in it goes through the audit trail and is re-checked
//! before it is sent; partial work is reported as partial.

/// Listings split over folders and merged back into key order, checked as they go.
pub mod listing;
/// `lockwatch ls`: a bucket's keys or versions, streamed.
pub mod ls;
/// The coverage report: pipeline, adaptive HEADs, checkpoint, sample, inventory.
pub mod report;
/// One key at a time: restore with its re-check, copy back, upload, download.
pub mod tasks;
/// Bulk undelete: plan from a listing, carry out key by key.
pub mod undelete;
