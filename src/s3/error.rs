//! Errors from the server or the network, reduced to what the user needs to read: the SDK's
//! errors become `domain::error::S3Error`.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

pub use crate::domain::error::S3Error;

/// `S3Error::from_sdk`: the domain's error from the SDK's (a trait, as `S3Error` is the
/// core crate's type).
pub(crate) trait FromSdk {
    fn from_sdk<E>(err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static;
}

impl FromSdk for S3Error {
    fn from_sdk<E>(err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        tracing::debug!(error = %DisplayErrorContext(&err), "S3 request failed");
        match &err {
            // A success status with an error means the answer could not be read (truncated
            // or invalid XML): say so rather than naming a made-up error code.
            SdkError::ServiceError(ctx) if ctx.raw().status().is_success() => S3Error::Unreadable {
                status: ctx.raw().status().as_u16(),
                detail: causes(ctx.err()),
            },
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                let meta = ctx.err();
                // HEAD answers carry no body, so no code: name the HTTP status instead.
                let code = meta
                    .code()
                    .map(str::to_string)
                    .unwrap_or_else(|| status_code_name(status));
                let message = meta
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("HTTP {status}"));
                S3Error::Service {
                    code,
                    message,
                    status: Some(status),
                }
            }
            // The SDK's own deadline (one attempt in all), not the wait between reads.
            SdkError::TimeoutError(_) => S3Error::Timeout(format!(
                "{} (the deadline of one attempt: --attempt-timeout)",
                causes(&err)
            )),
            SdkError::DispatchFailure(d) if d.is_timeout() => S3Error::Timeout(causes(&err)),
            SdkError::DispatchFailure(_) => S3Error::Network(causes(&err)),
            // The innermost cause says what went wrong (cut short, connection reset); the
            // layers above it name SDK machinery.
            SdkError::ResponseError(ctx) => S3Error::Unreadable {
                status: ctx.raw().status().as_u16(),
                detail: innermost(&err),
            },
            _ => S3Error::Other(causes(&err)),
        }
    }
}

/// An error and its causes in words, `outer: inner: innermost`, without the debug dumps
/// (raw answers included) that the SDK's own report appends. A cause already said by the one
/// before it is left out.
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut said = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.is_empty() && !said.contains(&text) {
            said.push_str(": ");
            said.push_str(&text);
        }
        cause = e.source();
    }
    said
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(e) = last.source() {
        last = e;
    }
    last.to_string()
}

pub(crate) fn status_code_name(status: u16) -> String {
    match status {
        301 => "PermanentRedirect".into(),
        400 => "BadRequest".into(),
        403 => "AccessDenied".into(),
        404 => "NotFound".into(),
        405 => "MethodNotAllowed".into(),
        409 => "Conflict".into(),
        412 => "PreconditionFailed".into(),
        500 => "InternalError".into(),
        501 => "NotImplemented".into(),
        503 => "ServiceUnavailable".into(),
        other => format!("HTTP{other}"),
    }
}
