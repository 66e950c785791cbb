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
