//! Moderation actions on accounts through the admin API, each effect seen through the client
//! API: disable/enable, silence/unsilence, sensitive/unsensitive, suspend/unsuspend (as
//! Mastodon.py's `test_admin_moderation` runs them), the admin account lists (its
//! `test_admin_accounts*`), who may act on whom, bad input, and the audit log.

use rookery_model::Role;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::media::{files::make_png, processed, upload};

on_every_backend!(
    actions_take_effect_and_undo,
    admin_lists_filter_and_refuse_unknown_values,
    who_may_act_on_whom,
    pending_sign_ups_are_approved_or_rejected,
    only_suspended_accounts_are_deleted
);

pub const ADMIN_SCOPES: &str = "read write follow admin:read admin:write";

/// A token with admin scopes for `username`, created with `role`.
pub async fn staff(app: &TestApp, username: &str, role: Role) -> String {
    app.create_account(username).await;
    app.services.set_role(username, role).await.unwrap();
    app.token_with_scopes(username, ADMIN_SCOPES).await
}

/// `POST /api/v1/admin/accounts/:id/ACTION`; (status, body).
pub async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    app.post_auth(
        &format!("/api/v1/admin/accounts/{id}/{action}"),
        token,
        form,
    )
    .await
}

pub async fn admin_account(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/admin/accounts/{id}"), Some(token))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// The actions of the audit log, oldest first.
pub async fn audit(app: &TestApp) -> Vec<String> {
    app.sql_texts("SELECT action FROM admin_action_logs ORDER BY id")
        .await
}

fn contains(list: &Value, id: &str) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|a| a["id"] == id))
}

