//! lockwatch's pure half: what lockwatch knows (`domain`), what it does with input (`app`:
//! state, actions, `update`, effects as data), what it draws (`ui`), the keymap (`keys`) and
//! the screen's layout (`layout`). Nothing here does I/O or reads a clock; this crate builds
//! without the S3 SDK, s3s, hyper, tokio or parquet, so the compiler keeps it that way.

#![forbid(unsafe_code)]

pub mod app;
pub mod domain;
pub mod keys;
pub mod layout;
pub mod ui;
