//! Errors from the server or the network, reduced to what the user needs to read.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// A failed S3 request, with the server's error code and message kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    /// The server answered with an error.
    #[error("{code}: {message}")]
    Service {
        code: String,
        message: String,
        status: Option<u16>,
    },
    /// No answer: connection refused, reset, DNS, TLS.
    #[error("cannot reach the server: {0}")]
    Network(String),
    #[error("the server did not answer in time: {0}")]
    Timeout(String),
    /// An answer came but could not be read: cut short, or not the XML S3 sends.
    #[error("unreadable answer from the server (HTTP {status}): {detail}")]
    Unreadable { status: u16, detail: String },
    /// The request could not be built, or the answer made no sense.
    #[error("{0}")]
    Other(String),
    /// lockwatch stopped a listing the server would never have ended (tokens sent before,
    /// keys going back, pages with nothing new).
    #[error("listing stopped: {0}")]
    Runaway(String),
    /// lockwatch's re-check just before a write found the data changed since the user
    /// confirmed; no write was sent.
    #[error("{0}")]
    Changed(String),
    /// lockwatch runs read-only: the write was refused before any request was sent.
    #[error("lockwatch runs read-only: {0} was not sent")]
    ReadOnly(String),
}

impl S3Error {
    pub fn code(&self) -> Option<&str> {
        match self {
            S3Error::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// One word for a narrow cell: the server's code, or what kind of failure it was.
    pub fn short(&self) -> &str {
        match self {
            S3Error::Service { code, .. } => code,
            S3Error::Network(_) => "no answer",
            S3Error::Timeout(_) => "timeout",
            S3Error::Unreadable { .. } => "unreadable",
            S3Error::Runaway(_) => "stopped",
            S3Error::Other(_) | S3Error::Changed(_) | S3Error::ReadOnly(_) => "error",
        }
    }

    /// Whether a write that failed this way may have been carried out all the same: the
    /// answer never came or could not be read, or the server failed (5xx) rather than refused.
    /// Such a write is never sent again blindly; the state is read back instead.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            S3Error::Network(_) | S3Error::Timeout(_) | S3Error::Unreadable { .. } => true,
            S3Error::Service { status, .. } => status.is_none_or(|s| s >= 500),
            S3Error::Other(_)
            | S3Error::Runaway(_)
            | S3Error::ReadOnly(_)
            | S3Error::Changed(_) => false,
        }
    }

    /// Whether the server says the key or version does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            S3Error::Service {
                status: Some(404),
                ..
            }
        ) || matches!(
            self.code(),
            Some("NoSuchKey" | "NoSuchVersion" | "NotFound")
        )
    }

    /// Whether the server refused the credentials themselves (not a permission on one bucket).
    pub fn is_credentials_rejected(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "InvalidToken"
                    | "ExpiredToken"
                    | "InvalidSecurity"
            )
        )
    }

    pub(crate) fn from_sdk<E>(err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> S3Error
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
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
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

fn status_code_name(status: u16) -> String {
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
