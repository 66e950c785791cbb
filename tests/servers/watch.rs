//! `lockwatch watch` and `lockwatch check` as a user runs them, against the sandbox and Ceph
//! RGW: a storm of delete markers raises exactly one alert with its counts and ends with one
//! event; each weakening of the posture raises its event and an unchanged bucket none over
//! many intervals; `check` exits 0, 1, 2 or 3 as the Monitoring Plugins say; a stopped or
//! denied watcher shows as failing in `check` and in `/metrics`.

use crate::support;
use lockwatch::domain::{RetentionMode, RetentionPeriod};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A user of the binary: a home of their own and a state folder.
struct User {
    endpoint: String,
    home: tempfile::TempDir,
}

impl User {
    fn new(endpoint: &str) -> User {
        User {
            endpoint: endpoint.to_string(),
            home: tempfile::tempdir().expect("home"),
        }
    }

    fn state(&self) -> PathBuf {
        self.home.path().join("state")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lockwatch"));
        command
            .args(args)
            .env_clear()
            .envs(support::binary_env(&self.endpoint, self.home.path()))
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run lockwatch")
    }

    /// `watch --once` with the state folder and a storm threshold of 20: the events.
    fn look(&self, location: &str) -> Vec<Value> {
        let state = self.state();
        let out = self.run(&[
            "watch",
            "--once",
            "--storm",
            "20",
            "--state-dir",
            &state.to_string_lossy(),
            location,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "watch --once {location}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        events(&out.stdout)
    }

    /// `watch` every second with `/metrics` on a port of its own, in the background: the
    /// process, the port, and the path of the location's `status.json`.
    fn watcher(
        &self,
        extra: &[&str],
        env: &[(&str, &str)],
        bucket: &str,
    ) -> (support::daemon::Stopped, u16, PathBuf) {
        let state = self.state();
        let port = support::free_port();
        let addr = format!("127.0.0.1:{port}");
        let location = format!("s3://{bucket}/");
        let mut args = vec![
            "watch",
            "--interval",
            "1",
            "--state-dir",
            state.to_str().expect("UTF-8"),
            "--metrics",
            &addr,
        ];
        args.extend_from_slice(extra);
        args.push(&location);
        let mut command = self.command(&args);
        command
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().expect("start the watcher");
        let status = lockwatch::watch::state::folder(&state, "watch", &self.endpoint, bucket, "")
            .join("status.json");
        (support::daemon::Stopped(child), port, status)
    }

    /// `watch --notifications --yes` with the state folder, events to a file and standard
    /// error to another, in the background: the process, the events file, the stderr file.
    fn notified(
        &self,
        extra: &[&str],
        location: &str,
    ) -> (support::daemon::Stopped, PathBuf, PathBuf) {
        let state = self.state();
        let events = self.home.path().join("events.jsonl");
        let stderr = self.home.path().join("stderr");
        let mut args = vec![
            "watch",
            "--notifications",
            "--yes",
            "--state-dir",
            state.to_str().expect("UTF-8"),
            "--events",
            events.to_str().expect("UTF-8"),
        ];
        args.extend_from_slice(extra);
        args.push(location);
        let mut command = self.command(&args);
        command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        let child = command.spawn().expect("start the watcher");
        (support::daemon::Stopped(child), events, stderr)
    }

    /// `lockwatch --listings 1 watch --max-keys 5 --state-dir … EXTRA… LOCATION`: one
    /// listing, in pages of 5, for a test to cut where it likes.
    fn paged(&self, extra: &[&str], location: &str) -> Command {
        let state = self.state();
        let mut args = vec![
            "--listings",
            "1",
            "watch",
            "--max-keys",
            "5",
            "--state-dir",
            state.to_str().expect("UTF-8"),
        ];
        args.extend_from_slice(extra);
        args.push(location);
        self.command(&args)
    }

    /// `check` with the state folder: its exit code and its output.
    fn check(&self, extra: &[&str], location: &str) -> (i32, String) {
        let state = self.state();
        let mut args = vec!["check", "--state-dir", state.to_str().expect("UTF-8")];
        args.extend_from_slice(extra);
        args.push(location);
        let out = self.run(&args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

/// JSON lines, each checked against the shipped schema of an event.
fn events(stdout: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stdout);
    if !text.trim().is_empty() {
        assert_eq!(crate::schemas::errors("watch", &text), "", "{text}");
    }
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn a_storm_of_delete_markers_raises_exactly_one_alert(endpoint: &str, tag: &str) {
    let mut builder = support::bucket::bucket(tag).versioned();
    for i in 0..40 {
        builder = builder.put(&format!("db/{i:03}.tar"), format!("backup {i}"));
    }
    let bucket = builder.make(endpoint);
    let location = format!("s3://{bucket}/");
    let user = User::new(endpoint);

    let first = user.look(&location);
    assert_eq!(kinds(&first), ["baseline"], "{first:?}");
    assert!(
        first[0]["evidence"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("40 versions")),
        "{first:?}"
    );
    // Quiet intervals: nothing said.
    for _ in 0..3 {
        assert_eq!(user.look(&location), Vec::<Value>::new());
    }
    assert_eq!(user.check(&[], &location).0, 0);

    // The storm: 30 delete markers and 2 versions deleted for good.
    each_key(
        endpoint,
        &bucket,
        (0..30).map(|i| format!("db/{i:03}.tar")),
        None,
    );
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        for i in 38..40 {
            let key = format!("db/{i:03}.tar");
            let history = s3.key_history(&bucket, &key).await.expect("history");
            s3.delete_version(&bucket, &key, &history[0].version_id)
                .unrecorded()
                .await
                .expect("delete version");
        }
    });
    let storm = user.look(&location);
    assert_eq!(kinds(&storm), ["deletion_storm"], "{storm:?}");
    let counts = &storm[0]["counts"];
    assert_eq!(counts["markers_created"], 30, "{storm:?}");
    assert_eq!(counts["versions_deleted"], 2, "{storm:?}");
    assert_eq!(counts["overwrites"], 0, "{storm:?}");
    assert_eq!(storm[0]["level"], "critical");
    assert!(
        storm[0]["evidence"].as_array().is_some_and(|e| e
            .iter()
            .any(|l| l == "for example: db/000.tar (1 delete marker)")),
        "{storm:?}"
    );
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with(&format!(
            "LOCKWATCH CRITICAL - {location}: deletion storm since "
        )),
        "{text}"
    );
    assert!(text.contains("markers_created=30;"), "{text}");

    // The next quiet interval ends it, once, with its totals.
    let after = user.look(&location);
    assert_eq!(kinds(&after), ["storm_ended"], "{after:?}");
    assert_eq!(after[0]["counts"]["markers_created"], 30);
    assert_eq!(user.look(&location), Vec::<Value>::new());
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("LOCKWATCH OK - "), "{text}");
}

#[test]
fn a_storm_of_delete_markers_raises_exactly_one_alert_on_the_sandbox() {
    a_storm_of_delete_markers_raises_exactly_one_alert(
        &support::sandbox::sandbox().endpoint,
        "stormsb",
    );
}

#[test]
fn a_storm_of_delete_markers_raises_exactly_one_alert_on_ceph() {
    a_storm_of_delete_markers_raises_exactly_one_alert(
        &support::ceph::ceph().endpoint,
        "stormceph",
    );
}

fn each_weakening_raises_its_event(endpoint: &str, tag: &str) {
    let locked = support::bucket::bucket(&format!("{tag}l"))
        .lock(Some((RetentionMode::Compliance, RetentionPeriod::Days(30))))
        .make(endpoint);
    let plain = support::bucket::bucket(&format!("{tag}v"))
        .versioned()
        .make(endpoint);
    let user = User::new(endpoint);
    let (l, p) = (format!("s3://{locked}/"), format!("s3://{plain}/"));
    assert_eq!(kinds(&user.look(&l)), ["baseline"]);
    assert_eq!(kinds(&user.look(&p)), ["baseline"]);
    for _ in 0..5 {
        assert!(user.look(&l).is_empty());
        assert!(user.look(&p).is_empty());
    }
    let sdk = support::sdk_client(endpoint);
    let runtime = support::runtime();
    let retention = |mode: Option<(&str, i32)>| {
        let sdk = sdk.clone();
        let locked = locked.clone();
        runtime.block_on(async move {
            use aws_sdk_s3::types::*;
            let mut config =
                ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled);
            if let Some((mode, days)) = mode {
                config = config.rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::from(mode))
                                .days(days)
                                .build(),
                        )
                        .build(),
                );
            }
            sdk.put_object_lock_configuration()
                .bucket(&locked)
                .object_lock_configuration(config.build())
                .send()
                .await
                .expect("put lock configuration");
        })
    };

    retention(Some(("COMPLIANCE", 1)));
    let found = user.look(&l);
    assert_eq!(kinds(&found), ["default_retention_shortened"], "{found:?}");
    assert!(
        found[0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("from 30 days to 1 day")),
        "{found:?}"
    );
    // Still weakened: not said again, and check says so.
    assert!(user.look(&l).is_empty());
    let (code, text) = user.check(&[], &l);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("shortened from 30 days to 1 day"), "{text}");
    // Restored, then made GOVERNANCE (longer), then removed.
    retention(Some(("COMPLIANCE", 30)));
    assert_eq!(kinds(&user.look(&l)), ["posture_restored"]);
    retention(Some(("GOVERNANCE", 60)));
    assert_eq!(kinds(&user.look(&l)), ["default_retention_weakened"]);
    retention(None);
    assert_eq!(kinds(&user.look(&l)), ["default_retention_removed"]);
    // Accepted: said once, then quiet, and check is OK.
    let state = user.state();
    let out = user.run(&[
        "watch",
        "--once",
        "--accept",
        "--state-dir",
        state.to_str().expect("UTF-8"),
        &l,
    ]);
    assert_eq!(kinds(&events(&out.stdout)), ["posture_accepted"]);
    assert!(user.look(&l).is_empty());
    assert_eq!(user.check(&[], &l).0, 0);

    // A policy that lets everyone delete versions.
    runtime.block_on(async {
        sdk.put_bucket_policy()
            .bucket(&locked)
            .policy(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"wide","Effect":"Allow","Principal":"*","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::{locked}/*"}}]}}"#
            ))
            .send()
            .await
            .expect("put policy");
    });
    let found = user.look(&l);
    assert_eq!(kinds(&found), ["policy_grants_dangerous"], "{found:?}");
    assert!(
        found[0]["evidence"][0]
            .as_str()
            .is_some_and(|e| e.contains("statement wide allows *")),
        "{found:?}"
    );

    // A lifecycle rule that deletes noncurrent versions after 3 days.
    runtime.block_on(async {
        let s3 = support::client(endpoint).await;
        s3.expire_noncurrent_versions(&plain, "prune", "", 3)
            .unrecorded()
            .await
            .expect("put lifecycle");
    });
    let found = user.look(&p);
    assert_eq!(kinds(&found), ["lifecycle_expires_versions"], "{found:?}");
    assert!(
        found[0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("from unbounded (no rule removes versions) to 3 days")),
        "{found:?}"
    );
    // Versioning suspended.
    runtime.block_on(async {
        let s3 = support::client(endpoint).await;
        s3.suspend_versioning(&plain)
            .unrecorded()
            .await
            .expect("suspend");
    });
    let found = user.look(&p);
    assert_eq!(kinds(&found), ["versioning_suspended"], "{found:?}");
    let (code, text) = user.check(&[], &p);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("versioning is suspended"), "{text}");
    assert!(text.contains("weakened=2;"), "{text}");
}

