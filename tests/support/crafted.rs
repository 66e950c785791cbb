//! A hostile or broken S3 server on 127.0.0.1: every answer is what the test's handler makes
//! of the request — crafted XML and headers, pages that never end or repeat, bodies that never
//! end, answers sent one byte at a time. It counts requests and bytes sent, so that tests
//! assert bounds by counting, not by timing. Plain threads and blocking sockets.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent (percent-encoded).
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The value of a query parameter (percent-decoded), or `Some("")` for a bare flag.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then(|| percent_decode(v))
        })
    }

    pub fn has_query(&self, name: &str) -> bool {
        self.query(name).is_some()
    }
}

/// A query value or path as the client meant it: `%XX` and `+` decoded.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server answers.
pub enum Answer {
    /// A whole answer with a Content-Length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A chunked answer whose body repeats `chunk` until the client goes away.
    Endless {
        headers: Vec<(String, String)>,
        chunk: Vec<u8>,
    },
    /// `body` with a Content-Length, one byte every `every`.
    Trickle {
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        every: Duration,
    },
}

impl Answer {
    /// A 200 with an XML body.
    pub fn xml(body: impl Into<String>) -> Answer {
        Answer::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: body.into().into_bytes(),
        }
    }

    /// An S3 error answer.
    pub fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::Full {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{}</Message><RequestId>crafted</RequestId></Error>",
                xml_escape(message)
            )
            .into_bytes(),
        }
    }

    /// A 200 with these headers and no body (HeadObject).
    pub fn headers(headers: &[(&str, &str)]) -> Answer {
        Answer::Full {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

pub struct Crafted {
    pub endpoint: String,
    requests: Arc<Mutex<Vec<Request>>>,
    bytes_sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Crafted {
    /// Listens on a free port of 127.0.0.1 and answers every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Crafted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the crafted server");
        let endpoint = format!(
            "http://{}",
            listener.local_addr().expect("crafted server address")
        );
        let handler: Arc<Handler> = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let bytes_sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, b, st) = (requests.clone(), bytes_sent.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (h, r, b, st) = (handler.clone(), r.clone(), b.clone(), st.clone());
                std::thread::spawn(move || serve(client, &*h, &r, &b, &st));
            }
        });
        Crafted {
            endpoint,
            requests,
            bytes_sent,
            stop,
        }
    }

    /// Every request read so far.
    pub fn requests(&self) -> Vec<Request> {
        match self.requests.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// How many requests matched `f`.
    pub fn count(&self, f: impl Fn(&Request) -> bool) -> usize {
        self.requests().iter().filter(|r| f(r)).count()
    }

    /// Body bytes written to clients so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent.load(Ordering::SeqCst)
    }
}

impl Drop for Crafted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
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
            break;
        }
        lines.push(line);
    }
    let mut first = lines[0].split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
    })
}

fn head(status: u16, headers: &[(String, String)], framing: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Crafted\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(framing);
    out.push_str("\r\n");
    out.into_bytes()
}

fn serve(
    client: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    bytes_sent: &AtomicU64,
    stop: &AtomicBool,
) {
    let Ok(reader) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let mut client = client;
    while let Some(request) = read_request(&mut reader) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let answer = handler(&request);
        let is_head = request.method == "HEAD";
        if let Ok(mut r) = requests.lock() {
            r.push(request);
        }
        match answer {
            Answer::Full {
                status,
                headers,
                body,
            } => {
                // A HEAD answer may name the length of the body it does not send.
                let framing = if headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                {
                    String::new()
                } else {
                    format!("Content-Length: {}\r\n", body.len())
                };
                if client.write_all(&head(status, &headers, &framing)).is_err() {
                    return;
                }
                if !is_head {
                    if client.write_all(&body).is_err() {
                        return;
                    }
                    bytes_sent.fetch_add(body.len() as u64, Ordering::SeqCst);
                }
            }
            Answer::Endless { headers, chunk } => {
                let framing = "Transfer-Encoding: chunked\r\n";
                if client.write_all(&head(200, &headers, framing)).is_err() {
                    return;
                }
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                while !stop.load(Ordering::SeqCst) {
                    if client.write_all(&framed).is_err() {
                        return;
                    }
                    bytes_sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                return;
            }
            Answer::Trickle {
                headers,
                body,
                every,
            } => {
                let framing = format!("Content-Length: {}\r\n", body.len());
                if client.write_all(&head(200, &headers, &framing)).is_err() {
                    return;
                }
                for b in body {
                    if stop.load(Ordering::SeqCst) || client.write_all(&[b]).is_err() {
                        return;
                    }
                    bytes_sent.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(every);
                }
            }
        }
    }
}

/// XML text: `&`, `<`, `>` and quotes escaped, control characters as numeric references
/// (`&#x1b;`), which the SDK's reader decodes: how a hostile server gets an escape sequence
/// into a key or a message.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("&#x{:x};", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// A ListBuckets answer.
pub fn list_buckets(names: &[&str]) -> Answer {
    let buckets: String = names
        .iter()
        .map(|n| {
            format!(
                "<Bucket><Name>{}</Name><CreationDate>2026-11-01T00:00:00.000Z</CreationDate></Bucket>",
                xml_escape(n)
            )
        })
        .collect();
    Answer::xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult><Owner><ID>crafted</ID></Owner><Buckets>{buckets}</Buckets></ListAllMyBucketsResult>"
    ))
}

/// One `<Version>` of a ListObjectVersions answer.
pub fn version_xml(key: &str, id: &str, latest: bool, modified: &str) -> String {
    format!(
        "<Version><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>{modified}</LastModified><ETag>\"e\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Version>",
        xml_escape(key),
        xml_escape(id)
    )
}

/// A ListObjectsV2 answer holding `keys`, all on one page.
pub fn objects_page(bucket: &str, keys: &[&str]) -> Answer {
    let contents: String = keys
        .iter()
        .map(|k| {
            format!(
                "<Contents><Key>{}</Key><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>",
                xml_escape(k)
            )
        })
        .collect();
    Answer::xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>{}</Name><Prefix></Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>",
        xml_escape(bucket),
        keys.len()
    ))
}

/// A ListObjectVersions page holding `entries`, continued by the markers when given.
pub fn versions_page(bucket: &str, entries: &str, next: Option<(&str, &str)>) -> Answer {
    let more = match next {
        Some((key, id)) => format!(
            "<IsTruncated>true</IsTruncated><NextKeyMarker>{}</NextKeyMarker><NextVersionIdMarker>{}</NextVersionIdMarker>",
            xml_escape(key),
            xml_escape(id)
        ),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    Answer::xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult><Name>{}</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>{more}{entries}</ListVersionsResult>",
        xml_escape(bucket)
    ))
}

/// GetBucketVersioning: enabled.
pub fn versioning_enabled() -> Answer {
    Answer::xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
    )
}

/// GetObjectLockConfiguration: enabled, no default retention.
pub fn lock_enabled() -> Answer {
    Answer::xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>",
    )
}
