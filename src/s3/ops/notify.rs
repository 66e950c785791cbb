//! Bucket notifications with an HTTP push endpoint (Ceph RGW): a topic through the server's
//! SNS API, and the bucket's notification configuration. The topic calls and Ceph's DELETE
//! ?notification are signed and sent on the lean client (the SDK has no SNS here), so they
//! need a custom endpoint addressed path style.

use super::*;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    S3KeyFilter, TopicConfiguration,
};

/// One topic configuration of a bucket's notification configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    pub id: String,
    pub topic_arn: String,
    pub events: Vec<String>,
    /// The key prefix it is filtered to (empty: every key).
    pub prefix: String,
}

impl S3 {
    fn lean_or_refuse(&self, what: &str) -> Result<&super::super::lean::LeanHead, S3Error> {
        self.lean.as_deref().ok_or_else(|| {
            S3Error::Other(format!(
                "{what} needs a server's own endpoint addressed path style (--endpoint, as Ceph RGW is reached): bucket notifications with an HTTP push endpoint are Ceph RGW's"
            ))
        })
    }

    /// One SNS API action: `form` posted to the endpoint, signed for "sns", sent once.
    async fn sns(
        &self,
        what: &str,
        form: String,
    ) -> Result<super::super::lean::RawAnswer, S3Error> {
        self.lean_or_refuse(what)?
            .send(
                http::Method::POST,
                "/",
                "sns",
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                form.into(),
            )
            .await
    }

    /// CreateTopic (SNS API) with an HTTP push endpoint: the topic's ARN. Creating a topic
    /// that exists sets its attributes.
    pub fn create_topic<'a>(
        &'a self,
        name: &'a str,
        push_endpoint: &'a str,
    ) -> Unaudited<impl Future<Output = Result<String, S3Error>> + Send + 'a> {
        Unaudited::new(async move {
            self.refuse_if_read_only("CreateTopic")?;
            let form = [
                ("Action", "CreateTopic"),
                ("Version", "2010-03-31"),
                ("Name", name),
                ("Attributes.entry.1.key", "push-endpoint"),
                ("Attributes.entry.1.value", push_endpoint),
            ]
            .iter()
            .map(|(k, v)| format!("{}={}", percent::encode(k), percent::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
            let answer = self.sns("CreateTopic", form).await?;
            let text = String::from_utf8_lossy(&answer.body);
            if !(200..300).contains(&answer.status) {
                return Err(sns_error("CreateTopic", answer.status, &text));
            }
            element(&text, "TopicArn")
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    S3Error::Other(format!(
                        "CreateTopic answered without a TopicArn: {}",
                        crate::domain::text::name(&text.chars().take(200).collect::<String>())
                    ))
                })
        })
    }

    /// DeleteTopic (SNS API).
    pub fn delete_topic<'a>(
        &'a self,
        arn: &'a str,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send + 'a> {
        Unaudited::new(async move {
            self.refuse_if_read_only("DeleteTopic")?;
            let form = format!(
                "Action=DeleteTopic&Version=2010-03-31&TopicArn={}",
                percent::encode(arn)
            );
            let answer = self.sns("DeleteTopic", form).await?;
            if (200..300).contains(&answer.status) {
                Ok(())
            } else {
                Err(sns_error(
                    "DeleteTopic",
                    answer.status,
                    &String::from_utf8_lossy(&answer.body),
                ))
            }
        })
    }

    /// The bucket's notification configuration: its topic configurations (queue and
    /// function configurations are AWS's; Ceph RGW has none).
    pub async fn notifications(&self, bucket: &str) -> Result<Vec<TopicConfig>, S3Error> {
        let out = self
            .client
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(out
            .topic_configurations()
            .iter()
            .map(|t| TopicConfig {
                id: t.id().unwrap_or_default().to_string(),
                topic_arn: t.topic_arn().to_string(),
                events: t.events().iter().map(|e| e.as_str().to_string()).collect(),
                prefix: t
                    .filter()
                    .and_then(|f| f.key())
                    .map(|k| {
                        k.filter_rules()
                            .iter()
                            .filter(|r| {
                                r.name()
                                    .is_some_and(|n| n.as_str().eq_ignore_ascii_case("prefix"))
                            })
                            .filter_map(|r| r.value())
                            .collect::<String>()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// PutBucketNotificationConfiguration with `configs` (the whole configuration: AWS
    /// replaces what was there; Ceph RGW adds to it by id).
    pub fn put_notifications<'a>(
        &'a self,
        bucket: &'a str,
        configs: &'a [TopicConfig],
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send + 'a> {
        Unaudited::new(async move {
            self.refuse_if_read_only("PutBucketNotificationConfiguration")?;
            let mut topics = Vec::new();
            for c in configs {
                let mut t = TopicConfiguration::builder()
                    .id(&c.id)
                    .topic_arn(&c.topic_arn)
                    .set_events(Some(
                        c.events.iter().map(|e| Event::from(e.as_str())).collect(),
                    ));
                if !c.prefix.is_empty() {
                    t = t.filter(
                        NotificationConfigurationFilter::builder()
                            .key(
                                S3KeyFilter::builder()
                                    .filter_rules(
                                        FilterRule::builder()
                                            .name(FilterRuleName::Prefix)
                                            .value(&c.prefix)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    );
                }
                topics.push(
                    t.build().map_err(|e| {
                        S3Error::Other(format!("cannot build the configuration: {e}"))
                    })?,
                );
            }
            self.client
                .put_bucket_notification_configuration()
                .bucket(bucket)
                .notification_configuration(
                    NotificationConfiguration::builder()
                        .set_topic_configurations(Some(topics))
                        .build(),
                )
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map_err(S3Error::from_sdk)?;
            Ok(())
        })
    }

    /// Ceph RGW's DELETE /bucket?notification=ID: one notification of the bucket removed.
    pub fn delete_notification<'a>(
        &'a self,
        bucket: &'a str,
        id: &'a str,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send + 'a> {
        Unaudited::new(async move {
            self.refuse_if_read_only("DeleteBucketNotification")?;
            let lean = self.lean_or_refuse("DeleteBucketNotification")?;
            let path = format!(
                "/{}?notification={}",
                percent::encode(bucket),
                percent::encode(id)
            );
            let answer = lean
                .send(http::Method::DELETE, &path, "s3", None, bytes::Bytes::new())
                .await?;
            if (200..300).contains(&answer.status) {
                Ok(())
            } else {
                Err(sns_error(
                    "DeleteBucketNotification",
                    answer.status,
                    &String::from_utf8_lossy(&answer.body),
                ))
            }
        })
    }
}

/// The text of the first `<name>` element, unescaped.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

fn sns_error(what: &str, status: u16, body: &str) -> S3Error {
    let code =
        element(body, "Code").unwrap_or_else(|| super::super::error::status_code_name(status));
    let message = element(body, "Message").unwrap_or_else(|| format!("HTTP {status}"));
    S3Error::Service {
        message: format!("{what}: {}", crate::domain::text::sanitize(&message)),
        code: crate::domain::text::sanitize(&code).into_owned(),
        status: Some(status),
    }
}