#[test]
fn each_weakening_raises_its_event_on_the_sandbox() {
    each_weakening_raises_its_event(&support::sandbox::sandbox().endpoint, "weaksb");
}

#[test]
fn each_weakening_raises_its_event_on_ceph() {
    each_weakening_raises_its_event(&support::ceph::ceph().endpoint, "weakceph");
}

#[test]
fn check_exits_with_each_plugin_status() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let bucket = support::bucket::bucket("checkst")
        .versioned()
        .put("a", "a")
        .make(endpoint);
    let location = format!("s3://{bucket}/");
    let user = User::new(endpoint);
    // The first check records the baseline and is OK.
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with(&format!(
            "LOCKWATCH OK - {location}: nothing weakened, no storm, 1 version or delete marker listed | "
        )),
        "{text}"
    );
    // WARNING: a rule that expires current versions leaves the recovery window as it was.
    let sdk = support::sdk_client(endpoint);
    support::runtime().block_on(async {
        use aws_sdk_s3::types::*;
        sdk.put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(
                        LifecycleRule::builder()
                            .id("expire-current")
                            .status(ExpirationStatus::Enabled)
                            .filter(LifecycleRuleFilter::builder().prefix("").build())
                            .expiration(LifecycleExpiration::builder().days(400).build())
                            .build()
                            .expect("rule"),
                    )
                    .build()
                    .expect("configuration"),
            )
            .send()
            .await
            .expect("put lifecycle");
    });
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 1, "{text}");
    assert!(text.starts_with("LOCKWATCH WARNING - "), "{text}");
    // CRITICAL: a storm.
    each_key(
        endpoint,
        &bucket,
        (0..12).map(|i| format!("k{i}")),
        Some("x"),
    );
    assert_eq!(user.check(&["--storm", "10"], &location).0, 1);
    each_key(endpoint, &bucket, (0..12).map(|i| format!("k{i}")), None);
    let (code, text) = user.check(&["--storm", "10"], &location);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("deletion storm"), "{text}");
    // UNKNOWN: bad arguments, and a state folder that cannot be used.
    let (code, text) = user.check(&["--storm", "0"], &location);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.starts_with("LOCKWATCH UNKNOWN - bad arguments"),
        "{text}"
    );
    let file = user.home.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let out = user.run(&[
        "check",
        "--state-dir",
        file.to_str().expect("UTF-8"),
        &location,
    ]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("LOCKWATCH UNKNOWN - cannot ") && text.contains("a-file/watch/"),
        "{text}"
    );
}

