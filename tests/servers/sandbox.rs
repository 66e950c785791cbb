//! The sandbox's own limits, which no real server shares: a hard cap on the memory it holds —
//! bodies (checked before a body is read, so uploads at the same time cannot add up past it)
//! and every record beside them, so a loop of small requests cannot grow it either — Host headers it does not understand refused rather than misread, and only the keys it was
//! given accepted.

use crate::support;

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use lockwatch::sandbox::store::Limits;
use std::io::{Read, Write};
use tokio::sync::mpsc;

const MIB: u64 = 1024 * 1024;

/// A body of `size` bytes that sends nothing until `release` is sent.
fn stalled_body(size: usize) -> (ByteStream, mpsc::Sender<()>) {
    let (release, gate) = mpsc::channel::<()>(1);
    let chunks = futures::stream::unfold((size, Some(gate)), |(left, gate)| async move {
        if left == 0 {
            return None;
        }
        if let Some(mut gate) = gate {
            gate.recv().await?;
        }
        let n = left.min(256 * 1024);
        let frame = http_body::Frame::data(Bytes::from(vec![b'x'; n]));
        Some((Ok::<_, std::io::Error>(frame), (left - n, None)))
    });
    let body = http_body_util::StreamBody::new(chunks);
    (ByteStream::new(SdkBody::from_body_1_x(body)), release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_at_the_same_time_cannot_pass_the_memory_cap() {
    let limits = Limits {
        max_object_bytes: 8 * MIB,
        max_total_bytes: 16 * MIB,
    };
    let sandbox =
        lockwatch::sandbox::start_with_keys(0, limits, support::ACCESS_KEY, support::SECRET_KEY)
            .await
            .expect("a sandbox");
    let sdk = support::sdk_client(&sandbox.endpoint);
    sdk.create_bucket()
        .bucket("cap")
        .send()
        .await
        .expect("bucket");
    let size = 6 * MIB as usize;
    let mut releases = Vec::new();
    let mut uploads = Vec::new();
    // Two 6 MiB uploads whose bodies have not arrived: 12 MiB promised.
    for key in ["one", "two"] {
        let (body, release) = stalled_body(size);
        releases.push(release);
        let put = sdk
            .put_object()
            .bucket("cap")
            .key(key)
            .content_length(size as i64)
            .body(body);
        uploads.push(tokio::spawn(async move { put.send().await }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A third is refused at once, before any of the bodies has been sent.
    let (body, _held) = stalled_body(size);
    let third = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sdk.put_object()
            .bucket("cap")
            .key("three")
            .content_length(size as i64)
            .body(body)
            .send(),
    )
    .await
    .expect("refused without waiting for its body")
    .expect_err("past the cap");
    let code = third
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code);
    assert_eq!(code, Some("EntityTooLarge"), "{third:?}");
    // The two under way complete once their bodies come.
    for release in releases {
        release.send(()).await.expect("release");
    }
    for upload in uploads {
        upload
            .await
            .expect("task")
            .expect("an upload within the cap");
    }
    // One more would pass the cap now that 12 MiB are stored. Its body comes only after the
    // refusal has been answered: the sandbox reads the rest and throws it away, so that the
    // client finishes sending and reads the refusal instead of a closed connection.
    let (body, release) = stalled_body(size);
    let late = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = release.send(()).await;
    });
    let refused = sdk
        .put_object()
        .bucket("cap")
        .key("four")
        .content_length(size as i64)
        .body(body)
        .send()
        .await
        .expect_err("past the cap");
    late.await.expect("released");
    assert!(
        format!("{refused:?}").contains("EntityTooLarge"),
        "{refused:?}"
    );
}

/// DeleteObjects of 1,000 new keys (200-byte names), `rounds` times or until a key is refused:
/// how many delete markers were made, and the first refusal's code and message.
async fn delete_markers_until_refused(
    sdk: &aws_sdk_s3::Client,
    bucket: &str,
    rounds: usize,
) -> (usize, Option<(String, String)>) {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let mut made = 0;
    for round in 0..rounds {
        let keys: Vec<ObjectIdentifier> = (0..1000)
            .map(|i| {
                ObjectIdentifier::builder()
                    .key(format!("{round:03}-{i:04}-{}", "x".repeat(200)))
                    .build()
                    .expect("identifier")
            })
            .collect();
        let answer = sdk
            .delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(keys))
                    .build()
                    .expect("delete"),
            )
            .send()
            .await
            .expect("DeleteObjects answers per key");
        made += answer.deleted().len();
        if let Some(error) = answer.errors().first() {
            let refusal = (
                error.code().unwrap_or_default().to_string(),
                error.message().unwrap_or_default().to_string(),
            );
            return (made, Some(refusal));
        }
    }
    (made, None)
}

