//! `watch --notifications`: the server posts each change of a watched bucket to this
//! watcher, which then need not list the bucket every interval.
//!
//! - Set-up (after asking): a topic with an HTTP push endpoint (Ceph RGW's SNS API) and a
//!   topic configuration in the bucket's notification configuration, the others in it kept.
//!   What was made is kept in the state folder (`notifications.json`) and removed on exit;
//!   every one of these writes goes to the audit trail.
//! - The listener: 127.0.0.1 by default; only a POST to the path with the watcher's secret is
//!   read (a 16-byte random secret, made anew at each start); bodies of at most 256 KiB, read
//!   strictly (`domain::watch::notice`); a bounded queue. Whatever is refused is counted by
//!   reason, never believed.
//! - A notice raises nothing by itself: when the interval's notices could be a storm, each key
//!   is read back and only what its history confirms is counted (`Watched::interval`).

use crate::audit::{Trail, Write};
use crate::domain::watch::notice::{self, Change, Notice};
use crate::s3::{S3, TopicConfig};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// Notices waiting for the watcher's loop, all locations together.
pub const QUEUE: usize = 65_536;
const CONNECTIONS: usize = 64;
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
pub use crate::domain::watch::notice::EVENTS;

/// What the listener refused and received, since it started.
#[derive(Debug, Default)]
pub struct Counters {
    pub received: AtomicU64,
    /// Not the secret path, or not a POST.
    pub refused_path: AtomicU64,
    /// A body that is not a notification this watcher asked for.
    pub refused_malformed: AtomicU64,
    /// A bucket or prefix this watcher does not watch.
    pub refused_unwatched: AtomicU64,
    /// The queue was full (the server is told 503).
    pub refused_full: AtomicU64,
    /// Destructive notices (unconfirmed) since the loop last took the queue: past the storm
    /// threshold, the loop looks at once.
    pub destructive: AtomicU64,
    pub wake: tokio::sync::Notify,
    pub wake_at: AtomicU64,
}

impl Counters {
    pub fn refused(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("path", self.refused_path.load(Ordering::Relaxed)),
            ("malformed", self.refused_malformed.load(Ordering::Relaxed)),
            ("unwatched", self.refused_unwatched.load(Ordering::Relaxed)),
            ("queue_full", self.refused_full.load(Ordering::Relaxed)),
        ]
    }
}

/// A running listener.
pub struct Listener {
    pub bound: SocketAddr,
    pub secret: String,
    pub counters: Arc<Counters>,
    /// Taken by the watcher's loop.
    pub notices: Option<tokio::sync::mpsc::Receiver<(usize, Notice)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// The path the server posts to.
    pub fn path(&self) -> String {
        format!("/lockwatch/{}", self.secret)
    }
}

/// A fresh secret: 16 bytes from the system's random source, in hex.
fn secret() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A location notices are received for: its bucket, prefix, and the id of its topic
/// configuration.
#[derive(Debug, Clone)]
pub struct Place {
    pub bucket: String,
    pub prefix: String,
    pub id: String,
}

/// Binds `addr` and receives notices for the `watched` locations (a notice goes to the one
/// whose configuration sent it).
pub async fn listen(
    addr: SocketAddr,
    watched: Vec<Place>,
    wake_at: u64,
) -> std::io::Result<Listener> {
    let secret = secret()?;
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let counters = Arc::new(Counters::default());
    counters.wake_at.store(wake_at.max(1), Ordering::Relaxed);
    let (tx, rx) = tokio::sync::mpsc::channel(QUEUE);
    let path: Arc<str> = format!("/lockwatch/{secret}").into();
    let watched = Arc::new(watched);
    let task = {
        let counters = counters.clone();
        super::serve::spawn_bounded(listener, CONNECTIONS, CONNECTION_TIMEOUT, move || {
            let (counters, tx, path, watched) =
                (counters.clone(), tx.clone(), path.clone(), watched.clone());
            hyper::service::service_fn(move |req| {
                let (counters, tx, path, watched) =
                    (counters.clone(), tx.clone(), path.clone(), watched.clone());
                async move {
                    Ok::<_, std::convert::Infallible>(
                        receive(req, &path, &watched, &counters, &tx).await,
                    )
                }
            })
        })
    };
    Ok(Listener {
        bound,
        secret,
        counters,
        notices: Some(rx),
        task,
    })
}

