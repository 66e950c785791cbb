//! Building the client the way the AWS tools do: environment, profiles, flags.

use super::S3;
pub use crate::domain::connection::{ConnectionInfo, mask};
use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use std::path::PathBuf;
use std::time::Duration;

/// Listings at once unless told otherwise (`--listings`): modest, for servers shared with
/// backups. A setting of the S3 client, which the split listings read from it.
pub const DEFAULT_LISTINGS: usize = 4;

/// When to address buckets as `endpoint/bucket` instead of `bucket.endpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PathStyle {
    /// Path style whenever a custom endpoint is set (S3-compatible servers rarely have
    /// wildcard DNS for virtual-hosted buckets).
    #[default]
    Auto,
    Always,
    Never,
}

/// What the user told lockwatch about where and who to connect as. Anything left `None` is
/// taken from the environment and the AWS config files by the usual rules.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub endpoint_url: Option<String>,
    /// Requests at once for recursive listings (`--listings`); 0: the default.
    pub listings: usize,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub path_style: PathStyle,
    pub ca_bundle: Option<PathBuf>,
    /// Keys given directly (tests, or credentials obtained by lockwatch itself); when set, the
    /// AWS credential chain is not consulted.
    pub static_credentials: Option<StaticCredentials>,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as lockwatch read them
    /// (the SDK's chain would take them first too); used unless `static_credentials` is set.
    pub environment_keys: Option<EnvironmentKeys>,
    /// Refuse every write inside the S3 layer.
    pub read_only: bool,
    /// Why, when it is not the --read-only flag (said on screen).
    pub read_only_because: Option<String>,
    pub timeouts: Timeouts,
}

/// How long one attempt of a request may take to connect, to be answered (between reads),
/// and in all (a server that sends one byte every few seconds never trips the read timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
    pub attempt: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(30),
            attempt: Duration::from_secs(120),
        }
    }
}

/// An access key pair held in memory only.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Keys from the environment variables the AWS tools read.
#[derive(Clone)]
pub struct EnvironmentKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl EnvironmentKeys {
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, both non-empty (with AWS_SESSION_TOKEN when
    /// it is set); `None` leaves the SDK's chain to look further.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Option<EnvironmentKeys> {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        Some(EnvironmentKeys {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

impl std::fmt::Debug for EnvironmentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvironmentKeys({})", mask(&self.access_key_id))
    }
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaticCredentials({})", mask(&self.access_key_id))
    }
}

