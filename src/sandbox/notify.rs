//! Bucket notifications in the sandbox, as Ceph RGW has them: topics with an HTTP push
//! endpoint through the SNS API (CreateTopic, DeleteTopic, GetTopicAttributes, ListTopics as
//! a form POST to `/`, signed SigV4 for the service `sns`), a bucket's notification
//! configuration (PutBucketNotificationConfiguration replaces it, as AWS does; Ceph's
//! `DELETE /bucket?notification=ID` removes one), and an event posted for each change.
//!
//! Events are posted by one task, in order, each at most `ATTEMPTS` times; a full outbox
//! (`OUTBOX`) drops the event and counts it. Every creation is named `ObjectCreated:Put`.

use super::store::Store;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use s3s::{Body, HttpResponse};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Events waiting to be posted.
pub const OUTBOX: usize = 10_000;
const ATTEMPTS: u32 = 3;
const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// How far a request's X-Amz-Date may be from the sandbox's clock.
const SKEW_SECONDS: i64 = 15 * 60;

/// One topic configuration of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub topic_arn: String,
    pub events: Vec<String>,
    pub prefix: String,
}

impl Rule {
    /// Whether `name` (`ObjectCreated:Put`) of `key` is sent by this rule.
    fn sends(&self, name: &str, key: &str) -> bool {
        key.starts_with(&self.prefix)
            && self.events.iter().any(|e| {
                let e = e.strip_prefix("s3:").unwrap_or(e);
                e == name || e.strip_suffix('*').is_some_and(|p| name.starts_with(p))
            })
    }
}

/// An event to post.
#[derive(Debug)]
pub struct Outgoing {
    pub endpoint: String,
    pub body: String,
}

/// A change of an object, for the event.
pub struct Change<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub name: &'static str,
    pub version_id: &'a str,
    pub etag: &'a str,
    pub size: u64,
    pub at: jiff::Timestamp,
    pub seq: u64,
}

impl Store {
    /// Queues the event of `change` for each rule of its bucket that sends it.
    pub fn emit(&mut self, change: Change<'_>) {
        let Ok(bucket) = self.bucket(change.bucket) else {
            return;
        };
        if bucket.notifications.is_empty() {
            return;
        }
        let mut outgoing = Vec::new();
        for rule in &bucket.notifications {
            if !rule.sends(change.name, change.key) {
                continue;
            }
            let Some(endpoint) = self.topics.get(&rule.topic_arn) else {
                continue;
            };
            let body = serde_json::json!({"Records": [{
                "eventVersion": "2.2",
                "eventSource": "lockwatch:sandbox",
                "awsRegion": super::REGION,
                "eventTime": change.at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "eventName": change.name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": rule.id,
                    "bucket": {"name": change.bucket, "arn": format!("arn:aws:s3:::{}", change.bucket)},
                    "object": {
                        "key": change.key,
                        "size": change.size,
                        "eTag": change.etag,
                        "versionId": change.version_id,
                        "sequencer": format!("{:016X}", change.seq),
                    }
                }
            }]})
            .to_string();
            outgoing.push(Outgoing {
                endpoint: endpoint.clone(),
                body,
            });
        }
        for o in outgoing {
            let sent = self.outbox.as_ref().map(|tx| tx.try_send(o).is_ok());
            if sent != Some(true) {
                self.notices_dropped = self.notices_dropped.saturating_add(1);
            }
        }
    }
}

/// Posts what is queued until the sandbox stops.
pub async fn deliver(mut rx: tokio::sync::mpsc::Receiver<Outgoing>, store: Arc<Mutex<Store>>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    while let Some(o) = rx.recv().await {
        let mut delivered = false;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let Ok(request) = http::Request::post(&o.endpoint)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(o.body.clone())))
            else {
                break;
            };
            if let Ok(Ok(response)) =
                tokio::time::timeout(POST_TIMEOUT, client.request(request)).await
            {
                let ok = response.status().is_success();
                let _ = response.into_body().collect().await;
                if ok {
                    delivered = true;
                    break;
                }
            }
        }
        if !delivered && let Ok(mut s) = store.lock() {
            s.notices_failed = s.notices_failed.saturating_add(1);
        }
    }
}