/// A storm of DeleteObjects (1,000 new keys each, every one a delete marker) stops at the cap
/// with 503 SlowDown, keys named in the refusal; deleting versions is still answered and makes
/// room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_delete_markers_stops_at_the_memory_cap() {
    let limits = Limits {
        max_object_bytes: MIB,
        max_total_bytes: 4 * MIB,
    };
    let sandbox =
        lockwatch::sandbox::start_with_keys(0, limits, support::ACCESS_KEY, support::SECRET_KEY)
            .await
            .expect("a sandbox");
    let sdk = support::sdk_client(&sandbox.endpoint);
    let s3 = support::client(&sandbox.endpoint).await;
    let bucket = support::bucket::bucket("storm").versioned().on(&s3).await;
    let (made, refusal) = delete_markers_until_refused(&sdk, &bucket, 100).await;
    let (code, message) = refusal.expect("the storm was stopped before 100,000 markers");
    assert_eq!(code, "SlowDown", "{message}");
    assert!(message.contains("--max-memory"), "{message}");
    assert!(made > 1000, "{made} markers fit in 4 MiB");
    // Full: even a small upload is refused, and nothing was half-stored.
    let upload = sdk
        .put_object()
        .bucket(&bucket)
        .key("one-more")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert!(upload.is_err(), "{upload:?}");
    // Deleting is always answered, and makes room.
    let listed = sdk
        .list_object_versions()
        .bucket(&bucket)
        .max_keys(100)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.delete_markers().len(), 100);
    for marker in listed.delete_markers() {
        sdk.delete_object()
            .bucket(&bucket)
            .key(marker.key().unwrap_or_default())
            .version_id(marker.version_id().unwrap_or_default())
            .send()
            .await
            .expect("a delete when full");
    }
    sdk.put_object()
        .bucket(&bucket)
        .key("one-more")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("room again");
}

/// `lockwatch sandbox --empty --max-memory 8MiB`, as the README writes it: it says its cap,
/// starts with no bucket, and a storm of delete markers through it stops at that cap with 503
/// SlowDown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_cap_set_on_the_command_line_holds() {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    use std::io::BufRead;
    let home = tempfile::tempdir().expect("home");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["sandbox", "--empty", "--max-memory", "8MiB"])
        .env_clear()
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("lockwatch sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let _stop = support::daemon::Stopped(child);
    let (banner, endpoint) = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let banner = lines.next().and_then(Result::ok).unwrap_or_default();
        let mut endpoint = String::new();
        for line in lines.map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("export AWS_ENDPOINT_URL=") {
                endpoint = url.to_string();
            }
            if line.starts_with("export AWS_REGION=") {
                break;
            }
        }
        (banner, endpoint)
    })
    .await
    .expect("read the banner");
    assert!(banner.contains("at most 8.0 MiB"), "{banner}");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint:?}");
    let sdk = support::sdk_client_with(&endpoint, "lockwatch-sandbox", "lockwatch-sandbox-secret");
    let buckets = sdk.list_buckets().send().await.expect("list buckets");
    assert!(buckets.buckets().is_empty(), "--empty: {buckets:?}");
    sdk.create_bucket()
        .bucket("storm")
        .send()
        .await
        .expect("bucket");
    sdk.put_bucket_versioning()
        .bucket("storm")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    let (made, refusal) = delete_markers_until_refused(&sdk, "storm", 200).await;
    let (code, message) =
        refusal.expect("200,000 delete markers and no refusal: the cap does not hold");
    assert_eq!(code, "SlowDown", "{message}");
    assert!(
        made * 200 < 8 * MIB as usize,
        "{made} markers of 200-byte keys in 8 MiB"
    );
}

