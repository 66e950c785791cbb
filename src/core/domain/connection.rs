//! What lockwatch is connected to, as plain data for the screen and for explaining failures.

/// What lockwatch connected to, for the status line and for explaining failures. Holds no
/// secret: the access key id is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub endpoint: String,
    /// Where the endpoint came from when lockwatch found it itself (an OpenStack cloud's
    /// catalogue), for advice when it cannot be reached.
    pub endpoint_source: Option<String>,
    pub region: String,
    pub path_style: bool,
    pub access_key_masked: String,
    pub credentials_source: String,
    pub read_only: bool,
    /// What made the session read-only: `--read-only`, or the profile's setting.
    pub read_only_because: Option<String>,
    /// Things the user should fix, such as credential files others can read.
    pub warnings: Vec<String>,
    /// The built-in sandbox (`--demo`): its writes go to a trail of their own.
    pub sandbox: bool,
    /// Who writes through this connection, for the audit trail and the top line.
    pub actor: super::audit::Actor,
}

/// `****************262d`, as `aws configure list` shows an access key.
pub fn mask(access_key: &str) -> String {
    let tail: String = access_key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****************{tail}")
}

/// Where a failure's advice leads: the UI's keys, or the command line's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Ui,
    CommandLine,
}

impl ConnectionInfo {
    /// What was tried, as lines: endpoint, region, masked access key and its source, addressing.
    pub fn tried(&self) -> Vec<String> {
        vec![
            format!("Endpoint:     {}", super::text::sanitize(&self.endpoint)),
            format!("Region:       {}", super::text::sanitize(&self.region)),
            format!(
                "Access key:   {} (from {})",
                self.access_key_masked,
                super::text::sanitize(&self.credentials_source)
            ),
            format!(
                "Addressing:   {}",
                if self.path_style {
                    "path style"
                } else {
                    "virtual-hosted style"
                }
            ),
        ]
    }

    /// How to fix a failure of the first request to the server, the same words in the UI and
    /// on the command line (only the way to try again differs).
    pub fn advice(&self, error: &super::error::S3Error, surface: Surface) -> Vec<String> {
        use super::error::S3Error;
        if error.is_credentials_rejected() {
            return vec![
                "The server rejected these credentials.".into(),
                "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile named by".into(),
                "--profile / AWS_PROFILE in ~/.aws/credentials, and that the keys belong to this endpoint.".into(),
            ];
        }
        if error.to_string().contains("CaUsedAsEndEntity") {
            return vec![
                "The server presents a CA certificate (CA:TRUE) as its own, which TLS refuses for a server; lockwatch does not skip the check.".into(),
                "Give the server a leaf certificate signed by that CA, and the CA to --ca-bundle (`openssl req -x509` alone makes a CA certificate).".into(),
            ];
        }
        if matches!(error, S3Error::Network(_) | S3Error::Timeout(_)) {
            let check = match &self.endpoint_source {
                Some(source) => format!(
                    "The endpoint came from {source}: check that entry, or give --endpoint-url."
                ),
                None => {
                    "Check --endpoint-url / AWS_ENDPOINT_URL (scheme, host and port) and your network."
                        .into()
                }
            };
            return vec!["The server could not be reached.".into(), check];
        }
        match (error.code(), error.status()) {
            (Some("AccessDenied"), _) => vec![
                "The credentials were accepted but may not list buckets.".into(),
                match surface {
                    Surface::Ui => "Open a bucket directly: lockwatch s3://BUCKET/".into(),
                    Surface::CommandLine => "Name a bucket: lockwatch ls s3://BUCKET/".into(),
                },
            ],
            (Some("NoSuchBucket"), _) => vec![
                "No bucket of that name is at this endpoint (names are exact: case and dashes count).".into(),
            ],
            (_, Some(404)) => vec![
                "The endpoint answered 404 Not Found: this URL may not be an S3 endpoint (a web page, or a path the server does not serve). Check --endpoint-url.".into(),
            ],
            _ => vec![match surface {
                Surface::Ui => "Press R in the buckets pane to try again.".into(),
                Surface::CommandLine => "Run the command again once the server answers.".into(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::S3Error;

    fn info() -> ConnectionInfo {
        ConnectionInfo {
            endpoint: "https://127.0.0.1:8443".into(),
            endpoint_source: None,
            region: "us-east-1".into(),
            path_style: true,
            access_key_masked: mask("AKIAEXAMPLE1234"),
            credentials_source: "environment".into(),
            read_only: false,
            read_only_because: None,
            warnings: Vec::new(),
            sandbox: false,
            actor: Default::default(),
        }
    }

    #[test]
    fn each_first_failure_gets_its_own_advice() {
        let i = info();
        let said = |e: S3Error| i.advice(&e, Surface::CommandLine).join(" ");
        assert!(
            said(S3Error::Network(
                "invalid peer certificate: CaUsedAsEndEntity".into()
            ))
            .contains("leaf certificate signed by that CA")
        );
        assert!(
            said(S3Error::Network("connection refused".into())).contains("could not be reached")
        );
        let service = |code: &str, status| S3Error::Service {
            code: code.into(),
            message: String::new(),
            status: Some(status),
        };
        assert!(said(service("SignatureDoesNotMatch", 403)).contains("rejected these credentials"));
        assert!(said(service("NoSuchBucket", 404)).contains("No bucket of that name"));
        assert!(said(service("NotFound", 404)).contains("may not be an S3 endpoint"));
        assert!(said(service("InternalError", 500)).contains("Run the command again"));
        assert!(
            i.advice(&service("InternalError", 500), Surface::Ui)
                .join(" ")
                .contains("Press R")
        );
    }
}
