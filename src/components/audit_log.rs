//! A room's audit log, for its moderators and owner: who did what to whom and when,
//! newest first, live as it grows; a ban can be lifted from its entry. The room's
//! slow mode is set above it.

use leptos::prelude::*;

use super::slow_mode_setting::SlowModeSetting;
use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{AuditAction, AuditEntry, ClientMsg, ConversationId, Role},
};

#[component]
pub fn AuditLog(conversation: ConversationId, on_close: Callback<()>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    chat.update(|s| s.open_audit(Some(conversation)));
    socket.send(ClientMsg::AuditLog {
        conversation,
        before: None,
    });
    on_cleanup(move || {
        chat.update(|s| s.open_audit(None));
    });
    let shown = Memo::new(move |_| {
        chat.read(Part::Moderation, |s| {
            s.audit
                .as_ref()
                .filter(|a| a.conversation == conversation)
                .map(|a| (a.entries.clone(), a.has_more))
        })
    });
    let earlier = move |_| {
        let before = shown.with_untracked(|s| s.as_ref().and_then(|(e, _)| e.last().map(|e| e.id)));
        socket.send(ClientMsg::AuditLog {
            conversation,
            before,
        });
    };
    view! {
        <section class="panel audit-panel" aria-labelledby="audit-heading" data-testid="audit-log">
            <div class="panel-header">
                <h2 id="audit-heading">{leptos_fluent::move_tr!("moderation-log")}</h2>
                <button class="link-button" data-testid="close-audit" on:click=move |_| on_close.run(())>{leptos_fluent::move_tr!("close")}</button>
            </div>
            <SlowModeSetting conversation=conversation/>
            {move || match shown.get() {
                Some((entries, _)) if entries.is_empty() => Some(view! {
                    <p class="muted" data-testid="audit-empty">{leptos_fluent::move_tr!("moderation-log-empty")}</p>
                }.into_any()),
                Some((entries, has_more)) => Some(view! {
                    <ol class="audit-entries">
                        {entries.into_iter().map(|e| view! { <Entry conversation=conversation entry=e/> }).collect_view()}
                    </ol>
                    {has_more.then(|| view! {
                        <button class="link-button" on:click=earlier>{leptos_fluent::move_tr!("load-earlier")}</button>
                    })}
                }.into_any()),
                None => None,
            }}
        </section>
    }
}

#[component]
fn Entry(conversation: ConversationId, entry: AuditEntry) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let i18n = expect_context::<I18n>();
    let actor = entry.actor.nickname.clone();
    let target = entry
        .target
        .as_ref()
        .map(|t| t.nickname.clone())
        .unwrap_or_default();
    let action = entry.action.clone();
    let what = move || {
        let (actor, target) = (actor.clone(), target.clone());
        match &action {
            AuditAction::Kicked => {
                leptos_fluent::tr!(i18n, "audit-kicked", { "actor" => actor, "target" => target })
            }
            AuditAction::Banned { removed } => {
                leptos_fluent::tr!(i18n, "audit-banned", { "actor" => actor, "target" => target, "removed" => *removed })
            }
            AuditAction::Unbanned => {
                leptos_fluent::tr!(i18n, "audit-unbanned", { "actor" => actor, "target" => target })
            }
            AuditAction::TimedOut { until_ms } => {
                leptos_fluent::tr!(i18n, "audit-timed-out", { "actor" => actor, "target" => target, "until" => i18n::message_time(i18n, *until_ms) })
            }
            AuditAction::TimeoutLifted => {
                leptos_fluent::tr!(i18n, "audit-timeout-lifted", { "actor" => actor, "target" => target })
            }
            AuditAction::RoleSet { role: Role::Owner } => {
                leptos_fluent::tr!(i18n, "audit-made-owner", { "actor" => actor, "target" => target })
            }
            AuditAction::RoleSet {
                role: Role::Moderator,
            } => {
                leptos_fluent::tr!(i18n, "audit-made-moderator", { "actor" => actor, "target" => target })
            }
            AuditAction::RoleSet { .. } => {
                leptos_fluent::tr!(i18n, "audit-made-member", { "actor" => actor, "target" => target })
            }
            AuditAction::MessageRemoved { .. } => {
                leptos_fluent::tr!(i18n, "audit-message-removed", { "actor" => actor, "target" => target })
            }
            AuditAction::PrivacySet { private: true } => {
                leptos_fluent::tr!(i18n, "audit-made-private", { "actor" => actor })
            }
            AuditAction::PrivacySet { private: false } => {
                leptos_fluent::tr!(i18n, "audit-made-public", { "actor" => actor })
            }
            AuditAction::InviteCreated { .. } => {
                leptos_fluent::tr!(i18n, "audit-invite-created", { "actor" => actor })
            }
            AuditAction::InviteRevoked => {
                leptos_fluent::tr!(i18n, "audit-invite-revoked", { "actor" => actor })
            }
            AuditAction::SlowModeSet { seconds: 0 } => {
                leptos_fluent::tr!(i18n, "audit-slow-mode-off", { "actor" => actor })
            }
            AuditAction::SlowModeSet { seconds } => {
                let span = i18n::seconds_span(i18n, *seconds);
                leptos_fluent::tr!(i18n, "audit-slow-mode-set", { "actor" => actor, "span" => span })
            }
        }
    };
    let at = entry.at_ms;
    let unban = matches!(entry.action, AuditAction::Banned { .. })
        .then(|| entry.target.as_ref().map(|t| t.id))
        .flatten();
    view! {
        <li class="audit-entry" data-testid="audit-entry">
            <span>{what}</span> " "
            <time title=move || i18n::message_date(i18n, at)>{move || i18n::message_time(i18n, at)}</time>
            {unban.map(|user| view! {
                " "
                <button class="link-button" data-testid="unban" on:click=move |_| socket.send(ClientMsg::Unban { conversation, user })>
                    {leptos_fluent::move_tr!("unban")}
                </button>
            })}
        </li>
    }
}