#[test]
fn a_host_the_sandbox_does_not_serve_is_refused_with_what_it_serves() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let address = endpoint.trim_start_matches("http://");
    let port = address.rsplit(':').next().unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET /scratch HTTP/1.1\r\nHost: bup.example:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("InvalidRequest"), "{answer}");
    assert!(answer.contains("BUCKET.localhost"), "{answer}");
}

/// The backup guide's own aws CLI commands, step by step, against the sandbox: the locked
/// bucket, the upload, the delete that only hides the file, the versions that show it, the
/// restore by deleting the marker, and the refused delete of the locked version.
#[test]
fn the_backup_guide_replayed_with_the_aws_cli() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let home = tempfile::tempdir().expect("home");
    let bucket = support::unique_bucket("guide");
    let file = home.path().join("tux.svg");
    std::fs::write(&file, b"<svg>tux</svg>\n").expect("the file");
    let aws = |args: &[&str]| -> (bool, serde_json::Value, String) {
        let out = support::aws(endpoint, home.path(), support::SECRET_KEY, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
        let said = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        (out.status.success(), json, said)
    };
    let ok = |args: &[&str]| {
        let (ok, json, said) = aws(args);
        assert!(ok, "aws {args:?}: {said}");
        (json, said)
    };

    ok(&[
        "s3api",
        "create-bucket",
        "--bucket",
        &bucket,
        "--create-bucket-configuration",
        "LocationConstraint=europe-se-1",
        "--object-lock-enabled-for-bucket",
    ]);
    ok(&[
        "s3api",
        "put-object-lock-configuration",
        "--bucket",
        &bucket,
        "--object-lock-configuration",
        r#"{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}}"#,
    ]);
    let (buckets, _) = ok(&["s3api", "list-buckets"]);
    assert!(
        buckets["Buckets"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["Name"] == bucket.as_str())),
        "{buckets}"
    );
    let (versioning, _) = ok(&["s3api", "get-bucket-versioning", "--bucket", &bucket]);
    assert_eq!(versioning["Status"], "Enabled");
    let (_, said) = ok(&["s3", "cp", "tux.svg", &format!("s3://{bucket}")]);
    assert!(said.contains("upload: ./tux.svg"), "{said}");
    let (_, said) = ok(&["s3", "ls", &bucket]);
    assert!(said.contains("tux.svg"), "{said}");
    let (objects, _) = ok(&["s3api", "list-objects", "--bucket", &bucket]);
    assert_eq!(objects["Contents"][0]["Key"], "tux.svg", "{objects}");
    assert_eq!(objects["Contents"][0]["Size"], 15, "{objects}");
    assert!(objects["Contents"][0]["Owner"].is_object(), "{objects}");

    let (deleted, _) = ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        &bucket,
        "--key",
        "tux.svg",
    ]);
    assert_eq!(deleted["DeleteMarker"], true, "{deleted}");
    let marker = deleted["VersionId"]
        .as_str()
        .expect("the marker's id")
        .to_string();
    let (_, said) = ok(&["s3", "ls", &bucket]);
    assert!(!said.contains("tux.svg"), "hidden: {said}");
    let (objects, _) = ok(&["s3api", "list-objects", "--bucket", &bucket]);
    assert!(objects.get("Contents").is_none(), "{objects}");

    let (versions, _) = ok(&["s3api", "list-object-versions", "--bucket", &bucket]);
    let version = &versions["Versions"][0];
    assert_eq!(version["Key"], "tux.svg", "{versions}");
    assert_eq!(version["IsLatest"], false, "{versions}");
    let version_id = version["VersionId"]
        .as_str()
        .expect("a version id")
        .to_string();
    assert_eq!(versions["DeleteMarkers"][0]["VersionId"], marker.as_str());
    assert_eq!(versions["DeleteMarkers"][0]["IsLatest"], true);

    let (restored, _) = ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        &bucket,
        "--key",
        "tux.svg",
        "--version-id",
        &marker,
    ]);
    assert_eq!(restored["VersionId"], marker.as_str(), "{restored}");
    let (objects, _) = ok(&["s3api", "list-objects", "--bucket", &bucket]);
    assert_eq!(
        objects["Contents"][0]["Key"], "tux.svg",
        "restored: {objects}"
    );

    // "If a hacker attempts to delete the backup, the attempt will fail."
    let (deleted, _, said) = aws(&[
        "s3api",
        "delete-object",
        "--bucket",
        &bucket,
        "--key",
        "tux.svg",
        "--version-id",
        &version_id,
    ]);
    assert!(!deleted, "the locked version was deleted: {said}");
    assert!(said.contains("AccessDenied"), "{said}");
    let (versions, _) = ok(&["s3api", "list-object-versions", "--bucket", &bucket]);
    assert_eq!(versions["Versions"][0]["VersionId"], version_id.as_str());
}

