//! The `concord` binary as an operator uses it: help, demo, org load, accounts, backup while
//! serving, and a clean shutdown.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::TWO_MEMBERS;

fn concord(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_concord"));
    command
        .env_remove("CONCORD_DATABASE_URL")
        .env("CONCORD_DATA_DIR", data_dir)
        .env("CONCORD_LOG", "warn");
    command
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_documents_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = run(concord(dir.path()).arg("--help"));
    assert!(ok);
    for command in [
        "serve", "demo", "migrate", "org", "staff", "patron", "token", "audit", "backup",
    ] {
        assert!(
            out.contains(command),
            "--help does not mention {command}:\n{out}"
        );
    }
    let (ok, out, _) = run(concord(dir.path()).args(["org", "load", "--help"]));
    assert!(ok);
    assert!(
        out.contains("--data-dir") && out.contains("CONCORD_DATA_DIR"),
        "{out}"
    );
}

#[test]
fn the_demo_is_idempotent_and_writes_its_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, first, err) = run(concord(dir.path()).args(["demo", "--no-serve", "--port", "0"]));
    assert!(ok, "{err}");
    assert!(
        first.contains("5 members, 14 branches, 300 patrons"),
        "{first}"
    );
    let (ok, second, err) = run(concord(dir.path()).args(["demo", "--no-serve", "--port", "0"]));
    assert!(ok, "{err}");
    assert!(
        second.contains("5 members, 14 branches, 300 patrons"),
        "the second run adds nothing: {second}"
    );

    let credentials: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("demo-credentials.json")).unwrap(),
    )
    .unwrap();
    let roles: Vec<&str> = credentials["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    for role in [
        "consortium_admin",
        "member_admin",
        "circulation",
        "cataloguing",
        "read_only",
    ] {
        assert!(roles.contains(&role), "no {role} login in {credentials}");
    }
    assert!(credentials["patron"]["card"].is_string() && credentials["patron"]["pin"].is_string());
    assert!(credentials["ports"]["http"].is_number());

    let (ok, out, _) = run(concord(dir.path()).args(["org", "show"]));
    assert!(ok);
    for kind in ["[public]", "[academic]", "[school]", "[special]"] {
        assert!(out.contains(kind), "{out}");
    }

    // Every demo copy stands at a shelving location, reference copies at the one the demo's
    // "Reference: not for loan" rule names; each member named its locations once.
    let exported = dir.path().join("demo.mrc");
    let (ok, _, err) = run(concord(dir.path())
        .args(["export", "marc", "--output"])
        .arg(&exported));
    assert!(ok, "{err}");
    let bytes = std::fs::read(&exported).unwrap();
    let mut located = std::collections::BTreeMap::<(String, String), usize>::new();
    for record in concord_marc::read_iso2709(&bytes) {
        for field in record.unwrap().fields("852") {
            let (item_type, location) = (field.subfield('y'), field.subfield('c'));
            let key = (
                item_type.unwrap_or_default().to_owned(),
                location.unwrap_or_default().to_owned(),
            );
            *located.entry(key).or_default() += 1;
        }
    }
    assert!(
        located.keys().all(|(_, location)| !location.is_empty()),
        "{located:?}"
    );
    assert!(
        located.contains_key(&("REFERENCE".into(), "REFERENCE".into())),
        "{located:?}"
    );
    assert!(
        located
            .keys()
            .all(|(item_type, location)| (item_type == "REFERENCE") == (location == "REFERENCE")),
        "{located:?}"
    );
    let (ok, audit, err) = run(concord(dir.path()).args([
        "audit",
        "--entity-kind",
        "member",
        "--json",
        "--limit",
        "1000",
    ]));
    assert!(ok, "{err}");
    let named = audit
        .lines()
        .filter(|line| line.contains("\"member.location_names\""))
        .count();
    assert_eq!(named, 5, "{audit}");
}

