use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/", $name)).as_slice()
    };
}

const PUBLIC: &str = crate::PUBLIC;

#[test]
fn mastodon_create_note_with_everything() {
    let a = Activity::parse(fixture!("mastodon_create_note.json")).unwrap();
    assert_eq!(a.kind, "Create");
    assert_eq!(a.actor, "https://mastodon.example/users/bob");
    assert_eq!(a.to, [PUBLIC]);
    a.check_authorship("https://mastodon.example/users/bob")
        .unwrap();
    let note = a.embedded_object().unwrap();
    assert_eq!(note.kind, "Note");
    assert_eq!(note.author(), Some("https://mastodon.example/users/bob"));
    assert_eq!(
        note.in_reply_to.as_ref().and_then(Ref::id),
        Some("https://rookery.example/users/alice/statuses/1")
    );
    assert_eq!(note.language(), Some("en"));
    assert!(note.html(None).unwrap().contains("agreed"));
    assert_eq!(
        note.url.as_deref(),
        Some("https://mastodon.example/@bob/113000000000000001")
    );
    assert!(
        note.audience()
            .any(|a| a == "https://rookery.example/users/alice")
    );
    let tags: Vec<&Tag> = note.tag.iter().collect();
    assert!(
        matches!(tags[0], Tag::Mention { href, .. } if href == "https://rookery.example/users/alice")
    );
    assert!(matches!(tags[1], Tag::Hashtag { name, .. } if name == "rust"));
    assert!(
        matches!(tags[2], Tag::Emoji { name, url, .. } if name == "blobcat" && url.ends_with("blobcat.png"))
    );
    let media = note.attachment.first().unwrap();
    assert_eq!(media.media_type.as_deref(), Some("image/png"));
    assert_eq!(media.name.as_deref(), Some("A cat"));
    assert_eq!(media.focal_point, Some(vec![0.0, 0.5]));
    assert!(media.blurhash.is_some());
    assert_eq!(note.sensitive, Some(false));
}

#[test]
fn mastodon_polls_undo_delete_move_flag() {
    let q = Activity::parse(fixture!("mastodon_question.json")).unwrap();
    let poll = q.embedded_object().unwrap();
    assert_eq!(poll.kind, "Question");
    let options: Vec<(Option<&str>, u64)> = poll
        .one_of
        .iter()
        .map(|o| (o.name.as_deref(), o.votes()))
        .collect();
    assert_eq!(options, [(Some("Tea"), 2), (Some("Coffee"), 1)]);
    assert_eq!(poll.voters_count, Some(3));

    let undo = Activity::parse(fixture!("mastodon_undo_follow.json")).unwrap();
    let Some(Target::Activity(follow)) = &undo.object else {
        panic!("{undo:?}")
    };
    assert_eq!(follow.kind, "Follow");
    assert_eq!(
        follow.object.as_ref().and_then(Target::id),
        Some("https://rookery.example/users/alice")
    );

    let delete = Activity::parse(fixture!("mastodon_delete_tombstone.json")).unwrap();
    assert!(matches!(&delete.object, Some(Target::Object(o)) if o.kind == "Tombstone"));
    assert_eq!(
        delete.object.as_ref().and_then(Target::id),
        Some("https://mastodon.example/users/bob/statuses/3")
    );

    let moved = Activity::parse(fixture!("mastodon_move.json")).unwrap();
    assert_eq!(
        moved.target.as_deref(),
        Some("https://new.example/users/bob")
    );

    let flag = Activity::parse(fixture!("mastodon_flag.json")).unwrap();
    assert_eq!(flag.content.as_deref(), Some("Spam"));
    assert_eq!(
        flag.object.as_ref().and_then(Target::id),
        Some("https://rookery.example/users/mallory")
    );
}

