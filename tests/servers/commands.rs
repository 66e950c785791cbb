//! The commands run in-process through `lockwatch::commands::run`, with their stdin, stdout,
//! stderr, environment and local files given by the test: the typed confirmation of
//! `undelete`, what goes to which stream, the exit codes, and that lockwatch reads the
//! environment it was handed, not the process's.

use crate::support;

use lockwatch::commands::{Console, Exit, run};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use support::bucket::bucket;
use support::sandbox::sandbox;

struct Ran {
    exit: Exit,
    out: String,
    err: String,
}

/// A person at a terminal, or a script.
#[derive(Clone, Copy, PartialEq)]
enum At {
    Terminal,
    Script,
}

struct Place {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Place {
    /// A home of its own, with the test keys for `endpoint` in the environment given to
    /// lockwatch (never in this process's).
    fn new(endpoint: &str) -> Place {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = support::binary_env(endpoint, dir.path())
            .into_iter()
            .collect();
        Place { dir, env }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    fn run(&self, args: &[&str], input: &str, at: At) -> Ran {
        let mut input = input.as_bytes();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let env = |k: &str| self.env.get(k).cloned();
        let mut console = Console {
            input: &mut input,
            out: &mut out,
            err: &mut err,
            input_is_terminal: at == At::Terminal,
            err_is_terminal: false,
            out_is_terminal: false,
            env: &env,
            config_path: Some(self.config()),
            audit_path: Some(self.audit()),
        };
        let exit = run(
            std::iter::once("lockwatch").chain(args.iter().copied()),
            &mut console,
        );
        Ran {
            exit,
            out: String::from_utf8_lossy(&out).into_owned(),
            err: String::from_utf8_lossy(&err).into_owned(),
        }
    }
}

fn audit_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn undelete_sends_nothing_until_the_typed_answer_is_exact() {
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-undelete")
        .versioned()
        .put("reports/q3.pdf", "q3")
        .deleted("reports/q3.pdf")
        .put("reports/q4.pdf", "q4")
        .make(endpoint);
    let place = Place::new(endpoint);
    let location = format!("s3://{name}/reports/");

    // A near miss is no confirmation: exit 1, nothing sent, nothing audited.
    let ran = place.run(&["undelete", &location], "undelete 2\n", At::Terminal);
    assert_eq!(ran.exit, Exit::Partly, "{}", ran.err);
    assert!(ran.out.contains("reports/q3.pdf"), "the plan: {}", ran.out);
    assert!(
        ran.err.contains("Type 'undelete 1'") && ran.err.contains("Not confirmed"),
        "{}",
        ran.err
    );
    assert!(audit_lines(&place.audit()).is_empty());
    let listed = place.run(&["ls", &format!("s3://{name}/reports/")], "", At::Script);
    assert_eq!(listed.exit, Exit::Done, "{}", listed.err);
    assert!(
        !listed.out.contains("q3.pdf"),
        "still deleted: {}",
        listed.out
    );

    // The exact answer: the marker is removed, said on stdout and in the given audit trail.
    let ran = place.run(&["undelete", &location], "undelete 1\n", At::Terminal);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    let audit = audit_lines(&place.audit());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(
        audit[0].contains("reports/q3.pdf") && audit[0].contains("\"ok\""),
        "{}",
        audit[0]
    );
    // Who did it: the key as masked on screen, who the server says that is, the local user.
    let entry: serde_json::Value = serde_json::from_str(&audit[0]).expect("JSON");
    let actor = &entry["actor"];
    assert_eq!(
        actor["access_key"],
        lockwatch::s3::mask(support::ACCESS_KEY).as_str(),
        "{entry}"
    );
    assert_eq!(actor["owner_id"], "lockwatch-sandbox", "{entry}");
    assert!(
        actor["local_user"].as_str().is_some_and(|u| !u.is_empty()),
        "{entry}"
    );
    assert!(
        !audit[0].contains(support::SECRET_KEY),
        "no secret in the trail"
    );
    let listed = place.run(&["ls", &format!("s3://{name}/reports/")], "", At::Script);
    assert!(listed.out.contains("q3.pdf"), "restored: {}", listed.out);
    assert!(listed.out.contains("q4.pdf"), "{}", listed.out);
}

#[test]
fn without_a_terminal_undelete_needs_yes_and_asks_nothing() {
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-script")
        .versioned()
        .put("a", "a")
        .deleted("a")
        .make(endpoint);
    let place = Place::new(endpoint);
    let location = format!("s3://{name}/");
    // The answer on stdin is never read: a script cannot confirm by typing.
    let ran = place.run(&["undelete", &location], "undelete 1\n", At::Script);
    assert_eq!(ran.exit, Exit::CouldNotStart);
    assert!(ran.err.contains("--yes"), "{}", ran.err);
    assert!(ran.out.is_empty(), "{}", ran.out);
    // --dry-run shows the plan on stdout, says so on stderr, sends nothing.
    let ran = place.run(&["undelete", &location, "--dry-run"], "", At::Script);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    assert!(ran.out.contains('a'), "{}", ran.out);
    assert!(
        ran.err.contains("Dry run: nothing was sent."),
        "{}",
        ran.err
    );
    assert!(audit_lines(&place.audit()).is_empty());
    // --yes carries it out; --json puts one line per key on stdout.
    let ran = place.run(&["undelete", &location, "--yes", "--json"], "", At::Script);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    let lines: Vec<serde_json::Value> = ran
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["outcome"].as_str().is_some()),
        "{}",
        ran.out
    );
    assert_eq!(audit_lines(&place.audit()).len(), 1);
}

