//! Webhook body templates, as Mastodon's: the body is the template with each `{{path}}`
//! replaced by the value at that dotted path of the event (`{{event}}`,
//! `{{object.account.username}}`, `{{object.statuses.0.url}}`). A string is put in without its
//! quotes but JSON-escaped, so it can sit inside a JSON string of the template; other values
//! are put in as JSON; a path that leads nowhere becomes `null`.
//!
//! A Slack-compatible incoming webhook, for instance:
//! `{"text": "New report by {{object.account.username}}: {{object.comment}}"}`.

use serde_json::Value;

/// Longest placeholder path looked at.
const MAX_PATH: usize = 200;

/// The body for `payload` under `template`.
pub fn render(template: &str, payload: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if end <= MAX_PATH => {
                out.push_str(&value_at(payload, after[..end].trim()));
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn value_at(payload: &Value, path: &str) -> String {
    let mut v = payload;
    for segment in path.split('.') {
        let next = match v {
            Value::Object(m) => m.get(segment),
            Value::Array(a) => segment.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => return "null".into(),
        }
    }
    let json = v.to_string();
    match v {
        // The JSON string without its quotes: escaped, ready to sit inside another string.
        Value::String(_) => json[1..json.len() - 1].to_owned(),
        _ => json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_replaced_and_escaped() {
        let payload = json!({
            "event": "report.created",
            "object": {"comment": "say \"hi\"\n", "account": {"username": "alice"}, "n": 3,
                       "ids": ["7", "9"]},
        });
        assert_eq!(
            render(
                r#"{"text": "{{event}} by {{ object.account.username }}: {{object.comment}}"}"#,
                &payload
            ),
            r#"{"text": "report.created by alice: say \"hi\"\n"}"#
        );
        assert_eq!(render("{{object.n}} {{object.ids.1}}", &payload), "3 9");
        assert_eq!(render("{{object.missing.x}}", &payload), "null");
        assert_eq!(render("{{object}", &payload), "{{object}");
        assert_eq!(render("a {{ b", &payload), "a {{ b");
    }
}