/// Equal in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn receive(
    req: hyper::Request<hyper::body::Incoming>,
    path: &str,
    watched: &[Place],
    counters: &Counters,
    tx: &tokio::sync::mpsc::Sender<(usize, Notice)>,
) -> hyper::Response<Full<Bytes>> {
    if req.method() != hyper::Method::POST || !same(req.uri().path().as_bytes(), path.as_bytes()) {
        counters.refused_path.fetch_add(1, Ordering::Relaxed);
        return answer(404, "not here\n");
    }
    let body = match http_body_util::Limited::new(req.into_body(), notice::MAX_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            counters.refused_malformed.fetch_add(1, Ordering::Relaxed);
            return answer(413, "a body too large, or cut short\n");
        }
    };
    let notices = match notice::parse(&body) {
        Ok(n) => n,
        Err(e) => {
            counters.refused_malformed.fetch_add(1, Ordering::Relaxed);
            return answer(400, &format!("refused: {e}\n"));
        }
    };
    let mut placed = Vec::with_capacity(notices.len());
    for n in notices {
        // Each location has its own topic configuration: a change under two watched prefixes
        // comes once for each, and goes to each once.
        match watched.iter().position(|w| {
            w.id == n.configuration && w.bucket == n.bucket && n.key.starts_with(w.prefix.as_str())
        }) {
            Some(i) => placed.push((i, n)),
            None => {
                counters.refused_unwatched.fetch_add(1, Ordering::Relaxed);
                return answer(
                    400,
                    "refused: a bucket or prefix this watcher does not watch\n",
                );
            }
        }
    }
    for (i, n) in placed {
        let destructive = matches!(
            n.change,
            Change::MarkerCreated | Change::VersionDeleted | Change::Created
        );
        if tx.try_send((i, n)).is_err() {
            counters.refused_full.fetch_add(1, Ordering::Relaxed);
            return answer(503, "the queue is full\n");
        }
        counters.received.fetch_add(1, Ordering::Relaxed);
        if destructive {
            let now = counters.destructive.fetch_add(1, Ordering::Relaxed) + 1;
            if now >= counters.wake_at.load(Ordering::Relaxed) {
                counters.wake.notify_one();
            }
        }
    }
    answer(200, "")
}

fn answer(status: u16, text: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    response
}

/// What the watcher made on the server for one location (`notifications.json`), so that it
/// is removed on exit, or by the next start after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Made {
    pub bucket: String,
    pub prefix: String,
    /// The topic configuration's id in the bucket's notification configuration.
    pub id: String,
    pub topic: String,
    pub topic_arn: String,
}

/// The names a location's topic and configuration get: `lockwatch-` and the first 16 hex
/// digits of its state folder's name (so a restart finds what it made).
pub fn names(state_folder: &std::path::Path) -> String {
    let digest = state_folder
        .file_name()
        .map(|n| n.to_string_lossy().chars().take(16).collect::<String>())
        .unwrap_or_default();
    format!("lockwatch-{digest}")
}

/// Makes the topic and adds this watcher's topic configuration to the bucket's, the others
/// kept; read back before it is trusted.
pub async fn set_up(
    s3: &S3,
    trail: &Trail,
    bucket: &str,
    prefix: &str,
    name: &str,
    push_endpoint: &str,
) -> Result<Made, String> {
    let existing = s3
        .notifications(bucket)
        .await
        .map_err(|e| format!("GetBucketNotificationConfiguration of {bucket}: {e}"))?;
    let topic_arn = trail
        .write(
            (bucket, "", None),
            Write::CreateTopic,
            s3.create_topic(name, push_endpoint),
            |arn: &String| Some(arn.clone()),
        )
        .await
        .map_err(|e| format!("CreateTopic {name}: {e}"))?;
    let mut configs: Vec<TopicConfig> = existing.into_iter().filter(|c| c.id != name).collect();
    configs.push(TopicConfig {
        id: name.to_string(),
        topic_arn: topic_arn.clone(),
        events: EVENTS.iter().map(|e| e.to_string()).collect(),
        prefix: prefix.to_string(),
    });
    let made = Made {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        id: name.to_string(),
        topic: name.to_string(),
        topic_arn,
    };
    trail
        .write(
            (bucket, "", None),
            Write::AddNotification,
            s3.put_notifications(bucket, &configs),
            |_| None,
        )
        .await
        .map_err(|e| format!("PutBucketNotificationConfiguration of {bucket}: {e}"))?;
    match in_place(s3, &made).await {
        Ok(true) => Ok(made),
        Ok(false) => Err(format!(
            "the server took PutBucketNotificationConfiguration of {bucket}, but reading it back does not show {name}"
        )),
        Err(e) => Err(e),
    }
}

