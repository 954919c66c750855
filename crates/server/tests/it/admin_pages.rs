//! The moderators' pages: staff only (a user gets 403, a stranger the sign-in page), the
//! dashboard's figures, webhooks added and removed through forms (the secret shown once), and
//! every change in the audit log page.

use rookery_model::Role;
use rookery_testkit::Backend;

use crate::browser::Browser;
use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(admin_pages_for_staff_only);

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
    for action in ["create", "disable", "destroy"] {
        assert!(
            page.html
                .contains(&format!("<td>@boss</td><td>{action}</td>")),
            "{action}: {}",
            page.html
        );
    }
    assert!(page.html.contains("Webhook https://hooks.example/in"));
}