#[test]
fn org_load_reports_bad_files_and_loads_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        TWO_MEMBERS.replace("kind = \"academic\"", "kind = \"zoo\""),
    )
    .unwrap();
    let (ok, _, err) = run(concord(dir.path()).args(["org", "load"]).arg(&bad));
    assert!(!ok);
    assert!(
        err.contains("members[1].kind") && err.contains("\"zoo\" is not a kind of library"),
        "{err}"
    );
    assert!(err.contains("was not loaded"), "{err}");

    let good = dir.path().join("good.toml");
    std::fs::write(&good, TWO_MEMBERS).unwrap();
    let (ok, out, err) = run(concord(dir.path())
        .args(["org", "load", "--json"])
        .arg(&good));
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["members_created"], 2);
    assert_eq!(summary["branches_created"], 4);

    let (ok, _, err) = run(concord(dir.path())
        .args(["org", "load"])
        .arg(dir.path().join("missing.toml")));
    assert!(!ok);
    assert!(
        err.contains("cannot read") && err.contains("missing.toml"),
        "{err}"
    );
}

#[test]
fn staff_accounts_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.toml");
    std::fs::write(&file, TWO_MEMBERS).unwrap();
    assert!(run(concord(dir.path()).args(["org", "load"]).arg(&file)).0);

    let mut child = concord(dir.path())
        .args([
            "staff",
            "add",
            "priya",
            "--name",
            "Priya Raman",
            "--role",
            "cataloguing",
            "--scope",
            "member:ROHAN",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let (ok, _, err) = run(concord(dir.path())
        .args([
            "staff",
            "add",
            "x",
            "--name",
            "X",
            "--role",
            "boss",
            "--scope",
            "member:NOWHERE",
        ])
        .stdin(Stdio::null()));
    assert!(!ok);
    assert!(
        err.contains("\"boss\" is not a role") && err.contains("member NOWHERE was not found"),
        "{err}"
    );

    let (ok, out, _) = run(concord(dir.path()).args(["staff", "list"]));
    assert!(
        ok && out.contains("priya") && out.contains("cataloguing member:ROHAN"),
        "{out}"
    );

    let (ok, out, err) = run(concord(dir.path()).args([
        "token",
        "create",
        "Law kiosk",
        "--role",
        "circulation",
        "--scope",
        "branch:ROHAN-LAW",
        "--days",
        "30",
    ]));
    assert!(ok, "{err}");
    assert_eq!(out.lines().nth(1).unwrap().len(), 64, "{out}");
    let (ok, out, _) = run(concord(dir.path()).args(["audit", "--json"]));
    assert!(ok);
    let actions: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        actions.contains(&"api_token.create".to_string())
            && actions.contains(&"staff.create".to_string()),
        "{actions:?}"
    );
}

#[test]
fn backup_while_serving_and_a_clean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.toml");
    std::fs::write(&file, TWO_MEMBERS).unwrap();
    let mut server = concord(dir.path())
        .arg("serve")
        .env("CONCORD_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first
        .strip_prefix("listening on ")
        .expect("the address")
        .trim_end_matches('/')
        .to_string();

    // The CLI writes to the same data while the server runs, and the server sees it.
    let (ok, _, err) = run(concord(dir.path()).args(["org", "load"]).arg(&file));
    assert!(ok, "{err}");
    let body = reqwest::blocking_get(&format!("{address}/api/v1/members"));
    assert!(body.contains("SHIRE") && body.contains("ROHAN"), "{body}");

    let backup = dir.path().join("backup.sqlite3");
    let (ok, out, err) = run(concord(dir.path()).arg("backup").arg(&backup));
    assert!(ok, "{err}");
    assert!(out.contains("backed up"));
    let (ok, _, err) = run(concord(dir.path()).arg("backup").arg(&backup));
    assert!(!ok && err.contains("already exists"), "{err}");

    // The backup is a working store on its own.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&backup, restored.path().join("concord.sqlite3")).unwrap();
    let (ok, out, _) = run(concord(restored.path()).args(["org", "show"]));
    assert!(ok && out.contains("Shire Libraries"), "{out}");

    // SIGTERM: requests in flight finish, the log is checkpointed, the process exits 0.
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = server.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let wal = dir.path().join("concord.sqlite3-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL is checkpointed at shutdown"
    );
}

