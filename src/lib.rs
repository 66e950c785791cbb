//! lockwatch: a terminal UI for versioned, Object-Lock-protected S3 buckets.

#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod files;
pub mod logging;
pub mod measure;
pub mod openstack;
pub mod runtime;
pub mod s3;
pub mod seed;
pub mod watch;
pub mod work;

// The pure half and the sandbox are crates of their own; their paths stay `crate::domain`,
// `lockwatch::app`, … for this crate and its tests.
pub use lockwatch_core::{app, domain, keys, layout, ui};
pub use lockwatch_sandbox as sandbox;