#[test]
fn report_goes_to_stdout_and_the_environment_given_is_the_one_used() {
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-report")
        .versioned()
        .put("x", "1")
        .put("x", "2")
        .make(endpoint);
    let mut place = Place::new(endpoint);
    let ran = place.run(
        &["report", &format!("s3://{name}/"), "--format", "json"],
        "",
        At::Script,
    );
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    let report: serde_json::Value = serde_json::from_str(&ran.out).expect("JSON on stdout");
    assert_eq!(report["bucket"], name.as_str(), "{report:#}");

    // Other keys in the environment handed over: refused, although this process's own
    // environment did not change.
    place
        .env
        .insert("AWS_SECRET_ACCESS_KEY".into(), "not-the-secret".into());
    let ran = place.run(&["ls", &format!("s3://{name}/")], "", At::Script);
    assert_eq!(ran.exit, Exit::CouldNotStart, "{}", ran.out);
    assert!(ran.out.is_empty(), "{}", ran.out);
    assert!(ran.err.contains("SignatureDoesNotMatch"), "{}", ran.err);
}

#[test]
fn help_usage_errors_and_config_files_in_process() {
    let place = Place::new("http://127.0.0.1:9");
    let ran = place.run(&["--help"], "", At::Script);
    assert_eq!(ran.exit, Exit::Done);
    assert!(ran.out.contains("Exit codes: 0 done"), "{}", ran.out);
    assert!(ran.err.is_empty(), "{}", ran.err);

    let ran = place.run(&["ls", "--no-such-flag"], "", At::Script);
    assert_eq!(ran.exit, Exit::CouldNotStart);
    assert!(ran.out.is_empty(), "{}", ran.out);
    assert!(ran.err.contains("--no-such-flag"), "{}", ran.err);

    let ran = place.run(&["config", "path"], "", At::Script);
    assert_eq!(ran.out.trim(), place.config().display().to_string());
    let ran = place.run(&["config", "init"], "", At::Script);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    assert!(place.config().is_file());
    let ran = place.run(&["config", "init"], "", At::Script);
    assert_eq!(ran.exit, Exit::Partly);
    assert!(ran.err.contains("already exists"), "{}", ran.err);
    let ran = place.run(&["config", "check"], "", At::Script);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.out);
    assert!(ran.out.contains(": fine ("), "{}", ran.out);
    std::fs::write(place.config(), "[endpoint.x]\nendpont_url = \"http://h\"\n").expect("write");
    let ran = place.run(&["config", "check"], "", At::Script);
    assert_eq!(ran.exit, Exit::Partly, "{}", ran.out);
    assert!(ran.out.contains("endpont_url"), "{}", ran.out);

    // A terminal that cannot draw the UI: exit 2 before connecting to anything.
    let mut dumb = Place::new("http://127.0.0.1:9");
    dumb.env.insert("TERM".into(), "dumb".into());
    let ran = dumb.run(&[], "", At::Terminal);
    assert_eq!(ran.exit, Exit::CouldNotStart);
    assert!(ran.err.contains("TERM=dumb"), "{}", ran.err);
}

