//! The public web pages and feeds: profiles (`/@user`), posts (`/@user/:id`), hashtags
//! (`/tags/:name`), the RSS feeds (`/@user.rss`, `/tags/:name.rss`), the about page and the
//! OAuth pages. What users write never reaches a page or feed unescaped, only public and
//! unlisted posts are shown, pages carry their security headers and link previews.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    profiles_page_through_public_posts_only,
    posts_and_feeds_show_only_what_visitors_may_see
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_escaped_on_pages_and_feeds() {
    hostile_text_is_escaped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_headers_previews_and_negotiate() {
    headers_previews_and_negotiation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn about_page_shows_rules_contact_and_policies() {
    about_page(Backend::Sqlite).await;
}

const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";

/// Posts a status; its id.
async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> String {
    let (st, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A page's status and text.
async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A page that must answer 200; its text.
async fn ok_page(app: &TestApp, path: &str) -> String {
    let (st, body) = page(app, path).await;
    assert_eq!(st, 200, "{path}: {body}");
    body
}

/// No markup a user wrote made it into `html` as markup.
fn assert_inert(html: &str, what: &str) {
    for bad in ["<script", "<img src=x", "\"><img src=x"] {
        assert!(!html.contains(bad), "{what} holds {bad:?}: {html}");
    }
}

/// The posts a page lists (each is an `<article class="card post…">`).
fn post_count(html: &str) -> usize {
    html.matches("<article class=\"card post").count()
}

/// Decodes XML character references (the five named ones and numeric ones).
fn decode_xml(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap() + i;
        let name = &rest[i + 1..end];
        out.push(match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = name.strip_prefix('#').unwrap();
                let code = match n.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
                    None => n.parse().unwrap(),
                };
                char::from_u32(code).unwrap()
            }
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Checks that `xml` is well-formed (no XML parser is in the tree, so by hand: the declaration
/// first, one root, every element closed in order, attributes quoted, `&` only in references,
/// `<` only in markup). Returns the decoded text of each element named `name`.
fn well_formed(xml: &str, name: &str) -> Vec<String> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .unwrap_or_else(|| panic!("no XML declaration first: {xml}"));
    // References.
    let mut rest = body;
    while let Some(i) = rest.find('&') {
        let end = rest[i..]
            .find(';')
            .unwrap_or_else(|| panic!("bare & in {xml}"))
            + i;
        let r = &rest[i + 1..end];
        let ok = matches!(r, "lt" | "gt" | "amp" | "quot" | "apos")
            || r.strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || r.strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        assert!(ok, "bad reference &{r}; in {xml}");
        rest = &rest[end + 1..];
    }
    // Elements.
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut found = Vec::new();
    let mut open_at: Vec<usize> = Vec::new();
    let mut pos = 0;
    while let Some(i) = body[pos..].find('<') {
        let start = pos + i;
        let end = body[start..]
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {xml}"))
            + start;
        let tag = &body[start + 1..end];
        assert!(!tag.contains('<'), "< inside a tag: {tag}");
        if let Some(closing) = tag.strip_prefix('/') {
            let opened = stack.pop();
            assert_eq!(
                opened.as_deref(),
                Some(closing),
                "mismatched close in {xml}"
            );
            let from = open_at.pop().unwrap();
            if closing == name {
                found.push(decode_xml(&body[from..start]));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (el, mut attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
            assert!(
                !el.is_empty() && el.chars().all(|c| c.is_alphanumeric() || c == ':'),
                "bad element name {el:?}"
            );
            loop {
                attrs = attrs.trim_start();
                if attrs.is_empty() {
                    break;
                }
                let (key, value) = attrs
                    .split_once('=')
                    .unwrap_or_else(|| panic!("attribute without a value in <{tag}>"));
                assert!(
                    key.chars().all(|c| c.is_alphanumeric() || c == ':'),
                    "bad attribute {key:?}"
                );
                let value = value
                    .strip_prefix('"')
                    .unwrap_or_else(|| panic!("unquoted attribute in <{tag}>"));
                let close = value.find('"').unwrap();
                attrs = &value[close + 1..];
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(el.to_owned());
                open_at.push(end + 1);
            }
        }
        pos = end + 1;
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(roots, 1, "one root element");
    assert!(body[pos..].trim().is_empty(), "text after the root");
    found
}

async fn hostile_text_is_escaped(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let hostile = format!("{SCRIPT}{BREAKOUT}");
    let (st, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[
                // Names are 30 characters at most.
                ("display_name", BREAKOUT),
                (
                    "note",
                    &format!("{BREAKOUT}\n{SCRIPT} https://alice.example"),
                ),
                ("fields_attributes[0][name]", BREAKOUT),
                ("fields_attributes[0][value]", SCRIPT),
                ("fields_attributes[1][name]", "Site"),
                ("fields_attributes[1][value]", "https://alice.example"),
                ("avatar_description", BREAKOUT),
            ],
        )
        .await;
    assert_eq!(st, 200, "{me}");
    let (st, media) = crate::media::upload(
        &app,
        &alice,
        "pic.png",
        crate::media::make_png(64, 48),
        &[("description", BREAKOUT)],
    )
    .await;
    assert!(st == 200 || st == 202, "{media}");
    let media_id = media["id"].as_str().unwrap().to_owned();
    crate::media::processed(&app, &alice, &media_id).await;
    let id = post(
        &app,
        &alice,
        &[
            ("status", &format!("{hostile} #rust")),
            ("spoiler_text", &hostile),
            ("media_ids[]", &media_id),
        ],
    )
    .await;
    let poll = post(
        &app,
        &alice,
        &[
            ("status", "which #rust"),
            ("poll[options][]", SCRIPT),
            ("poll[options][]", BREAKOUT),
            ("poll[expires_in]", "600"),
        ],
    )
    .await;
    post(&app, &bob, &[("status", &hostile), ("in_reply_to_id", &id)]).await;

    let profile = ok_page(&app, "/@alice").await;
    assert_inert(&profile, "the profile");
    // Shown, escaped.
    assert!(
        profile.contains("<h1>&#34;&#62;&#60;img src=x onerror=alert(1)&#62;</h1>"),
        "{profile}"
    );
    assert!(
        profile.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{profile}"
    );
    // The site field links back with rel="me", as verification asks.
    assert!(
        profile.contains("<a href=\"https://alice.example\" target=\"_blank\" rel=\"me nofollow noopener noreferrer\">"),
        "{profile}"
    );
    let status = ok_page(&app, &format!("/@alice/{id}")).await;
    assert_inert(&status, "the post page");
    assert!(
        status.contains("<details><summary>&#60;script&#62;"),
        "{status}"
    );
    assert!(
        status.contains("alt=\"&#34;&#62;&#60;img src=x"),
        "{status}"
    );
    // Bob's public reply is listed under it.
    assert!(status.contains("@bob@rookery.test"), "{status}");
    let poll_page = ok_page(&app, &format!("/@alice/{poll}")).await;
    assert_inert(&poll_page, "the poll page");
    assert!(poll_page.contains("class=\"poll\""), "{poll_page}");
    let tag = ok_page(&app, "/tags/rust").await;
    assert_inert(&tag, "the hashtag page");
    assert_eq!(post_count(&tag), 2, "{tag}");
    let (st, hostile_tag) = page(&app, &format!("/tags/{}", urlencode(&hostile))).await;
    assert_eq!(st, 200);
    assert_inert(&hostile_tag, "the page of a hostile hashtag");

    for feed in ["/@alice.rss", "/tags/rust.rss"] {
        let r = app.get(feed).await;
        assert_eq!(r.status(), 200, "{feed}");
        assert_eq!(
            r.headers()["content-type"],
            "application/rss+xml; charset=utf-8"
        );
        let xml = r.text().await.unwrap();
        assert!(!xml.contains("<script"), "{xml}");
        assert!(!xml.contains("\"><img"), "{xml}");
        let descriptions = well_formed(&xml, "description");
        assert!(descriptions.len() >= 3, "{feed}: {descriptions:?}");
        for html in &descriptions {
            // What a feed reader renders after reading the XML.
            assert_inert(html, feed);
        }
        assert!(
            descriptions
                .iter()
                .any(|d| d.contains("&lt;script&gt;alert(1)")),
            "{descriptions:?}"
        );
        // The image as an enclosure, its description escaped.
        assert!(
            xml.contains("<enclosure url=\"https://rookery.test/system/"),
            "{xml}"
        );
        assert!(xml.contains("type=\"image/"), "{xml}");
        assert!(!xml.contains("length=\"0\""), "the file's size: {xml}");
        assert!(
            xml.contains("<media:description type=\"plain\">&#34;&#62;&#60;img"),
            "{xml}"
        );
    }
    let hostile_feed = app
        .get(&format!("/tags/{}.rss", urlencode(&hostile)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        well_formed(&hostile_feed, "description").len() == 1,
        "{hostile_feed}"
    );
    assert!(!hostile_feed.contains("<script"), "{hostile_feed}");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn headers_previews_and_negotiation(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let (_, media) = crate::media::upload(
        &app,
        &alice,
        "pic.png",
        crate::media::make_png(64, 48),
        &[("description", "a test card")],
    )
    .await;
    let media_id = media["id"].as_str().unwrap().to_owned();
    crate::media::processed(&app, &alice, &media_id).await;
    let id = post(
        &app,
        &alice,
        &[("status", "Hello, preview"), ("media_ids[]", &media_id)],
    )
    .await;
    let paths = [
        "/@alice".to_owned(),
        format!("/@alice/{id}"),
        "/tags/rust".to_owned(),
        "/about".to_owned(),
    ];
    for path in &paths {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("script-src"), "{path}: {csp}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script"), "{path}");
        assert!(html.contains("<meta property=\"og:title\""), "{path}");
    }

    // Previews of a profile and of a post.
    let profile = ok_page(&app, "/@alice").await;
    for tag in [
        "<meta property=\"og:type\" content=\"profile\">",
        "<meta property=\"og:url\" content=\"https://rookery.test/@alice\">",
        "<meta property=\"og:image\" content=\"https://rookery.test/",
        "<meta name=\"twitter:card\" content=\"summary\">",
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"https://rookery.test/users/alice\">",
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Posts by alice\" href=\"https://rookery.test/@alice.rss\">",
    ] {
        assert!(profile.contains(tag), "{tag}: {profile}");
    }
    assert!(!profile.contains("name=\"robots\""), "{profile}");
    let status = ok_page(&app, &format!("/@alice/{id}")).await;
    for tag in [
        "<meta property=\"og:type\" content=\"article\">".to_owned(),
        "<meta property=\"og:description\" content=\"Hello, preview\">".to_owned(),
        format!("<meta property=\"og:url\" content=\"https://rookery.test/@alice/{id}\">"),
        "<meta property=\"og:image\" content=\"https://rookery.test/system/".to_owned(),
        "<meta property=\"og:image:alt\" content=\"a test card\">".to_owned(),
        "<meta name=\"twitter:card\" content=\"summary_large_image\">".to_owned(),
        "<img src=\"https://rookery.test/system/".to_owned(),
    ] {
        assert!(status.contains(&tag), "{tag}: {status}");
    }
    let tag_page = ok_page(&app, "/tags/rust").await;
    assert!(
        tag_page.contains("type=\"application/rss+xml\" title=\"Public posts tagged #rust\" href=\"https://rookery.test/tags/rust.rss\""),
        "{tag_page}"
    );

    // Content negotiation: ActivityPub clients get JSON at the same URLs.
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let r = app
            .client
            .get(app.url("/@alice"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // The document also depends on the request's signature (authorized fetch).
        assert_eq!(
            r.headers()["vary"],
            "Accept, Signature, Signature-Input, Authorization"
        );
        let actor: Value = r.json().await.unwrap();
        assert_eq!(actor["type"], "Person", "{accept}");
        let note: Value = app
            .client
            .get(app.url(&format!("/@alice/{id}")))
            .header("Accept", accept)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(note["type"], "Note", "{accept}");
    }
    assert_eq!(app.get("/@alice").await.headers()["vary"], "Accept");

    // Not discoverable: kept out of indexes, by header and by tag, on the profile and posts.
    let (st, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("discoverable", "false")],
        )
        .await;
    assert_eq!(st, 200);
    for path in [&paths[0], &paths[1]] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["x-robots-tag"], "noindex, noarchive", "{path}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<meta name=\"robots\" content=\"noindex, noarchive\">"),
            "{path}: {html}"
        );
    }

    // The OAuth pages: the page headers without `form-action` (the consent's answer redirects
    // to the app), labelled inputs, errors announced.
    let (client_id, _) = crate::oauth::register(&app, "read", "urn:ietf:wg:oauth:2.0:oob").await;
    let r = app
        .client
        .get(app.url("/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("form-action"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("<label for=\"login\">"), "{html}");
    assert!(
        html.contains("<input id=\"login\" name=\"login\""),
        "{html}"
    );
    assert!(html.contains("<label for=\"password\">"), "{html}");
    let r = app
        .client
        .get(app.url("/oauth/authorize?response_type=code&client_id=nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        !r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");
}

/// The profile lists 20 posts a page, older ones behind `?max_id=`, pinned ones first; never
/// private or direct posts, replies to others or boosts.
async fn profiles_page_through_public_posts_only(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let bobs = post(&app, &bob, &[("status", "bob's post")]).await;
    let mut ids = Vec::new();
    for i in 0..23 {
        ids.push(post(&app, &alice, &[("status", &format!("public number {i}"))]).await);
    }
    post(
        &app,
        &alice,
        &[("status", "unlisted words"), ("visibility", "unlisted")],
    )
    .await;
    post(
        &app,
        &alice,
        &[("status", "private words"), ("visibility", "private")],
    )
    .await;
    post(
        &app,
        &alice,
        &[("status", "@bob direct words"), ("visibility", "direct")],
    )
    .await;
    post(
        &app,
        &alice,
        &[("status", "@bob reply words"), ("in_reply_to_id", &bobs)],
    )
    .await;
    let (st, _) = app
        .post_auth(&format!("/api/v1/statuses/{}/reblog", bobs), &alice, &[])
        .await;
    assert_eq!(st, 200);
    let (st, _) = app
        .post_auth(&format!("/api/v1/statuses/{}/pin", ids[0]), &alice, &[])
        .await;
    assert_eq!(st, 200);

    let first = ok_page(&app, "/@alice").await;
    assert!(first.contains("<h2 id=\"pinned\">Pinned</h2>"), "{first}");
    // The pinned post, then 20 posts: the unlisted one and the newest public ones.
    assert_eq!(post_count(&first), 21, "{first}");
    assert!(first.contains("unlisted words"));
    assert!(first.contains("public number 22"));
    for hidden in [
        "private words",
        "direct words",
        "reply words",
        "bob&#39;s post",
        "bob's post",
    ] {
        assert!(!first.contains(hidden), "{hidden}: {first}");
    }
    let marker = "<a href=\"https://rookery.test/@alice?max_id=";
    let start = first.find(marker).unwrap_or_else(|| panic!("{first}")) + marker.len();
    let max_id = &first[start..start + first[start..].find('"').unwrap()];
    assert!(first[start..].starts_with(&format!("{max_id}\" rel=\"next\">Older posts</a>")));
    let second = ok_page(&app, &format!("/@alice?max_id={max_id}")).await;
    // No pinned posts on older pages; the four oldest public posts.
    assert!(!second.contains("id=\"pinned\""), "{second}");
    assert_eq!(post_count(&second), 4, "{second}");
    assert!(second.contains("public number 0"));
    assert!(second.contains("public number 3"));
    assert!(!second.contains("public number 4<"), "{second}");
    assert!(!second.contains("Older posts"), "{second}");
    for hidden in ["private words", "direct words"] {
        assert!(!second.contains(hidden), "{hidden}: {second}");
    }
    // Garbage max_id is ignored; unknown and suspended accounts are 404.
    assert_eq!(post_count(&ok_page(&app, "/@alice?max_id=x").await), 21);
    assert_eq!(page(&app, "/@nobody").await.0, 404);
    assert_eq!(page(&app, "/@nobody.rss").await.0, 404);
    app.services.set_suspended("bob", true).await.unwrap();
    assert_eq!(page(&app, "/@bob").await.0, 404);
    assert_eq!(page(&app, "/@bob.rss").await.0, 404);
    assert_eq!(page(&app, &format!("/@bob/{bobs}")).await.0, 404);

    // hide_collections hides the follow counts.
    assert!(first.contains("<dt>Followers</dt>"));
    let (st, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("hide_collections", "true")],
        )
        .await;
    assert_eq!(st, 200);
    let hidden = ok_page(&app, "/@alice").await;
    assert!(!hidden.contains("<dt>Followers</dt>"), "{hidden}");
    assert!(!hidden.contains("<dt>Following</dt>"), "{hidden}");
}

/// Post pages and feeds: public and unlisted posts answer, private and direct ones are 404;
/// only replies a visitor may see are listed; feeds hold the newest 20 public posts.
async fn posts_and_feeds_show_only_what_visitors_may_see(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let public = post(&app, &alice, &[("status", "hello #Birds")]).await;
    let unlisted = post(
        &app,
        &alice,
        &[("status", "quiet #birds"), ("visibility", "unlisted")],
    )
    .await;
    let private = post(
        &app,
        &alice,
        &[("status", "secret #birds"), ("visibility", "private")],
    )
    .await;
    let direct = post(
        &app,
        &alice,
        &[("status", "@bob whisper #birds"), ("visibility", "direct")],
    )
    .await;
    post(
        &app,
        &bob,
        &[("status", "a public reply"), ("in_reply_to_id", &public)],
    )
    .await;
    post(
        &app,
        &bob,
        &[
            ("status", "a private reply"),
            ("in_reply_to_id", &public),
            ("visibility", "private"),
        ],
    )
    .await;
    let page_of = ok_page(&app, &format!("/@alice/{public}")).await;
    assert!(page_of.contains("a public reply"), "{page_of}");
    assert!(!page_of.contains("a private reply"), "{page_of}");
    assert!(page_of.contains("class=\"card post focus\""), "{page_of}");
    assert_eq!(page(&app, &format!("/@alice/{unlisted}")).await.0, 200);
    for id in [&private, &direct] {
        assert_eq!(page(&app, &format!("/@alice/{id}")).await.0, 404);
    }
    // Someone else's post under alice's name, and garbage ids, are 404.
    let bobs = post(&app, &bob, &[("status", "mine")]).await;
    assert_eq!(page(&app, &format!("/@alice/{bobs}")).await.0, 404);
    assert_eq!(page(&app, "/@alice/nope").await.0, 404);

    // The account's feed: public and unlisted (as Mastodon's), never private or direct.
    let xml = app.get("/@alice.rss").await.text().await.unwrap();
    let descriptions = well_formed(&xml, "description");
    assert_eq!(descriptions.len(), 3, "channel and two posts: {xml}");
    assert!(xml.contains(&format!(
        "<link>https://rookery.test/@alice/{public}</link>"
    )));
    assert!(xml.contains(&format!(
        "<guid isPermaLink=\"true\">https://rookery.test/@alice/{unlisted}</guid>"
    )));
    assert!(!xml.contains("secret") && !xml.contains("whisper"), "{xml}");
    assert!(xml.contains("<category>birds</category>"), "{xml}");
    let date = xml
        .split("<pubDate>")
        .nth(1)
        .and_then(|d| d.split("</pubDate>").next())
        .unwrap();
    // RFC 2822: `Tue, 26 Nov 2019 23:27:31 +0000`.
    assert_eq!(date.len(), 31, "{date}");
    assert!(
        date.ends_with(" +0000") && date.as_bytes()[3] == b',',
        "{date}"
    );
    // The hashtag's feed: public posts only.
    let xml = app.get("/tags/birds.rss").await.text().await.unwrap();
    let descriptions = well_formed(&xml, "description");
    assert_eq!(descriptions.len(), 2, "channel and one post: {xml}");
    assert!(descriptions[1].contains("hello"), "{xml}");
    // The newest 20.
    for i in 0..21 {
        post(&app, &alice, &[("status", &format!("more {i}"))]).await;
    }
    let xml = app.get("/@alice.rss").await.text().await.unwrap();
    assert_eq!(xml.matches("<item>").count(), 20, "{xml}");
    assert!(xml.contains("more 20") && !xml.contains("more 0<"), "{xml}");
}

async fn about_page(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_INSTANCE__DESCRIPTION", "Birds <b>only</b>"),
            (
                "ROOKERY_INSTANCE__RULES",
                r#"["Be <kind>", {text = "No spam", hint = "Ads <count>"}]"#,
            ),
            ("ROOKERY_INSTANCE__CONTACT_USERNAME", "alice"),
            ("ROOKERY_INSTANCE__CONTACT_EMAIL", "admin@rookery.test"),
            (
                "ROOKERY_INSTANCE__PRIVACY_POLICY",
                "We keep little.\n\nNo <script>.",
            ),
            ("ROOKERY_INSTANCE__TERMS_OF_SERVICE", "Be kind."),
            ("ROOKERY_INSTANCE__TERMS_OF_SERVICE_DATE", "2026-03-01"),
        ],
    )
    .await;
    let alice = app.token("alice").await;
    app.patch_auth(
        "/api/v1/accounts/update_credentials",
        &alice,
        &[("display_name", SCRIPT)],
    )
    .await;
    let html = ok_page(&app, "/about").await;
    assert_inert(&html, "the about page");
    for shown in [
        "<p>Birds &lt;b&gt;only&lt;/b&gt;</p>",
        "<li>Be &#60;kind&#62;</li>",
        "<small class=\"muted\">Ads &#60;count&#62;</small>",
        "@alice@rookery.test",
        "href=\"https://rookery.test/@alice\"",
        "<strong>&#60;script&#62;alert(1)&#60;/script&#62;</strong>",
        "href=\"mailto:admin@rookery.test\"",
        "<p>We keep little.</p><p>No &lt;script&gt;.</p>",
        "In effect since 2026-03-01.",
        "<p>Be kind.</p>",
        "href=\"https://tusky.app/\"",
        "Sign in from any Mastodon app",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    // Sign-ups are open: the page links to the sign-up form and the web sign-in.
    assert!(html.contains("href=\"/auth/sign_up\""), "{html}");
    assert!(html.contains("href=\"/auth/sign_in\""), "{html}");
    // Without them, no empty sections.
    let bare = spawn_with(backend, &[]).await;
    let html = ok_page(&bare, "/").await;
    for absent in [
        "id=\"rules\"",
        "id=\"contact\"",
        "id=\"privacy-policy\"",
        "id=\"terms-of-service\"",
    ] {
        assert!(!html.contains(absent), "{absent}: {html}");
    }
}
