//! `--metrics ADDR`: `/metrics` in the Prometheus text format, from what the watcher's last
//! intervals found. Nothing else is served (404), nothing is written through it, and a
//! connection is held at most `CONNECTION_TIMEOUT` with at most `CONNECTIONS` at once, so a
//! client that trickles or never ends cannot hold the watcher's memory.

use crate::domain::watch::metrics;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

const CONNECTIONS: usize = 32;
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// What `/metrics` shows: one entry per watched location, replaced after each interval.
#[derive(Clone, Default)]
pub struct Shared {
    pub locations: Arc<Mutex<Vec<metrics::Location>>>,
    /// Unix time the watcher started.
    pub started: f64,
    /// The notification listener's counts (`--notifications`).
    pub listener: Option<Arc<crate::watch::notify::Counters>>,
}

impl Shared {
    pub fn set(&self, index: usize, location: metrics::Location) {
        let mut all = match self.locations.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        if index < all.len() {
            all[index] = location;
        }
    }

    fn text(&self) -> String {
        let all = match self.locations.lock() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let refused = self
            .listener
            .as_ref()
            .map(|c| c.refused())
            .unwrap_or_default();
        metrics::render(&all, self.started, &refused)
    }
}

/// Binds `addr` (refused at once when it cannot be bound) and serves until the task is
/// dropped.
pub async fn start(
    addr: SocketAddr,
    shared: Shared,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = spawn_bounded(listener, CONNECTIONS, CONNECTION_TIMEOUT, move || {
        let shared = shared.clone();
        hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(answer(&shared, &req)) }
        })
    });
    Ok((bound, task))
}

/// Serves `listener` until the task is dropped: at most `connections` at once (one over is
/// closed at once), each held at most `timeout`, one request each (no keep-alive), answered by
/// a service `service` makes per connection.
pub fn spawn_bounded<F, S>(
    listener: TcpListener,
    connections: usize,
    timeout: Duration,
    service: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> S + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<Full<Bytes>>,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(connections));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let service = service();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = tokio::time::timeout(
                    timeout,
                    hyper::server::conn::http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service),
                )
                .await;
            });
        }
    })
}

fn answer<B>(shared: &Shared, req: &hyper::Request<B>) -> hyper::Response<Full<Bytes>> {
    let (status, kind, body) = match (req.method(), req.uri().path()) {
        (&hyper::Method::GET | &hyper::Method::HEAD, "/metrics") => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            shared.text(),
        ),
        (_, "/metrics") => (405, "text/plain", "only GET\n".to_string()),
        _ => (
            404,
            "text/plain",
            "lockwatch serves /metrics only\n".to_string(),
        ),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(v) = hyper::header::HeaderValue::from_str(kind) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}