#[test]
fn ls_of_a_prefix_that_is_no_folder_lists_the_keys_that_start_with_it() {
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-ls")
        .versioned()
        .put("f000/backup-0001.tar", "1")
        .put("f000/backup-0002.tar", "2")
        .put("f000/other.txt", "o")
        .make(endpoint);
    let place = Place::new(endpoint);
    let ran = place.run(
        &["ls", &format!("s3://{name}/f000/backup-0001")],
        "",
        At::Script,
    );
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    assert!(
        ran.out.contains(" backup-0001.tar"),
        "named from its folder: {}",
        ran.out
    );
    assert!(!ran.out.contains("backup-0002"), "{}", ran.out);
    assert!(!ran.out.contains("other.txt"), "{}", ran.out);
    // A folder still lists one level below it.
    let ran = place.run(&["ls", &format!("s3://{name}/f000/")], "", At::Script);
    assert_eq!(ran.out.lines().count(), 3, "{}", ran.out);
    // Nothing under it: said, not silent.
    let ran = place.run(&["ls", &format!("s3://{name}/f001")], "", At::Script);
    assert_eq!(ran.exit, Exit::Done);
    assert!(ran.out.is_empty(), "{}", ran.out);
    assert!(ran.err.contains("nothing is listed under"), "{}", ran.err);
}

/// `lockwatch … | head -1`: the reader goes away before lockwatch writes (its end of the pipe is
/// closed first). lockwatch stops quietly, exit 0, as Unix tools do: no panic, no error.
#[test]
fn a_reader_that_goes_away_stops_lockwatch_quietly() {
    use std::io::Read;
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-pipe")
        .versioned()
        .put("a.txt", "a")
        .put("b.txt", "b")
        .deleted("b.txt")
        .make(endpoint);
    let home = tempfile::tempdir().expect("home");
    let location = format!("s3://{name}/");
    let gone = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
            .args(args)
            .env_clear()
            .envs(support::binary_env(endpoint, home.path()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run lockwatch");
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .expect("stderr");
        (child.wait().expect("exit").code(), err)
    };
    // A run whose plan nobody read is not carried out, and says so.
    let (code, err) = gone(&["undelete", location.as_str(), "--yes", "--json"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    let listed = support::runtime().block_on(async {
        support::sdk_client(endpoint)
            .list_object_versions()
            .bucket(&name)
            .send()
            .await
            .expect("listing")
    });
    assert!(
        listed
            .delete_markers()
            .iter()
            .any(|m| m.key() == Some("b.txt") && m.is_latest() == Some(true)),
        "the delete marker of b.txt is still the latest entry: {listed:?}"
    );
    for args in [
        vec!["completions", "zsh"],
        vec!["man"],
        vec!["report", location.as_str(), "--format", "csv"],
        vec!["report", location.as_str()],
        vec!["ls", "--versions", location.as_str()],
        vec!["ls", "-r", "--versions", "--json", location.as_str()],
        vec!["undelete", location.as_str(), "--dry-run"],
        vec!["undelete", location.as_str(), "--dry-run", "--json"],
    ] {
        let (code, err) = gone(&args);
        assert_eq!(code, Some(0), "lockwatch {args:?}: {err}");
        assert!(err.is_empty(), "lockwatch {args:?} said: {err}");
    }
}

/// A custom endpoint without a region: lockwatch signs for us-east-1 and asks nobody, never
/// the instance-metadata service (here a listener on 127.0.0.1 standing in for it, counting
/// who knocks).
#[test]
fn a_custom_endpoint_without_a_region_never_asks_the_instance_metadata_service() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-noregion").put("a.txt", "a").make(endpoint);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let imds = format!("http://{}", listener.local_addr().expect("address"));
    let knocks = std::sync::Arc::new(AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counter = {
        let (knocks, stop) = (knocks.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok(_) => {
                        knocks.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
        })
    };
    let home = tempfile::tempdir().expect("home");
    let env: Vec<(String, String)> = support::binary_env(endpoint, home.path())
        .into_iter()
        .filter(|(k, _)| k != "AWS_REGION" && k != "AWS_EC2_METADATA_DISABLED")
        .chain([("AWS_EC2_METADATA_SERVICE_ENDPOINT".to_string(), imds)])
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["ls", &format!("s3://{name}/")])
        .env_clear()
        .envs(env)
        .output()
        .expect("run lockwatch");
    stop.store(true, Ordering::SeqCst);
    counter.join().expect("listener");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("a.txt"));
    assert_eq!(
        knocks.load(Ordering::SeqCst),
        0,
        "lockwatch asked the instance-metadata service"
    );
}

/// `ls --at T` lists the folders that held a key at T, not those whose files all came later
/// (a folder of ransomware's files written after T) or were all deleted by then.
#[test]
fn ls_at_a_time_lists_only_the_folders_that_held_a_key_then() {
    let endpoint = &sandbox().endpoint;
    let s3_bucket = bucket("cmd-at-folders")
        .versioned()
        .put("old/a.txt", "a")
        .put("gone/b.txt", "b")
        .deleted("gone/b.txt")
        .make(endpoint);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let at = jiff::Timestamp::now();
    std::thread::sleep(std::time::Duration::from_millis(50));
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        for key in ["ransom/x.txt", "ransom/y.txt"] {
            s3.put_bytes(&s3_bucket, key, b"x".to_vec(), &Default::default())
                .unrecorded()
                .await
                .expect("put");
        }
    });
    let place = Place::new(endpoint);
    let location = format!("s3://{s3_bucket}/");
    let ran = place.run(&["ls", "--at", &at.to_string(), &location], "", At::Script);
    assert_eq!(ran.exit, Exit::Done, "{}", ran.err);
    assert!(ran.out.contains("old/"), "{}", ran.out);
    assert!(!ran.out.contains("ransom/"), "{}", ran.out);
    assert!(!ran.out.contains("gone/"), "{}", ran.out);
    // And now, without --at, all three are there (gone/ as the server lists it).
    let ran = place.run(&["ls", &location], "", At::Script);
    assert!(
        ran.out.contains("ransom/") && ran.out.contains("old/"),
        "{}",
        ran.out
    );
}