#[test]
fn pleroma_and_akkoma() {
    let a = Activity::parse(fixture!("pleroma_create_note.json")).unwrap();
    let note = a.embedded_object().unwrap();
    assert_eq!(note.sensitive, None); // null
    assert_eq!(
        note.conversation.as_deref(),
        Some("https://pleroma.example/contexts/0f1e2d3c")
    );
    assert!(matches!(note.tag.first(), Some(Tag::Hashtag { name, .. }) if name == "fediverse"));
    assert_eq!(note.summary.as_deref(), Some(""));
    let react = Activity::parse(fixture!("akkoma_emoji_react.json")).unwrap();
    assert_eq!(react.kind, "EmojiReact");
    assert_eq!(react.content.as_deref(), Some("🔥"));
}

#[test]
fn misskey_notes_quotes_reactions_and_actors() {
    let a = Activity::parse(fixture!("misskey_create_note.json")).unwrap();
    let note = a.embedded_object().unwrap();
    assert_eq!(
        note.quote(),
        Some("https://rookery.example/users/alice/statuses/1")
    );
    assert!(note.in_reply_to.is_none());
    assert!(matches!(note.tag.first(), Some(Tag::Emoji { name, .. }) if name == "misskey_cat"));
    let like = Activity::parse(fixture!("misskey_like_reaction.json")).unwrap();
    assert_eq!(like.kind, "Like");
    assert_eq!(like.content.as_deref(), Some(":misskey_cat:"));
    let actor = RemoteActor::parse(fixture!("misskey_person.json")).unwrap();
    assert_eq!(actor.name, None);
    assert!(actor.icon.is_empty());
    assert_eq!(actor.manually_approves_followers, Some(true));
    assert_eq!(actor.delivery_inbox(), "https://misskey.example/inbox");
}

#[test]
fn gotosocial_addresses_with_plain_strings() {
    let a = Activity::parse(fixture!("gotosocial_create_note.json")).unwrap();
    assert_eq!(a.to, [PUBLIC]);
    assert_eq!(a.cc, ["https://gts.example/users/frank/followers"]);
    let note = a.embedded_object().unwrap();
    assert_eq!(
        note.audience().collect::<Vec<_>>(),
        [PUBLIC, "https://gts.example/users/frank/followers"]
    );
    let actor = RemoteActor::parse(fixture!("gotosocial_person.json")).unwrap();
    let key = actor
        .key("https://gts.example/users/frank/main-key")
        .unwrap();
    assert_eq!(
        key.owner.as_deref(),
        Some("https://gts.example/users/frank")
    );
    // No shared inbox advertised: deliver to the actor's own.
    assert_eq!(
        actor.delivery_inbox(),
        "https://gts.example/users/frank/inbox"
    );
}

#[test]
fn lemmy_announced_pages_and_groups() {
    let a = Activity::parse(fixture!("lemmy_create_page.json")).unwrap();
    assert_eq!(a.kind, "Announce");
    let Some(Target::Activity(create)) = &a.object else {
        panic!("{a:?}")
    };
    assert_eq!(create.actor, "https://lemmy.example/u/gina");
    let page = create.embedded_object().unwrap();
    assert_eq!(page.kind, "Page");
    assert_eq!(page.name.as_deref(), Some("Rust 2026 edition released"));
    assert_eq!(
        page.attachment.first().map(|l| l.kind.as_str()),
        Some("Link")
    );
    let group = RemoteActor::parse(fixture!("lemmy_group.json")).unwrap();
    assert_eq!(group.kind, "Group");
    assert_eq!(group.preferred_username.as_deref(), Some("rust"));
}

#[test]
fn peertube_videos_and_application_actors() {
    let a = Activity::parse(fixture!("peertube_create_video.json")).unwrap();
    let video = a.embedded_object().unwrap();
    assert_eq!(video.kind, "Video");
    assert_eq!(video.content, None);
    assert_eq!(video.url.as_deref(), Some("https://peertube.example/w/abc"));
    assert_eq!(
        video.author(),
        Some("https://peertube.example/accounts/hank")
    );
    a.check_authorship("https://peertube.example/accounts/hank")
        .unwrap();
    let app = RemoteActor::parse(fixture!("peertube_application.json")).unwrap();
    assert_eq!(app.kind, "Application");
}

