//! Drives the real lockwatch binary in a pseudo-terminal and reads its screen through a vt100
//! screen model (ratatui redraws only changed cells, so raw output is not the screen).

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records everything the terminal was asked to do besides drawing cells: bells, window
/// titles, clipboard writes, and sequences the terminal model did not understand.
#[derive(Default)]
pub struct Witness {
    pub events: Vec<String>,
}

impl vt100::Callbacks for Witness {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.events.push("bell".into());
    }
    fn visual_bell(&mut self, _: &mut vt100::Screen) {
        self.events.push("visual bell".into());
    }
    fn resize(&mut self, _: &mut vt100::Screen, request: (u16, u16)) {
        self.events.push(format!("resize request {request:?}"));
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.events
            .push(format!("icon name {:?}", String::from_utf8_lossy(name)));
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.events
            .push(format!("title {:?}", String::from_utf8_lossy(title)));
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], data: &[u8]) {
        self.events
            .push(format!("clipboard {:?}", String::from_utf8_lossy(data)));
    }
    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8]) {
        self.events.push("clipboard read".into());
    }
    fn unhandled_char(&mut self, _: &mut vt100::Screen, c: char) {
        self.events.push(format!("unhandled char {c:?}"));
    }
    fn unhandled_control(&mut self, _: &mut vt100::Screen, b: u8) {
        self.events.push(format!("unhandled control {b:#04x}"));
    }
    fn unhandled_escape(&mut self, _: &mut vt100::Screen, i1: Option<u8>, i2: Option<u8>, b: u8) {
        self.events.push(format!(
            "unhandled escape {i1:?} {i2:?} {:?}",
            char::from(b)
        ));
    }
    fn unhandled_csi(
        &mut self,
        _: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        self.events
            .push(format!("unhandled CSI {i1:?} {i2:?} {params:?} {c:?}"));
    }
    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        let params: Vec<_> = params.iter().map(|p| String::from_utf8_lossy(p)).collect();
        self.events.push(format!("unhandled OSC {params:?}"));
    }
}

pub struct Session {
    parser: Arc<Mutex<vt100::Parser<Witness>>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    pub home: tempfile::TempDir,
}

impl Session {
    /// Starts lockwatch with `args`, talking to `endpoint` with the test keys.
    pub fn start(endpoint: &str, args: &[&str], cols: u16, rows: u16) -> Session {
        let home = tempfile::tempdir().expect("temp home");
        let env = super::binary_env(endpoint, home.path());
        Session::start_with_env(&env, args, cols, rows, home)
    }

    pub fn start_with_env(
        env: &[(String, String)],
        args: &[&str],
        cols: u16,
        rows: u16,
        home: tempfile::TempDir,
    ) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_lockwatch"));
        command.args(args);
        // Anything lockwatch saves in its working directory lands in the temporary home.
        command.cwd(home.path());
        command.env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = pair.slave.spawn_command(command).expect("spawn lockwatch");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            rows,
            cols,
            0,
            Witness::default(),
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Ok(mut parser) = p.lock() {
                            parser.process(&buf[..n]);
                        }
                        if let Ok(mut raw) = r.lock() {
                            raw.extend_from_slice(&buf[..n]);
                        }
                    }
                }
            }
        });
        Session {
            parser,
            raw,
            writer,
            child,
            master: pair.master,
            home,
        }
    }

    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Runs `f` on the terminal model's screen (cells, colours, modes).
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> Option<R> {
        self.parser.lock().ok().map(|p| f(p.screen()))
    }

    /// What the terminal was asked to do besides drawing (see `Witness`).
    pub fn terminal_events(&self) -> Vec<String> {
        self.parser
            .lock()
            .map(|p| p.callbacks().events.clone())
            .unwrap_or_default()
    }

    /// Resizes the terminal, as a user dragging the window does (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        if let Ok(mut parser) = self.parser.lock() {
            parser.screen_mut().set_size(rows, cols);
        }
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pseudo-terminal");
    }

    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits until `check` holds for the screen; fails with the screen when it does not. The
    /// screen returned is a whole frame: once the check holds, output must pause before the
    /// screen is taken again and checked again (a frame caught half drawn shows its first rows
    /// and the rest of the one before; a loaded machine made that visible).
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if check(&self.screen()) {
                self.settle();
                let screen = self.screen();
                if check(&screen) {
                    return screen;
                }
            }
            let screen = self.screen();
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until no output has arrived for 40 ms (at most a second).
    fn settle(&self) {
        let give_up = Instant::now() + Duration::from_secs(1);
        let mut seen = self.raw.lock().map(|r| r.len()).unwrap_or(0);
        while Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(40));
            let now = self.raw.lock().map(|r| r.len()).unwrap_or(0);
            if now == seen {
                return;
            }
            seen = now;
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("'{text}'"), Duration::from_secs(20), |s| {
            s.contains(text)
        })
    }

    /// Sends keys, with a pause so that an Esc is not read as the start of an Alt sequence.
    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Waits for the process to exit; returns whether it exited successfully.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<bool> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
