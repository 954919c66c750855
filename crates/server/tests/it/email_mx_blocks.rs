//! E-mail domain blocks that reach an address's mail exchangers, as Mastodon's: a real DNS
//! server (dnsmasq) answers the MX records; blocking the provider's domain refuses every
//! domain whose mail goes there, over the API and on the sign-up page, while a DNS server that
//! is down or silent refuses nobody and holds nobody up.

use std::time::{Duration, Instant};

use rookery_model::Role;
use rookery_testkit::{Backend, DnsServer};
use serde_json::json;

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::server_policy::{app_token, post, sign_up, staff_token};
use crate::sign_up_page::{open_form, send as send_form};

on_every_backend!(blocked_mail_exchangers_refuse_sign_ups);

/// Seconds a lookup may take in these tests.
const TIMEOUT_SECS: u64 = 2;

async fn spawn_asking(backend: Backend, dns: &str) -> TestApp {
    let timeout = TIMEOUT_SECS.to_string();
    spawn_with(
        backend,
        &[
            ("ROOKERY_EMAIL_DOMAIN_BLOCKS__CHECK_MX", "true"),
            ("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_SERVER", dns),
            ("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_TIMEOUT_SECONDS", &timeout),
        ],
    )
    .await
}

fn refused_as_blocked(status: u16, body: &serde_json::Value) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["details"]["email"],
        json!([{"error": "ERR_BLOCKED", "description": "uses a disallowed e-mail provider"}]),
        "{body}"
    );
}

async fn blocked_mail_exchangers_refuse_sign_ups(backend: Backend) {
    let dns = DnsServer::start(&[
        ("customer.example", "mx.spamhost.example"),
        ("fine.example", "mx.goodmail.example"),
        // One exchanger of two at the blocked provider is enough.
        ("mixed.example", "mx1.goodmail.example"),
        ("mixed.example", "MX2.SpamHost.example"),
        ("pages.example", "mx.spamhost.example"),
        ("late.example", "mx.spamhost.example"),
    ])
    .unwrap();
    let app = spawn_asking(backend, &dns.addr()).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let apptoken = app_token(&app).await;
    let (status, block) = post(
        &app,
        "/api/v1/admin/email_domain_blocks",
        &admin,
        json!({"domain": "spamhost.example"}),
    )
    .await;
    assert_eq!(status, 200, "{block}");

    // The address's domain is not blocked, its mail exchanger's is: refused as a direct block
    // is, and nothing is created.
    for (name, email) in [("cust", "x@customer.example"), ("mix", "x@Mixed.example")] {
        let (status, body) = sign_up(&app, &apptoken, name, email).await;
        refused_as_blocked(status, &body);
        assert!(app.services.local_account(name).await.is_err(), "{email}");
    }
    // Mail that goes elsewhere is welcome.
    let (status, body) = sign_up(&app, &apptoken, "fine", "x@fine.example").await;
    assert_eq!(status, 200, "{body}");
    assert!(app.services.local_account("fine").await.is_ok());
    // A domain the server knows nothing about (it refuses the query) is judged by its name.
    let (status, body) = sign_up(&app, &apptoken, "unknown", "x@unknown.example").await;
    assert_eq!(status, 200, "{body}");

    // An invite still lets anyone in, as before.
    let invite = app
        .services
        .invites()
        .create(
            rookery_service::invites::NewInvite {
                max_uses: None,
                expires_in_secs: None,
                comment: String::new(),
            },
            None,
        )
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&apptoken)
        .form(&[
            ("username", "invited"),
            ("email", "invited@customer.example"),
            ("password", "a good password"),
            ("agreement", "1"),
            ("invite_code", invite.code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The sign-up page goes the same way.
    let form = open_form(&app).await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let fields = |email: &'static str| {
        vec![
            ("username", "paige"),
            ("email", email),
            ("password", "paige's password"),
            ("password_confirmation", "paige's password"),
            ("agreement", "1"),
        ]
    };
    let (status, page) = send_form(&app, &form, &fields("paige@pages.example")).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("disallowed e-mail provider"), "{page}");
    assert!(app.services.local_account("paige").await.is_err());
    let (status, page) = send_form(&app, &form, &fields("paige@fine.example")).await;
    assert_eq!(status, 200, "{page}");

    // The DNS server goes down: an address it would have refused (never looked up, so not
    // cached) signs up, without waiting beyond the lookup's timeout.
    dns.stop().unwrap();
    let started = Instant::now();
    let (status, body) = sign_up(&app, &apptoken, "late", "x@late.example").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(TIMEOUT_SECS + 3),
        "took {:?}",
        started.elapsed()
    );
    // The address's own domain still counts without DNS.
    let (status, body) = sign_up(&app, &apptoken, "direct", "x@mx.spamhost.example").await;
    refused_as_blocked(status, &body);
}

/// A DNS server that never answers (a socket nobody reads) holds a sign-up for the lookup's
/// timeout at most, then lets it through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_dns_servers_hold_no_sign_up() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let app = spawn_asking(Backend::Sqlite, &addr).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let apptoken = app_token(&app).await;
    let (status, _) = post(
        &app,
        "/api/v1/admin/email_domain_blocks",
        &admin,
        json!({"domain": "spamhost.example"}),
    )
    .await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let (status, body) = sign_up(&app, &apptoken, "patient", "x@customer.example").await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(
        took >= Duration::from_secs(TIMEOUT_SECS) - Duration::from_millis(100),
        "the lookup was not tried: {took:?}"
    );
    assert!(
        took < Duration::from_secs(TIMEOUT_SECS + 3),
        "took {took:?}"
    );
    drop(silent);
}
