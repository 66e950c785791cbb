//! Lifecycle rules in the terms that matter for recovery: which objects a rule matches, and
//! when it deletes their noncurrent versions or expires them.

/// The filter of a lifecycle rule: a rule applies to the objects it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    pub prefix: Option<String>,
    pub tags: Vec<(String, String)>,
    pub size_greater_than: Option<i64>,
    pub size_less_than: Option<i64>,
}

impl RuleFilter {
    /// Whether the rule applies to every object of the bucket.
    pub fn is_whole_bucket(&self) -> bool {
        self.prefix.as_deref().is_none_or(str::is_empty)
            && self.tags.is_empty()
            && self.size_greater_than.is_none()
            && self.size_less_than.is_none()
    }

    pub fn describe(&self) -> String {
        if self.is_whole_bucket() {
            return "every object".into();
        }
        let mut parts = Vec::new();
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            parts.push(format!("prefix {p}"));
        }
        for (k, v) in &self.tags {
            parts.push(format!("tag {k}={v}"));
        }
        if let Some(n) = self.size_greater_than {
            parts.push(format!("larger than {n} bytes"));
        }
        if let Some(n) = self.size_less_than {
            parts.push(format!("smaller than {n} bytes"));
        }
        parts.join(", ")
    }
}

/// One lifecycle rule, in the terms that matter for recovery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub enabled: bool,
    pub filter: RuleFilter,
    /// Current versions expire this many days after creation (a delete marker is added in a
    /// versioned bucket; the data stays as a noncurrent version).
    pub expiration_days: Option<i32>,
    /// Current versions expire on this date (RFC 3339, as the server sent it).
    pub expiration_date: Option<String>,
    /// Delete markers with no versions left behind them are removed.
    pub expired_object_delete_marker: bool,
    /// Noncurrent versions are deleted this many days after they become noncurrent.
    pub noncurrent_days: Option<i32>,
    /// ... except the newest this many noncurrent versions, which are kept.
    pub newer_noncurrent_versions: Option<i32>,
    /// Incomplete multipart uploads are aborted this many days after they began.
    pub abort_incomplete_days: Option<i32>,
}

impl LifecycleRule {
    pub fn name(&self) -> String {
        self.id
            .as_deref()
            .filter(|i| !i.is_empty())
            .map_or_else(|| "(unnamed rule)".into(), |i| format!("rule {i}"))
    }

    /// What the rule does, one clause per action.
    pub fn describe(&self) -> String {
        let mut does = Vec::new();
        if let Some(d) = self.expiration_days {
            does.push(format!("current versions expire {d} days after creation"));
        }
        if let Some(d) = &self.expiration_date {
            does.push(format!("current versions expire on {d}"));
        }
        if let Some(d) = self.noncurrent_days {
            does.push(match self.newer_noncurrent_versions {
                Some(n) => format!(
                    "noncurrent versions are deleted {d} days after they become noncurrent, keeping the newest {n}"
                ),
                None => format!("noncurrent versions are deleted {d} days after they become noncurrent"),
            });
        }
        if self.expired_object_delete_marker {
            does.push("delete markers left alone are removed".into());
        }
        if let Some(d) = self.abort_incomplete_days {
            does.push(format!(
                "unfinished multipart uploads are aborted after {d} days"
            ));
        }
        if does.is_empty() {
            does.push("no action lockwatch reads (transitions only)".into());
        }
        format!(
            "{} ({}, {}): {}",
            self.name(),
            if self.enabled { "enabled" } else { "disabled" },
            self.filter.describe(),
            does.join("; ")
        )
    }
}
