//! lockwatch: a terminal UI for versioned, Object-Lock-protected S3 buckets.

// Nothing in lockwatch needs unsafe code; the compiler keeps it that way.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod keys;
pub mod layout;
pub mod listing;
pub mod logging;
pub mod ls;
pub mod measure;
pub mod openstack;
pub mod report;
pub mod runtime;
pub mod s3;
pub mod sandbox;
pub mod seed;
pub mod tasks;
pub mod ui;
pub mod undelete;
