//! Drives lockwatch's terminal UI in a pseudo-terminal over a large folder and prints the
//! figures lockwatch measured itself (`--bench-report`):
//!   cargo run --release --example tui -- LOCKWATCH_BINARY s3://bench/f000/
//! Opens the folder with deleted objects shown (every version and marker is listed), presses
//! keys while the pages stream in, filters the loaded rows, and quits. The endpoint and keys
//! come from the environment, as for lockwatch itself.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [binary, location] = args.as_slice() else {
        eprintln!("usage: tui LOCKWATCH_BINARY s3://bucket/prefix/");
        std::process::exit(2);
    };
    let report = std::env::temp_dir().join(format!("lockwatch-tui-{}.json", std::process::id()));
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let binary = std::fs::canonicalize(binary).expect("the lockwatch binary");
    let mut command = CommandBuilder::new(binary);
    if let Ok(dir) = std::env::current_dir() {
        command.cwd(dir);
    }
    command.args(["--bench-report", &report.to_string_lossy(), location]);
    for (k, v) in std::env::vars() {
        command.env(k, v);
    }
    command.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(command).expect("start lockwatch");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let mut writer = pair.master.take_writer().expect("writer");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 200, 0)));
    let p = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut parser) = p.lock() {
                parser.process(&buf[..n]);
            }
        }
    });
    let screen = || {
        parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    };
    let send_to = |writer: &mut Box<dyn Write + Send>, keys: &str| {
        writer.write_all(keys.as_bytes()).expect("keys");
        writer.flush().expect("flush");
    };
    let wait = |what: &str, timeout: Duration, check: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + timeout;
        while !check(&screen()) {
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}:\n{}", screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait("the folder's objects", Duration::from_secs(600), &|s| {
        s.contains("objects") && !s.contains("loading")
    });
    let started = Instant::now();
    send_to(&mut writer, ".");
    // Keys while the version listing streams in, from another thread, so that the time the
    // listing takes is measured on its own.
    let typist = std::thread::spawn(move || {
        for i in 0..400 {
            send_to(&mut writer, if i % 2 == 0 { "j" } else { "k" });
            std::thread::sleep(Duration::from_millis(15));
        }
        writer
    });
    // '.' shows "[deleted shown]" and "loading…" in the same frame.
    wait("the whole listing", Duration::from_secs(3600), &|s| {
        s.contains("[deleted shown]") && !s.contains("loading")
    });
    let listed = started.elapsed();
    let mut writer = typist.join().expect("the key thread");
    let mut send = |keys: &str| send_to(&mut writer, keys);
    // Filter the loaded rows, move, and clear the filter.
    send("/");
    for c in "backup-00".chars() {
        send(&c.to_string());
        std::thread::sleep(Duration::from_millis(30));
    }
    send("\r");
    std::thread::sleep(Duration::from_millis(200));
    send("G");
    std::thread::sleep(Duration::from_millis(200));
    send("\u{1b}");
    std::thread::sleep(Duration::from_millis(300));
    send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lockwatch did not quit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&report).expect("the bench report");
    let _ = std::fs::remove_file(&report);
    println!(
        "{{\"listing_seconds\": {:.2}, \"report\": {text}}}",
        listed.as_secs_f64()
    );
}
