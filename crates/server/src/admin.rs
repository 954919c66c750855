//! `rookery admin …`: operator commands over the same use cases the API uses.

use std::fmt::Write as _;

use rookery_model::Role;
use rookery_service::{NewLocalAccount, Services};
use rookery_store::{LocalAccount, Page};

use crate::app::StartError;

fn fail(e: rookery_service::ServiceError) -> StartError {
    StartError::Other(match e {
        rookery_service::ServiceError::NotFound(what) => format!("{what} not found"),
        other => other.to_string(),
    })
}

/// `admin accounts create`.
pub async fn create(
    services: &Services,
    username: &str,
    email: &str,
    role: Role,
) -> Result<String, StartError> {
    let created = services
        .create_local_account(NewLocalAccount {
            username: username.to_owned(),
            email: email.to_owned(),
            password: None,
            role,
            confirmed: true,
            approved: true,
        })
        .await
        .map_err(fail)?;
    let name = &created.local.account.username;
    let mut out = format!(
        "Created @{name}@{} ({role}) with id {}.\n",
        services.settings.domain, created.local.account.id
    );
    if let Some(p) = created.generated_password {
        let _ = writeln!(out, "Password: {p}");
        let _ = writeln!(out, "Sign in at {}/ and change it.", services.urls.base());
    }
    Ok(out)
}

fn line(l: &LocalAccount) -> String {
    format!(
        "{:<20} {:<30} {:<10} {:<10} {}",
        l.account.id,
        l.account.username,
        l.user.role,
        if l.account.suspended_at.is_some() {
            "suspended"
        } else if !l.user.approved {
            "pending"
        } else {
            "active"
        },
        l.user.email
    )
}

/// `admin accounts list`.
pub async fn list(services: &Services, limit: u32) -> Result<String, StartError> {
    let accounts = services
        .list_local_accounts(Page {
            max_id: None,
            limit,
        })
        .await
        .map_err(fail)?;
    let mut out = format!(
        "{:<20} {:<30} {:<10} {:<10} {}\n",
        "ID", "USERNAME", "ROLE", "STATE", "EMAIL"
    );
    for l in &accounts {
        out.push_str(&line(l));
        out.push('\n');
    }
    Ok(out)
}

/// `admin accounts show`.
pub async fn show(services: &Services, username: &str) -> Result<String, StartError> {
    let l = services.local_account(username).await.map_err(fail)?;
    let a = &l.account;
    let u = &l.user;
    let ts = |t: Option<rookery_model::Timestamp>| t.map_or("-".to_owned(), |t| t.to_rfc3339());
    Ok(format!(
        "id:           {}\nusername:     {}\nhandle:       @{}@{}\nactor:        {}\nemail:        {}\n\
         role:         {}\nconfirmed:    {}\napproved:     {}\nsuspended:    {}\ncreated:      {}\n",
        a.id,
        a.username,
        a.username,
        services.settings.domain,
        services.urls.actor(a.username.as_str()),
        u.email,
        u.role,
        ts(u.confirmed_at),
        u.approved,
        ts(a.suspended_at),
        a.created_at.to_rfc3339(),
    ))
}

/// `admin accounts reset-password`.
pub async fn reset_password(services: &Services, username: &str) -> Result<String, StartError> {
    let generated = services
        .reset_password(username, None)
        .await
        .map_err(fail)?;
    Ok(format!(
        "New password for {username}: {}\n",
        generated.unwrap_or_default()
    ))
}

/// `admin accounts set-role`.
pub async fn set_role(
    services: &Services,
    username: &str,
    role: Role,
) -> Result<String, StartError> {
    let l = services.set_role(username, role).await.map_err(fail)?;
    Ok(format!("{} is now {}.\n", l.account.username, l.user.role))
}

/// `admin accounts suspend` (or `--undo`).
pub async fn suspend(
    services: &Services,
    username: &str,
    undo: bool,
) -> Result<String, StartError> {
    let l = services
        .set_suspended(username, !undo)
        .await
        .map_err(fail)?;
    Ok(if undo {
        format!("{} is no longer suspended.\n", l.account.username)
    } else {
        format!("{} is suspended.\n", l.account.username)
    })
}
