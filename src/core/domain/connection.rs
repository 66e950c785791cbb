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
