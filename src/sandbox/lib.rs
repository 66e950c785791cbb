//! An S3 server inside lockwatch, on 127.0.0.1: real S3 over HTTP with SigV4 (through `s3s`),
//! data in memory, Object Lock with AWS semantics. lockwatch's own S3 layer talks to it exactly
//! as it talks to Ceph; `--demo` and `lockwatch sandbox` use it.

#![forbid(unsafe_code)]

pub mod conditions;
mod exchange;
pub mod integrity;
pub mod notify;
mod service;
pub mod store;

use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The keys the sandbox accepts. They protect nothing but the sandbox itself.
pub const ACCESS_KEY: &str = "lockwatch-sandbox";
pub const SECRET_KEY: &str = "lockwatch-sandbox-secret";
pub const REGION: &str = "us-east-1";

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub endpoint: String,
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    /// Posts bucket notifications (`notify`).
    delivery: tokio::task::JoinHandle<()>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
        self.delivery.abort();
    }
}

/// Starts a sandbox on 127.0.0.1:`port` (0 for any free port) on the current tokio runtime,
/// accepting the sandbox keys.
pub async fn start(port: u16, limits: store::Limits) -> std::io::Result<Sandbox> {
    start_with_keys(port, limits, ACCESS_KEY, SECRET_KEY).await
}

/// `start`, accepting other keys.
pub async fn start_with_keys(
    port: u16,
    limits: store::Limits,
    access_key: &str,
    secret_key: &str,
) -> std::io::Result<Sandbox> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let store = Arc::new(Mutex::new(store::Store::new(limits)));
    let (outbox, queued) = tokio::sync::mpsc::channel(notify::OUTBOX);
    if let Ok(mut s) = store.lock() {
        s.outbox = Some(outbox);
    }
    let delivery = tokio::spawn(notify::deliver(queued, store.clone()));
    let service = {
        let mut builder = s3s::service::S3ServiceBuilder::new(service::SandboxS3 {
            store: store.clone(),
        });
        builder.set_auth(OneKey {
            access_key: access_key.to_string(),
            secret_key: s3s::auth::SecretKey::from(secret_key),
        });
        builder.set_host(LocalHosts);
        builder.build()
    };
    let keys = Arc::new((access_key.to_string(), secret_key.to_string()));
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (service, store, keys) = (service.clone(), store.clone(), keys.clone());
            let exchange = hyper::service::service_fn(move |req| {
                exchange::serve(service.clone(), store.clone(), keys.clone(), req)
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), exchange)
                    .await;
            });
        }
    });
    Ok(Sandbox {
        endpoint: format!("http://{addr}"),
        addr,
        server,
        delivery,
    })
}

/// The sandbox's one key pair. An unknown access key is 403 InvalidAccessKeyId, as AWS answers
/// (s3s's SimpleAuth says NotSignedUp).
struct OneKey {
    access_key: String,
    secret_key: s3s::auth::SecretKey,
}

#[async_trait::async_trait]
impl s3s::auth::S3Auth for OneKey {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<s3s::auth::SecretKey> {
        if access_key == self.access_key {
            Ok(self.secret_key.clone())
        } else {
            Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            ))
        }
    }
}

/// Which requests name their bucket in the Host header. The sandbox listens on 127.0.0.1 only,
/// so a client reaches it as `127.0.0.1`, `[::1]` or `localhost` (path style: the bucket is the
/// path's first segment) or as `BUCKET.localhost` (virtual-hosted style, where `*.localhost`
/// resolves to this machine). Any other name is refused with what the sandbox understands,
/// rather than read as path style: `bup.example:PORT/key` must never become a listing of a
/// bucket called `key`.
struct LocalHosts;

impl s3s::host::S3Host for LocalHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> s3s::S3Result<s3s::host::VirtualHost<'a>> {
        use s3s::host::VirtualHost;
        let name = match host.rsplit_once(':') {
            // `[::1]:8080`, `127.0.0.1:8080`, `localhost:8080`; a bare `::1` has no port.
            Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                name
            }
            _ => host,
        };
        let lower = name.to_ascii_lowercase();
        let is_ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        if is_ip || lower == "localhost" {
            return Ok(VirtualHost::new(host));
        }
        if let Some(bucket) = lower.strip_suffix(".localhost").filter(|b| !b.is_empty()) {
            return Ok(VirtualHost::new("localhost").with_bucket(bucket.to_string()));
        }
        Err(s3s::s3_error!(
            InvalidRequest,
            "The sandbox answers path-style requests to 127.0.0.1 or localhost, and virtual-hosted-style requests to BUCKET.localhost; it does not know the host name in this request's Host header."
        ))
    }
}