#[test]
fn pixelfed_announce_by_uri() {
    let a = Activity::parse(fixture!("pixelfed_announce.json")).unwrap();
    assert_eq!(a.kind, "Announce");
    assert_eq!(
        a.object,
        Some(Target::Id(
            "https://rookery.example/users/alice/statuses/1".into()
        ))
    );
}

#[test]
fn variations_in_shape_are_accepted() {
    // @context as a string, an object or absent; type as a list; actor embedded.
    let a = Activity::parse(
        br#"{"@context":{"@vocab":"https://www.w3.org/ns/activitystreams"},"id":"https://x.example/a","type":["Like","litepub:Like"],
            "actor":{"id":"https://x.example/u","type":"Person","inbox":"https://x.example/u/inbox"},"object":{"id":"https://y.example/n"}}"#,
    )
    .unwrap();
    assert_eq!(a.kind, "Like");
    assert_eq!(a.actor, "https://x.example/u");
    assert_eq!(a.object, Some(Target::Id("https://y.example/n".into())));
    // to/cc as Link objects and mixed lists, junk entries skipped.
    let a = Activity::parse(
        br#"{"id":"https://x.example/a","type":"Announce","actor":"https://x.example/u","object":"https://y.example/n",
            "to":[{"href":"https://www.w3.org/ns/activitystreams#Public"}, 5, null],"cc":"https://x.example/u/followers"}"#,
    )
    .unwrap();
    assert_eq!(a.to, [PUBLIC]);
    assert_eq!(a.cc, ["https://x.example/u/followers"]);
    // contentMap only, sensitive as a string.
    let o: Object = serde_json::from_str(
        r#"{"id":"https://x.example/n","type":"Note","attributedTo":["https://x.example/u"],"contentMap":{"de":"<p>Hallo</p>"},"sensitive":"true"}"#,
    )
    .unwrap();
    assert_eq!(o.html(Some("en")), Some("<p>Hallo</p>"));
    assert_eq!(o.language(), Some("de"));
    assert_eq!(o.sensitive, Some(true));
}

