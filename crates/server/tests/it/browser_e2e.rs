//! A person joins in a real browser: Debian's Chromium driven by playwright-core (npm) through
//! `tests/e2e/browser_flow.mjs` against the real binary, with mail going to a real SMTP server
//! (aiosmtpd). Screenshots of every page are kept under the target directory
//! (`tmp/browser-screenshots/`) as test artefacts.

use std::path::PathBuf;
use std::process::Command;

use rookery_testkit::{Backend, SmtpSink, TempDir, TestDb};

use crate::e2e::{create_user, drive, node_modules, run_admin, start_serve};

fn chromium() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: install the Debian package chromium (scripts/install-deps \
         does it)"
    );
}

#[test]
fn a_person_joins_in_a_browser() {
    chromium();
    let modules = node_modules();
    assert!(
        modules.join("playwright-core/package.json").is_file(),
        "playwright-core is missing in {}: run scripts/setup-e2e",
        modules.display()
    );
    let db = TestDb::new(Backend::Sqlite);
    let dir = TempDir::new("rookery-browser").unwrap();
    let sink = SmtpSink::start().unwrap();
    let extra = vec![
        ("ROOKERY_SMTP__HOST".to_owned(), "127.0.0.1".to_owned()),
        ("ROOKERY_SMTP__PORT".to_owned(), sink.port().to_string()),
        ("ROOKERY_SMTP__SECURITY".to_owned(), "none".to_owned()),
    ];
    let (server, port) = start_serve(&db, &dir, &extra);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/browser_flow.mjs"
    ))
    .arg(format!("http://127.0.0.1:{port}"))
    .arg(&modules)
    .arg(sink.mail_dir())
    .arg(&shots);
    let (ok, stdout, stderr) = drive(&mut cmd, &db);
    assert!(
        ok && stdout.contains("browser flow passed"),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
    let taken = std::fs::read_dir(&shots).unwrap().count();
    assert!(taken >= 20, "{taken} screenshots in {}", shots.display());
    drop(server);
}

#[test]
fn a_moderator_handles_a_report_in_a_browser() {
    chromium();
    let modules = node_modules();
    let db = TestDb::new(Backend::Sqlite);
    let dir = TempDir::new("rookery-admin-browser").unwrap();
    let extra = Vec::new();
    let (server, port) = start_serve(&db, &dir, &extra);
    for user in ["mod", "troll", "victim"] {
        create_user(&dir, &db, port, &extra, user);
    }
    run_admin(
        &dir,
        &db,
        port,
        &extra,
        &["accounts", "set-role", "mod", "moderator"],
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("admin-browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/admin_flow.mjs"
    ))
    .arg(format!("http://127.0.0.1:{port}"))
    .arg(&modules)
    .arg(&shots);
    let (ok, stdout, stderr) = drive(&mut cmd, &db);
    assert!(
        ok && stdout.contains("admin flow passed"),
        "admin flow failed:\n{stdout}\n{stderr}"
    );
    let taken = std::fs::read_dir(&shots).unwrap().count();
    assert_eq!(taken, 4, "{taken} screenshots in {}", shots.display());
    drop(server);
}
