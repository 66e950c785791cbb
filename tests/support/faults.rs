//! A fault-injecting HTTP proxy between lockwatch and a real S3 server: latency, error
//! answers, answers cut short or lost, a server that stops answering or is down. Plain
//! threads and blocking sockets; one upstream connection per request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy does to a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Wait this long, then forward.
    Delay(Duration),
    /// Answer with this status and S3 error code without forwarding.
    Status(u16, &'static str),
    /// Forward, then send the answer's head and half its body, and close the connection.
    CutMidAnswer,
    /// Forward, then send the first half of the body as if it were all of it (well framed,
    /// unparsable XML).
    TruncateBody,
    /// Forward (the server acts), then close the connection without answering.
    LoseAnswer,
    /// Read the request and never answer.
    Stall,
    /// Close the connection without reading: the server is down.
    Down,
    /// Forward, and move the answer's `Date` header this many seconds: a server whose clock
    /// is off.
    ShiftDate(i64),
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub method: Option<&'static str>,
    /// A substring of the request target (path and query).
    pub target_contains: Option<&'static str>,
}

impl Filter {
    pub fn any() -> Filter {
        Filter::default()
    }
    pub fn method(method: &'static str) -> Filter {
        Filter {
            method: Some(method),
            target_contains: None,
        }
    }
    pub fn target(part: &'static str) -> Filter {
        Filter {
            method: None,
            target_contains: Some(part),
        }
    }
    fn matches(&self, method: &str, target: &str) -> bool {
        self.method.is_none_or(|m| m == method)
            && self.target_contains.is_none_or(|t| target.contains(t))
    }
}

struct Rule {
    filter: Filter,
    fault: Fault,
    /// How many more requests it applies to; `None`: all.
    remaining: Option<usize>,
    /// Matching requests still let through before it applies.
    pass: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// `METHOD target` of every request read, with the fault applied if any.
    seen: Vec<(String, Option<String>)>,
    /// `METHOD target` of every request answered, with when it was read and answered.
    spans: Vec<(String, Instant, Instant)>,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the fault proxy forwards to http:// only, not {upstream}"))
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let endpoint = format!(
            "http://{}",
            listener.local_addr().expect("fault proxy address")
        );
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (s, st, upstream) = (s.clone(), st.clone(), upstream.clone());
                std::thread::spawn(move || serve(client, &upstream, &s, &st));
            }
        });
        FaultProxy {
            endpoint,
            state,
            stop,
        }
    }

    /// Applies `fault` to the next `times` matching requests (`None`: until cleared).
    pub fn inject(&self, filter: Filter, fault: Fault, times: Option<usize>) {
        self.inject_after(filter, fault, 0, times);
    }

    /// `inject`, once `pass` matching requests have gone through untouched.
    pub fn inject_after(&self, filter: Filter, fault: Fault, pass: usize, times: Option<usize>) {
        self.lock().rules.push(Rule {
            filter,
            fault,
            remaining: times,
            pass,
        });
    }

    /// Removes every fault: requests are forwarded as they are.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Requests read so far as `METHOD target`, with the fault applied to each.
    pub fn seen(&self) -> Vec<(String, Option<String>)> {
        self.lock().seen.clone()
    }

    /// How many requests matching `filter` were read.
    pub fn count(&self, filter: &Filter) -> usize {
        self.lock()
            .seen
            .iter()
            .filter(|(line, _)| {
                let (method, target) = line.split_once(' ').unwrap_or((line, ""));
                filter.matches(method, target)
            })
            .count()
    }

    /// The most requests matching `filter` that were being answered at the same moment.
    pub fn most_at_once(&self, filter: &Filter) -> usize {
        let mut events: Vec<(Instant, i32)> = Vec::new();
        for (line, read, answered) in &self.lock().spans {
            let (method, target) = line.split_once(' ').unwrap_or((line, ""));
            if filter.matches(method, target) {
                events.push((*read, 1));
                events.push((*answered, -1));
            }
        }
        // At the same instant, an answer ends before another request starts.
        events.sort();
        let (mut now, mut most) = (0i32, 0i32);
        for (_, change) in events {
            now += change;
            most = most.max(now);
        }
        most as usize
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the stop flag.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}

/// A request as read from the client.
struct Request {
    method: String,
    target: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

fn read_head(reader: &mut impl BufRead) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            return Some(lines);
        }
        lines.push(line);
    }
}

fn header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let lines = read_head(reader)?;
    let mut parts = lines[0].split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    assert!(
        header(&lines, "transfer-encoding").is_none(),
        "the fault proxy does not handle chunked requests: {}",
        lines[0]
    );
    let length: usize = header(&lines, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    // One request per upstream connection: the proxy reads each answer to its end.
    let mut head = String::new();
    for line in lines
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
    {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    Some(Request {
        method,
        target,
        head: head.into_bytes(),
        body,
    })
}

/// The upstream's whole answer (it closes the connection after it).
fn forward(upstream: &str, request: &Request) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    server.write_all(&request.head).ok()?;
    server.write_all(&request.body).ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// Splits an answer into its head lines and its body (de-chunked).
fn split_answer(answer: &[u8]) -> (Vec<String>, Vec<u8>) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head: Vec<String> = String::from_utf8_lossy(&answer[..end])
        .split("\r\n")
        .map(str::to_string)
        .collect();
    let raw = answer.get(end + 4..).unwrap_or_default().to_vec();
    let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    if !chunked {
        return (head, raw);
    }
    let mut body = Vec::new();
    let mut rest = &raw[..];
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    (head, body)
}

