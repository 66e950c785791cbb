//! A lean HeadObject for the report, which sends one per version (millions of them): the
//! request signed with the SDK's own SigV4 signer and sent on a pooled hyper client, without
//! the SDK's request pipeline (its interceptors, endpoint rules and serializers cost more CPU
//! than the request itself). Used only where its addressing is plain: a custom endpoint with
//! path-style requests (S3-compatible servers); everything else goes through the SDK.
//!
//! Reads only the lock headers. Sent at most three times on no answer or a server error (a
//! HEAD changes nothing); a "slow down" is returned to the caller, which waits and asks again.

use super::S3Error;
use super::clock::ServerClock;
use crate::domain::{LegalHold, LockInfo, RetainUntil, RetentionMode, percent};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Credentials are asked of their provider again after this long (or before they expire).
const CREDENTIALS_FOR: Duration = Duration::from_secs(300);
const ATTEMPTS: u32 = 3;

pub struct LeanHead {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// For the few requests with a body the SDK does not send (the SNS API, Ceph RGW's
    /// DELETE ?notification).
    with_body: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `http://host:port` (and any base path), without a trailing slash.
    endpoint: String,
    region: String,
    provider: SharedCredentialsProvider,
    cached: Mutex<Option<(Credentials, Instant)>>,
    clock: Arc<ServerClock>,
    attempt_timeout: Duration,
    /// The connection's count of requests sent (each attempt).
    requests: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for LeanHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeanHead")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

pub struct LeanSettings<'a> {
    pub endpoint: &'a str,
    pub region: &'a str,
    pub provider: SharedCredentialsProvider,
    pub clock: Arc<ServerClock>,
    pub requests: Arc<std::sync::atomic::AtomicU64>,
    /// PEM certificates to trust instead of the system's.
    pub ca_bundle: Option<&'a [u8]>,
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
}

impl LeanHead {
    pub fn new(settings: LeanSettings<'_>) -> Result<LeanHead, String> {
        let mut roots = rustls::RootCertStore::empty();
        match settings.ca_bundle {
            Some(pem) => {
                use rustls::pki_types::CertificateDer;
                use rustls::pki_types::pem::PemObject;
                for certificate in CertificateDer::pem_slice_iter(pem) {
                    let certificate = certificate.map_err(|e| e.to_string())?;
                    roots.add(certificate).map_err(|e| e.to_string())?;
                }
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            }
        }
        let connector = super::https::connector(roots, settings.connect_timeout)?;
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector.clone());
        let with_body = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(LeanHead {
            client,
            with_body,
            endpoint: settings.endpoint.trim_end_matches('/').to_string(),
            region: settings.region.to_string(),
            provider: settings.provider,
            cached: Mutex::new(None),
            clock: settings.clock,
            attempt_timeout: settings.attempt_timeout,
            requests: settings.requests,
        })
    }

    async fn credentials(&self) -> Result<Credentials, S3Error> {
        let now = Instant::now();
        if let Ok(cached) = self.cached.lock()
            && let Some((c, at)) = cached.as_ref()
            && now.duration_since(*at) < CREDENTIALS_FOR
            && c.expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(60))
        {
            return Ok(c.clone());
        }
        let fresh =
            self.provider.provide_credentials().await.map_err(|e| {
                S3Error::Other(format!("no credentials: {}", super::error::causes(&e)))
            })?;
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((fresh.clone(), now));
        }
        Ok(fresh)
    }

    /// The lock headers of one version.
    pub async fn head_lock(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<LockInfo, S3Error> {
        let url = format!(
            "{}/{}/{}?versionId={}",
            self.endpoint,
            percent::encode(bucket),
            percent::encode(key),
            percent::encode(version_id).replace('/', "%2F")
        );
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sent =
                tokio::time::timeout(self.attempt_timeout, self.once(&url, version_id)).await;
            let result = match sent {
                Ok(r) => r,
                Err(_) => Err(S3Error::Timeout(format!(
                    "HEAD took longer than {} s (the deadline of one attempt: --attempt-timeout)",
                    self.attempt_timeout.as_secs()
                ))),
            };
            match result {
                Err(e) if e.is_server_trouble() && !e.is_slow_down() => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| S3Error::Other("HEAD was not sent".into())))
    }

    async fn once(&self, url: &str, version_id: &str) -> Result<LockInfo, S3Error> {
        let credentials = self.credentials().await?;
        let mut request = http::Request::builder()
            .method(http::Method::HEAD)
            .uri(url)
            .header(
                "user-agent",
                concat!("lockwatch/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::<Bytes>::new())
            .map_err(|e| S3Error::Other(format!("cannot build the HEAD request: {e}")))?;
        sign(&mut request, url, &credentials, &self.region)?;
        let response = self.client.request(request).await.map_err(unsent)?;
        let headers = response.headers();
        if let Some(date) = headers
            .get(http::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(super::parse_http_date)
        {
            self.clock.record(date, jiff::Timestamp::now());
        }
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let code = headers
                .get("x-amz-error-code")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .unwrap_or_else(|| super::error::status_code_name(status));
            return Err(S3Error::Service {
                message: format!("HTTP {status}"),
                code,
                status: Some(status),
            });
        }
        // A header sent twice with different values cannot be read (which one would the
        // server enforce?); the same value twice is that value.
        let text = |name: &str| -> Result<Option<String>, S3Error> {
            let mut values = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let first = values.next();
            if let Some(other) = values.find(|v| Some(v) != first.as_ref()) {
                return Err(S3Error::Other(format!(
                    "the server sent {name} twice with different values ({}, {}): the lock cannot be read",
                    crate::domain::text::name(first.as_deref().unwrap_or_default()),
                    crate::domain::text::name(&other)
                )));
            }
            Ok(first)
        };
        crate::domain::lock::answered_for(version_id, text("x-amz-version-id")?.as_deref())
            .map_err(S3Error::Other)?;
        let retain_until = text("x-amz-object-lock-retain-until-date")?;
        let mode = text("x-amz-object-lock-mode")?.map(|m| RetentionMode::parse(&m));
        Ok(LockInfo {
            retain_until: retain_until.as_deref().and_then(RetainUntil::parse_utc),
            // A date that cannot be read leaves a mode without a date: unknown, never none.
            mode: match (mode, &retain_until) {
                (None, Some(date)) if RetainUntil::parse_utc(date).is_none() => Some(
                    RetentionMode::Other(format!("none, with a date that cannot be read: {date}")),
                ),
                (mode, _) => mode,
            },
            legal_hold: text("x-amz-object-lock-legal-hold")?
                .map_or(LegalHold::Off, |h| LegalHold::parse(&h)),
        })
    }
}

/// A request that got no answer: a timeout, or the network.
fn unsent(e: hyper_util::client::legacy::Error) -> S3Error {
    let text = super::error::causes(&e);
    if text.contains("timed out") {
        S3Error::Timeout(text)
    } else {
        S3Error::Network(text)
    }
}

/// An answer to `LeanHead::send`: the status and the body (at most `MAX_ANSWER` bytes).
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub body: Bytes,
}

