//! A failed request to the server, as plain data: what the user needs to read, and what
//! lockwatch decides by (was it refused, lost, unreadable?). The S3 layer builds it from the
//! SDK's errors; everything above sees only this.

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
    /// One sentence for a write that did not happen, naming who stopped it: the server's
    /// refusal with its words, lockwatch's own check (nothing sent), or a request that got no
    /// usable answer.
    pub fn failure_sentence(&self) -> String {
        let said = self.to_string();
        let end = if said.ends_with('.') { "" } else { "." };
        match self {
            S3Error::Service { .. } => format!("Refused by the server ({said}){end}"),
            S3Error::Changed(_) | S3Error::ReadOnly(_) => {
                format!("Not sent by lockwatch: {said}{end}")
            }
            S3Error::Network(_)
            | S3Error::Timeout(_)
            | S3Error::Unreadable { .. }
            | S3Error::Other(_)
            | S3Error::Runaway(_) => format!("Failed: {said}{end}"),
        }
    }

    /// The HTTP status of the server's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            S3Error::Service { status, .. } => *status,
            S3Error::Unreadable { status, .. } => Some(*status),
            _ => None,
        }
    }

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

    /// Whether the server said it is overloaded and asked to be asked again later (503
    /// SlowDown, 429, the throttling codes of S3-compatible servers).
    pub fn is_slow_down(&self) -> bool {
        matches!(
            self,
            S3Error::Service {
                status: Some(503 | 429),
                ..
            }
        ) || matches!(
            self.code(),
            Some(
                "SlowDown"
                    | "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "TooManyRequests"
                    | "RequestThrottled"
                    | "ServiceUnavailable"
            )
        )
    }

    /// Whether the server is in trouble rather than refusing this request: an error of its
    /// own (5xx), no answer in time, or none at all.
    pub fn is_server_trouble(&self) -> bool {
        match self {
            S3Error::Network(_) | S3Error::Timeout(_) => true,
            S3Error::Service { status, .. } => status.is_some_and(|s| s >= 500),
            _ => false,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_says_who_stopped_it() {
        let refused = S3Error::Service {
            code: "AccessDenied".into(),
            message: "forbidden by object lock".into(),
            status: Some(403),
        };
        assert_eq!(
            refused.failure_sentence(),
            "Refused by the server (AccessDenied: forbidden by object lock)."
        );
        let checked = S3Error::Changed("bucket bup already exists and is yours".into());
        assert_eq!(
            checked.failure_sentence(),
            "Not sent by lockwatch: bucket bup already exists and is yours."
        );
        let lost = S3Error::Network("connection reset".into());
        assert_eq!(
            lost.failure_sentence(),
            "Failed: cannot reach the server: connection reset."
        );
    }
}
