//! The tests that need no server: update sequences (`update`) and rendered frames (`render`).
//! One binary, so the crate is linked once for them.

mod render;
mod update;
