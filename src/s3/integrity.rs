//! Refusing answers that were cut short. The SDK's XML reader accepts a document whose end is
//! missing: a listing truncated in transit would read as a shorter, complete listing. Every
//! successful XML answer must end by closing the element it opened.

use aws_sdk_s3::config::interceptors::{
    AfterDeserializationInterceptorContextRef, InterceptorContext,
};
use aws_sdk_s3::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's answer was cut short: the XML document <{root}> never ends")]
pub struct IncompleteXml {
    pub root: String,
}

/// Whether `body`, if it is an XML document, ends by closing its root element.
pub fn check_complete_xml(body: &[u8]) -> Result<(), IncompleteXml> {
    let text = String::from_utf8_lossy(body);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    // Skip the declaration, processing instructions and comments before the root.
    let mut prolog = false;
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
        prolog = true;
    }
    let Some(after) = rest.strip_prefix('<') else {
        // A prolog with no document after it was cut before its root; anything else is not
        // XML (or empty), with nothing to check.
        return if prolog {
            Err(IncompleteXml {
                root: "(none)".into(),
            })
        } else {
            Ok(())
        };
    };
    let root: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    if root.is_empty() {
        // `<` and nothing more: cut right where the root begins.
        return if after.trim().is_empty() {
            Err(IncompleteXml {
                root: "(none)".into(),
            })
        } else {
            Ok(())
        };
    }
    let end = rest.trim_end();
    let opening_self_closed = rest
        .split_once('>')
        .is_some_and(|(open, tail)| open.ends_with('/') && tail.trim().is_empty());
    if end.ends_with(&format!("</{root}>")) || opening_self_closed {
        Ok(())
    } else {
        Err(IncompleteXml { root })
    }
}

#[derive(Debug)]
pub(crate) struct CompleteXml;

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "lockwatch::CompleteXml"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        // Streamed bodies (downloads) are not held here and are checked by size and ETag.
        match response.body().bytes() {
            Some(body) => check_complete_xml(body).map_err(Into::into),
            None => Ok(()),
        }
    }
}

/// An answer cut short is a fault of the connection, like a reset: reads are tried again
/// (writes never are: they run with retries off).
#[derive(Debug)]
pub(crate) struct RetryCutAnswers;

impl ClassifyRetry for RetryCutAnswers {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = context.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = cause {
            if e.downcast_ref::<IncompleteXml>().is_some() {
                return RetryAction::transient_error();
            }
            // The same answer would be as large again: one is read, to its cap, at most.
            if e.downcast_ref::<AnswerTooLarge>().is_some() {
                return RetryAction::RetryForbidden;
            }
            cause = e.source();
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "lockwatch::RetryCutAnswers"
    }
}

/// The most a listing page may hold: S3 pages hold at most 1,000 entries of at most ~2 KiB of
/// XML each, so 64 MiB is generous, and bounds an answer that would never end.
pub const MAX_LISTING_ANSWER: u64 = 64 * 1024 * 1024;
/// The most any other answer read whole may hold (configurations, errors, policies of up to
/// 20 KiB, lifecycle configurations of up to 1,000 rules). Downloads stream and are not capped.
pub const MAX_OTHER_ANSWER: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's answer is larger than the {limit} bytes lockwatch reads for {operation}")]
pub struct AnswerTooLarge {
    pub operation: String,
    pub limit: u64,
}

/// The cap for one operation's answer, `None` for a streamed download (its error answers,
/// read whole, are capped like any other).
pub fn answer_limit(operation: &str, success: bool) -> Option<u64> {
    match operation {
        "GetObject" if success => None,
        op if op.starts_with("List") => Some(MAX_LISTING_ANSWER),
        _ => Some(MAX_OTHER_ANSWER),
    }
}

/// A response body that fails once more than `left` bytes have come.
struct Capped {
    inner: aws_smithy_types::body::SdkBody,
    left: u64,
    operation: String,
    limit: u64,
}

impl http_body::Body for Capped {
    type Data = bytes::Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, BoxError>>> {
        let this = &mut *self;
        let frame = std::task::ready!(std::pin::Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(f)) = &frame
            && let Some(data) = f.data_ref()
        {
            let n = data.len() as u64;
            if n > this.left {
                return std::task::Poll::Ready(Some(Err(AnswerTooLarge {
                    operation: this.operation.clone(),
                    limit: this.limit,
                }
                .into())));
            }
            this.left -= n;
        }
        std::task::Poll::Ready(frame)
    }
}

/// Caps every answer's body before the SDK reads it whole: an answer that never ends is
/// refused as unreadable once past the cap, instead of growing memory without bound.
#[derive(Debug)]
pub(crate) struct CapAnswers;

impl Intercept for CapAnswers {
    fn name(&self) -> &'static str {
        "lockwatch::CapAnswers"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextMut<
            '_,
        >,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        let success = context.response().status().is_success();
        let Some(limit) = answer_limit(&operation, success) else {
            return Ok(());
        };
        let body = context.response_mut().body_mut();
        let inner = std::mem::replace(body, aws_smithy_types::body::SdkBody::taken());
        *body = aws_smithy_types::body::SdkBody::from_body_1_x(Capped {
            inner,
            left: limit,
            operation,
            limit,
        });
        Ok(())
    }
}

/// Counts every attempt sent (a retried request counts each time), for the watcher's
/// requests per interval.
#[derive(Debug)]
pub(crate) struct CountRequests(pub std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "lockwatch::CountRequests"
    }

    fn read_before_transmit(
        &self,
        _: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_read_whole_is_capped_and_only_a_download_streams() {
        assert_eq!(
            answer_limit("ListObjectVersions", true),
            Some(MAX_LISTING_ANSWER)
        );
        assert_eq!(answer_limit("ListBuckets", false), Some(MAX_LISTING_ANSWER));
        assert_eq!(
            answer_limit("GetBucketVersioning", true),
            Some(MAX_OTHER_ANSWER)
        );
        assert_eq!(answer_limit("GetObject", true), None);
        assert_eq!(answer_limit("GetObject", false), Some(MAX_OTHER_ANSWER));
    }

    #[test]
    fn complete_documents_pass_and_cut_ones_fail() {
        let full = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"x\"><Name>b</Name></ListBucketResult>\n";
        assert_eq!(check_complete_xml(full), Ok(()));
        for cut in [60, 80, full.len() - 3] {
            assert_eq!(
                check_complete_xml(&full[..cut]),
                Err(IncompleteXml {
                    root: "ListBucketResult".into()
                }),
                "cut at {cut}"
            );
        }
        for cut in [10, 40, 45] {
            assert!(check_complete_xml(&full[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(check_complete_xml(b""), Ok(()));
        assert_eq!(check_complete_xml(b"not xml"), Ok(()));
        assert_eq!(check_complete_xml(b"<Empty/>"), Ok(()));
        assert_eq!(
            check_complete_xml(b"<!-- c --><R><a/></R>"),
            Ok(()),
            "comments before the root"
        );
    }
}
