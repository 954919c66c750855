//! `rookery admin apps …` and `rookery admin tokens …`: applications and tokens without a
//! browser, for bots, integrations and test suites that expect fixed credentials.

use rookery_service::{NewApp, Services};

use crate::admin::fail;
use crate::app::StartError;
use crate::cli::{AppsCommand, TokensCommand};

/// `admin apps create`.
pub async fn apps(services: &Services, command: &AppsCommand) -> Result<String, StartError> {
    match command {
        AppsCommand::Create {
            name,
            scopes,
            redirect_uri,
            client_id,
            client_secret,
        } => {
            let created = services
                .admin_create_app(
                    NewApp {
                        name: name.clone(),
                        redirect_uris: vec![redirect_uri.clone()],
                        scopes: scopes.clone(),
                        website: None,
                    },
                    client_id.clone(),
                    client_secret.clone(),
                )
                .await
                .map_err(fail)?;
            Ok(format!(
                "Created application {:?} with scopes {}.\nClient id: {}\nClient secret: {}\n",
                created.app.name, created.app.scopes, created.app.client_id, created.client_secret
            ))
        }
    }
}

/// `admin tokens create`.
pub async fn tokens(services: &Services, command: &TokensCommand) -> Result<String, StartError> {
    match command {
        TokensCommand::Create {
            account,
            app,
            scopes,
            token,
        } => {
            let issued = services
                .admin_create_token(account, app, scopes.as_deref(), token.clone())
                .await
                .map_err(fail)?;
            Ok(format!(
                "Created a token for @{account} with scopes {}.\nAccess token: {}\n",
                issued.token.scopes, issued.access_token
            ))
        }
    }
}
