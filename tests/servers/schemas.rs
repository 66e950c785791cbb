//! Every JSON lockwatch prints for tools matches the JSON Schema shipped for it in
//! `assets/schemas/`: `ls --json` (each form), `undelete --json` (plan, outcome, result), `report
//! --format json` (whole and sampled) and the audit trail's lines. The schemas are strict (no
//! unknown field, every field named, times to the millisecond), so a change of the output that
//! forgets its schema fails here. Checked with Python's `jsonschema` (installed into .venv by
//! `tests/run`), the validator most tools that read these schemas use.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::sandbox::sandbox;

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/schemas")
        .join(format!("{name}.schema.json"))
}

/// The Python that has `jsonschema`: $LOCKWATCH_PYTHON, or .venv's.
fn python() -> PathBuf {
    let python = std::env::var_os("LOCKWATCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3"));
    let ok = Command::new(&python)
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import jsonschema: run the tests with `tests/run`, which installs it from PyPI into .venv, or set LOCKWATCH_PYTHON",
        python.display()
    );
    python
}

/// Each line of `jsonl` (or the one document it holds) checked against the schema `name`: the
/// errors, one per line (empty when every line is valid).
pub(crate) fn errors(name: &str, jsonl: &str) -> String {
    const CHECK: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
text = sys.stdin.read()
try:
    documents = [json.loads(text)]  # the report: one document, pretty-printed
except ValueError:
    documents = [json.loads(l) for l in text.split("\n") if l.strip()]
if not text.strip():
    print("nothing to check")
for n, document in enumerate(documents, 1):
    for e in validator.iter_errors(document):
        print(f"line {n}: {list(e.absolute_path)}: {e.message}")
"#;
    use std::io::Write;
    let mut child = Command::new(python())
        .args(["-c", CHECK])
        .arg(schema(name))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(jsonl.as_bytes())
        .expect("lines");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "the check of {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lockwatch(home: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .envs(support::binary_env(&sandbox().endpoint, home))
        .stdin(Stdio::null())
        .output()
        .expect("lockwatch");
    assert!(
        out.status.success(),
        "lockwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn every_json_output_matches_its_shipped_schema() {
    let bucket = crate::report::lock_bucket(&sandbox().endpoint, "schemas");
    let home = tempfile::tempdir().expect("home");
    let home = home.path();
    let at = jiff::Timestamp::now().to_string();
    let location = format!("s3://{bucket}/");
    let outputs = [
        ("ls", vec!["ls", "--json", &location]),
        ("ls", vec!["ls", "-r", "--versions", "--json", &location]),
        ("ls", vec!["ls", "-r", "--at", &at, "--json", &location]),
        (
            "ls",
            vec!["ls", "-r", "--versions", "--at", &at, "--json", &location],
        ),
        (
            "undelete",
            vec!["undelete", "--dry-run", "--json", &location],
        ),
        (
            "undelete",
            vec![
                "undelete",
                "--after",
                "-1d",
                "--dry-run",
                "--json",
                &location,
            ],
        ),
        ("undelete", vec!["undelete", "--yes", "--json", &location]),
        ("report", vec!["report", "--format", "json", &location]),
        (
            "report",
            vec!["report", "--format", "json", "--sample", "3", &location],
        ),
    ];
    let mut phases = std::collections::BTreeSet::new();
    for (name, args) in outputs {
        let printed = lockwatch(home, &args);
        assert_eq!(errors(name, &printed), "", "lockwatch {args:?}:\n{printed}");
        for line in printed.lines().filter(|_| name == "undelete") {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
            if let Some(phase) = value["phase"].as_str() {
                phases.insert(phase.to_string());
            }
        }
    }
    assert_eq!(
        phases.into_iter().collect::<Vec<_>>(),
        ["outcome", "plan", "result"],
        "the run printed every phase"
    );
    // The run above wrote the trail: each of its lines matches too.
    let trail = std::fs::read_to_string(home.join(".local/share/lockwatch/audit.jsonl"))
        .expect("the audit trail");
    assert!(trail.contains("\"bulk-undelete\""), "{trail}");
    assert_eq!(errors("audit", &trail), "", "{trail}");
}

/// The schemas can fail: the shapes lockwatch printed before (pairs, times of any precision,
/// a plan line without its phase) and a field it never prints are refused.
#[test]
fn the_schemas_refuse_what_lockwatch_must_not_print() {
    let report = lockwatch(
        tempfile::tempdir().expect("home").path(),
        &[
            "report",
            "--format",
            "json",
            &format!(
                "s3://{}/",
                crate::report::lock_bucket(&sandbox().endpoint, "schemas-no")
            ),
        ],
    );
    assert_eq!(errors("report", &report), "");
    let mut value: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    let cases = [
        (
            "by_protection",
            serde_json::json!([["compliance", {"versions": 1, "bytes": 1}]]),
        ),
        ("markers_by_age", serde_json::json!([["under 1 day", 1, 1]])),
        ("taken_at", serde_json::json!("2026-11-27T19:15:50.94Z")),
        ("something_new", serde_json::json!(1)),
    ];
    for (field, wrong) in cases {
        let right = value[field].clone();
        value[field] = wrong;
        let said = errors("report", &value.to_string());
        assert!(said.contains("line 1"), "{field}: {said}");
        value[field] = right;
        if field == "something_new"
            && let Some(map) = value.as_object_mut()
        {
            map.remove(field);
        }
    }
    assert_eq!(errors("report", &value.to_string()), "");
    for line in [
        r#"{"key":"k","action":"leave","reason":"not-deleted"}"#,
        r#"{"phase":"plan","key":"k","action":"leave","reason":"not-deleted","outcome":"done","detail":"x"}"#,
        r#"{"phase":"plan","key":"k","action":"remove-markers"}"#,
    ] {
        assert!(errors("undelete", line).contains("line 1"), "{line}");
    }
    assert_eq!(
        errors(
            "undelete",
            r#"{"phase":"plan","key":"k","action":"leave","reason":"not-deleted"}"#
        ),
        ""
    );
    for line in [
        r#"{"key":"k","version_id":"v","is_latest":true,"delete_marker":false,"size":1,"etag":null,"last_modified":"2026-11-27T19:15:50Z"}"#,
        r#"{"prefix":"a/","key":"k"}"#,
    ] {
        assert!(errors("ls", line).contains("line 1"), "{line}");
    }
}
