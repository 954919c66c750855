//! Preview cards: a post's first link is fetched, its OpenGraph facts and image make a card
//! (with a blurhash), streams hear of it, cards are shared by URL, and hostile pages make no
//! card — on every engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::routing::get;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::media::files::make_png;
use crate::streaming::Sse;

on_every_backend!(
    links_get_cards_and_hostile_pages_none,
    odd_pages_are_decoded_and_own_links_get_no_card
);

const PAGE: &str = r#"<!doctype html><html lang="fr"><head>
<title>Fallback</title>
<meta property="og:title" content="A &lt;script&gt;alert(1)&lt;/script&gt; story">
<meta property="og:description" content="What happened, in short.">
<meta property="og:image" content="/img.png">
<meta property="og:site_name" content="News Example">
<meta name="author" content="Jo Writer">
</head><body><p>text</p></body></html>"#;

/// A web server on loopback with a page, its image and hostile pages; counts hits per path.
async fn site() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let page_hits = Arc::new(AtomicUsize::new(0));
    let hostile_hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (p, h1, h2, h3, h4) = (
        page_hits.clone(),
        hostile_hits.clone(),
        hostile_hits.clone(),
        hostile_hits.clone(),
        hostile_hits.clone(),
    );
    let png = make_png(64, 32);
    let router = axum::Router::new()
        .route(
            "/page",
            get(move || {
                p.fetch_add(1, Ordering::SeqCst);
                async { ([(CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) }
            }),
        )
        .route(
            "/img.png",
            get(move || {
                let png = png.clone();
                async move { ([(CONTENT_TYPE, "image/png")], png) }
            }),
        )
        .route(
            "/untitled",
            get(move || {
                h1.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        [(CONTENT_TYPE, "text/html")],
                        "<html><head></head><body>x</body>",
                    )
                }
            }),
        )
        .route(
            "/json",
            get(move || {
                h2.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        [(CONTENT_TYPE, "application/json")],
                        r#"{"title":"<title>no</title>"}"#,
                    )
                }
            }),
        )
        .route(
            "/loop",
            get(move || {
                h3.fetch_add(1, Ordering::SeqCst);
                async { (StatusCode::FOUND, [(LOCATION, "/loop")]) }
            }),
        )
        .route(
            "/huge",
            get(move || {
                h4.fetch_add(1, Ordering::SeqCst);
                async {
                    let body = format!("<title>big</title>{}", "x".repeat(3 * 1024 * 1024));
                    ([(CONTENT_TYPE, "text/html")], body)
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, page_hits, hostile_hits)
}

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    let (st, s) = app
        .post_auth("/api/v1/statuses", token, &[("status", text)])
        .await;
    assert_eq!(st, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

async fn card_of(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_auth(&format!("/api/v1/statuses/{id}"), Some(token))
        .await
        .1["card"]
        .clone()
}

async fn links_get_cards_and_hostile_pages_none(backend: Backend) {
    let (site, page_hits, hostile_hits) = site().await;
    let app = spawn_federating(backend, &[]).await;
    let alice = app.token("alice").await;
    let mut stream = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;

    let link = format!("{site}/page");
    let first = post(
        &app,
        &alice,
        &format!("@nobody look #news {link} and {site}/json"),
    )
    .await;
    // `update`, then `status.update` once the card is there.
    assert!(stream.expect("update").await.contains(&first));
    let updated: Value = serde_json::from_str(&stream.expect("status.update").await).unwrap();
    assert_eq!(updated["id"], first.as_str());
    let card = updated["card"].clone();
    assert_eq!(card["url"], link.as_str());
    assert_eq!(
        card["title"], "A <script>alert(1)</script> story",
        "decoded, never rendered as HTML here"
    );
    assert_eq!(card["description"], "What happened, in short.");
    assert_eq!(card["type"], "link");
    assert_eq!(card["provider_name"], "News Example");
    assert_eq!(card["provider_url"], site.as_str());
    assert_eq!(card["author_name"], "Jo Writer");
    assert_eq!(card["authors"][0]["name"], "Jo Writer");
    assert_eq!(card["language"], "fr");
    assert_eq!(card["html"], "");
    // The image is copied here and processed (size, blurhash) before the card is shown.
    eventually("the card's image", || async {
        card_of(&app, &alice, &first).await["image"].is_string()
    })
    .await;
    let card = card_of(&app, &alice, &first).await;
    let image = card["image"].as_str().unwrap();
    assert!(
        image.starts_with(&format!("http://{}/", app.domain())),
        "served here: {image}"
    );
    assert!(card["blurhash"].is_string(), "{card}");
    assert_eq!(
        (card["width"].as_u64(), card["height"].as_u64()),
        (Some(64), Some(32))
    );
    let old: Value = app
        .get_auth(&format!("/api/v1/statuses/{first}/card"), Some(&alice))
        .await
        .1;
    assert_eq!(old["url"], link.as_str());

    // Another post with the same link reuses the card: the page is not fetched again.
    let second = post(&app, &alice, &format!("again {link}")).await;
    eventually("the shared card", || async {
        card_of(&app, &alice, &second).await["url"] == link.as_str()
    })
    .await;
    assert_eq!(page_hits.load(Ordering::SeqCst), 1);

    // Pages that cannot make a card: none, and no error anywhere.
    let mut hostile = Vec::new();
    for path in ["/untitled", "/json", "/loop", "/huge"] {
        hostile.push(post(&app, &alice, &format!("see {site}{path}")).await);
    }
    let unreachable = post(&app, &alice, "see http://127.0.0.1:9/nothing-listens").await;
    eventually("every hostile page fetched", || async {
        hostile_hits.load(Ordering::SeqCst) >= 5
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for id in hostile.iter().chain([&unreachable]) {
        assert_eq!(card_of(&app, &alice, id).await, Value::Null, "{id}");
        let (st, body, _) = app
            .get_auth(&format!("/api/v1/statuses/{id}/card"), Some(&alice))
            .await;
        assert_eq!((st, body), (200, serde_json::json!({})));
    }
}

/// Pages with many entities and legacy charsets, on loopback.
async fn odd_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let entities = "<html><head><title>Tom&rsquo;s caf&eacute; &mdash; 5&nbsp;&euro; &hellip; \
                    &copy;&reg;&trade; &laquo;x&raquo; &#39;a&#x27; &#233;&#xE9; &bogus; &amp</title>\
                    <meta name=\"description\" content=\"&ldquo;Hi&rdquo; &middot; &times;2 &frac12; &Uuml;ber &szlig;\">\
                    </head></html>";
    // "Café crème" in ISO-8859-1, declared in the header.
    let latin1: Vec<u8> = b"<html><head><title>Caf\xe9 cr\xe8me</title></head></html>".to_vec();
    // Windows-1252 curly quotes and euro sign, declared only in the page.
    let cp1252: Vec<u8> =
        b"<html><head><meta charset=\"windows-1252\"><title>\x93Quoted\x94 \x80 5</title></head></html>"
            .to_vec();
    let router = axum::Router::new()
        .route(
            "/entities",
            get(move || async move { ([(CONTENT_TYPE, "text/html")], entities) }),
        )
        .route(
            "/latin1",
            get(move || {
                let body = latin1.clone();
                async move { ([(CONTENT_TYPE, "text/html; charset=ISO-8859-1")], body) }
            }),
        )
        .route(
            "/cp1252",
            get(move || {
                let body = cp1252.clone();
                async move { ([(CONTENT_TYPE, "text/html")], body) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// The card of post `id`, once it has one.
async fn titled(app: &TestApp, token: &str, id: String) -> Value {
    eventually("a card", || async {
        card_of(app, token, &id).await["title"].is_string()
    })
    .await;
    card_of(app, token, &id).await
}

async fn odd_pages_are_decoded_and_own_links_get_no_card(backend: Backend) {
    let site = odd_site().await;
    let app = spawn_federating(backend, &[]).await;
    let alice = app.token("alice").await;
    let card = titled(
        &app,
        &alice,
        post(&app, &alice, &format!("see {site}/entities")).await,
    )
    .await;
    assert_eq!(
        card["title"],
        "Tom\u{2019}s caf\u{e9} \u{2014} 5 \u{20ac} \u{2026} \u{a9}\u{ae}\u{2122} \u{ab}x\u{bb} 'a' \u{e9}\u{e9} &bogus; &amp"
    );
    assert_eq!(
        card["description"],
        "\u{201c}Hi\u{201d} \u{b7} \u{d7}2 \u{bd} \u{dc}ber \u{df}"
    );
    let card = titled(
        &app,
        &alice,
        post(&app, &alice, &format!("see {site}/latin1")).await,
    )
    .await;
    assert_eq!(card["title"], "Caf\u{e9} cr\u{e8}me");
    let card = titled(
        &app,
        &alice,
        post(&app, &alice, &format!("see {site}/cp1252")).await,
    )
    .await;
    assert_eq!(card["title"], "\u{201c}Quoted\u{201d} \u{20ac} 5");

    // A link to this instance's own pages gets no card (it is not fetched).
    let own = post(&app, &alice, &format!("see http://{}/@alice", app.domain())).await;
    let marker = post(&app, &alice, &format!("and {site}/latin1?again")).await;
    titled(&app, &alice, marker).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(card_of(&app, &alice, &own).await, Value::Null);
}
