//! Real S3 servers for the integration tests, started on 127.0.0.1 by the tests themselves.
//! A server that cannot start fails the test with the reason; nothing is skipped.
#![allow(dead_code)]

pub mod bucket;
pub mod ceph;
pub mod crafted;
pub mod daemon;
pub mod faults;
pub mod keystone;
pub mod populate;
pub mod pty;
pub mod sandbox;
pub mod tls;
pub mod weed;

use lockwatch::s3::{ConnectOptions, PathStyle, S3, StaticCredentials, connect};
use std::sync::atomic::{AtomicU32, Ordering};

pub const ACCESS_KEY: &str = "lockwatchtestkey";
pub const SECRET_KEY: &str = "lockwatchtestsecret";
pub const REGION: &str = "us-east-1";

/// A bucket name no other test in this run uses.
pub fn unique_bucket(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("lw-{tag}-{}-{n}", std::process::id())
}

/// An audit trail of its own for a test that carries out lockwatch's work directly: a file
/// under the temporary folder, read back with `lockwatch::audit::read_last`. A trail that
/// cannot be written fails the test.
pub fn trail(tag: &str) -> (lockwatch::audit::Trail, std::path::PathBuf) {
    let path = std::env::temp_dir()
        .join(unique_bucket(tag))
        .join("audit.jsonl");
    let trail = lockwatch::audit::Trail::new(
        Some(path.clone()),
        "test",
        lockwatch::audit::Actor::default(),
        |e| panic!("the audit trail could not be written: {e}"),
    );
    (trail, path)
}

/// lockwatch's own S3 layer, connected to `endpoint` with the test keys.
pub async fn client(endpoint: &str) -> S3 {
    match try_client(endpoint, None).await {
        Ok(s3) => s3,
        Err(e) => panic!("cannot build a client for {endpoint}: {e}"),
    }
}

/// The AWS SDK's own client for `endpoint` (path style, the test keys, checksums only when
/// required, as Ceph RGW needs): for operations lockwatch's S3 layer does not have, so that
/// the conformance suite can compare servers on them.
pub fn sdk_client(endpoint: &str) -> aws_sdk_s3::Client {
    sdk_client_with(endpoint, ACCESS_KEY, SECRET_KEY)
}

/// `sdk_client` with other keys (a sandbox started with its documented ones).
pub fn sdk_client_with(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            access_key, secret_key, None, None, "test",
        ))
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `sdk_client` for the same server addressed virtual-hosted style: requests go to
/// `BUCKET.localhost:PORT`, every name resolved to 127.0.0.1 (a machine's resolver may not
/// know `*.localhost`).
pub fn virtual_hosted_client(endpoint: &str) -> aws_sdk_s3::Client {
    use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns};
    #[derive(Debug, Clone)]
    struct Loopback;
    impl ResolveDns for Loopback {
        fn resolve_dns<'a>(&'a self, _name: &'a str) -> DnsFuture<'a> {
            DnsFuture::ready(Ok(vec![std::net::IpAddr::V4(
                std::net::Ipv4Addr::LOCALHOST,
            )]))
        }
    }
    let port = endpoint.rsplit(':').next().unwrap_or_default();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://localhost:{port}"))
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .force_path_style(false)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_with_resolver(Loopback),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `client`, refusing every write (--read-only).
pub async fn read_only_client(endpoint: &str) -> S3 {
    let options = ConnectOptions {
        endpoint_url: Some(endpoint.to_string()),
        region: Some(REGION.into()),
        static_credentials: Some(StaticCredentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        }),
        read_only: true,
        ..ConnectOptions::default()
    };
    match connect(&options).await {
        Ok(c) => c.s3,
        Err(e) => panic!("cannot build a client for {endpoint}: {e}"),
    }
}

/// Like `client`, with a CA bundle, and the connection error returned instead of failing.
pub async fn try_client(
    endpoint: &str,
    ca_bundle: Option<std::path::PathBuf>,
) -> Result<S3, lockwatch::s3::ConnectError> {
    let options = ConnectOptions {
        endpoint_url: Some(endpoint.to_string()),
        region: Some(REGION.into()),
        path_style: PathStyle::Auto,
        static_credentials: Some(StaticCredentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        }),
        ca_bundle,
        ..ConnectOptions::default()
    };
    connect(&options).await.map(|c| c.s3)
}

/// The environment under which the lockwatch binary reaches a test server: explicit keys, no
/// instance-metadata probing, no profile files of the machine.
pub fn binary_env(endpoint: &str, home: &std::path::Path) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        // Set on the machines lockwatch runs on; it must not break plain-HTTP endpoints.
        ("AWS_CA_BUNDLE", &tls::test_ca().ca_pem.to_string_lossy()),
        ("HOME", &home.to_string_lossy()),
        (
            "AWS_CONFIG_FILE",
            &home.join("aws-config").to_string_lossy(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            &home.join("aws-credentials").to_string_lossy(),
        ),
        ("TERM", "xterm-256color"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A TCP port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    // The kernel may hand out a port it just gave back: a server started with eleven ports
    // (SeaweedFS) once got the same one twice and failed to bind. A port is given once per
    // test binary.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => panic!("cannot find a free port on 127.0.0.1: {e}"),
        };
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The committed corpus of hostile object keys (tests/fixtures/hostile_keys.json).
pub fn hostile_keys() -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Corpus {
        keys: Vec<String>,
    }
    let text = include_str!("../fixtures/hostile_keys.json");
    match serde_json::from_str::<Corpus>(text) {
        Ok(c) => c.keys,
        Err(e) => panic!("tests/fixtures/hostile_keys.json is not valid: {e}"),
    }
}

/// A two-thread runtime for a test's async part.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs the lockwatch binary against `endpoint` in a fresh home; fails the test unless it
/// exits 0, and returns its standard output.
pub fn lockwatch_stdout(endpoint: &str, args: &[&str]) -> String {
    let home = tempfile::tempdir().expect("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .envs(binary_env(endpoint, home.path()))
        .output()
        .expect("run lockwatch");
    assert!(
        out.status.success(),
        "lockwatch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The aws CLI (`.venv/bin/aws`, installed by tests/run; LOCKWATCH_AWS_CLI names another).
pub fn aws_cli() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("LOCKWATCH_AWS_CLI") {
        return p.into();
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    assert!(
        venv.exists(),
        "the aws CLI was not found at $LOCKWATCH_AWS_CLI or .venv/bin/aws. Run the tests with \
         `tests/run`, which installs it from PyPI (awscli) into .venv"
    );
    venv
}

/// The aws CLI as a user of `endpoint` runs it, in `home` (its own config), with the test keys
/// (`secret` for the secret key) and nothing else of this process's environment but PATH.
pub fn aws(
    endpoint: &str,
    home: &std::path::Path,
    secret: &str,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(aws_cli())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home)
        .output()
        .expect("run aws")
}