/// Writes (`Some(body)`) or deletes (`None`) each key of `bucket`, as a client would.
fn each_key(endpoint: &str, bucket: &str, keys: impl Iterator<Item = String>, body: Option<&str>) {
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        for key in keys {
            match body {
                Some(b) => s3
                    .put_bytes(bucket, &key, b.as_bytes().to_vec(), &Default::default())
                    .unrecorded()
                    .await
                    .map(|_| ()),
                None => s3
                    .delete_object(bucket, &key)
                    .unrecorded()
                    .await
                    .map(|_| ()),
            }
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        }
    });
}

/// Waits until `path` holds a status whose `updated_at` differs from `before`.
fn wait_for_interval(status: &Path, before: Option<String>) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(status)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
            && v["updated_at"].as_str().map(str::to_string) != before
        {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no interval finished in 30 s ({})",
            status.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

#[test]
fn a_stopped_or_denied_watcher_shows_as_failing() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let bucket = support::bucket::bucket("watcher")
        .versioned()
        .put("a", "a")
        .make(endpoint);
    let location = format!("s3://{bucket}/");
    let user = User::new(endpoint);
    let (mut watcher, port, status) = user.watcher(&[], &[], &bucket);
    let first = wait_for_interval(&status, None);
    let second = wait_for_interval(&status, first["updated_at"].as_str().map(str::to_string));
    assert!(second["failing"].is_null(), "{second}");
    let metrics = scrape(port);
    assert!(
        metrics.contains(&format!(
            "lockwatch_up{{bucket=\"{bucket}\",prefix=\"\"}} 1\n"
        )),
        "{metrics}"
    );
    // While it runs, check reports its status, and leaves accepting to the watcher.
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 0, "{text}");
    let (code, text) = user.check(&["--accept"], &location);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("restart it with --accept once"), "{text}");
    // Stopped: CRITICAL, and it says how to go on.
    let _ = watcher.0.kill();
    let _ = watcher.0.wait();
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with(&format!(
            "LOCKWATCH CRITICAL - {location}: the watcher of this location is not running"
        )),
        "{text}"
    );

    // Denied: a watcher with a wrong secret fails, says so, and /metrics and check show it.
    let denied = User::new(endpoint);
    let (watcher, port, status) =
        denied.watcher(&[], &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")], &bucket);
    let kept = wait_for_interval(&status, None);
    assert!(
        kept["failing"]
            .as_str()
            .is_some_and(|f| f.contains("access denied") || f.contains("SignatureDoesNotMatch")),
        "{kept}"
    );
    let metrics = scrape(port);
    assert!(
        metrics.contains(&format!(
            "lockwatch_up{{bucket=\"{bucket}\",prefix=\"\"}} 0\n"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "lockwatch_errors_total{{bucket=\"{bucket}\",prefix=\"\",reason=\"denied\"}} "
        )),
        "{metrics}"
    );
    let (code, text) = denied.check(&[], &location);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot read what it watches"), "{text}");
    drop(watcher);
}

/// The README's Prometheus rules, exactly as written there.
fn readme_rules() -> String {
    const README: &str = include_str!("../../README.md");
    let start = README
        .find("```yaml\ngroups:\n  - name: lockwatch")
        .expect("the README's Prometheus rules");
    let body = &README[start + "```yaml\n".len()..];
    body[..body.find("```").expect("the end of the rules")].to_string()
}

/// A program of Debian's `prometheus` package (installed by `tests/run`).
fn prometheus_tool(name: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with tests/run, which installs Debian's prometheus package",
        path.display()
    );
    path
}