#[test]
fn genuinely_invalid_documents_are_refused_with_reasons() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "not JSON"),
        (b"[1]", "not an object"),
        (br#"{"type":"Create"}"#, "no id"),
        (br#"{"id":"x","actor":"a","object":"o"}"#, "no type"),
        (
            br#"{"id":"x","type":"Dance","actor":"a","object":"o"}"#,
            "unsupported type",
        ),
        (br#"{"id":"x","type":"Like","object":"o"}"#, "no actor"),
        (br#"{"id":"x","type":"Like","actor":"a"}"#, "no object"),
        (
            br#"{"id":"x","type":"Like","actor":"a","object":5}"#,
            "neither a URI",
        ),
        (
            br#"{"id":"x","type":"Note","content":"not an activity"}"#,
            "unsupported type",
        ),
    ];
    for (json, reason) in cases {
        let err = Activity::parse(json).unwrap_err().to_string();
        assert!(
            err.contains(reason),
            "{}: {err}",
            String::from_utf8_lossy(json)
        );
    }
    // Nesting bombs stop.
    let mut deep = String::from(r#""https://y.example/n""#);
    for i in 0..10 {
        deep = format!(
            r#"{{"id":"https://x.example/{i}","type":"Undo","actor":"a","object":{deep}}}"#
        );
    }
    assert!(
        Activity::parse(deep.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("too deep")
    );
    // A Create whose object is attributed to someone else than its actor.
    let forged = Activity::parse(
        br#"{"id":"https://evil.example/a","type":"Create","actor":"https://evil.example/u",
            "object":{"id":"https://evil.example/n","type":"Note","attributedTo":"https://victim.example/u","content":"x"}}"#,
    )
    .unwrap();
    assert!(
        forged
            .check_authorship("https://evil.example/u")
            .unwrap_err()
            .to_string()
            .contains("attributed")
    );
    assert!(forged.check_authorship("https://other.example/u").is_err());
    // Actors: not an actor type, no inbox, a key owned by someone else.
    assert!(matches!(
        RemoteActor::parse(br#"{"id":"https://x.example/n","type":"Note","inbox":"i"}"#),
        Err(ParseError::Type(_))
    ));
    assert_eq!(
        RemoteActor::parse(br#"{"id":"https://x.example/u","type":"Person"}"#),
        Err(ParseError::Missing("inbox"))
    );
    let stolen = br#"{"id":"https://x.example/u","type":"Person","inbox":"https://x.example/u/inbox",
        "publicKey":{"id":"https://y.example/v#main-key","owner":"https://y.example/v","publicKeyPem":"k"}}"#;
    assert!(
        RemoteActor::parse(stolen)
            .unwrap_err()
            .to_string()
            .contains("another actor")
    );
}

#[test]
fn quotes_as_mastodon_sends_them_and_malformed_ones() {
    let note: Object = serde_json::from_value(serde_json::json!({
        "id": "https://m.example/users/a/statuses/2",
        "type": "Note",
        "attributedTo": "https://m.example/users/a",
        "quote": "https://r.example/users/b/statuses/1",
        "_misskey_quote": "https://r.example/users/b/statuses/1",
        "quoteAuthorization": "https://r.example/users/b/quote_authorizations/9",
        "interactionPolicy": {"canQuote": {
            "automaticApproval": ["https://m.example/users/a/followers", "https://m.example/users/a"],
            "manualApproval": "https://www.w3.org/ns/activitystreams#Public"
        }}
    }))
    .unwrap();
    assert_eq!(note.quote(), Some("https://r.example/users/b/statuses/1"));
    assert_eq!(
        note.quote_authorization.as_ref().and_then(Ref::id),
        Some("https://r.example/users/b/quote_authorizations/9")
    );
    // Followers automatically, anyone by hand; the author themself is no flag.
    assert_eq!(
        note.quote_policy(Some("https://m.example/users/a/followers"), None),
        Some((4, 2))
    );
    // Something not understood is "unsupported"; no policy at all is none.
    let odd: Object = serde_json::from_value(serde_json::json!({
        "type": "Note",
        "interactionPolicy": {"canQuote": {"automaticApproval": ["https://x.example/lists/1"]}},
        "quote": 42,
        "quoteAuthorization": ["a", "b"],
        "_misskey_quote": {"nested": true}
    }))
    .unwrap();
    assert_eq!(odd.quote_policy(None, None), Some((1, 0)));
    assert_eq!(odd.quote(), None);
    assert!(odd.quote_authorization.is_none());
    let plain: Object = serde_json::from_value(serde_json::json!({"type": "Note"})).unwrap();
    assert_eq!(plain.quote_policy(None, None), None);

    let accept = Activity::parse(
        serde_json::json!({
            "id": "https://r.example/users/b#accepts/quote_requests/9",
            "type": "Accept",
            "actor": "https://r.example/users/b",
            "object": {
                "id": "https://m.example/users/a#quote_requests/1",
                "type": "QuoteRequest",
                "actor": "https://m.example/users/a",
                "object": "https://r.example/users/b/statuses/1",
                "instrument": {"id": "https://m.example/users/a/statuses/2", "type": "Note"}
            },
            "result": "https://r.example/users/b/quote_authorizations/9"
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        accept.result.as_deref(),
        Some("https://r.example/users/b/quote_authorizations/9")
    );
    let Some(Target::Activity(request)) = &accept.object else {
        panic!("the QuoteRequest is read as an activity: {accept:?}");
    };
    assert_eq!(request.kind, "QuoteRequest");
    assert_eq!(
        request.instrument.as_ref().and_then(Target::id),
        Some("https://m.example/users/a/statuses/2")
    );
}
