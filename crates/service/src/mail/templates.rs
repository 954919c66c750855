//! The messages Rookery mails, each with a plain-text and an HTML part rendered from
//! `templates/mail/` (the HTML part escapes everything it shows).

use askama::Template;

use crate::{Result, ServiceError};

use super::OutgoingMail;

/// A message, with what it needs to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `rookery admin mail test`.
    Test,
    /// Confirms the address of a new account (or asks again).
    Confirmation { username: String, link: String },
    /// A link to choose a new password.
    PasswordReset { username: String, link: String },
    /// The password was changed (a warning in case it was not the user); `apps_signed_out`
    /// says whether apps were signed out with it.
    PasswordChanged {
        username: String,
        apps_signed_out: bool,
    },
    /// Two-factor authentication was turned on or off.
    TwoFactorChanged { username: String, enabled: bool },
    /// To the new address: confirms a change of address.
    EmailChange {
        username: String,
        email: String,
        link: String,
    },
    /// To the old address: a change of address was asked for.
    EmailChanging { username: String, email: String },
    /// A notification the user wants by e-mail: `from` `what` (`mentioned you`), the post's
    /// text when there is one, and where to see it.
    Notification {
        username: String,
        from: String,
        what: String,
        excerpt: Option<String>,
        link: String,
    },
    /// To staff who may manage appeals: `from` appealed a warning with `text`.
    AppealSubmitted {
        username: String,
        from: String,
        text: String,
        link: String,
    },
    /// To the user: their appeal was approved (the decision reversed) or rejected.
    AppealDecided {
        username: String,
        approved: bool,
        link: String,
    },
}

struct Common<'a> {
    title: &'a str,
    base: &'a str,
}

mod test {
    #[derive(askama::Template)]
    #[template(path = "mail/test.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/test.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
    }
}

mod confirmation {
    #[derive(askama::Template)]
    #[template(path = "mail/confirmation.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/confirmation.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) link: &'a str,
    }
}

mod reset {
    #[derive(askama::Template)]
    #[template(path = "mail/password_reset.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/password_reset.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) link: &'a str,
    }
}

mod changed {
    #[derive(askama::Template)]
    #[template(path = "mail/password_changed.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) apps_signed_out: bool,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/password_changed.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) apps_signed_out: bool,
    }
}

mod two_factor {
    #[derive(askama::Template)]
    #[template(path = "mail/two_factor.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) enabled: bool,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/two_factor.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) enabled: bool,
    }
}

mod email_change {
    #[derive(askama::Template)]
    #[template(path = "mail/email_change.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) email: &'a str,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/email_change.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) email: &'a str,
        pub(super) link: &'a str,
    }
}

mod email_changing {
    #[derive(askama::Template)]
    #[template(path = "mail/email_changing.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) email: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/email_changing.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) email: &'a str,
    }
}

mod notification {
    #[derive(askama::Template)]
    #[template(path = "mail/notification.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) from: &'a str,
        pub(super) what: &'a str,
        pub(super) excerpt: &'a Option<String>,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/notification.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) from: &'a str,
        pub(super) what: &'a str,
        pub(super) excerpt: &'a Option<String>,
        pub(super) link: &'a str,
    }
}

mod appeal_submitted {
    #[derive(askama::Template)]
    #[template(path = "mail/appeal_submitted.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) from: &'a str,
        pub(super) text: &'a str,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/appeal_submitted.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) from: &'a str,
        pub(super) text: &'a str,
        pub(super) link: &'a str,
    }
}

mod appeal_decided {
    #[derive(askama::Template)]
    #[template(path = "mail/appeal_decided.txt", escape = "none")]
    pub(super) struct Text<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) approved: bool,
        pub(super) link: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "mail/appeal_decided.html")]
    pub(super) struct Html<'a> {
        pub(super) common: &'a super::Common<'a>,
        pub(super) username: &'a str,
        pub(super) approved: bool,
        pub(super) link: &'a str,
    }
}

fn both(text: &impl Template, html: &impl Template) -> Result<(String, String)> {
    let failed = |e: askama::Error| ServiceError::Internal(format!("rendering a mail: {e}"));
    Ok((
        text.render().map_err(failed)?,
        html.render().map_err(failed)?,
    ))
}

