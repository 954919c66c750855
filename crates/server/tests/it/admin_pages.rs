//! The moderators' pages: staff only (a user gets 403, a stranger the sign-in page), the
//! dashboard's figures, webhooks added and removed through forms (the secret shown once), and
//! every change in the audit log page.

use rookery_model::Role;
use rookery_testkit::Backend;

use crate::browser::Browser;
use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(admin_pages_for_staff_only, blocks_through_pages);

async fn admin_pages_for_staff_only(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("mod").await;
    app.services.set_role("mod", Role::Moderator).await.unwrap();
    app.create_account("boss").await;
    app.services.set_role("boss", Role::Admin).await.unwrap();
    app.create_account("user").await;

    // A stranger is sent to sign in; a user is refused every admin page.
    let mut stranger = Browser::new(&app);
    let page = stranger.get("/admin").await;
    assert_eq!(page.status, 303);
    let mut user = Browser::signed_in(&app, "user").await;
    for path in ["/admin", "/admin/action_logs", "/admin/webhooks"] {
        let page = user.get(path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.html);
        assert!(page.html.contains("Not allowed"), "{}", page.html);
    }

    // A moderator sees the dashboard and the audit log, but may not manage webhooks.
    let mut moderator = Browser::signed_in(&app, "mod").await;
    let page = moderator.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("<dt>Users</dt><dd>3</dd>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("<td>default</td>"), "{}", page.html);
    assert_eq!(moderator.get("/admin/action_logs").await.status, 200);
    assert_eq!(moderator.get("/admin/webhooks").await.status, 403);

    // A sign-up waiting for approval is listed and approved.
    let pending = app
        .services
        .create_local_account(rookery_service::NewLocalAccount {
            username: "newcomer".into(),
            email: "newcomer@example.com".into(),
            password: Some("a good password".into()),
            role: Role::User,
            confirmed: true,
            approved: false,
            send_confirmation: false,
        })
        .await
        .unwrap();
    let page = moderator.get("/admin/accounts?status=pending").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("@newcomer"), "{}", page.html);
    let id = pending.local.account.id.to_string();
    let page = moderator
        .submit(
            &format!("/admin/accounts/{id}"),
            &format!("/admin/accounts/{id}/approve"),
            &[],
        )
        .await;
    assert!(
        page.html.contains("The sign-up is approved."),
        "{}",
        page.html
    );
    assert!(
        !moderator
            .get("/admin/accounts?status=pending")
            .await
            .html
            .contains("@newcomer")
    );
    let mut newcomer = Browser::new(&app);
    newcomer.sign_in("newcomer").await;

    // An admin adds a webhook: bad input is refused with the reason and nothing is stored.
    let mut admin = Browser::signed_in(&app, "boss").await;
    let page = admin
        .submit(
            "/admin/webhooks",
            "/admin/webhooks",
            &[
                ("url", "ftp://hooks.example/x"),
                ("events", "report.created"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.html.contains("must be an http or https URL"),
        "{}",
        page.html
    );
    assert!(page.html.contains("No webhook yet."), "{}", page.html);
    let page = admin
        .submit(
            "/admin/webhooks",
            "/admin/webhooks",
            &[
                ("url", "https://hooks.example/in"),
                ("events", "report.created"),
                ("events", "account.created"),
                ("template", r#"{"text": "<b>{{object.comment}}</b>"}"#),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let secret = page
        .html
        .split("id=\"webhook-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("{}", page.html))
        .to_owned();
    assert_eq!(secret.len(), 64);
    assert!(page.html.contains("account.created, report.created"));
    let listed = admin.get("/admin/webhooks").await;
    assert!(!listed.html.contains(&secret), "the secret is shown once");
    let id = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM webhooks")
        .await
        .pop()
        .unwrap();

    // A forged form changes nothing.
    let page = admin
        .post(
            &format!("/admin/webhooks/{id}/disable"),
            &[("authenticity_token", "forged")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(
        app.sql_texts("SELECT CAST(enabled AS TEXT) FROM webhooks")
            .await,
        [if backend == Backend::Sqlite {
            "1"
        } else {
            "true"
        }]
    );
    let page = admin
        .submit(
            "/admin/webhooks",
            &format!("/admin/webhooks/{id}/disable"),
            &[],
        )
        .await;
    assert!(page.html.contains("The webhook is off."), "{}", page.html);
    let page = admin
        .submit(
            "/admin/webhooks",
            &format!("/admin/webhooks/{id}/delete"),
            &[],
        )
        .await;
    assert!(page.html.contains("No webhook yet."), "{}", page.html);

    // The audit log names who did what.
    let page = moderator.get("/admin/action_logs").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("<td>@mod</td><td>approve</td>"),
        "{}",
        page.html
    );
    for action in ["create", "disable", "destroy"] {
        assert!(
            page.html
                .contains(&format!("<td>@boss</td><td>{action}</td>")),
            "{action}: {}",
            page.html
        );
    }
    assert!(
        page.html.contains("Webhook https://hooks.example<"),
        "only the host: {}",
        page.html
    );
}

/// Servers, e-mail addresses and networks blocked and unblocked through the pages, bad input
/// refused with the reason, and moderators kept out (these need an admin's permissions).
async fn blocks_through_pages(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__SHOW_DOMAIN_BLOCKS", "all")]).await;
    app.create_account("mod").await;
    app.services.set_role("mod", Role::Moderator).await.unwrap();
    app.create_account("boss").await;
    app.services.set_role("boss", Role::Admin).await.unwrap();
    let mut moderator = Browser::signed_in(&app, "mod").await;
    for path in [
        "/admin/domain_blocks",
        "/admin/email_blocks",
        "/admin/ip_blocks",
    ] {
        assert_eq!(moderator.get(path).await.status, 403, "{path}");
    }
    let mut admin = Browser::signed_in(&app, "boss").await;
    let count = |table: &'static str| {
        let app = &app;
        async move {
            app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
                .await
                .pop()
                .unwrap()
        }
    };

    // Servers.
    let page = admin
        .submit(
            "/admin/domain_blocks",
            "/admin/domain_blocks",
            &[("domain", "https://bad.example"), ("severity", "suspend")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert_eq!(count("domain_blocks").await, "0");
    let page = admin
        .submit(
            "/admin/domain_blocks",
            "/admin/domain_blocks",
            &[
                ("domain", "loud.example"),
                ("severity", "silence"),
                ("reject_media", "1"),
                ("public_comment", "<script>spam</script>"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("The server is blocked."),
        "{}",
        page.html
    );
    assert!(page.html.contains("silence, reject media"), "{}", page.html);
    assert!(
        !page.html.contains("<script>spam"),
        "escaped: {}",
        page.html
    );
    assert!(
        page.html.contains("&#60;script&#62;spam"),
        "escaped: {}",
        page.html
    );
    let (_, public) = app.get_json("/api/v1/instance/domain_blocks").await;
    assert_eq!(public[0]["severity"], "silence", "{public}");
    let page = admin
        .submit(
            "/admin/domain_blocks",
            "/admin/domain_blocks",
            &[("domain", "friends.example"), ("severity", "allow")],
        )
        .await;
    assert!(
        page.html.contains("The server is allowed."),
        "{}",
        page.html
    );

    // E-mail: a domain and an address.
    let page = admin
        .submit(
            "/admin/email_blocks",
            "/admin/email_blocks",
            &[("kind", "domain"), ("value", "spam.example")],
        )
        .await;
    assert!(
        page.html.contains("The e-mail domain is blocked."),
        "{}",
        page.html
    );
    let page = admin
        .submit(
            "/admin/email_blocks",
            "/admin/email_blocks",
            &[("kind", "address"), ("value", "not an address")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let page = admin
        .submit(
            "/admin/email_blocks",
            "/admin/email_blocks",
            &[("kind", "address"), ("value", "Trou.ble+x@Example.com")],
        )
        .await;
    assert!(
        page.html.contains("The address is blocked."),
        "{}",
        page.html
    );
    assert_eq!(count("canonical_email_blocks").await, "1");

    // Networks.
    for (ip, days) in [("10.0.0.0/33", ""), ("banana", ""), ("10.0.0.0/8", "0")] {
        let page = admin
            .submit(
                "/admin/ip_blocks",
                "/admin/ip_blocks",
                &[("ip", ip), ("severity", "sign_up_block"), ("days", days)],
            )
            .await;
        assert_eq!(page.status, 422, "{ip} {days}: {}", page.html);
    }
    assert_eq!(count("ip_blocks").await, "0");
    let page = admin
        .submit(
            "/admin/ip_blocks",
            "/admin/ip_blocks",
            &[
                ("ip", "203.0.113.7/24"),
                ("severity", "sign_up_block"),
                ("days", "7"),
            ],
        )
        .await;
    assert!(
        page.html.contains("<code>203.0.113.0/24</code>"),
        "{}",
        page.html
    );
    let id = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM ip_blocks")
        .await
        .pop()
        .unwrap();
    let page = admin
        .submit(
            "/admin/ip_blocks",
            &format!("/admin/ip_blocks/{id}/delete"),
            &[],
        )
        .await;
    assert!(page.html.contains("Removed."), "{}", page.html);
    assert_eq!(count("ip_blocks").await, "0");
    let logged = app
        .sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM admin_action_logs")
        .await
        .pop()
        .unwrap();
    assert_eq!(logged, "6", "each change in the audit log");
}