/// Whether the bucket's configuration still sends to this watcher's topic.
pub async fn in_place(s3: &S3, made: &Made) -> Result<bool, String> {
    let now = s3
        .notifications(&made.bucket)
        .await
        .map_err(|e| format!("GetBucketNotificationConfiguration of {}: {e}", made.bucket))?;
    Ok(now
        .iter()
        .any(|c| c.id == made.id && c.topic_arn == made.topic_arn))
}

/// Removes what `set_up` made: the topic configuration (Ceph RGW's DELETE ?notification=ID;
/// where that leaves it in place, the configuration without it), then the topic.
pub async fn tear_down(s3: &S3, trail: &Trail, made: &Made) -> Result<(), String> {
    let bucket = made.bucket.as_str();
    let deleted = trail
        .write(
            (bucket, "", None),
            Write::RemoveNotification,
            s3.delete_notification(bucket, &made.id),
            |_| None,
        )
        .await;
    if deleted.is_err() || in_place(s3, made).await.unwrap_or(true) {
        let rest: Vec<TopicConfig> = s3
            .notifications(bucket)
            .await
            .map_err(|e| format!("GetBucketNotificationConfiguration of {bucket}: {e}"))?
            .into_iter()
            .filter(|c| c.id != made.id)
            .collect();
        trail
            .write(
                (bucket, "", None),
                Write::RemoveNotification,
                s3.put_notifications(bucket, &rest),
                |_| None,
            )
            .await
            .map_err(|e| format!("PutBucketNotificationConfiguration of {bucket}: {e}"))?;
        if in_place(s3, made).await? {
            return Err(format!(
                "{} is still in the notification configuration of {bucket}",
                made.id
            ));
        }
    }
    trail
        .write(
            (bucket, "", None),
            Write::DeleteTopic,
            s3.delete_topic(&made.topic_arn),
            |_| None,
        )
        .await
        .map_err(|e| format!("DeleteTopic {}: {e}", made.topic_arn))
}

/// The notices of one location since the last interval, bounded.
#[derive(Debug, Default)]
pub struct Pending {
    pub notices: Vec<Notice>,
    /// Bytes of their keys and version ids.
    bytes: usize,
    /// Notices dropped because `MAX_PENDING` (or `MAX_PENDING_BYTES`) were waiting.
    pub dropped: u64,
}

/// Notices kept per location between intervals (a storm is judged long before): at most
/// this many, and this many bytes of keys and version ids (keys of 1,024 bytes would
/// otherwise make 200 MB).
pub const MAX_PENDING: usize = 200_000;
pub const MAX_PENDING_BYTES: usize = 32 << 20;

impl Pending {
    pub fn push(&mut self, n: Notice) {
        let size = n.key.len() + n.version_id.len();
        if self.notices.len() < MAX_PENDING && self.bytes + size <= MAX_PENDING_BYTES {
            self.bytes += size;
            self.notices.push(n);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }
}

/// A bounded set of `key` + version id pairs, the oldest forgotten first.
#[derive(Debug, Default)]
pub struct Recent {
    set: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

/// Pairs each `Recent` keeps (a few tens of MB at most).
pub const RECENT: usize = 100_000;

impl Recent {
    fn pair(key: &str, version_id: &str) -> String {
        format!("{key}\0{version_id}")
    }

    pub fn insert(&mut self, key: &str, version_id: &str) {
        let pair = Recent::pair(key, version_id);
        if self.set.insert(pair.clone()) {
            self.order.push_back(pair);
            while self.order.len() > RECENT {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    pub fn contains(&self, key: &str, version_id: &str) -> bool {
        self.set.contains(&Recent::pair(key, version_id))
    }
}
