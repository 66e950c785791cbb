//! The tests against real servers on 127.0.0.1 (SeaweedFS, Ceph RGW, Keystone, the sandbox),
//! a crafted hostile server and a fault-injecting proxy, and the real binary in a
//! pseudo-terminal. One binary: the crate is linked once, and each server is started once and
//! shared. `tests/run --test servers conformance::ceph` runs one part.

#[path = "../support/mod.rs"]
mod support;

mod checkpoint;
mod commands;
mod completeness;
mod config;
mod conformance;
mod differential;
mod docs;
mod e2e;
mod faults;
mod hostile;
mod large;
mod openstack;
mod posture;
mod report;
mod report_scale;
mod s3_layer;
mod sandbox;
mod schemas;
mod split;
mod undelete;
mod watch;