/// The head lines with the body framing replaced by a Content-Length of `length`.
fn reframed(head: &[String], length: usize) -> Vec<u8> {
    let mut out = String::new();
    for line in head.iter().filter(|l| {
        let l = l.to_ascii_lowercase();
        !l.starts_with("content-length:") && !l.starts_with("transfer-encoding:")
    }) {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out.into_bytes()
}

fn error_answer(status: u16, code: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the test's fault proxy</Message><RequestId>fault</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {code}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>, stop: &AtomicBool) {
    let Ok(reader) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let mut client = client;
    // A server that is down does not read.
    let down = state
        .lock()
        .map(|s| {
            s.rules
                .iter()
                .any(|r| matches!(r.fault, Fault::Down) && r.remaining != Some(0))
        })
        .unwrap_or(false);
    if down {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    while let Some(request) = read_request(&mut reader) {
        let read_at = Instant::now();
        let fault = {
            let mut s = match state.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            let fault = s
                .rules
                .iter_mut()
                .find(|r| {
                    r.remaining != Some(0) && r.filter.matches(&request.method, &request.target)
                })
                .and_then(|r| {
                    if r.pass > 0 {
                        r.pass -= 1;
                        return None;
                    }
                    if let Some(n) = r.remaining.as_mut() {
                        *n -= 1;
                    }
                    Some(r.fault.clone())
                });
            s.seen.push((
                format!("{} {}", request.method, request.target),
                fault.as_ref().map(|f| format!("{f:?}")),
            ));
            fault
        };
        let shift = match &fault {
            Some(Fault::ShiftDate(seconds)) => Some(*seconds),
            _ => None,
        };
        let answer = match fault {
            None | Some(Fault::ShiftDate(_)) => forward(upstream, &request),
            Some(Fault::Delay(d)) => {
                std::thread::sleep(d);
                forward(upstream, &request)
            }
            Some(Fault::Status(status, code)) => Some(error_answer(status, code)),
            Some(Fault::CutMidAnswer) => {
                if let Some(answer) = forward(upstream, &request) {
                    let (head, body) = split_answer(&answer);
                    let mut framed = reframed(&head, body.len());
                    framed.extend_from_slice(&body[..body.len() / 2]);
                    let _ = client.write_all(&framed);
                }
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::TruncateBody) => forward(upstream, &request).map(|answer| {
                let (head, body) = split_answer(&answer);
                let half = &body[..body.len() / 2];
                let mut framed = reframed(&head, half.len());
                framed.extend_from_slice(half);
                framed
            }),
            Some(Fault::LoseAnswer) => {
                let _ = forward(upstream, &request);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Stall) => {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Some(Fault::Down) => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        };
        let Some(answer) = answer else {
            let _ = client.shutdown(Shutdown::Both);
            return;
        };
        // The upstream answered with Connection: close; the client may keep its connection.
        let (head, body) = split_answer(&answer);
        let head: Vec<String> = head
            .into_iter()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .map(|l| match shift {
                Some(seconds) if l.to_ascii_lowercase().starts_with("date:") => {
                    shifted_date(&l, seconds)
                }
                _ => l,
            })
            .collect();
        // A HEAD answer's Content-Length is the object's size, with no body: kept as it is.
        let mut framed = if request.method == "HEAD" {
            let mut raw = head.join("\r\n");
            raw.push_str("\r\n\r\n");
            raw.into_bytes()
        } else {
            reframed(&head, body.len())
        };
        framed.extend_from_slice(&body);
        // The answer's end is taken before it is written: the client can send its next request
        // as soon as it has the answer, and that request must not count as overlapping this
        // one (taken after writing, a busy machine made three requests at once look like four).
        let answered = Instant::now();
        let written = client.write_all(&framed);
        if let Ok(mut s) = state.lock() {
            s.spans.push((
                format!("{} {}", request.method, request.target),
                read_at,
                answered,
            ));
        }
        if written.is_err() {
            return;
        }
    }
}

/// A `Date:` header line moved by `seconds`.
fn shifted_date(line: &str, seconds: i64) -> String {
    let value = line.split_once(':').map_or("", |(_, v)| v.trim());
    let printer = jiff::fmt::rfc2822::DateTimePrinter::new();
    let moved = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()
        .and_then(|t| t.checked_add(jiff::SignedDuration::from_secs(seconds)).ok())
        .and_then(|t| printer.timestamp_to_rfc9110_string(&t).ok());
    match moved {
        Some(v) => format!("Date: {v}"),
        None => panic!("the fault proxy cannot read the server's Date header {line:?}"),
    }
}