/// Whether the sandbox answers this request itself, outside S3: the SNS API, and Ceph's
/// DELETE ?notification.
pub fn is_ours(req: &http::Request<Body>) -> bool {
    let form = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    (req.method() == http::Method::POST && req.uri().path() == "/" && form)
        || (req.method() == http::Method::DELETE && notification_id(req).is_some())
}

fn notification_id(req: &http::Request<Body>) -> Option<String> {
    let query = req.uri().query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "notification")
        .map(|(_, v)| v.into_owned())
}

/// Answers a request `is_ours` said yes to: its body read (at most 64 KiB), its signature
/// checked, then the action.
pub async fn serve(
    req: http::Request<Body>,
    store: &Mutex<Store>,
    access_key: &str,
    secret_key: &str,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, 64 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(400, "InvalidRequest", "a body too large or cut short"),
    };
    let service = if parts.method == http::Method::POST {
        "sns"
    } else {
        "s3"
    };
    if let Err(why) = verify(&parts, &body, service, access_key, secret_key) {
        return error(403, "SignatureDoesNotMatch", &why);
    }
    let Ok(mut store) = store.lock() else {
        return error(500, "InternalError", "the sandbox's store is unusable");
    };
    if parts.method == http::Method::DELETE {
        let bucket = parts.uri.path().trim_start_matches('/').to_string();
        let Ok(bucket) = lockwatch_core::domain::percent::decode(&bucket) else {
            return error(
                400,
                "InvalidURI",
                "a bucket name that is not percent-encoded text",
            );
        };
        let id = parts
            .uri
            .query()
            .and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "notification")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        return match store.notifications_mut(&bucket) {
            Some(rules) => {
                if id.is_empty() {
                    rules.clear();
                } else {
                    rules.retain(|r| r.id != id);
                }
                empty(204)
            }
            None => error(404, "NoSuchBucket", "The specified bucket does not exist"),
        };
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let action = form.get("Action").map(String::as_str).unwrap_or_default();
    match action {
        "CreateTopic" => {
            let name = form.get("Name").cloned().unwrap_or_default();
            if name.is_empty()
                || name.len() > 256
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return error(400, "InvalidParameter", "Invalid parameter: Name");
            }
            let mut attributes = BTreeMap::new();
            for n in 1..=10 {
                if let (Some(k), Some(v)) = (
                    form.get(&format!("Attributes.entry.{n}.key")),
                    form.get(&format!("Attributes.entry.{n}.value")),
                ) {
                    attributes.insert(k.clone(), v.clone());
                }
            }
            let endpoint = attributes.get("push-endpoint").cloned().unwrap_or_default();
            if !loopback(&endpoint) {
                return error(
                    400,
                    "InvalidArgument",
                    "the sandbox pushes only to http:// on this machine (127.0.0.1, [::1] or localhost)",
                );
            }
            if store.topics.len() >= 1000 && !store.topics.contains_key(&arn(&name)) {
                return error(400, "TopicLimitExceeded", "at most 1000 topics");
            }
            store.topics.insert(arn(&name), endpoint);
            xml(&format!(
                "<CreateTopicResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><CreateTopicResult><TopicArn>{}</TopicArn></CreateTopicResult></CreateTopicResponse>",
                escape(&arn(&name))
            ))
        }
        "DeleteTopic" => {
            let topic = form.get("TopicArn").cloned().unwrap_or_default();
            store.topics.remove(&topic);
            xml(
                "<DeleteTopicResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"></DeleteTopicResponse>",
            )
        }
        "GetTopicAttributes" => {
            let topic = form.get("TopicArn").cloned().unwrap_or_default();
            let Some(endpoint) = store.topics.get(&topic) else {
                return error(404, "NotFound", "Topic does not exist");
            };
            let name = topic.rsplit(':').next().unwrap_or_default();
            let inner = serde_json::json!({
                "EndpointAddress": endpoint,
                "EndpointTopic": name,
                "HasStoredSecret": "false",
                "Persistent": "false",
            })
            .to_string();
            xml(&format!(
                "<GetTopicAttributesResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><GetTopicAttributesResult><Attributes><entry><key>Name</key><value>{}</value></entry><entry><key>EndPoint</key><value>{}</value></entry><entry><key>TopicArn</key><value>{}</value></entry></Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>",
                escape(name),
                escape(&inner),
                escape(&topic)
            ))
        }
        "ListTopics" => {
            let members: String = store
                .topics
                .keys()
                .map(|a| format!("<member><TopicArn>{}</TopicArn></member>", escape(a)))
                .collect();
            xml(&format!(
                "<ListTopicsResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><ListTopicsResult><Topics>{members}</Topics></ListTopicsResult></ListTopicsResponse>"
            ))
        }
        _ => error(
            400,
            "InvalidAction",
            "the sandbox's SNS API has CreateTopic, DeleteTopic, GetTopicAttributes and ListTopics",
        ),
    }
}

