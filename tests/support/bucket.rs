//! A test bucket in one line: `bucket("tag").lock(Some(default)).put("k", "body").deleted("k")`,
//! then `.on(&s3).await` or `.make(endpoint)`. Each step is a real request to the server, in
//! the order given; any failure fails the test with what was being done.

use lockwatch::domain::{RetentionMode, RetentionPeriod};
use lockwatch::s3::{PutOptions, S3};

enum Step {
    Put(String, Vec<u8>, PutOptions),
    Delete(String),
}

pub struct BucketBuilder {
    tag: String,
    location: Option<String>,
    versioned: bool,
    lock: Option<Option<(RetentionMode, RetentionPeriod)>>,
    steps: Vec<Step>,
}

/// A plain bucket named after `tag` (unique in this run); nothing is sent until `on`/`make`.
pub fn bucket(tag: &str) -> BucketBuilder {
    BucketBuilder {
        tag: tag.to_string(),
        location: None,
        versioned: false,
        lock: None,
        steps: Vec::new(),
    }
}

impl BucketBuilder {
    /// Versioning on.
    pub fn versioned(mut self) -> Self {
        self.versioned = true;
        self
    }

    /// Object Lock on (so versioning too), with this default retention.
    pub fn lock(mut self, default: Option<(RetentionMode, RetentionPeriod)>) -> Self {
        self.lock = Some(default);
        self
    }

    /// Created with this LocationConstraint.
    pub fn location(mut self, location: &str) -> Self {
        self.location = Some(location.to_string());
        self
    }

    /// Uploads `body` as `key`.
    pub fn put(self, key: &str, body: impl Into<Vec<u8>>) -> Self {
        self.put_with(key, body, PutOptions::default())
    }

    /// Uploads `body` as `key` with these options (retention, legal hold, type).
    pub fn put_with(mut self, key: &str, body: impl Into<Vec<u8>>, options: PutOptions) -> Self {
        self.steps
            .push(Step::Put(key.to_string(), body.into(), options));
        self
    }

    /// Deletes `key` (a delete marker on a versioned bucket).
    pub fn deleted(mut self, key: &str) -> Self {
        self.steps.push(Step::Delete(key.to_string()));
        self
    }

    /// Creates it through `s3`; its name.
    pub async fn on(self, s3: &S3) -> String {
        let name = super::unique_bucket(&self.tag);
        s3.create_bucket(&name, self.location.as_deref(), self.lock.is_some())
            .unrecorded()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e}"));
        if self.versioned && self.lock.is_none() {
            s3.enable_versioning(&name)
                .unrecorded()
                .await
                .unwrap_or_else(|e| panic!("versioning on {name}: {e}"));
        }
        if let Some(default @ Some(_)) = self.lock {
            s3.set_default_retention(&name, default)
                .unrecorded()
                .await
                .unwrap_or_else(|e| panic!("default retention on {name}: {e}"));
        }
        for step in self.steps {
            match step {
                Step::Put(key, body, options) => {
                    s3.put_bytes(&name, &key, body, &options)
                        .unrecorded()
                        .await
                        .unwrap_or_else(|e| panic!("upload {key} to {name}: {e}"));
                }
                Step::Delete(key) => {
                    s3.delete_object(&name, &key)
                        .unrecorded()
                        .await
                        .unwrap_or_else(|e| panic!("delete {key} in {name}: {e}"));
                }
            }
        }
        name
    }

    /// Creates it on `endpoint` with the test keys, from a test without a runtime.
    pub fn make(self, endpoint: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        rt.block_on(async {
            let s3 = super::client(endpoint).await;
            self.on(&s3).await
        })
    }
}