/// Asks Prometheus `query` until `ready` holds for its result (at most a minute).
fn wait_query(port: u16, query: &str, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let runtime = support::runtime();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let client = reqwest::Client::new();
    loop {
        let answer: Option<Value> = runtime.block_on(async {
            client
                .get(format!("http://127.0.0.1:{port}/api/v1/query"))
                .query(&[("query", query)])
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()
        });
        let result = answer
            .as_ref()
            .and_then(|a| a["data"]["result"].as_array().cloned())
            .unwrap_or_default();
        if ready(&result) {
            return result;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Prometheus did not see {what} in 60 s: {query} gave {answer:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[test]
fn prometheus_scrapes_the_watcher_and_the_readme_rules_fire() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let mut builder = support::bucket::bucket("prom").versioned();
    for i in 0..10 {
        builder = builder.put(&format!("k{i}"), "x");
    }
    let bucket = builder.make(endpoint);
    let user = User::new(endpoint);
    let (mut watcher, metrics_port, status) = user.watcher(&["--storm", "5"], &[], &bucket);
    wait_for_interval(&status, None);

    // promtool's own check of the exposition.
    let scraped = scrape(metrics_port);
    let body = scraped.split("\r\n\r\n").nth(1).expect("a body");
    let mut promtool = Command::new(prometheus_tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    std::io::Write::write_all(&mut promtool.stdin.take().expect("stdin"), body.as_bytes())
        .expect("metrics to promtool");
    let checked = promtool.wait_with_output().expect("promtool");
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {}{}\n{body}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // The README's rules, checked, then loaded into a Prometheus scraping the watcher.
    let dir = tempfile::tempdir().expect("prometheus folder");
    let rules = dir.path().join("lockwatch.rules.yml");
    std::fs::write(&rules, readme_rules()).expect("rules");
    let checked = Command::new(prometheus_tool("promtool"))
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .expect("promtool");
    assert!(
        checked.status.success()
            && String::from_utf8_lossy(&checked.stdout).contains("SUCCESS: 6 rules found"),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: lockwatch\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n",
            rules.display()
        ),
    )
    .expect("config");
    let port = support::free_port();
    let prometheus = support::daemon::spawn(
        &prometheus_tool("prometheus"),
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        &dir.path().join("prometheus.log"),
    );
    wait_query(port, "lockwatch_up", "lockwatch_up 1", |r| {
        r.iter()
            .any(|s| s["metric"]["bucket"] == bucket.as_str() && s["value"][1] == "1")
    });
    // Nothing fires on a quiet bucket.
    let quiet = wait_query(port, "ALERTS", "the alerts", |_| true);
    assert!(
        quiet
            .iter()
            .all(|a| a["metric"]["bucket"] != bucket.as_str()),
        "{quiet:?}"
    );

    // A storm: the storm alert fires.
    each_key(endpoint, &bucket, (0..8).map(|i| format!("k{i}")), None);
    wait_query(
        port,
        "ALERTS{alertname=\"LockwatchDeletionStorm\",alertstate=\"firing\"}",
        "the storm alert firing",
        |r| r.iter().any(|a| a["metric"]["bucket"] == bucket.as_str()),
    );
    // The watcher stopped: the down alert's expression holds (pending for its 15 minutes).
    let _ = watcher.0.kill();
    let _ = watcher.0.wait();
    wait_query(
        port,
        "ALERTS{alertname=\"LockwatchDown\"}",
        "the down alert pending",
        |r| !r.is_empty(),
    );
    if let Ok(mut p) = prometheus.lock() {
        let _ = p.kill();
        let _ = p.wait();
    }
}

fn the_lock_count_finds_holds_released_retentions_shortened_and_protection_running_out(
    endpoint: &str,
    tag: &str,
) {
    use aws_sdk_s3::primitives::{ByteStream, DateTime};
    use aws_sdk_s3::types::*;
    let bucket = support::bucket::bucket(tag).lock(None).make(endpoint);
    let location = format!("s3://{bucket}/");
    let sdk = support::sdk_client(endpoint);
    let runtime = support::runtime();
    let in_days = |days: f64| {
        DateTime::from_secs(jiff::Timestamp::now().as_second() + (days * 86_400.0) as i64)
    };
    runtime.block_on(async {
        sdk.put_object()
            .bucket(&bucket)
            .key("held")
            .body(ByteStream::from_static(b"h"))
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await
            .expect("put held");
        for (key, days) in [("gov", 30.0), ("soon", 1.0)] {
            sdk.put_object()
                .bucket(&bucket)
                .key(key)
                .body(ByteStream::from_static(b"g"))
                .object_lock_mode(ObjectLockMode::Governance)
                .object_lock_retain_until_date(in_days(days))
                .send()
                .await
                .expect("put retained");
        }
    });
    let user = User::new(endpoint);
    let state = user.state();
    let look = |extra: &[&str]| {
        let mut args = vec![
            "watch",
            "--once",
            "--state-dir",
            state.to_str().expect("UTF-8"),
        ];
        args.extend_from_slice(extra);
        args.push(&location);
        let out = user.run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        events(&out.stdout)
    };
    // The first look counts the locks: "soon" ends within the 7 days.
    let first = look(&[]);
    assert_eq!(
        kinds(&first),
        ["baseline", "retention_running_out"],
        "{first:?}"
    );
    assert!(
        first[1]["summary"].as_str().is_some_and(
            |s| s.contains("the first, soon (version ") && s.contains("GOVERNANCE until")
        ),
        "{first:?}"
    );
    assert!(look(&[]).is_empty(), "said once");
    let (code, text) = user.check(&["--warning", "14", "--critical", "3"], &location);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("the protection of soon (version "), "{text}");
    assert!(
        text.contains("protection_days_left=0.99;14;3")
            || text.contains("protection_days_left=1;14;3"),
        "{text}"
    );
    let (code, text) = user.check(&["--warning", "14", "--critical", "0.5"], &location);
    assert_eq!(code, 1, "{text}");

    // The hold released, a GOVERNANCE retention shortened with the bypass.
    runtime.block_on(async {
        sdk.put_object_legal_hold()
            .bucket(&bucket)
            .key("held")
            .legal_hold(
                ObjectLockLegalHold::builder()
                    .status(ObjectLockLegalHoldStatus::Off)
                    .build(),
            )
            .send()
            .await
            .expect("release the hold");
        sdk.put_object_retention()
            .bucket(&bucket)
            .key("gov")
            .bypass_governance_retention(true)
            .retention(
                ObjectLockRetention::builder()
                    .mode(ObjectLockRetentionMode::Governance)
                    .retain_until_date(in_days(20.0))
                    .build(),
            )
            .send()
            .await
            .expect("shorten with the bypass");
    });
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let found = look(&["--locks-every", "1"]);
    assert_eq!(
        kinds(&found),
        ["legal_hold_released", "retention_shortened"],
        "{found:?}"
    );
    assert!(
        found[0]["evidence"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("held (version ") && e.ends_with("legal hold released")),
        "{found:?}"
    );
    assert!(
        found[1]["evidence"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("gov (version ") && e.contains(", now GOVERNANCE until")),
        "{found:?}"
    );
    let (code, text) = user.check(&[], &location);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("legal holds released on 1 version"), "{text}");
    // Accepted: quiet, and check is OK but for the protection running out.
    let accepted = look(&["--accept"]);
    assert_eq!(kinds(&accepted), ["posture_accepted"], "{accepted:?}");
    assert_eq!(user.check(&[], &location).0, 0);
}

#[test]
fn the_lock_count_finds_what_weakened_each_version_on_the_sandbox() {
    the_lock_count_finds_holds_released_retentions_shortened_and_protection_running_out(
        &support::sandbox::sandbox().endpoint,
        "lockssb",
    );
}

#[test]
fn the_lock_count_finds_what_weakened_each_version_on_ceph() {
    the_lock_count_finds_holds_released_retentions_shortened_and_protection_running_out(
        &support::ceph::ceph().endpoint,
        "locksceph",
    );
}

#[test]
fn a_watcher_started_with_accept_still_alerts_on_what_weakens_afterwards() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let bucket = support::bucket::bucket("acceptrun")
        .versioned()
        .put("a", "a")
        .make(endpoint);
    let user = User::new(endpoint);
    let (_watcher, _port, status) = user.watcher(&["--accept"], &[], &bucket);
    let first = wait_for_interval(&status, None);
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        s3.suspend_versioning(&bucket)
            .unrecorded()
            .await
            .expect("suspend");
    });
    let mut seen = first["updated_at"].as_str().map(str::to_string);
    let mut weakened = Vec::new();
    for _ in 0..3 {
        let kept = wait_for_interval(&status, seen.clone());
        seen = kept["updated_at"].as_str().map(str::to_string);
        weakened = kept["weakened"].as_array().cloned().unwrap_or_default();
    }
    assert_eq!(weakened.len(), 1, "{weakened:?}");
    assert_eq!(weakened[0]["event"], "versioning_suspended");
}

/// Posts `body` to the listener at `port`, `path`: the status line.
fn post(port: u16, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_string()
}

/// The topic configurations of `bucket`: (id, topic ARN).
fn topic_configurations(endpoint: &str, bucket: &str) -> Vec<(String, String)> {
    support::runtime().block_on(async {
        let out = support::sdk_client(endpoint)
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketNotificationConfiguration");
        out.topic_configurations()
            .iter()
            .map(|t| {
                (
                    t.id().unwrap_or_default().to_string(),
                    t.topic_arn().to_string(),
                )
            })
            .collect()
    })
}

/// The push endpoint of the topic `arn`, as the server's SNS API gives it (the aws CLI).
fn push_endpoint(endpoint: &str, arn: &str) -> String {
    let home = tempfile::tempdir().expect("home");
    let out = support::aws(
        endpoint,
        home.path(),
        support::SECRET_KEY,
        &["sns", "get-topic-attributes", "--topic-arn", arn],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws sns get-topic-attributes: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&text).expect("JSON");
    // Ceph RGW gives the endpoint as a JSON object in the attribute EndPoint.
    let inner: Value = v["Attributes"]["EndPoint"]
        .as_str()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or_else(|| panic!("no EndPoint in {v}"));
    inner["EndpointAddress"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no EndpointAddress in {v}"))
}

/// A notification body as Ceph RGW posts it, from the topic configuration `id`.
fn notice_body(id: &str, bucket: &str, name: &str, key: &str, version: &str, etag: &str) -> String {
    serde_json::json!({"Records": [{
        "eventVersion": "2.2", "eventSource": "ceph:s3", "awsRegion": "",
        "eventTime": "2026-12-07T10:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": id,
               "bucket": {"name": bucket},
               "object": {"key": key, "size": 4, "eTag": etag, "versionId": version}}
    }]})
    .to_string()
}

