//! The real `rookery` binary, as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rookery_testkit::TempDir;
use serde_json::Value;

pub fn rookery(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rookery"));
    c.current_dir(dir.path());
    // Only what the test says: no configuration leaks in from the environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("ROOKERY_") {
            c.env_remove(k);
        }
    }
    c.env("ROOKERY_LOG__LEVEL", "warn");
    c
}

/// `rookery admin AREA ARGS` on a test app's own database (domain `rookery.test`, HTTPS);
/// (exit code, stdout, stderr).
pub fn admin_on(app: &crate::kit::TestApp, area: &str, args: &[&str]) -> (i32, String, String) {
    let data = app.db.dir.path().join("data");
    let mut cmd = rookery(&app.db.dir);
    cmd.arg("--data-dir")
        .arg(&data)
        .env("ROOKERY_SERVER__DOMAIN", "rookery.test")
        .env("ROOKERY_SERVER__HTTPS", "true")
        .env("ROOKERY_DATABASE__URL", &app.db.url)
        .env("ROOKERY_DATABASE__PGBOUNCER", app.db.pgbouncer.to_string());
    if let Some(m) = &app.db.migration_url {
        cmd.env("ROOKERY_DATABASE__MIGRATION_URL", m);
    }
    run(cmd.arg("admin").arg(area).args(args))
}

/// Runs to completion; returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config error: exit code 2, one line on stderr naming the option, no panic.
fn assert_config_error(result: (i32, String, String), option: &str) {
    let (code, _, stderr) = result;
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(option), "expected {option} in {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` and waits for its banner; returns the base URL it listens on.
fn serve(dir: &TempDir, args: &[&str]) -> Server {
    let mut child = rookery(dir)
        .args(args)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("listening on ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    let second = lines.next().unwrap().unwrap();
    assert!(
        second.contains("Create the first admin account"),
        "{second}"
    );
    let third = lines.next().unwrap().unwrap();
    assert!(third.contains("admin accounts create"), "{third}");
    Server(child, format!("http://{addr}"))
}

/// Like [`get`], but a connection failure is status 0 instead of a panic.
pub fn try_get(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        match reqwest::Client::new().get(url).send().await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    })
}