/// `lockwatch sandbox --secret-key …` serves with the keys given and prints them; the
/// documented ones no longer open it.
#[test]
fn the_sandbox_command_takes_its_own_keys_and_prints_them() {
    use std::io::BufRead;
    let home = tempfile::tempdir().expect("home");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args([
            "sandbox",
            "--access-key",
            "auditor",
            "--secret-key",
            "only-mine-2026",
        ])
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run lockwatch sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let mut printed = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        let done = line.starts_with("# Try:");
        printed.push(line);
        if done {
            break;
        }
    }
    let value = |name: &str| {
        printed
            .iter()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("{name} printed: {printed:?}"))
            .to_string()
    };
    let endpoint = value("AWS_ENDPOINT_URL");
    assert_eq!(value("AWS_ACCESS_KEY_ID"), "auditor");
    assert_eq!(value("AWS_SECRET_ACCESS_KEY"), "only-mine-2026");
    let listed = |access: &str, secret: &str| {
        let options = lockwatch::s3::ConnectOptions {
            endpoint_url: Some(endpoint.clone()),
            region: Some("us-east-1".into()),
            path_style: lockwatch::s3::PathStyle::Auto,
            static_credentials: Some(lockwatch::s3::StaticCredentials {
                access_key_id: access.into(),
                secret_access_key: secret.into(),
            }),
            ..lockwatch::s3::ConnectOptions::default()
        };
        support::runtime().block_on(async {
            let s3 = lockwatch::s3::connect(&options).await.expect("a client").s3;
            s3.list_buckets().await.map(|b| b.len())
        })
    };
    let with_given = listed("auditor", "only-mine-2026");
    let with_documented = listed(
        lockwatch::sandbox::ACCESS_KEY,
        lockwatch::sandbox::SECRET_KEY,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        with_given.expect("the given keys open it") > 0,
        "the seeded buckets"
    );
    assert!(with_documented.is_err(), "the documented keys are refused");
}

