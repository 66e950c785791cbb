//! What the sandbox does around `s3s` for each HTTP exchange, where AWS answers otherwise than
//! `s3s` alone would:
//! - every answer carries `x-amz-request-id`, and an error's XML names the same `RequestId`;
//! - a body sent with `Transfer-Encoding: chunked` and no length is read (within the object
//!   size cap, its memory held against the sandbox's total) and given its length, so the
//!   signature check can hash it;
//! - GetObjectAttributes sends its ETag unquoted, as AWS does.

use super::store::Store;
use bytes::Bytes;
use http_body_util::BodyExt;
use s3s::service::S3Service;
use s3s::{Body, HttpError, HttpResponse};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Request ids: unique within a sandbox, opaque to clients (AWS's are 16 hex digits).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

fn next_request_id() -> String {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{:016X}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

pub(crate) async fn serve(
    service: S3Service,
    store: Arc<Mutex<Store>>,
    keys: Arc<(String, String)>,
    req: http::Request<hyper::body::Incoming>,
) -> Result<HttpResponse, HttpError> {
    let id = next_request_id();
    let attributes = req.method() == http::Method::GET
        && req.uri().query().is_some_and(|q| {
            q.split('&')
                .any(|p| p == "attributes" || p == "attributes=")
        });
    let (parts, body) = req.into_parts();
    let mut req = http::Request::from_parts(parts, Body::from(body));
    let mut held = 0;
    let refused = match refused(&req) {
        Some(refused) => Some(refused),
        None => with_length(&mut req, &store, &mut held).await,
    };
    let mut response = match refused {
        Some(refused) => refused,
        None if super::notify::is_ours(&req) => {
            super::notify::serve(req, &store, &keys.0, &keys.1).await
        }
        None => service.call(req).await?,
    };
    if held > 0
        && let Ok(mut store) = store.lock()
    {
        store.release(held);
    }
    if let Ok(value) = http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    if response.status().is_client_error() || response.status().is_server_error() {
        name_request_in_error(&mut response, &id);
    } else if attributes {
        unquote_attribute_etag(&mut response);
    }
    Ok(response)
}

/// What AWS refuses before it looks at the operation: a presigned URL meant to last more than
/// a week, and a request for a bucket owner other than the sandbox's one user.
fn refused(req: &http::Request<Body>) -> Option<HttpResponse> {
    let expires = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "X-Amz-Expires")
            .map(|(_, value)| value.into_owned())
    });
    if let Some(expires) = expires
        && expires.parse::<u64>().is_ok_and(|s| s > 604_800)
    {
        return Some(refusal(
            http::StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ));
    }
    let owner = req
        .headers()
        .get("x-amz-expected-bucket-owner")
        .map(|v| v.to_str().unwrap_or_default());
    owner.filter(|o| *o != super::service::OWNER_ID).map(|_| {
        refusal(
            http::StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied: the bucket's owner is not the expected bucket owner.",
        )
    })
}

/// A chunked body with no `Content-Length` (and not aws-chunked, which says its decoded
/// length): read it whole, holding memory for it, and say its length. The refusal, if any.
async fn with_length(
    req: &mut http::Request<Body>,
    store: &Mutex<Store>,
    held: &mut u64,
) -> Option<HttpResponse> {
    let headers = req.headers();
    let chunked = headers
        .get(http::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if !chunked
        || headers.contains_key(http::header::CONTENT_LENGTH)
        || headers.contains_key("x-amz-decoded-content-length")
    {
        return None;
    }
    let max = store.lock().map(|s| s.limits.max_object_bytes).unwrap_or(0);
    let mut body = std::mem::take(req.body_mut());
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Some(refusal(
                http::StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "The request body ended before it was complete.",
            ));
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let total = (out.len() + data.len()) as u64;
        if total > max {
            return Some(refusal(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size of this sandbox.",
            ));
        }
        let grown = store
            .lock()
            .map_err(|_| ())
            .and_then(|mut s| s.reserve(total - *held).map_err(|_| ()));
        if grown.is_err() {
            return Some(refusal(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "The sandbox holds as much as its memory cap allows; delete something first.",
            ));
        }
        *held = total;
        out.extend_from_slice(&data);
    }
    let body: Bytes = out.freeze();
    req.headers_mut().remove(http::header::TRANSFER_ENCODING);
    req.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(body.len()),
    );
    *req.body_mut() = Body::from(body);
    None
}

fn refusal(status: http::StatusCode, code: &str, message: &str) -> HttpResponse {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut response = http::Response::new(Body::from(xml));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    response
}

/// An error's XML body names the request, as AWS's `<RequestId>` does.
fn name_request_in_error(response: &mut HttpResponse, id: &str) {
    let Some(body) = response.body().bytes() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return;
    };
    if text.contains("<RequestId>") {
        return;
    }
    let Some(end) = text.rfind("</Error>") else {
        return;
    };
    let named = format!(
        "{}<RequestId>{id}</RequestId>{}",
        &text[..end],
        &text[end..]
    );
    set_body(response, named);
}

/// `<ETag>"…"</ETag>` becomes `<ETag>…</ETag>` in a GetObjectAttributes answer.
fn unquote_attribute_etag(response: &mut HttpResponse) {
    let Some(body) = response.body().bytes() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return;
    };
    let unquoted = ["&quot;", "\""].iter().find_map(|q| {
        let open = format!("<ETag>{q}");
        let close = format!("{q}</ETag>");
        let start = text.find(&open)?;
        let end = text[start..].find(&close)? + start;
        Some(format!(
            "{}<ETag>{}</ETag>{}",
            &text[..start],
            &text[start + open.len()..end],
            &text[end + close.len()..]
        ))
    });
    if let Some(unquoted) = unquoted {
        set_body(response, unquoted);
    }
}

fn set_body(response: &mut HttpResponse, text: String) {
    response.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(text.len()),
    );
    *response.body_mut() = Body::from(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        let mut r = http::Response::new(Body::from(body.to_string()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
        r
    }

    fn text(r: &HttpResponse) -> String {
        String::from_utf8(r.body().bytes().unwrap_or_default().to_vec()).unwrap_or_default()
    }

    #[test]
    fn an_error_names_its_request_once() {
        let mut r = response(404, "<Error><Code>NoSuchKey</Code></Error>");
        name_request_in_error(&mut r, "ABC");
        assert_eq!(
            text(&r),
            "<Error><Code>NoSuchKey</Code><RequestId>ABC</RequestId></Error>"
        );
        name_request_in_error(&mut r, "DEF");
        assert_eq!(text(&r).matches("<RequestId>").count(), 1);
    }

    #[test]
    fn attribute_etags_are_unquoted_and_nothing_else_changes() {
        let mut r = response(
            200,
            "<R><ETag>&quot;abc&quot;</ETag><ObjectSize>3</ObjectSize></R>",
        );
        unquote_attribute_etag(&mut r);
        assert_eq!(
            text(&r),
            "<R><ETag>abc</ETag><ObjectSize>3</ObjectSize></R>"
        );
        let mut plain = response(200, "<R><ObjectSize>3</ObjectSize></R>");
        unquote_attribute_etag(&mut plain);
        assert_eq!(text(&plain), "<R><ObjectSize>3</ObjectSize></R>");
    }
}
