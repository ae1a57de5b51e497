//! `chat admin grant|revoke|list|ban|unban`: the operator names the instance admins (and
//! bans users from the server), against the
//! configured database (so for every server of a cluster at once: each reads the list
//! every few seconds). An admin is above every room's owner, moderates `general`, and
//! keeps their nickname past the idle expiry.

use super::{hub::nickname_skeleton, store::Store, Config};

/// What the operator asks of the admin list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Make the user of this nickname (its holder now, or else its newest user) an admin.
    Grant(String),
    /// Make them an admin no more.
    Revoke(String),
    /// List the admins.
    List,
    /// Ban the user of this nickname from the server (every server of a cluster ends
    /// their tabs within seconds).
    Ban(String),
    /// Lift that ban.
    Unban(String),
}

/// Carries out `command` on the database of `config`: what to print, or why it failed.
pub async fn run(config: &Config, command: AdminCommand) -> Result<String, String> {
    let store = Store::open(&config.database_url).await.map_err(|e| {
        format!(
            "cannot open the database {}: {e}",
            super::store::redacted(&config.database_url)
        )
    })?;
    let outcome = match &command {
        AdminCommand::Grant(name) | AdminCommand::Revoke(name) => {
            let on = matches!(command, AdminCommand::Grant(_));
            let now = super::unix_millis();
            match store.set_admin(&nickname_skeleton(name), on, now).await {
                Ok(Some(user)) if on => Ok(format!(
                    "{} (user {}) is an instance admin.",
                    user.nickname, user.id
                )),
                Ok(Some(user)) => Ok(format!(
                    "{} (user {}) is not an instance admin now.",
                    user.nickname, user.id
                )),
                Ok(None) => Err(format!("Nobody here has the nickname {name:?}.")),
                Err(e) => Err(format!("storage failed: {e}")),
            }
        }
        AdminCommand::Ban(name) | AdminCommand::Unban(name) => {
            let on = matches!(command, AdminCommand::Ban(_));
            match store.user_by_skeleton(&nickname_skeleton(name)).await {
                Ok(Some(user)) => {
                    match store
                        .ban_from_server(user.id, None, on, super::unix_millis())
                        .await
                    {
                        Ok(_) if on => Ok(format!(
                            "{} (user {}) is banned from the server.",
                            user.nickname, user.id
                        )),
                        Ok(_) => Ok(format!(
                            "{} (user {}) is no longer banned from the server.",
                            user.nickname, user.id
                        )),
                        Err(e) => Err(format!("storage failed: {e}")),
                    }
                }
                Ok(None) => Err(format!("Nobody here has the nickname {name:?}.")),
                Err(e) => Err(format!("storage failed: {e}")),
            }
        }
        AdminCommand::List => match store.admin_users().await {
            Ok(admins) if admins.is_empty() => Ok("No instance admins.".to_string()),
            Ok(admins) => Ok(admins
                .iter()
                .map(|u| format!("{} (user {})", u.nickname, u.id))
                .collect::<Vec<_>>()
                .join("\n")),
            Err(e) => Err(format!("storage failed: {e}")),
        },
    };
    store.close().await;
    outcome
}
