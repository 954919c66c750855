//! Domain types to API entities and ActivityPub documents.

use rookery_activitypub::actor::{Actor, Endpoints, PublicKey, actor_context};
use rookery_api as api;
use rookery_model::{Account, ActorType};

use crate::settings::Urls;

/// Escapes text for HTML.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text to Mastodon-style HTML: paragraphs at blank lines, `<br>` at line breaks.
pub(crate) fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br />")))
        .collect()
}

/// A profile field value as HTML: escaped, links made clickable and marked `rel="me"` (the
/// link back that lets a website confirm it belongs to the account, as Mastodon's do).
fn field_html(value: &str) -> String {
    let html = crate::format::render(
        &crate::format::tokenize(value),
        |t| format!("#{t}"),
        |_, _| None,
    );
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or(&html)
        .replace(
            "rel=\"nofollow noopener noreferrer\"",
            "rel=\"me nofollow noopener noreferrer\"",
        )
}

/// The profile text as HTML: local notes are stored as the source the user typed.
fn note_html(account: &Account) -> String {
    if account.is_local() {
        text_to_html(&account.note)
    } else {
        account.note.clone()
    }
}

/// The Mastodon Account entity.
pub(crate) fn account_entity(account: &Account, urls: &Urls) -> api::Account {
    let avatar = urls.account_image(account, rookery_model::MediaPurpose::Avatar);
    let header = urls.account_image(account, rookery_model::MediaPurpose::Header);
    let (url, uri) = if account.is_local() {
        (
            urls.profile(account.username.as_str()),
            urls.actor(account.username.as_str()),
        )
    } else {
        let uri = account.uri.clone().unwrap_or_default();
        (account.url.clone().unwrap_or_else(|| uri.clone()), uri)
    };
    api::Account {
        id: account.id.to_string(),
        username: account.username.to_string(),
        acct: account.acct(),
        url,
        uri,
        display_name: account.display_name.clone(),
        note: note_html(account),
        avatar: avatar.clone(),
        avatar_static: avatar,
        header: header.clone(),
        header_static: header,
        locked: account.locked,
        fields: account
            .fields
            .iter()
            .map(|f| api::Field {
                name: escape_html(&f.name),
                value: if account.is_local() {
                    field_html(&f.value)
                } else {
                    f.value.clone()
                },
                verified_at: None,
            })
            .collect(),
        emojis: Vec::new(),
        bot: account.is_bot(),
        group: account.actor_type == ActorType::Group,
        discoverable: Some(account.discoverable),
        indexable: account.profile.indexable,
        noindex: Some(!account.discoverable),
        hide_collections: Some(account.profile.hide_collections),
        avatar_description: account.profile.avatar_description.clone(),
        header_description: account.profile.header_description.clone(),
        suspended: account.suspended_at.is_some(),
        memorial: false,
        created_at: account.created_at.to_rfc3339(),
        last_status_at: account.last_status_at.map(|t| t.to_date_string()),
        statuses_count: account.statuses_count,
        followers_count: account.followers_count,
        following_count: account.following_count,
        roles: Vec::new(),
        moved: None,
    }
}

/// An avatar or header as an ActivityPub `Image`.
fn actor_image(key: &str, description: &str, urls: &Urls) -> rookery_activitypub::actor::Image {
    rookery_activitypub::actor::Image {
        kind: "Image".into(),
        media_type: crate::media::mime_of_key(key).into(),
        url: urls.media(key),
        name: Some(description.to_owned()).filter(|d| !d.is_empty()),
    }
}

/// The ActivityPub actor document of a local account.
pub(crate) fn local_actor(account: &Account, urls: &Urls) -> Actor {
    let name = account.username.as_str();
    let id = urls.actor(name);
    Actor {
        context: actor_context(),
        kind: account.actor_type.as_str().to_owned(),
        following: urls.actor_path(name, "following"),
        followers: urls.actor_path(name, "followers"),
        inbox: urls.actor_path(name, "inbox"),
        outbox: urls.actor_path(name, "outbox"),
        featured: urls.actor_path(name, "collections/featured"),
        featured_tags: urls.actor_path(name, "collections/tags"),
        preferred_username: name.to_owned(),
        name: account.display_name.clone(),
        summary: note_html(account),
        url: urls.profile(name),
        manually_approves_followers: account.locked,
        discoverable: account.discoverable,
        indexable: account.profile.indexable,
        attribution_domains: account.profile.attribution_domains.clone(),
        also_known_as: account.profile.also_known_as.clone(),
        moved_to: None,
        published: account.created_at.to_rfc3339(),
        memorial: false,
        public_key: PublicKey {
            id: urls.actor_key(name),
            owner: id.clone(),
            public_key_pem: account.public_key_pem.clone(),
        },
        tag: Vec::new(),
        attachment: account
            .fields
            .iter()
            .map(|f| {
                serde_json::json!({
                    "type": "PropertyValue",
                    "name": f.name,
                    "value": field_html(&f.value),
                })
            })
            .collect(),
        endpoints: Endpoints {
            shared_inbox: urls.shared_inbox(),
        },
        icon: account
            .avatar_key
            .as_deref()
            .map(|k| actor_image(k, &account.profile.avatar_description, urls)),
        image: account
            .header_key
            .as_deref()
            .map(|k| actor_image(k, &account.profile.header_description, urls)),
        id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_from_text() {
        assert_eq!(text_to_html(""), "");
        assert_eq!(text_to_html("a\nb\n\nc"), "<p>a<br />b</p><p>c</p>");
        assert_eq!(
            text_to_html("<script>&\"'"),
            "<p>&lt;script&gt;&amp;&quot;&#39;</p>"
        );
    }

    #[test]
    fn field_links_are_rel_me() {
        let html = field_html("https://alice.example and <b>");
        assert!(
            html.contains("<a href=\"https://alice.example\" target=\"_blank\" rel=\"me nofollow noopener noreferrer\">"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;"), "{html}");
    }
}