pub struct Connection {
    pub s3: S3,
    pub info: ConnectionInfo,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    CaBundle(String),
    #[error("{0}")]
    Credentials(String),
    #[error("invalid endpoint URL '{0}': expected http://host:port or https://host")]
    Endpoint(String),
    /// The URL names a user or password (`https://user:pass@host`): S3 signs with keys, never
    /// with these, and lockwatch would show the URL on screen. Only the host is said.
    #[error(
        "the endpoint URL for {0} holds a user name or password (user:pass@): S3 does not use them and lockwatch will not show them; give the URL without them, and the keys as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile"
    )]
    EndpointCredentials(String),
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn describe_sources(profile: &str) -> String {
    let mut tried = vec![
        "environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)"
            .to_string(),
        format!("profile '{profile}' in ~/.aws/credentials and ~/.aws/config"),
        "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".to_string(),
        "container credentials (AWS_CONTAINER_CREDENTIALS_*)".to_string(),
    ];
    if env_nonempty("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        tried.push("instance metadata: skipped, AWS_EC2_METADATA_DISABLED=true".into());
    } else {
        tried.push("EC2 instance metadata".into());
    }
    tried
        .iter()
        .map(|t| format!("  - {t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The AWS credentials file, where the AWS tools look for it.
pub fn aws_credentials_file() -> Option<PathBuf> {
    aws_files().into_iter().next()
}

/// The AWS config and credentials files, where the AWS tools look for them.
fn aws_files() -> Vec<PathBuf> {
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let pick = |var: &str, default: &str| {
        env_nonempty(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    [
        pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        pick("AWS_CONFIG_FILE", "config"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The host of a URL that carries `user[:password]@` before it, if it does.
pub fn host_if_userinfo(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (_, host) = authority.rsplit_once('@')?;
    Some(crate::domain::text::sanitize(host).into_owned())
}

/// A warning for each AWS file that group or others can read: it may hold secret keys.
pub fn loose_permission_warnings() -> Vec<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        aws_files()
            .into_iter()
            .filter_map(|path| {
                let meta = std::fs::metadata(&path).ok()?;
                // /dev/null or a FIFO named as the file: chmod would break the machine.
                if !meta.is_file() {
                    return None;
                }
                let mode = meta.permissions().mode() & 0o777;
                (mode & 0o077 != 0).then(|| {
                    format!(
                        "{} can be read by other users (mode {mode:04o}); fix it with: chmod 600 {}",
                        path.display(),
                        path.display()
                    )
                })
            })
            .collect()
    }
    #[cfg(not(unix))]
    {
        Vec::new()
    }
}

/// Whether the AWS profile in use sets `lockwatch_read_only = true` (in ~/.aws/config or
/// ~/.aws/credentials). A file that cannot be read is not this setting's business: the SDK
/// reports it when it loads credentials.
async fn profile_says_read_only(profile: &str) -> bool {
    let profiles = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        Some(std::borrow::Cow::Owned(profile.to_string())),
    )
    .await;
    profiles.ok().is_some_and(|set| {
        set.get("lockwatch_read_only")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    })
}

fn http_client(
    ca_bundle: Option<&PathBuf>,
) -> Result<aws_sdk_s3::config::SharedHttpClient, ConnectError> {
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    let Some(path) = ca_bundle else {
        return Ok(builder.build_https());
    };
    let pem = std::fs::read(path).map_err(|e| {
        ConnectError::CaBundle(format!(
            "cannot read the CA bundle {} (from --ca-bundle or AWS_CA_BUNDLE): {e}",
            path.display()
        ))
    })?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(ConnectError::CaBundle(format!(
            "the CA bundle {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    // Like the AWS CLI, a CA bundle replaces the system trust store.
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ConnectError::CaBundle(format!("CA bundle {}: {e}", path.display())))?;
    Ok(builder.tls_context(context).build_https())
}

/// Resolves configuration and credentials (without contacting the S3 endpoint) and builds the
/// client. Fails with an explanation when no credentials can be found.
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ConnectError> {
    let ca_bundle = options
        .ca_bundle
        .clone()
        .or_else(|| env_nonempty("AWS_CA_BUNDLE").map(PathBuf::from));
    if let Some(url) = &options.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ConnectError::Endpoint(url.clone()));
    }
    if let Some(url) = &options.endpoint_url
        && let Some(host) = host_if_userinfo(url)
    {
        return Err(ConnectError::EndpointCredentials(host));
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client(ca_bundle.as_ref())?)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(options.timeouts.connect)
                .read_timeout(options.timeouts.read)
                .operation_attempt_timeout(options.timeouts.attempt)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    } else if options.endpoint_url.is_some() {
        // A custom endpoint needs no region (us-east-1 below signs for it): only the
        // environment and the profile are asked, never the instance-metadata service, which
        // would be a request to a machine nobody named and a wait on start-up on cloud VMs.
        let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(name) = &options.profile {
            profile = profile.profile_name(name);
        }
        loader = loader.region(
            aws_config::meta::region::RegionProviderChain::first_try(
                aws_config::environment::region::EnvironmentVariableRegionProvider::new(),
            )
            .or_else(profile.build()),
        );
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(keys) = &options.static_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            None,
            None,
            "lockwatch",
        ));
    } else if let Some(keys) = &options.environment_keys {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            keys.session_token.clone(),
            None,
            "environment",
        ));
    }
    let sdk = loader.load().await;

    let profile = options
        .profile
        .clone()
        .or_else(|| env_nonempty("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let provider = sdk.credentials_provider().ok_or_else(|| {
        ConnectError::Credentials(format!(
            "no credential source is configured. Tried:\n{}",
            describe_sources(&profile)
        ))
    })?;
    let credentials = tokio::time::timeout(Duration::from_secs(15), provider.provide_credentials())
        .await
        .map_err(|_| {
            ConnectError::Credentials(format!(
                "looking for credentials took longer than 15 s. Tried:\n{}",
                describe_sources(&profile)
            ))
        })?
        .map_err(|e| {
            ConnectError::Credentials(format!(
                "no credentials found ({}). Tried:\n{}",
                // The causes in words on one line, not the SDK's debug dump of raw answers.
                crate::domain::text::sanitize(
                    &super::error::causes(&e)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                describe_sources(&profile)
            ))
        })?;
    crate::logging::redact(credentials.secret_access_key());
    if let Some(token) = credentials.session_token() {
        crate::logging::redact(token);
    }
    let credentials_source = if options.static_credentials.is_some() {
        "given to lockwatch directly".to_string()
    } else if options.environment_keys.is_some() || env_nonempty("AWS_ACCESS_KEY_ID").is_some() {
        "environment (AWS_ACCESS_KEY_ID)".to_string()
    } else {
        format!("profile '{profile}'")
    };

    // `lockwatch_read_only = true` in the profile makes every session on it read-only.
    let profile_read_only = if options.static_credentials.is_some() {
        false
    } else {
        profile_says_read_only(&profile).await
    };
    let read_only = options.read_only || profile_read_only;
    let custom_endpoint = sdk.endpoint_url().map(str::to_string);
    // An endpoint from the profile (endpoint_url in ~/.aws/config) is checked here.
    if let Some(host) = custom_endpoint.as_deref().and_then(host_if_userinfo) {
        return Err(ConnectError::EndpointCredentials(host));
    }
    let path_style = match options.path_style {
        PathStyle::Auto => custom_endpoint.is_some(),
        PathStyle::Always => true,
        PathStyle::Never => false,
    };
    let clock = std::sync::Arc::new(super::ServerClock::default());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        // Ceph RGW 16 refuses aws-chunked uploads with trailing checksums and returns none.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .interceptor(super::integrity::CapAnswers)
        .interceptor(super::integrity::CompleteXml)
        .interceptor(super::clock::ReadServerDate(clock.clone()))
        .interceptor(super::integrity::CountRequests(requests.clone()))
        .retry_classifier(super::integrity::RetryCutAnswers);
    // S3-compatible servers do not care about the region, but signing needs one.
    let region = match sdk.region() {
        Some(r) => r.to_string(),
        None => {
            config = config.region(Region::new("us-east-1"));
            "us-east-1".to_string()
        }
    };
    // The report's lean HeadObject: only for a custom endpoint addressed path style, where
    // the URL is the endpoint, the bucket and the key (AWS's own endpoints have rules).
    let lean = match (&custom_endpoint, path_style) {
        (Some(url), true) => {
            let pem = match &ca_bundle {
                Some(path) => std::fs::read(path).ok(),
                None => None,
            };
            let built = super::lean::LeanHead::new(super::lean::LeanSettings {
                endpoint: url,
                region: &region,
                provider: provider.clone(),
                clock: clock.clone(),
                requests: requests.clone(),
                ca_bundle: pem.as_deref(),
                connect_timeout: options.timeouts.connect,
                attempt_timeout: options.timeouts.attempt,
            });
            match built {
                Ok(lean) => Some(std::sync::Arc::new(lean)),
                Err(e) => {
                    tracing::warn!(error = %e, "the report's HEADs go through the SDK");
                    None
                }
            }
        }
        _ => None,
    };
    let endpoint = custom_endpoint.unwrap_or_else(|| format!("AWS S3 ({region})"));
    Ok(Connection {
        s3: S3 {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            read_only,
            clock,
            requests,
            lean,
            listings: match options.listings {
                0 => DEFAULT_LISTINGS,
                n => n,
            },
        },
        info: ConnectionInfo {
            endpoint,
            endpoint_source: None,
            region,
            path_style,
            access_key_masked: mask(credentials.access_key_id()),
            credentials_source,
            read_only,
            read_only_because: if options.read_only {
                Some(
                    options
                        .read_only_because
                        .clone()
                        .unwrap_or_else(|| "--read-only".into()),
                )
            } else if profile_read_only {
                Some(format!("lockwatch_read_only = true in profile '{profile}'"))
            } else {
                None
            },
            warnings: loose_permission_warnings(),
            sandbox: false,
            actor: crate::domain::audit::Actor {
                access_key: Some(mask(credentials.access_key_id())),
                ..Default::default()
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_is_masked_like_the_aws_cli() {
        assert_eq!(
            mask("d7855ef4cce44ec692c966e6cc10262d"),
            "****************262d"
        );
        assert_eq!(mask("ab"), "****************ab");
    }
}