fn wait_for_events(file: &Path, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let found = events(text.as_bytes());
        if done(&found) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 60 s; the events: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `watch --notifications`: set up after --yes, with the writes in the audit trail; forged
/// notices are read back and raise nothing; a storm of real deletions is alerted well before
/// the interval ends, once, with its counts; malformed posts and posts to another path are
/// refused and counted; on SIGTERM the watcher removes what it made.
fn notifications_raise_a_storm_only_when_read_back(endpoint: &str, tag: &str) {
    let mut builder = support::bucket::bucket(tag).versioned();
    for i in 0..40 {
        builder = builder.put(&format!("db/{i:03}.tar"), format!("backup {i}"));
    }
    let bucket = builder.make(endpoint);
    let user = User::new(endpoint);
    let state = user.state();
    let metrics_port = support::free_port();
    let metrics = format!("127.0.0.1:{metrics_port}");
    let location = format!("s3://{bucket}/");
    let (mut watcher, events_file, stderr) = user.notified(
        &["--interval", "3600", "--storm", "20", "--metrics", &metrics],
        &location,
    );
    let first = wait_for_events(&events_file, "the first look", |e| !e.is_empty());
    assert_eq!(kinds(&first), ["baseline"], "{first:?}");

    // Set up: the bucket sends to the watcher's topic, and the trail says who made it.
    let folder = lockwatch::watch::state::folder(&state, "watch", endpoint, &bucket, "");
    let name = lockwatch::watch::notify::names(&folder);
    let configured = topic_configurations(endpoint, &bucket);
    let arn = configured
        .iter()
        .find(|(id, _)| *id == name)
        .map(|(_, arn)| arn.clone())
        .unwrap_or_else(|| panic!("{name} not in {configured:?}"));
    let push = push_endpoint(endpoint, &arn);
    let (port, path) = {
        let rest = push
            .strip_prefix("http://127.0.0.1:")
            .expect("a loopback push endpoint");
        let (port, path) = rest.split_once('/').expect("a path");
        (port.parse::<u16>().expect("port"), format!("/{path}"))
    };
    assert!(path.starts_with("/lockwatch/") && path.len() > 40, "{path}");

    // Refused and counted: another path, a malformed body, a bucket not watched.
    assert!(
        post(
            port,
            "/lockwatch/guess",
            &notice_body(
                &name,
                &bucket,
                "ObjectRemoved:Delete",
                "db/000.tar",
                "v",
                "e"
            )
        )
        .contains(" 404")
    );
    assert!(post(port, &path, "{\"Records\": [{\"eventName\": 1}]}").contains(" 400"));
    assert!(
        post(
            port,
            &path,
            &notice_body(
                &name,
                "other-bucket",
                "ObjectRemoved:DeleteMarkerCreated",
                "k",
                "",
                "e"
            )
        )
        .contains(" 400")
    );

    assert!(
        post(
            port,
            &path,
            &notice_body(
                "another-configuration",
                &bucket,
                "ObjectRemoved:Delete",
                "db/000.tar",
                "v",
                "e"
            )
        )
        .contains(" 400")
    );

    // Forged notices of deletions that did not happen: past the threshold unconfirmed, so
    // read back, and nothing is raised.
    for i in 0..25 {
        let status = post(
            port,
            &path,
            &notice_body(
                &name,
                &bucket,
                "ObjectRemoved:Delete",
                &format!("db/{i:03}.tar"),
                "no-such-version",
                "etag",
            ),
        );
        assert!(status.contains(" 200"), "{status}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let text = loop {
        let text = scrape(metrics_port);
        if text.contains(&format!(
            "lockwatch_notices_total{{bucket=\"{bucket}\",prefix=\"\",result=\"unconfirmed\"}} 25\n"
        )) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the forged notices were not read back: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    for (reason, n) in [("path", 1), ("malformed", 1), ("unwatched", 2)] {
        assert!(
            text.contains(&format!(
                "lockwatch_notices_refused_total{{reason=\"{reason}\"}} {n}\n"
            )),
            "{reason}: {text}"
        );
    }
    let forged = std::fs::read_to_string(&events_file).unwrap_or_default();
    assert!(!forged.contains("deletion_storm"), "{forged}");

    // A real storm, one DeleteObject at a time: alerted within seconds, not after the hour.
    let started = std::time::Instant::now();
    each_key(
        endpoint,
        &bucket,
        (0..30).map(|i| format!("db/{i:03}.tar")),
        None,
    );
    let found = wait_for_events(&events_file, "the storm", |e| {
        kinds(e).iter().any(|k| k == "deletion_storm")
    });
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let storms: Vec<&Value> = found
        .iter()
        .filter(|e| e["event"] == "deletion_storm")
        .collect();
    assert_eq!(storms.len(), 1, "{found:?}");
    assert_eq!(storms[0]["counts"]["markers_created"], 30, "{}", storms[0]);
    assert!(
        storms[0]["evidence"].to_string().contains("read back"),
        "{}",
        storms[0]
    );

    // Stopped as systemd stops it: what it made is removed, and the trail has each write.
    let pid = watcher.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let code = watcher.0.wait().expect("wait");
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert_eq!(code.code(), Some(0), "{said}");
    assert!(said.contains("removed the notification set-up"), "{said}");
    let left = topic_configurations(endpoint, &bucket);
    assert!(left.iter().all(|(id, _)| *id != name), "{left:?}");
    let trail =
        std::fs::read_to_string(user.home.path().join(".local/share/lockwatch/audit.jsonl"))
            .expect("the audit trail");
    assert_eq!(crate::schemas::errors("audit", &trail), "", "{trail}");
    let actions: Vec<String> = trail
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["bucket"] == bucket.as_str())
        .map(|v| {
            format!(
                "{} {}",
                v["action"].as_str().unwrap_or_default(),
                v["outcome"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "create-topic ok",
            "add-notification ok",
            "remove-notification ok",
            "delete-topic ok"
        ],
        "{trail}"
    );
}

/// Notices lost (here: the topic pointed elsewhere while keys were deleted) are found by the
/// listing of --locks-every, compared with what the notices told: notices_missed.
#[test]
fn notices_lost_are_found_by_the_next_listing() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let mut builder = support::bucket::bucket("missed").versioned();
    for i in 0..10 {
        builder = builder.put(&format!("k{i}"), "data");
    }
    let bucket = builder.make(endpoint);
    let user = User::new(endpoint);
    let state = user.state();
    let location = format!("s3://{bucket}/");
    let (_watcher, events_file, _) = user.notified(
        &["--interval", "2", "--locks-every", "6", "--storm", "100"],
        &location,
    );
    wait_for_events(&events_file, "the first look", |e| !e.is_empty());
    // The topic now posts where no one listens: the next deletions send no notice.
    let folder = lockwatch::watch::state::folder(&state, "watch", endpoint, &bucket, "");
    let name = lockwatch::watch::notify::names(&folder);
    let home = tempfile::tempdir().expect("home");
    let out = support::aws(
        endpoint,
        home.path(),
        support::SECRET_KEY,
        &[
            "sns",
            "create-topic",
            "--name",
            &name,
            "--attributes",
            "push-endpoint=http://127.0.0.1:9/gone",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    each_key(endpoint, &bucket, (0..3).map(|i| format!("k{i}")), None);
    // One event, or two when a listing fell between the deletions: three in all.
    let found_in = |e: &Value| -> u64 {
        e["summary"]
            .as_str()
            .and_then(|s| s.split("found ").nth(1))
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let found = wait_for_events(&events_file, "notices_missed of 3 deletions", |e| {
        e.iter()
            .filter(|e| e["event"] == "notices_missed")
            .map(found_in)
            .sum::<u64>()
            >= 3
    });
    let missed: Vec<&Value> = found
        .iter()
        .filter(|e| e["event"] == "notices_missed")
        .collect();
    assert_eq!(
        missed.iter().map(|e| found_in(e)).sum::<u64>(),
        3,
        "{found:?}"
    );
    assert!(missed.iter().all(|e| e["level"] == "warning"), "{missed:?}");
    assert!(
        !kinds(&found).iter().any(|k| k == "deletion_storm"),
        "{found:?}"
    );
}

#[test]
fn notifications_raise_a_storm_only_when_read_back_on_the_sandbox() {
    notifications_raise_a_storm_only_when_read_back(
        &support::sandbox::sandbox().endpoint,
        "notify",
    );
}

#[test]
fn notifications_raise_a_storm_only_when_read_back_on_ceph() {
    notifications_raise_a_storm_only_when_read_back(&support::ceph::ceph().endpoint, "notify");
}

/// What the README and `watch --notifications` warn of: Ceph RGW 16.2 (Debian 12's 16.2.15)
/// aborts at a multi-object delete in a bucket with a notification configuration, where a
/// DeleteObject at a time works. On a Ceph of its own, as it dies. When this fails, the
/// Ceph in use no longer aborts: the warning is to be revised.
#[test]
fn ceph_16_aborts_at_a_multi_object_delete_in_a_bucket_with_notifications() {
    const ATTEMPTS: usize = 10;
    let ceph = support::ceph::start_with("", support::free_port());
    let endpoint = &ceph.endpoint;
    let mut builder = support::bucket::bucket("abort").versioned().put("a", "a");
    for i in 0..ATTEMPTS {
        builder = builder.put(&format!("b{i}"), "b");
    }
    let bucket = builder.make(endpoint);
    // A push endpoint that takes every post.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 65536];
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let _ = stream.read(&mut buffer);
            // An endpoint that takes a moment: radosgw then waits for it inside the request's
            // coroutine, where it aborts (an endpoint answering at once was seen to get a
            // DeleteObjects through).
            std::thread::sleep(std::time::Duration::from_millis(300));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let arn = s3
            .create_topic("abort", &format!("http://127.0.0.1:{port}/x"))
            .unrecorded()
            .await
            .expect("CreateTopic");
        s3.put_notifications(
            &bucket,
            &[lockwatch::s3::TopicConfig {
                id: "abort".into(),
                topic_arn: arn,
                events: vec!["s3:ObjectRemoved:*".into()],
                prefix: String::new(),
            }],
        )
        .unrecorded()
        .await
        .expect("PutBucketNotificationConfiguration");
    });
    each_key(endpoint, &bucket, std::iter::once("a".to_string()), None);
    // Up to ATTEMPTS DeleteObjects, one key each, until one gets no answer.
    let mut answers = Vec::new();
    for i in 0..ATTEMPTS {
        let answer = support::runtime().block_on(async {
            use aws_sdk_s3::types::{Delete, ObjectIdentifier};
            support::sdk_client(endpoint)
                .delete_objects()
                .bucket(&bucket)
                .delete(
                    Delete::builder()
                        .objects(
                            ObjectIdentifier::builder()
                                .key(format!("b{i}"))
                                .build()
                                .expect("id"),
                        )
                        .build()
                        .expect("delete"),
                )
                .send()
                .await
        });
        let failed = answer.is_err();
        answers.push(format!("{answer:?}"));
        if failed {
            break;
        }
    }
    let log = ceph.dir.join("log/client.rgw.test.log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("Caught signal (Aborted)") && text.contains("RGWDeleteMultiObj") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "radosgw did not abort at {} DeleteObjects (answers: {answers:?}): the Ceph in use may be fixed; revise the warning of watch --notifications and the README",
            answers.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A symbolic link put where the watcher keeps its state (status, listing, notification
/// set-up) is never followed: the file it points at is neither read as state nor written, and
/// the watcher says what it found.
#[test]
fn a_link_in_the_state_folder_is_never_followed() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let bucket = support::bucket::bucket("linked")
        .versioned()
        .put("a", "a")
        .make(endpoint);
    let location = format!("s3://{bucket}/");
    for name in [
        "status.json",
        "listing.gz",
        "locks.gz",
        "baseline.json",
        "storm.json",
        // A listing under way and its checkpoint.
        "listing.gz.new",
        "listing.resume.json",
    ] {
        let user = User::new(endpoint);
        user.look(&location);
        let folder = lockwatch::watch::state::folder(&user.state(), "watch", endpoint, &bucket, "");
        let victim = user.home.path().join("victim");
        std::fs::write(&victim, b"not lockwatch's\n").expect("victim");
        let at = folder.join(name);
        let _ = std::fs::remove_file(&at);
        std::os::unix::fs::symlink(&victim, &at).expect("link");
        let state = user.state();
        // The lock count due again (a second from now), so that locks.gz is written.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let out = user.run(&[
            "watch",
            "--once",
            "--locks-every",
            "1",
            "--state-dir",
            state.to_str().expect("UTF-8"),
            &location,
        ]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{name}: {:?} {said}",
            out.status
        );
        assert_eq!(
            std::fs::read(&victim).expect("victim"),
            b"not lockwatch's\n",
            "{name}: the link was followed; {said}"
        );
        // Either refused with the file named, or replaced by a file of lockwatch's own (or
        // removed, for the files of a listing under way).
        let link = std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
        assert!(
            out.status.code() == Some(2) && said.contains(name) || !link,
            "{name}: exit {:?}, {said}",
            out.status
        );
    }
    // The notification set-up's record, written at start and removed on exit.
    let user = User::new(endpoint);
    user.look(&location);
    let folder = lockwatch::watch::state::folder(&user.state(), "watch", endpoint, &bucket, "");
    let victim = user.home.path().join("victim");
    std::fs::write(&victim, b"not lockwatch's\n").expect("victim");
    std::os::unix::fs::symlink(&victim, folder.join("notifications.json")).expect("link");
    let (mut watcher, events_file, _) = user.notified(&[], &location);
    wait_for_events(&events_file, "the look after the set-up", |e| !e.is_empty());
    let pid = watcher.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let code = watcher.0.wait().expect("wait");
    assert_eq!(code.code(), Some(0));
    assert_eq!(
        std::fs::read(&victim).expect("victim"),
        b"not lockwatch's\n",
        "notifications.json: the link was followed"
    );
}

/// Keys made of escapes and invisible characters, deleted in a storm told by notices: the
/// event names them exactly in `keys` and shows them escaped in its evidence, never as
/// terminal controls.
#[test]
fn hostile_keys_in_notices_are_named_exactly_and_shown_escaped() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let hostile: Vec<String> = (0..25)
        .map(|i| format!("evil\u{1b}]52;c;Zm9v\u{7}\u{202e}{i:02}\u{200b}.tar"))
        .collect();
    let mut builder = support::bucket::bucket("hostilenote").versioned();
    for k in &hostile {
        builder = builder.put(k, "data");
    }
    let bucket = builder.make(endpoint);
    let user = User::new(endpoint);
    let location = format!("s3://{bucket}/");
    let (_watcher, events_file, _) =
        user.notified(&["--interval", "3600", "--storm", "20"], &location);
    wait_for_events(&events_file, "the first look", |e| !e.is_empty());
    each_key(endpoint, &bucket, hostile.iter().cloned(), None);
    let found = wait_for_events(&events_file, "the storm", |e| {
        kinds(e).iter().any(|k| k == "deletion_storm")
    });
    let storm = found
        .iter()
        .find(|e| e["event"] == "deletion_storm")
        .expect("the storm");
    assert_eq!(storm["counts"]["markers_created"], 25, "{storm}");
    let keys: Vec<&str> = storm["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| hostile.iter().any(|h| h == k)),
        "{storm}"
    );
    for line in storm["evidence"].as_array().expect("evidence") {
        let line = line.as_str().unwrap_or_default();
        assert!(
            !line
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}' || c == '\u{200b}'),
            "{line:?}"
        );
    }
}

/// A JSON file lockwatch kept.
fn json_file(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a plain SDK loop lists, as (key, version id, is a marker).
fn plain_listing(endpoint: &str, bucket: &str) -> Vec<(String, String, bool)> {
    support::runtime().block_on(crate::differential::sdk_loop(endpoint, bucket))
}

/// A versioned bucket of `n` keys `PREFIX/000`… on the sandbox, reached through a fault
/// proxy: the sandbox's endpoint, the bucket, the proxy, and a user of the proxy.
fn keys_behind_a_proxy(
    tag: &str,
    prefix: &str,
    n: usize,
) -> (String, String, support::faults::FaultProxy, User) {
    let server = support::sandbox::sandbox().endpoint.clone();
    let mut builder = support::bucket::bucket(tag).versioned();
    for i in 0..n {
        builder = builder.put(&format!("{prefix}/{i:03}"), format!("v{i}"));
    }
    let bucket = builder.make(&server);
    let proxy = support::faults::FaultProxy::start(&server);
    let user = User::new(&proxy.endpoint);
    (server, bucket, proxy, user)
}

/// A listing cut short by a failing server keeps what it listed in full; the next look goes
/// on after the last key listed (it does not list from the start again), and each change is
/// counted exactly once: the storm's counts are those of two plain SDK listings compared.
#[test]
fn a_listing_cut_short_goes_on_where_it_stopped_and_counts_each_change_once() {
    use support::faults::{Fault, Filter};
    let (server, bucket, proxy, user) = keys_behind_a_proxy("resume", "k", 60);
    let server = &server;
    let location = format!("s3://{bucket}/");
    let state = user.state();
    let dir = lockwatch::watch::state::folder(&state, "watch", &proxy.endpoint, &bucket, "");
    let look = || {
        user.paged(&["--once", "--storm", "10"], &location)
            .output()
            .expect("run lockwatch")
    };
    let first = look();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(kinds(&events(&first.stdout)), ["baseline"]);
    let before = plain_listing(server, &bucket);
    assert_eq!(before.len(), 60);

    // 12 delete markers across the keys, and one version deleted for good.
    each_key(
        server,
        &bucket,
        (0..60).filter(|i| i % 5 == 2).map(|i| format!("k/{i:03}")),
        None,
    );
    support::runtime().block_on(async {
        let s3 = support::client(server).await;
        let history = s3.key_history(&bucket, "k/030").await.expect("history");
        s3.delete_version(&bucket, "k/030", &history[0].version_id)
            .unrecorded()
            .await
            .expect("delete version");
    });
    let after = plain_listing(server, &bucket);
    let markers = |l: &[(String, String, bool)]| -> std::collections::BTreeSet<String> {
        l.iter().filter(|e| e.2).map(|e| e.1.clone()).collect()
    };
    let versions = |l: &[(String, String, bool)]| -> std::collections::BTreeSet<String> {
        l.iter().filter(|e| !e.2).map(|e| e.1.clone()).collect()
    };
    let created = markers(&after).difference(&markers(&before)).count();
    let deleted = versions(&before).difference(&versions(&after)).count();
    assert_eq!((created, deleted, after.len()), (12, 1, 71));

    // The listing fails after four pages: what was listed in full is kept.
    proxy.inject_after(
        Filter::target("versions"),
        Fault::Status(500, "InternalError"),
        4,
        None,
    );
    let cut = look();
    assert_eq!(cut.status.code(), Some(1), "{cut:?}");
    let cut_events = events(&cut.stdout);
    assert_eq!(kinds(&cut_events), ["watcher_failing"], "{cut_events:?}");
    let summary = cut_events[0]["summary"].as_str().unwrap_or_default();
    let kept = summary
        .split("(kept: the next look goes on after ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("nothing kept: {summary}"))
        .to_string();
    assert!(kept.starts_with("k/0") && kept.as_str() < "k/020", "{kept}");
    assert!(dir.join("listing.resume.json").is_file());
    let status = json_file(&dir.join("status.json"));
    assert!(
        status["listing_so_far"].as_u64().is_some_and(|n| n >= 10),
        "{status}"
    );

    // The next look goes on after that key, and counts each change once.
    proxy.clear();
    let seen_before = proxy.seen().len();
    let resumed = look();
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    let resumed_events = events(&resumed.stdout);
    assert_eq!(
        kinds(&resumed_events),
        ["deletion_storm", "watcher_recovered"],
        "{resumed_events:?}"
    );
    let counts = &resumed_events[0]["counts"];
    assert_eq!(
        counts["markers_created"], created as u64,
        "{resumed_events:?}"
    );
    assert_eq!(
        counts["versions_deleted"], deleted as u64,
        "{resumed_events:?}"
    );
    assert_eq!(counts["overwrites"], 0, "{resumed_events:?}");
    let listings: Vec<String> = proxy.seen()[seen_before..]
        .iter()
        .map(|(line, _)| line.clone())
        .filter(|line| line.contains("versions"))
        .collect();
    let marker = format!("key-marker={}", kept.replace('/', "%2F"));
    assert!(
        listings.first().is_some_and(|l| l.contains(&marker)),
        "the listing did not go on after {kept}: {listings:?}"
    );
    assert!(!dir.join("listing.resume.json").exists());
    let status = json_file(&dir.join("status.json"));
    assert_eq!(
        status["listed"].as_u64(),
        Some(after.len() as u64),
        "{status}"
    );
    assert!(status["listing_so_far"].is_null(), "{status}");
    // And the listing kept is whole: the next look finds nothing changed.
    let quiet = look();
    assert_eq!(kinds(&events(&quiet.stdout)), ["storm_ended"]);
}

/// A listing that outlasts the interval stops at a key and goes on at the next look, so the
/// posture is still read every interval; the storm is judged once the listing is whole, with
/// each change counted once.
#[test]
fn a_listing_longer_than_the_interval_goes_on_at_the_next_look() {
    use support::faults::{Fault, Filter};
    let (server, bucket, proxy, user) = keys_behind_a_proxy("pieces", "p", 40);
    let server = &server;
    // Each page of the listing takes 200 ms: 8 pages or more outlast the 1 s interval.
    proxy.inject(
        Filter::target("versions"),
        Fault::Delay(std::time::Duration::from_millis(200)),
        None,
    );
    let state = user.state();
    let events_file = user.home.path().join("events.jsonl");
    let location = format!("s3://{bucket}/");
    let port = support::free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let mut command = user.paged(
        &[
            "--interval",
            "1",
            "--metrics",
            &metrics_addr,
            "--storm",
            "10",
            "--events",
            events_file.to_str().expect("UTF-8"),
        ],
        &location,
    );
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _watcher = support::daemon::Stopped(command.spawn().expect("start the watcher"));
    let status_path =
        lockwatch::watch::state::folder(&state, "watch", &proxy.endpoint, &bucket, "")
            .join("status.json");

    // The first listing comes in pieces, each interval's posture read between them.
    let mut pieces = 0;
    let mut progress_scraped = 0;
    let mut before = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let listed = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the listing was not whole within 60 s ({pieces} pieces)"
        );
        let status = wait_for_interval(&status_path, before.take());
        before = status["updated_at"].as_str().map(str::to_string);
        assert!(status["failing"].is_null(), "{status}");
        if let Some(n) = status["listing_so_far"].as_u64() {
            pieces += 1;
            // /metrics says the same while no other look has ended.
            let metrics = scrape(port);
            let again = wait_for_interval(&status_path, None);
            if again["updated_at"] == status["updated_at"] {
                let line = format!(
                    "lockwatch_listing_progress_entries{{bucket=\"{bucket}\",prefix=\"\"}} {n}\n"
                );
                assert!(metrics.contains(&line), "{line}: {metrics}");
                progress_scraped += 1;
            }
        }
        if let Some(n) = status["listed"].as_u64() {
            break n;
        }
    };
    assert!(pieces >= 1, "the listing was never cut at the interval");
    assert!(progress_scraped >= 1, "the progress was never scraped");
    assert_eq!(listed, 40);

    each_key(
        server,
        &bucket,
        (0..40).filter(|i| i % 4 == 1).map(|i| format!("p/{i:03}")),
        None,
    );
    // The storm, and the next whole listing (quiet) ends it: counted once, not again.
    let found = wait_for_events(&events_file, "a deletion storm, then its end", |events| {
        kinds(events).contains(&"storm_ended".to_string())
    });
    let storms: Vec<&Value> = found
        .iter()
        .filter(|e| e["event"] == "deletion_storm")
        .collect();
    assert_eq!(storms.len(), 1, "{found:?}");
    assert_eq!(storms[0]["counts"]["markers_created"], 10, "{found:?}");
    assert!(
        !kinds(&found).contains(&"watcher_failing".to_string()),
        "{found:?}"
    );
}

/// The UI reads the watchers of the state folder it is given (`lockwatch --state-dir DIR`),
/// as a watcher given the same folder keeps them; a folder without them marks nothing.
#[test]
fn the_ui_marks_what_the_watchers_of_its_state_folder_alert_on() {
    let endpoint = &support::sandbox::sandbox().endpoint;
    let bucket = support::bucket::bucket("uistate")
        .versioned()
        .put("a.tar", "backup")
        .make(endpoint);
    let user = User::new(endpoint);
    let location = format!("s3://{bucket}/");
    assert_eq!(kinds(&user.look(&location)), ["baseline"]);
    support::runtime().block_on(async {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        support::sdk_client(endpoint)
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await
            .expect("suspend versioning");
    });
    assert_eq!(kinds(&user.look(&location)), ["versioning_suspended"]);

    let state = user.state();
    let marked = format!("▲ {bucket}");
    let mut app = support::pty::Session::start(
        endpoint,
        &["--state-dir", state.to_str().expect("UTF-8"), &location],
        120,
        40,
    );
    app.wait_text(&marked);
    app.send("q");

    // Another folder has no watcher of it: the bucket is shown, unmarked.
    let empty = tempfile::tempdir().expect("an empty state folder");
    let app = support::pty::Session::start(
        endpoint,
        &[
            "--state-dir",
            empty.path().to_str().expect("UTF-8"),
            &location,
        ],
        120,
        40,
    );
    app.wait_text("a.tar");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let screen = app.screen();
    assert!(
        screen.contains(&bucket) && !screen.contains(&marked),
        "{screen}"
    );
}

/// A watcher stopped (SIGTERM, as systemd stops it) while it lists: the listing stops at the
/// next key and keeps what it listed, the look's events are said, and the next run goes on
/// after the kept key rather than from the start.
#[test]
fn a_watcher_stopped_while_it_lists_keeps_what_it_listed() {
    use support::faults::{Fault, Filter};
    let (_, bucket, proxy, user) = keys_behind_a_proxy("stopped", "s", 60);
    // Each page takes 200 ms: the listing of 60 keys, 5 a page, takes over 2 s.
    proxy.inject(
        Filter::target("versions"),
        Fault::Delay(std::time::Duration::from_millis(200)),
        None,
    );
    let state = user.state();
    let events_file = user.home.path().join("events.jsonl");
    let location = format!("s3://{bucket}/");
    let mut command = user.paged(
        &[
            "--interval",
            "3600",
            "--events",
            events_file.to_str().expect("UTF-8"),
        ],
        &location,
    );
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut watcher = support::daemon::Stopped(command.spawn().expect("start the watcher"));
    let listed = |proxy: &support::faults::FaultProxy| {
        proxy
            .seen()
            .iter()
            .filter(|(l, _)| l.contains("versions") && l.contains("max-keys=5"))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while listed(&proxy) < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the listing never began"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = watcher.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let asked = std::time::Instant::now();
    let code = watcher.0.wait().expect("wait");
    assert_eq!(code.code(), Some(0));
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "stopping took {:?}",
        asked.elapsed()
    );
    let dir = lockwatch::watch::state::folder(&state, "watch", &proxy.endpoint, &bucket, "");
    let checkpoint = json_file(&dir.join("listing.resume.json"));
    let after = checkpoint["after"]
        .as_str()
        .expect("the key it goes on after");
    assert!(after.starts_with("s/") && after < "s/059", "{checkpoint}");
    // The look was said: the baseline, with the listing under way.
    let said = std::fs::read_to_string(&events_file).expect("events");
    assert!(
        said.contains("listed so far: the listing goes on at the next look"),
        "{said}"
    );

    // The next run goes on after the kept key, and the listing is whole.
    proxy.clear();
    let seen = proxy.seen().len();
    let out = user
        .paged(&["--once"], &location)
        .output()
        .expect("run lockwatch");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let first = proxy.seen()[seen..]
        .iter()
        .map(|(l, _)| l.clone())
        .find(|l| l.contains("versions") && l.contains("max-keys=5"))
        .expect("a listing");
    assert!(
        first.contains(&format!("key-marker={}", after.replace('/', "%2F"))),
        "the next run did not go on after {after}: {first}"
    );
    let status = json_file(&dir.join("status.json"));
    assert_eq!(status["listed"].as_u64(), Some(60), "{status}");
    assert!(!dir.join("listing.resume.json").exists());
}