mod reqwest {
    /// A blocking GET for the tests that drive the binary from a plain `#[test]`.
    pub fn blocking_get(url: &str) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}

/// Loads the two members into `dir` and imports `file` (under `fixtures/marc`) for SHIRE, its
/// branches mapped, through the real binary: whether it worked, its output and its errors.
fn shire_imports(dir: &Path, file: &str) -> (bool, String, String) {
    let org = dir.join("org.toml");
    std::fs::write(&org, TWO_MEMBERS).unwrap();
    let (ok, _, err) = run(concord(dir).args(["org", "load"]).arg(&org));
    assert!(ok, "{err}");
    let mapping = dir.join("mapping.toml");
    std::fs::write(
        &mapping,
        "[branches]\nDESMARAIS = \"SHIRE-CEN\"\nHUNTINGTON = \"SHIRE-HOB\"\n",
    )
    .unwrap();
    let records = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/marc")
        .join(file);
    // Rejects are written in the test's directory, never beside the fixture.
    run(concord(dir)
        .args(["import", "marc", "--member", "SHIRE", "--mapping"])
        .arg(&mapping)
        .arg("--rejects")
        .arg(dir.join("rejects.mrc"))
        .arg(&records))
}

#[test]
fn reindex_rebuilds_the_search_index_and_reports_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = shire_imports(dir.path(), "evergreen/lul_fre_100.mrc");
    assert!(ok && out.contains("created 100"), "{out}{err}");
    let (ok, out, err) = run(concord(dir.path()).arg("reindex"));
    assert!(ok, "{err}");
    assert!(out.contains("indexed 100 records with 114 items"), "{out}");
    // Not a terminal: no progress bar drawn over the output.
    assert!(!err.contains('\r') && !err.contains('#'), "{err}");
    assert!(dir.path().join("search-index/meta.json").exists());
}

#[test]
fn import_summary_groups_thousands_and_counts_a_later_version() {
    use concord_domain::catalogue::versions::latest_transaction;
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = shire_imports(dir.path(), "evergreen/jazz_1k.mrc");
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("read 1,000 · created "), "{out}");
    assert!(out.contains("rejected 0"), "{out}");
    assert!(!out.contains("updated"), "{out}");

    // The first record with a control number, a 005 and an identifier, corrected later.
    let records =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc/evergreen/jazz_1k.mrc");
    let bytes = std::fs::read(&records).unwrap();
    let mut record = concord_marc::read_iso2709(&bytes)
        .filter_map(Result::ok)
        .find(|record| {
            record.control("001").is_some()
                && latest_transaction(record).is_some()
                && ["010", "020", "035"]
                    .iter()
                    .any(|tag| record.field(tag).is_some())
        })
        .unwrap();
    record.leader.set(5, b'c');
    for field in &mut record.fields {
        if let concord_marc::Field::Control(control) = field
            && control.tag.as_str() == "005"
        {
            control.value = "20300101000000.0".into();
        }
    }
    let corrected = dir.path().join("corrected.mrc");
    std::fs::write(&corrected, concord_marc::to_iso2709(&record).unwrap()).unwrap();
    let (ok, out, err) = run(concord(dir.path())
        .args(["import", "marc", "--member", "SHIRE", "--mapping"])
        .arg(dir.path().join("mapping.toml"))
        .arg("--rejects")
        .arg(dir.path().join("rejects.mrc"))
        .arg(&corrected));
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with("read 1 · created 0 · merged 0 · updated 1 · unchanged 0"),
        "{out}"
    );
}