/// A delete with conditions honours them: 412 when they do not hold, and no delete marker
/// written for a key that holds nothing for them to hold for (the client believed it held
/// an object). A delete without conditions still writes its marker.
#[test]
fn conditional_deletes_are_honoured_and_write_nothing_for_nothing() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let s3 = support::client(&endpoint).await;
        let sdk = support::sdk_client(&endpoint);
        let bucket = support::bucket::bucket("cdel").versioned().on(&s3).await;
        let put = sdk
            .put_object()
            .bucket(&bucket)
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
        let refused = sdk
            .delete_object()
            .bucket(&bucket)
            .key("k")
            .if_match("\"0000\"")
            .send()
            .await
            .expect_err("not this ETag");
        assert_eq!(
            refused.raw_response().map(|r| r.status().as_u16()),
            Some(412)
        );
        let deleted = sdk
            .delete_object()
            .bucket(&bucket)
            .key("k")
            .if_match(put.e_tag().unwrap_or_default())
            .send()
            .await
            .expect("the ETag holds");
        assert_eq!(deleted.delete_marker(), Some(true));
        sdk.delete_object()
            .bucket(&bucket)
            .key("never")
            .if_match("*")
            .send()
            .await
            .expect("nothing to delete: success");
        let listed = sdk
            .list_object_versions()
            .bucket(&bucket)
            .send()
            .await
            .expect("list");
        let marked: Vec<&str> = listed
            .delete_markers()
            .iter()
            .filter_map(|m| m.key())
            .collect();
        assert_eq!(marked, ["k"], "no marker for the key that held nothing");
    });
}

/// The sandbox's SNS API (topics for bucket notifications) as the aws CLI uses it: signed for
/// the service `sns` with the sandbox's keys, or refused.
#[test]
fn the_sandbox_sns_api_takes_only_signed_requests() {
    use std::io::{Read, Write};
    let endpoint = &support::sandbox::sandbox().endpoint;
    let home = tempfile::tempdir().expect("home");
    let aws = |secret: &str, args: &[&str]| -> (bool, String) {
        let out = support::aws(endpoint, home.path(), secret, args);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let name = support::unique_bucket("topic");
    let (ok, said) = aws(
        support::SECRET_KEY,
        &[
            "sns",
            "create-topic",
            "--name",
            &name,
            "--attributes",
            "push-endpoint=http://127.0.0.1:9/x",
        ],
    );
    assert!(ok, "{said}");
    let arn = format!("arn:aws:sns:{}::{name}", lockwatch_sandbox::REGION);
    // The sandbox posts only to this machine.
    for elsewhere in [
        "push-endpoint=http://example.com/x",
        "push-endpoint=http://127.0.0.1@example.com/x",
        "push-endpoint=https://127.0.0.1:9/x",
    ] {
        let (ok, said) = aws(
            support::SECRET_KEY,
            &[
                "sns",
                "create-topic",
                "--name",
                "elsewhere",
                "--attributes",
                elsewhere,
            ],
        );
        assert!(
            !ok && said.contains("InvalidArgument"),
            "{elsewhere}: {said}"
        );
    }
    assert!(said.contains(&arn), "{said}");
    let (ok, said) = aws(support::SECRET_KEY, &["sns", "list-topics"]);
    assert!(ok && said.contains(&arn), "{said}");
    // A wrong secret is refused, and so is a request with no signature at all.
    let (ok, said) = aws("not-the-secret", &["sns", "list-topics"]);
    assert!(!ok && said.contains("SignatureDoesNotMatch"), "{said}");
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let body = format!("Action=DeleteTopic&TopicArn={arn}");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let (ok, said) = aws(support::SECRET_KEY, &["sns", "list-topics"]);
    assert!(
        ok && said.contains(&arn),
        "the unsigned delete took effect: {said}"
    );
    let (ok, said) = aws(
        support::SECRET_KEY,
        &["sns", "delete-topic", "--topic-arn", &arn],
    );
    assert!(ok, "{said}");
    let (ok, said) = aws(support::SECRET_KEY, &["sns", "list-topics"]);
    assert!(ok && !said.contains(&arn), "{said}");
}
