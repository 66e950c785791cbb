//! A proxy on 127.0.0.1 that holds every request for a while before forwarding it: added
//! latency for the benchmarks (tests/bench/scale.sh), the same fault proxy the tests use.
//!   cargo run --release --example latency -- http://127.0.0.1:8333 15
//! Prints its own endpoint on the first line, then serves until killed.

#[path = "../support/faults.rs"]
#[allow(dead_code)]
mod faults;

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(upstream), Some(Ok(ms))) = (args.first(), args.get(1).map(|m| m.parse::<u64>()))
    else {
        eprintln!("usage: latency http://UPSTREAM:PORT MILLISECONDS");
        return ExitCode::from(2);
    };
    let proxy = faults::FaultProxy::start(upstream);
    proxy.inject(
        faults::Filter::any(),
        faults::Fault::Delay(Duration::from_millis(ms)),
        None,
    );
    println!("{}", proxy.endpoint);
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