const MAX_ANSWER: usize = 1024 * 1024;

impl LeanHead {
    /// Sends one signed request with a body to `path_and_query` (after the endpoint), for
    /// `service` ("s3" or "sns"), once: these are writes, never resent.
    pub async fn send(
        &self,
        method: http::Method,
        path_and_query: &str,
        service: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<RawAnswer, S3Error> {
        let url = format!("{}{path_and_query}", self.endpoint);
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sent = async {
            let credentials = self.credentials().await?;
            let mut builder = http::Request::builder()
                .method(method.clone())
                .uri(&url)
                .header(
                    "user-agent",
                    concat!("lockwatch/", env!("CARGO_PKG_VERSION")),
                );
            if let Some(t) = content_type {
                builder = builder.header(http::header::CONTENT_TYPE, t);
            }
            let mut request = builder
                .body(Full::new(body.clone()))
                .map_err(|e| S3Error::Other(format!("cannot build the request: {e}")))?;
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let instructions = signing(
                method.as_str(),
                &url,
                &headers,
                &body,
                &credentials,
                &self.region,
                service,
            )?;
            instructions.apply_to_request_http1x(&mut request);
            let response = self.with_body.request(request).await.map_err(unsent)?;
            let status = response.status().as_u16();
            let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| S3Error::Network(format!("the answer could not be read: {e}")))?
                .to_bytes();
            Ok(RawAnswer { status, body })
        };
        match tokio::time::timeout(self.attempt_timeout, sent).await {
            Ok(r) => r,
            Err(_) => Err(S3Error::Timeout(format!(
                "{method} took longer than {} s (--attempt-timeout); it may have happened",
                self.attempt_timeout.as_secs()
            ))),
        }
    }
}

/// The SigV4 signature of one request for `service` in `region`.
fn signing(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    service: &str,
) -> Result<aws_sigv4::http_request::SigningInstructions, S3Error> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| S3Error::Other(format!("cannot sign: {e}")))?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| S3Error::Other(format!("cannot sign: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| S3Error::Other(format!("cannot sign: {e}")))?
        .into_parts();
    Ok(instructions)
}

/// Signs `request` (SigV4, headers, an empty payload) for S3 in `region`.
fn sign(
    request: &mut http::Request<Empty<Bytes>>,
    url: &str,
    credentials: &Credentials,
    region: &str,
) -> Result<(), S3Error> {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let instructions = signing("HEAD", url, &headers, &[], credentials, region, "s3")?;
    instructions.apply_to_request_http1x(request);
    Ok(())
}