async fn public_has(app: &TestApp, token: Option<&str>, text: &str) -> bool {
    let (s, body, _) = app.get_auth("/api/v1/timelines/public", token).await;
    assert_eq!(s, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .any(|st| st["content"].as_str().unwrap_or_default().contains(text))
}

/// Posts with one fresh image, asking for it not to be sensitive; answers `sensitive`.
async fn media_post_sensitive(app: &TestApp, token: &str) -> bool {
    let (st, m) = upload(app, token, "a.png", make_png(8, 8), &[]).await;
    assert!(st == 200 || st == 202, "{st} {m}");
    let id = m["id"].as_str().unwrap().to_owned();
    processed(app, token, &id).await;
    let (s, status) = app
        .post_auth(
            "/api/v1/statuses",
            token,
            &[
                ("status", "oh no!"),
                ("media_ids[]", &id),
                ("sensitive", "0"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{status}");
    status["sensitive"].as_bool().unwrap()
}

async fn password_grant(app: &TestApp, username: &str) -> u16 {
    let app_body: Value = app
        .client
        .post(app.url("/api/v1/apps"))
        .form(&[
            ("client_name", "it"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app_body["client_id"].as_str().unwrap()),
            ("client_secret", app_body["client_secret"].as_str().unwrap()),
            ("username", &format!("{username}@example.com")),
            ("password", "a good password"),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn actions_take_effect_and_undo(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let id = app.account_id("alice").await;
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{id}/follow"), &bob, &[])
        .await;
    assert_eq!(s, 200);

    // Disable: the token gets Mastodon's 403, sign-in is refused; enable undoes both.
    let (s, body) = act(
        &app,
        &boss,
        &id,
        "action",
        &[("type", "disable"), ("text", "calm down")],
    )
    .await;
    assert_eq!((s, &body), (200, &serde_json::json!({})));
    assert_eq!(admin_account(&app, &boss, &id).await["disabled"], true);
    let (s, body, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(body["error"], "Your login is currently disabled");
    assert_ne!(password_grant(&app, "alice").await, 200);
    let (s, body) = act(&app, &boss, &id, "enable", &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["disabled"], false);
    assert_eq!(body["id"], id.as_str());
    let (s, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(s, 200);
    assert_eq!(password_grant(&app, "alice").await, 200);

    // Silence: hidden from the public timeline for those who do not follow her.
    let (s, _) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "a limited voice")])
        .await;
    assert_eq!(s, 200);
    assert!(public_has(&app, Some(&carol), "a limited voice").await);
    let (s, _) = act(&app, &boss, &id, "action", &[("type", "silence")]).await;
    assert_eq!(s, 200);
    assert_eq!(admin_account(&app, &boss, &id).await["silenced"], true);
    assert!(!public_has(&app, Some(&carol), "a limited voice").await);
    assert!(!public_has(&app, None, "a limited voice").await);
    assert!(public_has(&app, Some(&bob), "a limited voice").await);
    assert!(public_has(&app, Some(&alice), "a limited voice").await);
    // Her mentions reach those who follow her; others find them among notification requests.
    let (s, _) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "hello @bob and @carol")],
        )
        .await;
    assert_eq!(s, 200);
    let mentioned = |token: String| {
        let app = &app;
        async move {
            let (_, list, _) = app
                .get_auth("/api/v1/notifications?types[]=mention", Some(&token))
                .await;
            list.as_array().is_some_and(|l| !l.is_empty())
        }
    };
    crate::kit::eventually("bob is mentioned", || mentioned(bob.clone())).await;
    crate::kit::eventually("carol has a request from her", || async {
        let (_, list, _) = app
            .get_auth("/api/v1/notifications/requests", Some(&carol))
            .await;
        list.as_array()
            .is_some_and(|l| l.iter().any(|r| r["account"]["id"] == id.as_str()))
    })
    .await;
    assert!(!mentioned(carol.clone()).await);
    let (s, body) = act(&app, &boss, &id, "unsilence", &[]).await;
    assert_eq!((s, body["silenced"].clone()), (200, Value::Bool(false)));
    assert!(public_has(&app, Some(&carol), "a limited voice").await);

    // Sensitive: media posted is marked sensitive whatever the post asks.
    assert!(!media_post_sensitive(&app, &alice).await);
    let (s, _) = act(&app, &boss, &id, "action", &[("type", "sensitive")]).await;
    assert_eq!(s, 200);
    assert_eq!(admin_account(&app, &boss, &id).await["sensitized"], true);
    assert!(media_post_sensitive(&app, &alice).await);
    let (s, body) = act(&app, &boss, &id, "unsensitive", &[]).await;
    assert_eq!((s, body["sensitized"].clone()), (200, Value::Bool(false)));
    assert!(!media_post_sensitive(&app, &alice).await);

    // Suspend: gone for others, no token, no sign-in; unsuspend restores her.
    let (s, _) = act(
        &app,
        &boss,
        &id,
        "action",
        &[("type", "suspend"), ("send_email_notification", "0")],
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(admin_account(&app, &boss, &id).await["suspended"], true);
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/accounts/{id}"), Some(&carol))
        .await;
    assert_eq!(s, 404);
    let (s, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(s, 401);
    assert_ne!(password_grant(&app, "alice").await, 200);
    let (s, body) = act(&app, &boss, &id, "unsuspend", &[]).await;
    assert_eq!((s, body["suspended"].clone()), (200, Value::Bool(false)));
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/accounts/{id}"), Some(&carol))
        .await;
    assert_eq!(s, 200);
    let (s, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(s, 200);

    // Each action in the audit log; each action (not its undoing) a warning to her.
    assert_eq!(
        audit(&app).await,
        [
            "disable",
            "enable",
            "silence",
            "unsilence",
            "sensitive",
            "unsensitive",
            "suspend",
            "unsuspend"
        ]
    );
    let warnings = app
        .sql_texts("SELECT action || ':' || text FROM account_warnings ORDER BY id")
        .await;
    assert_eq!(
        warnings,
        ["disable:calm down", "silence:", "sensitive:", "suspend:"]
    );

    // She sees each warning as a `moderation_warning` notification, grouped or not.
    let (s, list, _) = app
        .get_auth(
            "/api/v1/notifications?types[]=moderation_warning",
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4, "{list:?}");
    let newest = &list[0];
    assert_eq!(newest["type"], "moderation_warning");
    assert_eq!(newest["account"]["id"], id.as_str());
    assert_eq!(newest["moderation_warning"]["action"], "suspend");
    assert_eq!(
        newest["moderation_warning"]["target_account"]["id"],
        id.as_str()
    );
    assert_eq!(list[3]["moderation_warning"]["text"], "calm down");
    assert!(list[3]["moderation_warning"]["appeal"].is_null());
    let (s, grouped, _) = app.get_auth("/api/v2/notifications", Some(&alice)).await;
    assert_eq!(s, 200, "{grouped}");
    let groups = grouped["notification_groups"].as_array().unwrap();
    let warned: Vec<&Value> = groups
        .iter()
        .filter(|g| g["type"] == "moderation_warning")
        .collect();
    assert_eq!(warned.len(), 4, "{grouped}");
    assert_eq!(warned[0]["moderation_warning"]["action"], "suspend");
    // Others see none of it.
    let (_, theirs, _) = app.get_auth("/api/v1/notifications", Some(&carol)).await;
    assert!(
        !theirs.to_string().contains("moderation_warning"),
        "{theirs}"
    );

    // Bad input: refused, nothing changed.
    for (form, want) in [
        (vec![("type", "explode")], 422),
        (vec![("type", "silence"), ("report_id", "nope")], 422),
        (vec![("type", "silence"), ("report_id", "12345")], 404),
    ] {
        let (s, body) = act(&app, &boss, &id, "action", &form).await;
        assert_eq!(s, want, "{form:?}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let long = "x".repeat(5001);
    let (s, _) = act(
        &app,
        &boss,
        &id,
        "action",
        &[("type", "silence"), ("text", &long)],
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = act(&app, &boss, "999999999", "action", &[("type", "silence")]).await;
    assert_eq!(s, 404);
    let (s, _) = act(&app, &boss, "not-an-id", "action", &[("type", "silence")]).await;
    assert_eq!(s, 404);
    let now = admin_account(&app, &boss, &id).await;
    assert_eq!(now["silenced"], false, "{now}");
    assert_eq!(audit(&app).await.len(), 8);
}

async fn admin_lists_filter_and_refuse_unknown_values(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Owner).await;
    let boss_id = app.account_id("boss").await;
    app.create_account("alice").await;
    app.create_account("alfred").await;
    let alice_id = app.account_id("alice").await;

    let (s, list, link) = app.get_auth("/api/v1/admin/accounts", Some(&boss)).await;
    assert_eq!(s, 200, "{list}");
    assert!(
        contains(&list, &boss_id) && contains(&list, &alice_id),
        "{list}"
    );
    assert_eq!(list[0]["account"]["id"], list[0]["id"]);
    assert!(link.is_some());

    // v1: flags; v2: enumerations.
    let (_, list, _) = app
        .get_auth("/api/v1/admin/accounts?local=true&staff=true", Some(&boss))
        .await;
    assert!(
        contains(&list, &boss_id) && !contains(&list, &alice_id),
        "{list}"
    );
    let (_, list, _) = app
        .get_auth("/api/v1/admin/accounts?remote=true", Some(&boss))
        .await;
    assert_eq!(list, serde_json::json!([]));
    let (_, list, _) = app
        .get_auth("/api/v1/admin/accounts?username=ALF", Some(&boss))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["username"], "alfred");
    let (_, list, _) = app
        .get_auth(
            "/api/v2/admin/accounts?permissions=staff&origin=local",
            Some(&boss),
        )
        .await;
    assert!(
        contains(&list, &boss_id) && !contains(&list, &alice_id),
        "{list}"
    );
    assert_eq!(list[0]["role"]["name"], "Owner");
    let (s, list, _) = app
        .get_auth(
            "/api/v2/admin/accounts?permissions=staff&origin=remote",
            Some(&boss),
        )
        .await;
    assert_eq!((s, list), (200, serde_json::json!([])));
    let (_, list, _) = app
        .get_auth("/api/v2/admin/accounts?email=alice%40", Some(&boss))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (_, list, _) = app
        .get_auth("/api/v2/admin/accounts?username=%25", Some(&boss))
        .await;
    assert_eq!(list, serde_json::json!([]), "a wildcard is a character");

    // Silenced, then listed as such.
    let (s, _) = act(&app, &boss, &alice_id, "action", &[("type", "silence")]).await;
    assert_eq!(s, 200);
    let (_, list, _) = app
        .get_auth("/api/v2/admin/accounts?status=silenced", Some(&boss))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], alice_id.as_str());
    let (_, list, _) = app
        .get_auth("/api/v1/admin/accounts?silenced=1", Some(&boss))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Paging by id with Link headers.
    let (_, page, link) = app
        .get_auth("/api/v1/admin/accounts?limit=1", Some(&boss))
        .await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let link = link.unwrap();
    let next = link.split(';').next().unwrap().trim_matches(['<', '>']);
    let next = next.strip_prefix("https://rookery.test").unwrap();
    assert!(
        next.starts_with("/api/v1/admin/accounts?limit=1&max_id="),
        "{link}"
    );
    let (s, page2, _) = app.get_auth(next, Some(&boss)).await;
    assert_eq!(s, 200);
    assert_eq!(page2.as_array().unwrap().len(), 1);
    assert_ne!(page2[0]["id"], page[0]["id"]);

    for bad in [
        "permissions=stave",
        "origin=global",
        "status=sick",
        "role_ids[]=9",
    ] {
        let (s, body, _) = app
            .get_auth(&format!("/api/v2/admin/accounts?{bad}"), Some(&boss))
            .await;
        assert_eq!(s, 422, "{bad}: {body}");
    }
    let (s, _, _) = app
        .get_auth("/api/v1/admin/accounts?limit=x", Some(&boss))
        .await;
    assert_eq!(s, 400);
}

async fn who_may_act_on_whom(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let owner = staff(&app, "owner", Role::Owner).await;
    let admin = staff(&app, "adm", Role::Admin).await;
    let moderator = staff(&app, "mo", Role::Moderator).await;
    let user = staff(&app, "user", Role::User).await;
    let (owner_id, admin_id, mo_id, user_id) = (
        app.account_id("owner").await,
        app.account_id("adm").await,
        app.account_id("mo").await,
        app.account_id("user").await,
    );
    // A user with admin scopes is still not staff; a token without them is refused too.
    let (s, _) = act(&app, &user, &mo_id, "action", &[("type", "disable")]).await;
    assert_eq!(s, 403);
    let (s, _, _) = app.get_auth("/api/v1/admin/accounts", Some(&user)).await;
    assert_eq!(s, 403);
    let plain = app.token("mo").await;
    let (s, _) = act(&app, &plain, &user_id, "action", &[("type", "disable")]).await;
    assert_eq!(s, 403);
    let (s, _, _) = app.get_auth("/api/v1/admin/accounts", None).await;
    assert_eq!(s, 401);
    // A moderator acts on users, not on admins, the owner or themselves.
    for target in [&owner_id, &admin_id, &mo_id] {
        for (action, form) in [
            ("action", vec![("type", "suspend")]),
            ("action", vec![("type", "disable")]),
        ] {
            let (s, body) = act(&app, &moderator, target, action, &form).await;
            assert_eq!(s, 403, "{target}: {body}");
        }
    }
    // The admin acts on the moderator, not on the owner; a moderator may not delete data.
    let (s, _) = act(&app, &admin, &owner_id, "action", &[("type", "silence")]).await;
    assert_eq!(s, 403);
    let (s, _) = act(&app, &moderator, &user_id, "action", &[("type", "suspend")]).await;
    assert_eq!(s, 200);
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/admin/accounts/{user_id}")))
        .bearer_auth(&moderator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (s, _) = act(&app, &admin, &mo_id, "action", &[("type", "silence")]).await;
    assert_eq!(s, 200);
    for id in [&owner_id, &admin_id] {
        let a = admin_account(&app, &owner, id).await;
        assert_eq!(
            (
                a["disabled"].clone(),
                a["silenced"].clone(),
                a["suspended"].clone()
            ),
            (Value::Bool(false), Value::Bool(false), Value::Bool(false)),
            "{a}"
        );
    }
    assert_eq!(audit(&app).await, ["suspend", "silence"]);
}

async fn pending_sign_ups_are_approved_or_rejected(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    for name in ["pat", "rex"] {
        app.services
            .create_local_account(rookery_service::NewLocalAccount {
                username: name.into(),
                email: format!("{name}@example.com"),
                password: Some("a good password".into()),
                role: Role::User,
                confirmed: true,
                approved: false,
                send_confirmation: false,
            })
            .await
            .unwrap();
    }
    let (pat, rex) = (app.account_id("pat").await, app.account_id("rex").await);
    let (_, list, _) = app
        .get_auth("/api/v2/admin/accounts?status=pending", Some(&boss))
        .await;
    assert!(contains(&list, &pat) && contains(&list, &rex), "{list}");
    assert_eq!(list[0]["approved"], false);
    assert_ne!(password_grant(&app, "pat").await, 200);

    let (s, body) = act(&app, &boss, &pat, "approve", &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["approved"], true);
    assert_eq!(password_grant(&app, "pat").await, 200);
    // Once approved, neither approved again nor rejected.
    assert_eq!(act(&app, &boss, &pat, "approve", &[]).await.0, 403);
    assert_eq!(act(&app, &boss, &pat, "reject", &[]).await.0, 403);

    let (s, body) = act(&app, &boss, &rex, "reject", &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["username"], "rex");
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/admin/accounts/{rex}"), Some(&boss))
        .await;
    assert_eq!(s, 404);
    assert!(app.services.local_account("rex").await.is_err());
    assert_eq!(audit(&app).await, ["approve", "reject"]);
}

async fn only_suspended_accounts_are_deleted(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    let alice = app.token("alice").await;
    let id = app.account_id("alice").await;
    let (s, _) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "soon gone")])
        .await;
    assert_eq!(s, 200);
    let delete = || async {
        app.client
            .delete(app.url(&format!("/api/v1/admin/accounts/{id}")))
            .bearer_auth(&boss)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(delete().await, 403);
    assert_eq!(admin_account(&app, &boss, &id).await["suspended"], false);
    let (s, _) = act(&app, &boss, &id, "action", &[("type", "suspend")]).await;
    assert_eq!(s, 200);
    assert_eq!(delete().await, 200);
    crate::kit::eventually("her statuses are purged", || async {
        app.sql_texts(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM statuses WHERE account_id = {id}"
        ))
        .await
            == ["0"]
    })
    .await;
    // Deleted for good: no unsuspending it.
    assert_eq!(act(&app, &boss, &id, "unsuspend", &[]).await.0, 403);
    assert_eq!(audit(&app).await, ["suspend", "destroy"]);
}
