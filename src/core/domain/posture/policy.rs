//! What a bucket policy says about the actions that can remove versions or weaken their
//! protection, matched as IAM matches them.

/// Whether a policy statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A policy statement that touches what can remove or unprotect versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// Principals as written (`*`, ARNs, canonical ids); with `not_principal`, the ones it
    /// leaves out.
    pub principals: Vec<String>,
    /// `NotPrincipal`: the statement applies to everyone but `principals`.
    pub not_principal: bool,
    /// The action patterns as written that cover one of `DANGEROUS_ACTIONS`; with
    /// `not_action`, every pattern of its `NotAction`.
    pub actions: Vec<String>,
    /// `NotAction`: the statement covers every action but those `actions` match.
    pub not_action: bool,
    /// The actions of `DANGEROUS_ACTIONS` it covers, judged as IAM matches them.
    pub grants: Vec<&'static str>,
    /// Whether it has a Condition (lockwatch does not evaluate conditions; it says so).
    pub conditional: bool,
}

impl Statement {
    /// Whether it applies to everyone: `Principal` `*` (also `{"AWS": "*"}`), or a
    /// `NotPrincipal` (everyone but the few it names).
    pub fn everyone(&self) -> bool {
        self.not_principal || self.principals.iter().any(|p| p == "*")
    }

    /// Its actions as written, for evidence.
    pub fn actions_written(&self) -> String {
        if self.not_action {
            format!(
                "every action but {} (NotAction), so {}",
                self.actions.join(", "),
                self.grants.join(", ")
            )
        } else {
            self.actions.join(", ")
        }
    }

    /// Its principals as written, for evidence.
    pub fn principals_written(&self) -> String {
        match (self.not_principal, self.principals.is_empty()) {
            (true, _) => format!("everyone but {} (NotPrincipal)", self.principals.join(", ")),
            (false, true) => "(no principal named)".to_string(),
            (false, false) => self.principals.join(", "),
        }
    }
}

/// The actions that can remove versions or weaken their protection.
pub const DANGEROUS_ACTIONS: [&str; 6] = [
    "s3:BypassGovernanceRetention",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
];

/// What a bucket policy says about the dangerous actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySummary {
    pub statements: Vec<Statement>,
    /// The policy could not be read as JSON; the raw text's first characters.
    pub unreadable: Option<String>,
    /// Statements lockwatch cannot judge (an Effect or an Action that is not what IAM
    /// reads), each with why: said as a risk, never passed over.
    pub cannot_judge: Vec<String>,
}

impl PolicySummary {
    /// Reads a policy document; only statements naming a dangerous action (or a wildcard
    /// covering one) are kept.
    pub fn parse(document: &str) -> PolicySummary {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(document) else {
            return PolicySummary {
                statements: Vec::new(),
                unreadable: Some(document.chars().take(80).collect()),
                cannot_judge: Vec::new(),
            };
        };
        let list = |v: Option<&serde_json::Value>| -> Vec<String> {
            match v {
                Some(serde_json::Value::String(s)) => vec![s.clone()],
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Some(serde_json::Value::Object(o)) => o
                    .values()
                    .flat_map(|x| match x {
                        serde_json::Value::String(s) => vec![s.clone()],
                        serde_json::Value::Array(a) => a
                            .iter()
                            .filter_map(|y| y.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let statements = match value.get("Statement") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(one @ serde_json::Value::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let mut cannot_judge = Vec::new();
        let mut kept = Vec::new();
        for (n, st) in statements.iter().enumerate() {
            let sid = st.get("Sid").and_then(|s| s.as_str()).map(str::to_string);
            let which = || match &sid {
                Some(sid) => format!("statement {sid}"),
                None => format!("statement {}", n + 1),
            };
            let effect = match st.get("Effect").and_then(|e| e.as_str()) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => {
                    cannot_judge.push(format!(
                        "{}: Effect {} (IAM knows Allow and Deny)",
                        which(),
                        other.unwrap_or("missing")
                    ));
                    continue;
                }
            };
            let (patterns, not_action) = match (st.get("Action"), st.get("NotAction")) {
                (Some(a), None) => (a, false),
                (None, Some(a)) => (a, true),
                _ => {
                    cannot_judge.push(format!(
                        "{}: it has {} (IAM needs exactly one of Action and NotAction)",
                        which(),
                        if st.get("Action").is_some() {
                            "both Action and NotAction"
                        } else {
                            "neither Action nor NotAction"
                        }
                    ));
                    continue;
                }
            };
            let patterns = match patterns {
                serde_json::Value::String(p) => vec![p.clone()],
                serde_json::Value::Array(a) if a.iter().all(|p| p.is_string()) => a
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    cannot_judge.push(format!(
                        "{}: its {} is not a string or a list of strings",
                        which(),
                        if not_action { "NotAction" } else { "Action" }
                    ));
                    continue;
                }
            };
            let grants: Vec<&'static str> = DANGEROUS_ACTIONS
                .iter()
                .copied()
                .filter(|d| patterns.iter().any(|p| action_covers(p, d)) != not_action)
                .collect();
            if grants.is_empty() {
                continue;
            }
            let actions = if not_action {
                patterns
            } else {
                patterns
                    .into_iter()
                    .filter(|p| covers_dangerous(p))
                    .collect()
            };
            let (principals, not_principal) = match st.get("NotPrincipal") {
                Some(p) => (list(Some(p)), true),
                None => (list(st.get("Principal")), false),
            };
            kept.push(Statement {
                sid,
                effect,
                principals,
                not_principal,
                actions,
                not_action,
                grants,
                conditional: st.get("Condition").is_some(),
            });
        }
        PolicySummary {
            statements: kept,
            unreadable: None,
            cannot_judge,
        }
    }

    /// Statements that allow the governance bypass (or every action).
    pub fn allows_bypass(&self) -> Vec<&Statement> {
        self.statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow && s.grants.contains(&"s3:BypassGovernanceRetention")
            })
            .collect()
    }
}

/// Whether an action pattern covers `action` as IAM matches them: case-insensitive, `*` any
/// run of characters and `?` any one, anywhere in the pattern (`s3:Bypass*Retention`,
/// `s3:Put?bjectRetention`, `s3:*Lifecycle*`).
pub(super) fn action_covers(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let a: Vec<char> = action.to_ascii_lowercase().chars().collect();
    // Glob matching with one step back to the last `*`: linear in practice, never exponential.
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ai));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == a[ai] => {
                pi += 1;
                ai += 1;
            }
            _ => match star {
                Some((sp, sa)) => {
                    pi = sp + 1;
                    ai = sa + 1;
                    star = Some((sp, sa + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn covers_dangerous(pattern: &str) -> bool {
    DANGEROUS_ACTIONS.iter().any(|a| action_covers(pattern, a))
}