/// Without a terminal, the UI says so once, in lockwatch's voice (not `lockwatch: lockwatch …`),
/// and exits 2.
#[test]
fn without_a_terminal_the_ui_says_what_it_needs() {
    let home = tempfile::tempdir().expect("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .arg("--demo")
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run lockwatch");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("lockwatch: the UI needs an interactive terminal"),
        "{err}"
    );
    assert!(!err.contains("lockwatch: lockwatch"), "{err}");
}

/// The command line explains a failure of its first request as the UI does: what was tried
/// (endpoint, region, masked key and its source) and what to check; a bucket that is not there
/// is answered with the buckets that are.
#[test]
fn the_command_line_explains_a_first_failure_as_the_ui_does() {
    let endpoint = &sandbox().endpoint;
    let name = bucket("cmd-explain").put("a.txt", "a").make(endpoint);
    let mut place = Place::new(endpoint);

    let ran = place.run(&["ls", "s3://no-such-bucket-here/"], "", At::Script);
    assert_eq!(ran.exit, Exit::CouldNotStart, "{}", ran.err);
    assert!(
        ran.err.contains("Endpoint:") && ran.err.contains(endpoint.as_str()),
        "{}",
        ran.err
    );
    assert!(ran.err.contains("No bucket of that name"), "{}", ran.err);
    assert!(
        ran.err.contains("Buckets here:") && ran.err.contains(&name),
        "{}",
        ran.err
    );

    place
        .env
        .insert("AWS_SECRET_ACCESS_KEY".into(), "not-the-secret".into());
    for args in [
        vec!["ls", "s3://no-such-bucket-here/"],
        vec!["report", "s3://no-such-bucket-here/"],
        vec!["undelete", "--dry-run", "s3://no-such-bucket-here/"],
    ] {
        let ran = place.run(&args, "", At::Script);
        assert_eq!(ran.exit, Exit::CouldNotStart, "{args:?}: {}", ran.err);
        assert!(
            ran.err.contains("Access key:") && ran.err.contains("rejected these credentials"),
            "{args:?}: {}",
            ran.err
        );
    }
}