pub fn get(url: &str, accept: &str) -> (u16, String) {
    // A blocking client keeps these tests free of an async runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(url)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

#[test]
fn serve_with_no_configuration_then_first_admin() {
    let dir = TempDir::new("rookery-cli").unwrap();
    let started = Instant::now();
    let server = serve(&dir, &[]);
    let boot = started.elapsed();
    assert!(dir.path().join("data/rookery.db").is_file());
    let (status, body) = get(&format!("{}/api/v1/instance", server.1), "application/json");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["uri"], "localhost:3000");
    let (status, _) = get(&format!("{}/api/v2/instance", server.1), "application/json");
    assert_eq!(status, 200);
    assert_eq!(get(&format!("{}/health", server.1), "*/*").0, 200);
    assert_eq!(get(&format!("{}/ready", server.1), "*/*").0, 200);
    assert_eq!(get(&format!("{}/metrics", server.1), "*/*").0, 200);

    // The admin CLI works beside the running server on the same SQLite file.
    let (code, out, err) = run(rookery(&dir).args([
        "admin",
        "accounts",
        "create",
        "alice",
        "--email",
        "alice@example.com",
        "--role",
        "owner",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Created @alice@localhost:3000 (owner)"),
        "{out}"
    );
    assert!(out.contains("Password: "), "{out}");

    let (status, body) = get(
        &format!(
            "{}/.well-known/webfinger?resource=acct:alice@localhost:3000",
            server.1
        ),
        "application/jrd+json",
    );
    assert_eq!(status, 200, "{body}");
    let jrd: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jrd["subject"], "acct:alice@localhost:3000");
    let (status, body) = get(
        &format!("{}/users/alice", server.1),
        "application/activity+json",
    );
    assert_eq!(status, 200);
    let person: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(person["type"], "Person");
    assert_eq!(person["id"], "http://localhost:3000/users/alice");
    let pem = person["publicKey"]["publicKeyPem"].as_str().unwrap();
    rookery_activitypub::keys::parse_public_key_pem(pem).unwrap();
    eprintln!("serve started in {boot:?}");
}

#[test]
fn admin_accounts_commands() {
    let dir = TempDir::new("rookery-cli").unwrap();
    let admin = |args: &[&str]| run(rookery(&dir).arg("admin").arg("accounts").args(args));
    let (code, _, err) = admin(&["create", "bob", "--email", "bob@example.com"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = admin(&["create", "BOB", "--email", "other@example.com"]);
    assert_eq!(code, 2);
    assert!(err.contains("username is already taken"), "{err}");
    let (code, _, err) = admin(&["create", "carol", "--email", "BOB@example.com"]);
    assert_eq!(code, 2);
    assert!(err.contains("email is already taken"), "{err}");
    let (code, _, err) = admin(&["create", "bad name", "--email", "x@example.com"]);
    assert_eq!(code, 2);
    assert!(err.contains("username may only contain"), "{err}");
    let (code, _, err) = admin(&["create", "dave", "--email", "not-an-email"]);
    assert_eq!(code, 2);
    assert!(err.contains("email is not a valid"), "{err}");
    let (code, _, err) = admin(&[
        "create",
        "erin",
        "--email",
        "e@example.com",
        "--role",
        "god",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown role"), "{err}");

    let (code, out, _) = admin(&["list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("bob") && out.contains("user") && out.contains("active"),
        "{out}"
    );
    let (code, out, _) = admin(&["set-role", "Bob", "admin"]);
    assert_eq!(code, 0);
    assert!(out.contains("bob is now admin"), "{out}");
    let (code, out, _) = admin(&["reset-password", "bob"]);
    assert_eq!(code, 0);
    assert!(out.contains("New password for bob: "), "{out}");
    let (code, out, _) = admin(&["suspend", "bob"]);
    assert_eq!(code, 0, "{out}");
    let (_, out, _) = admin(&["show", "bob"]);
    assert!(out.contains("role:         admin"), "{out}");
    assert!(!out.contains("suspended:    -"), "{out}");
    let (code, _, _) = admin(&["suspend", "bob", "--undo"]);
    assert_eq!(code, 0);
    let (_, out, _) = admin(&["show", "bob"]);
    assert!(out.contains("suspended:    -"), "{out}");
    let (code, _, err) = admin(&["show", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("not found"), "{err}");

    // Moving bob to carol: refused until carol names bob, then done once.
    let (code, _, err) = admin(&["create", "carol", "--email", "carol@example.com"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = admin(&["aliases", "carol"]);
    assert_eq!(code, 0);
    assert!(out.contains("carol has no aliases"), "{out}");
    let (code, _, err) = admin(&["move", "bob", "--to", "carol"]);
    assert_eq!(code, 2);
    assert!(err.contains("among its aliases"), "{err}");
    let (code, out, err) = admin(&["aliases", "carol", "--add", "bob"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/users/bob"), "{out}");
    let (code, out, err) = admin(&["move", "bob", "--to", "carol"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bob moved to carol"), "{out}");
    let (code, _, err) = admin(&["move", "bob", "--to", "carol"]);
    assert_eq!(code, 2);
    assert!(err.contains("less than 30 days"), "{err}");
    let (code, out, err) = admin(&["aliases", "carol", "--remove", "bob"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("carol has no aliases"), "{out}");
}

#[test]
fn admin_domains_commands() {
    let dir = TempDir::new("rookery-cli").unwrap();
    let domains = |args: &[&str]| run(rookery(&dir).arg("admin").arg("domains").args(args));
    let (code, out, err) = domains(&[
        "block",
        "Spam.Example",
        "--reject-media",
        "--comment",
        "wave of spam",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "Blocked spam.example (suspend, reject media).");
    let (code, _, err) = domains(&["block", "loud.example", "--severity", "silence"]);
    assert_eq!(code, 0, "{err}");
    // Changing a block keeps one row.
    let (code, _, _) = domains(&[
        "block",
        "loud.example",
        "--severity",
        "noop",
        "--reject-reports",
    ]);
    assert_eq!(code, 0);
    let (code, out, _) = domains(&["list", "--json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["domain"], "loud.example");
    assert_eq!(list[0]["severity"], "noop");
    assert_eq!(list[0]["reject_reports"], true);
    assert_eq!(list[1]["private_comment"], "wave of spam");
    let (_, out, _) = domains(&["list"]);
    assert!(
        out.contains("spam.example") && out.contains("suspend"),
        "{out}"
    );
    // Refusals: own domain (localhost:3000 by default) and its parents, bad names, severities.
    for (args, expect) in [
        (vec!["block", "localhost"], "own domain"),
        (vec!["block", "not a domain"], "domain"),
        (vec!["block", "x.example:8080"], "without a port"),
        (
            vec!["block", "x.example", "--severity", "annihilate"],
            "not one of",
        ),
        (vec!["unblock", "never.example"], "is not blocked"),
    ] {
        let (code, _, err) = domains(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1);
    }
    let (code, out, _) = domains(&["unblock", "spam.example"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "Unblocked spam.example.");
    let (_, out, _) = domains(&["list", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn config_example_is_complete_and_accepted() {
    let dir = TempDir::new("rookery-cli").unwrap();
    let (code, example, _) = run(rookery(&dir).args(["config", "example"]));
    assert_eq!(code, 0);
    for option in [
        "data_dir",
        "[server]",
        "listen",
        "domain",
        "[database]",
        "url",
        "pgbouncer",
        "[instance]",
        "registrations",
        "[redis]",
        "ca_file",
        "[streaming]",
        "connections_per_token",
        "[log]",
    ] {
        assert!(example.contains(option), "{option}");
    }
    std::fs::write(dir.path().join("rookery.toml"), &example).unwrap();
    let (code, out, err) = run(rookery(&dir).args(["--config", "rookery.toml", "config", "check"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("configuration is valid"), "{out}");
}

#[test]
fn config_errors_are_one_clear_line() {
    let dir = TempDir::new("rookery-cli").unwrap();
    std::fs::write(
        dir.path().join("unknown.toml"),
        "[database]\nurll = \"sqlite://x.db\"\n",
    )
    .unwrap();
    assert_config_error(
        run(rookery(&dir).args(["--config", "unknown.toml", "serve"])),
        "database.urll",
    );
    assert_config_error(
        run(rookery(&dir)
            .env("ROOKERY_DATABASE__URL", "postgres://u:hunter2@ho st/db")
            .arg("serve")),
        "database.url",
    );
    let (_, _, err) = run(rookery(&dir)
        .env("ROOKERY_DATABASE__URL", "postgres://u:hunter2@ho st/db")
        .arg("serve"));
    assert!(!err.contains("hunter2"), "password leaked: {err}");
    assert_config_error(
        run(rookery(&dir)
            .env("ROOKERY_SERVER__LISTEN", "everywhere")
            .arg("serve")),
        "server.listen",
    );
    assert_config_error(
        run(rookery(&dir)
            .env("ROOKERY_SERVER__COLOUR", "blue")
            .arg("serve")),
        "server.colour",
    );
    assert_config_error(
        run(rookery(&dir).args(["--config", "missing.toml", "serve"])),
        "missing.toml",
    );
    // Unwritable data directory: a path below a regular file.
    std::fs::write(dir.path().join("file"), "x").unwrap();
    assert_config_error(
        run(rookery(&dir).args(["--data-dir", "file/data", "serve"])),
        "data_dir",
    );
    // Unreachable database.
    let port = rookery_testkit::free_port().unwrap();
    assert_config_error(
        run(rookery(&dir)
            .env(
                "ROOKERY_DATABASE__URL",
                format!("postgres://postgres:pw@127.0.0.1:{port}/x"),
            )
            .env("ROOKERY_DATABASE__CONNECT_TIMEOUT_SECS", "1")
            .arg("serve")),
        "database.url",
    );
}

#[test]
fn a_newer_schema_stops_the_server() {
    let dir = TempDir::new("rookery-cli").unwrap();
    let (code, _, err) = run(rookery(&dir).args(["db", "migrate"]));
    assert_eq!(code, 0, "{err}");
    let url = format!("sqlite://{}/data/rookery.db", dir.path().display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(crate::api::exec(&url, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)"));
    let started = Instant::now();
    let (code, _, err) = run(rookery(&dir).arg("serve"));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("newer than this binary"), "{err}");
    let (code, out, _) = run(rookery(&dir).args(["db", "status"]));
    assert_eq!(code, 0);
    assert!(out.contains("999"), "{out}");
}