/// Whether `endpoint` is `http://` to this machine: the sandbox, itself on 127.0.0.1, posts
/// nowhere else (its users could otherwise make it post to any address).
fn loopback(endpoint: &str) -> bool {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// A topic's ARN, as Ceph RGW writes it (no account).
pub fn arn(name: &str) -> String {
    format!("arn:aws:sns:{}::{name}", super::REGION)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml(text: &str) -> HttpResponse {
    let mut r = http::Response::new(Body::from(text.to_string()));
    if let Ok(v) = http::HeaderValue::from_str("text/xml") {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

fn empty(status: u16) -> HttpResponse {
    let mut r = http::Response::new(Body::empty());
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    r
}

fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    let mut r = xml(&format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error></ErrorResponse>",
        escape(code),
        escape(message)
    ));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    r
}

/// Checks a SigV4 header signature (`Authorization: AWS4-HMAC-SHA256 …`) for `service`.
fn verify(
    parts: &http::request::Parts,
    body: &[u8],
    service: &str,
    access_key: &str,
    secret_key: &str,
) -> Result<(), String> {
    use hmac::{KeyInit, Mac};
    use sha2::{Digest, Sha256};
    type Hmac = hmac::Hmac<Sha256>;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mac = |key: &[u8], data: &[u8]| -> Result<Vec<u8>, String> {
        let mut m = Hmac::new_from_slice(key).map_err(|e| e.to_string())?;
        m.update(data);
        Ok(m.finalize().into_bytes().to_vec())
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let auth = header("authorization").ok_or("no Authorization header")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not a SigV4 signature")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v.to_string());
        }
    }
    let (credential, signed, signature) = (
        credential.ok_or("no Credential")?,
        signed.ok_or("no SignedHeaders")?,
        signature.ok_or("no Signature")?,
    );
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, scoped_service, "aws4_request"] = scope[..] else {
        return Err("a malformed credential scope".into());
    };
    if key != access_key {
        return Err("an access key the sandbox does not know".into());
    }
    if scoped_service != service {
        return Err(format!(
            "the credential scope names {scoped_service}, not {service}"
        ));
    }
    let amz_date = header("x-amz-date").ok_or("no X-Amz-Date")?;
    if !amz_date.starts_with(date) || amz_date.len() != 16 {
        return Err("X-Amz-Date does not match the credential scope".into());
    }
    let when = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", &amz_date)
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .ok_or("an X-Amz-Date that is not a time")?;
    if (jiff::Timestamp::now().as_second() - when.timestamp().as_second()).abs() > SKEW_SECONDS {
        return Err("RequestTimeTooSkewed".into());
    }
    let payload = match header("x-amz-content-sha256") {
        Some(h) if h != "UNSIGNED-PAYLOAD" => {
            if h != hex(&Sha256::digest(body)) {
                return Err("x-amz-content-sha256 does not match the body".into());
            }
            h
        }
        _ => hex(&Sha256::digest(body)),
    };
    let mut headers = String::new();
    for name in signed.split(';') {
        let value = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(",");
        headers.push_str(&format!("{name}:{value}\n"));
    }
    let mut query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (p.to_string(), String::new()),
                })
                .collect()
        })
        .unwrap_or_default();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!(
        "{}\n{}\n{query}\n{headers}\n{signed}\n{payload}",
        parts.method,
        parts.uri.path()
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = mac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes())?;
    for part in [region, service, "aws4_request"] {
        k = mac(&k, part.as_bytes())?;
    }
    let expected = hex(&mac(&k, string_to_sign.as_bytes())?);
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err("The request signature we calculated does not match the signature you provided.".into())
    }
}