/// One line: any line break or other control character becomes a space (a subject can never
/// add a header).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Message {
    /// The message for `to`, from the instance called `title` at `base`.
    pub fn render(&self, to: &str, title: &str, base: &str) -> Result<OutgoingMail> {
        let title = one_line(title);
        let common = Common {
            title: &title,
            base,
        };
        let c = &common;
        let (subject, (text, html)) = match self {
            Message::Test => (
                "Test message".to_owned(),
                both(&test::Text { common: c }, &test::Html { common: c })?,
            ),
            Message::Confirmation { username, link } => (
                "Confirm your e-mail address".to_owned(),
                both(
                    &confirmation::Text {
                        common: c,
                        username,
                        link,
                    },
                    &confirmation::Html {
                        common: c,
                        username,
                        link,
                    },
                )?,
            ),
            Message::PasswordReset { username, link } => (
                "Reset your password".to_owned(),
                both(
                    &reset::Text {
                        common: c,
                        username,
                        link,
                    },
                    &reset::Html {
                        common: c,
                        username,
                        link,
                    },
                )?,
            ),
            Message::PasswordChanged {
                username,
                apps_signed_out,
            } => (
                "Your password was changed".to_owned(),
                both(
                    &changed::Text {
                        common: c,
                        username,
                        apps_signed_out: *apps_signed_out,
                    },
                    &changed::Html {
                        common: c,
                        username,
                        apps_signed_out: *apps_signed_out,
                    },
                )?,
            ),
            Message::TwoFactorChanged { username, enabled } => (
                if *enabled {
                    "Two-factor authentication is on".to_owned()
                } else {
                    "Two-factor authentication is off".to_owned()
                },
                both(
                    &two_factor::Text {
                        common: c,
                        username,
                        enabled: *enabled,
                    },
                    &two_factor::Html {
                        common: c,
                        username,
                        enabled: *enabled,
                    },
                )?,
            ),
            Message::EmailChange {
                username,
                email,
                link,
            } => (
                "Confirm your new e-mail address".to_owned(),
                both(
                    &email_change::Text {
                        common: c,
                        username,
                        email,
                        link,
                    },
                    &email_change::Html {
                        common: c,
                        username,
                        email,
                        link,
                    },
                )?,
            ),
            Message::EmailChanging { username, email } => (
                "Your e-mail address is being changed".to_owned(),
                both(
                    &email_changing::Text {
                        common: c,
                        username,
                        email,
                    },
                    &email_changing::Html {
                        common: c,
                        username,
                        email,
                    },
                )?,
            ),
            Message::Notification {
                username,
                from,
                what,
                excerpt,
                link,
            } => (
                format!("{from} {what}"),
                both(
                    &notification::Text {
                        common: c,
                        username,
                        from,
                        what,
                        excerpt,
                        link,
                    },
                    &notification::Html {
                        common: c,
                        username,
                        from,
                        what,
                        excerpt,
                        link,
                    },
                )?,
            ),
            Message::AppealSubmitted {
                username,
                from,
                text,
                link,
            } => (
                format!("{from} appealed a moderation decision"),
                both(
                    &appeal_submitted::Text {
                        common: c,
                        username,
                        from,
                        text,
                        link,
                    },
                    &appeal_submitted::Html {
                        common: c,
                        username,
                        from,
                        text,
                        link,
                    },
                )?,
            ),
            Message::AppealDecided {
                username,
                approved,
                link,
            } => (
                if *approved {
                    "Your appeal was approved".to_owned()
                } else {
                    "Your appeal was rejected".to_owned()
                },
                both(
                    &appeal_decided::Text {
                        common: c,
                        username,
                        approved: *approved,
                        link,
                    },
                    &appeal_decided::Html {
                        common: c,
                        username,
                        approved: *approved,
                        link,
                    },
                )?,
            ),
        };
        Ok(OutgoingMail {
            to: to.to_owned(),
            subject: one_line(&format!("{title}: {subject}")),
            text,
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_line_and_html_is_escaped() {
        let m = Message::Confirmation {
            username: "<b>eve</b>".into(),
            link: "https://example.test/auth/confirmation?confirmation_token=a&b".into(),
        }
        .render(
            "eve@example.test",
            "Evil\r\nBcc: x@y",
            "https://example.test",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
        assert!(m.subject.starts_with("Evil  Bcc: x@y: "));
        assert!(m.html.contains("&#60;b&#62;eve&#60;/b&#62;"));
        assert!(!m.html.contains("<b>eve"));
        assert!(m.html.contains("confirmation_token=a&#38;b"));
        assert!(m.text.contains("confirmation_token=a&b"));
        assert!(m.text.contains("<b>eve</b>"));
    }
}
