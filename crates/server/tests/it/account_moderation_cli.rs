//! The account moderation actions at the command line: the same actions as the admin API,
//! in the audit log as the operator's.

use rookery_model::Role;
use rookery_testkit::Backend;

use crate::account_moderation::{admin_account, audit, staff};
use crate::cli::admin_on;
use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(operator_moderates_from_the_command_line);

async fn operator_moderates_from_the_command_line(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Owner).await;
    app.create_account("alice").await;
    let alice = app.account_id("alice").await;
    app.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: "pat".into(),
            email: "pat@example.com".into(),
            password: Some("a good password".into()),
            role: Role::User,
            confirmed: true,
            approved: false,
            send_confirmation: false,
        })
        .await
        .unwrap();
    let pat = app.account_id("pat").await;
    let admin = |args: &[&str]| admin_on(&app, "accounts", args);

    let (code, out, err) = admin(&["approve", "pat"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "pat is approved.");
    assert_eq!(admin_account(&app, &boss, &pat).await["approved"], true);

    let (code, out, err) = admin(&["action", "alice", "--type", "silence", "--text", "spam"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "alice: silence.");
    assert_eq!(admin_account(&app, &boss, &alice).await["silenced"], true);
    let (code, _, err) = admin(&["unsilence", "@alice"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(admin_account(&app, &boss, &alice).await["silenced"], false);

    // Refused, nothing done: an unknown action, an unknown account, approving twice.
    let (code, _, err) = admin(&["action", "alice", "--type", "explode"]);
    assert_ne!(code, 0);
    assert!(err.contains("explode"), "{err}");
    let (code, _, err) = admin(&["enable", "nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("nobody"), "{err}");
    assert_ne!(admin(&["approve", "pat"]).0, 0);

    assert_eq!(audit(&app).await, ["approve", "silence", "unsilence"]);
    let by = app
        .sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM admin_action_logs WHERE account_id IS NULL")
        .await;
    assert_eq!(by, ["3"], "the operator acted, not a user");
}
