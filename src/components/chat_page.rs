//! The chat page (`/chat`, `/chat/:room`, `/chat/dm/:user`): the sidebar and the open
//! conversation. It picks the conversation from the URL and keeps it loaded and read.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::{
    client::{
        chat::Part,
        socket::{ConnectionStatus, Socket},
        state::Session,
    },
    components::{
        audit_log::AuditLog,
        avatar::Avatar,
        composer::{Compose, ComposeMode, Composer},
        connection_status::{ConnectionBanner, NoticeBar},
        invites_panel::InvitesPanel,
        link_requests::LinkRequests,
        message_list::MessageList,
        reports_panel::ReportsPanel,
        room_list::RoomList,
        search_panel::SearchPanel,
        settings_panel::SettingsPanel,
        user_list::UserList,
    },
    i18n::I18n,
    protocol::{ClientMsg, ConversationId, UserId, GENERAL_ROOM},
};

/// How often read marks are reported to the server at most.
const READ_REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// What the conversation column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Conversation,
    Search,
    Settings,
    /// The open room's audit log (for its moderators).
    Moderation,
    /// The open room's invite links and privacy (for its moderators).
    Invites,
    /// The open room's open reports (for its moderators).
    Reports,
    /// The open reports of every room (for an instance admin).
    AllReports,
}

/// Whether the screen is narrow (a phone): the sidebar is then a drawer over the
/// conversation. Follows the window's width.
fn narrow_screen() -> RwSignal<bool> {
    let narrow = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let check = move || {
            let matches = window()
                .match_media("(max-width: 720px)")
                .ok()
                .flatten()
                .is_some_and(|m| m.matches());
            if narrow.get_untracked() != matches {
                narrow.set(matches);
            }
        };
        Effect::new(move |_| check());
        let handle = window_event_listener(leptos::ev::resize, move |_| check());
        on_cleanup(move || handle.remove());
    }
    narrow
}

/// Which conversation the URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Room(String),
    Direct(UserId),
}

#[component]
pub fn ChatPage() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let params = use_params_map();
    let sidebar_open = RwSignal::new(false);
    let panel = RwSignal::new(Panel::Conversation);
    let narrow = narrow_screen();
    // On a phone the closed drawer is out of reach of Tab and screen readers too.
    let sidebar_hidden = move || narrow.get() && !sidebar_open.get();
    let close_sidebar = move || {
        sidebar_open.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().get_element_by_id("sidebar-toggle") {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" && sidebar_open.get_untracked() {
                close_sidebar();
            }
        });
        on_cleanup(move || handle.remove());
    }
    // A reply or edit under way belongs to the conversation it started in.
    let compose = RwSignal::new(Compose::New);
    provide_context(ComposeMode(compose));

    let target = Memo::new(move |_| {
        params.with(|p| {
            if let Some(user) = p.get("user").and_then(|u| u.parse().ok()) {
                Target::Direct(UserId(user))
            } else {
                Target::Room(p.get("room").unwrap_or_else(|| GENERAL_ROOM.to_string()))
            }
        })
    });
    let current = Memo::new(move |_| {
        chat.read(Part::Rooms, |s| match target.get() {
            Target::Room(name) => s.room_by_name(&name).map(|c| c.info.id),
            Target::Direct(user) => s.direct_with(user).map(|c| c.info.id),
        })
    });
    let logged_in =
        Memo::new(move |_| chat.read(Part::Session, |s| matches!(s.session, Session::Ready(_))));

    // Without a session (none stored, logged out, expired): back to the login page.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let anonymous = chat.read(Part::Session, |s| s.session == Session::Anonymous);
        if anonymous && socket.ready_for_login() {
            navigate("/", Default::default());
        }
    });

    Effect::new(move |_| {
        current.track();
        compose.set(Compose::New);
    });

    // An invite just accepted: its room opens.
    let navigate_to_room = use_navigate();
    Effect::new(move |_| {
        if chat.read(Part::Session, |s| s.invited_to.is_some()) {
            if let Some(Some(name)) = chat.update(|s| s.take_invited_to()) {
                navigate_to_room(&format!("/chat/{name}"), Default::default());
            }
        }
    });

    // A private conversation named by the URL is opened on the server if needed
    // (once connected: a request made before would not be sent).
    let status = socket.status();
    Effect::new(move |_| {
        let connected = status.get() == ConnectionStatus::Connected;
        if let (Target::Direct(user), true, None, true) =
            (target.get(), logged_in.get(), current.get(), connected)
        {
            socket.send(ClientMsg::OpenDirect { user });
        }
    });

    // The open conversation's newest page is loaded after every (re)connect.
    let loaded = Memo::new(move |_| {
        let id = current.get()?;
        chat.read(Part::Messages(id), |s| {
            s.conversations.get(&id).map(|c| (id, c.loaded))
        })
    });
    Effect::new(move |_| {
        if let Some((id, false)) = loaded.get() {
            socket.send(ClientMsg::History {
                conversation: id,
                before: None,
                from: None,
            });
        }
    });

    // What arrives in the open conversation of a visible tab is read; the server is
    // told at most once a second, not once per message of a busy room.
    let visible = socket.visible();
    Effect::new(move |_| {
        let focus = if visible.get() { current.get() } else { None };
        chat.update(|s| s.set_focus(focus));
    });
    chat.after_changes(Part::Unread, READ_REPORT_EVERY, move || {
        for msg in chat.update(|s| s.read_reports()).unwrap_or_default() {
            socket.send(msg);
        }
    });

    let i18n = expect_context::<I18n>();
    let unread = Memo::new(move |_| chat.read(Part::Unread, |s| s.total_unread()));
    let mentions = Memo::new(move |_| chat.read(Part::Unread, |s| s.total_mentions()));
    let title = move || {
        let name = leptos_fluent::tr!(i18n, "app-name");
        match (unread.get(), mentions.get()) {
            (0, _) => name,
            (n, 0) => format!("({n}) {name}"),
            (n, m) => format!("({n}, @{m}) {name}"),
        }
    };
    let heading = move || {
        let title = match current.get() {
            Some(id) => {
                chat.track(Part::Rooms);
                chat.read(Part::People, |s| s.title(id))
            }
            None => match target.get() {
                Target::Room(name) => Some(format!("# {name}")),
                Target::Direct(_) => None,
            },
        };
        title.unwrap_or_else(|| leptos_fluent::tr!(i18n, "private-conversation"))
    };
    let me = move || chat.read(Part::Session, |s| s.me().cloned());
    let moderates = Memo::new(move |_| {
        let id = current.get()?;
        chat.read(Part::Conversation(id), |s| s.my_role(id).moderates())
            .then_some(id)
    });
    let admin = Memo::new(move |_| chat.read(Part::Session, |s| s.admin));

    view! {
        <Title text=title/>
        <div class="chat" class:sidebar-open=move || sidebar_open.get()>
            <aside class="sidebar" id="sidebar" aria-label=leptos_fluent::move_tr!("rooms-and-people") inert=sidebar_hidden>
                <div class="me">
                    {move || me().map(|me| view! {
                        <Avatar id=me.avatar.clone()/>
                        <span class="me-name" data-testid="me">{me.nickname.clone()}</span>
                    })}
                    <button class="link-button" data-testid="logout" on:click=move |_| socket.logout()>
                        {leptos_fluent::move_tr!("log-out")}
                    </button>
                    <button
                        class="icon-button sidebar-close"
                        data-testid="sidebar-close"
                        aria-label=leptos_fluent::move_tr!("close-sidebar")
                        on:click=move |_| close_sidebar()
                    >
                        <span aria-hidden="true">"✕"</span>
                    </button>
                </div>
                <RoomList current=current on_pick=move || sidebar_open.set(false)/>
                <UserList current=current on_pick=move || sidebar_open.set(false)/>
            </aside>
            <Show when=move || sidebar_open.get()>
                <div class="sidebar-backdrop" data-testid="sidebar-backdrop" on:click=move |_| close_sidebar()></div>
            </Show>
            <section class="conversation" aria-labelledby="conversation-title">
                <header class="conversation-header">
                    <button
                        class="sidebar-toggle"
                        id="sidebar-toggle"
                        data-testid="sidebar-toggle"
                        aria-controls="sidebar"
                        aria-expanded=move || sidebar_open.get().to_string()
                        on:click=move |_| sidebar_open.update(|o| *o = !*o)
                    >
                        <span aria-hidden="true">"☰"</span>
                        <span class="visually-hidden">{leptos_fluent::move_tr!("rooms-and-people")}</span>
                    </button>
                    <h1 id="conversation-title" data-testid="conversation-title">{heading}</h1>
                    <JoinButton target=target current=current/>
                    <PanelButton panel=panel opens=Panel::Search label=leptos_fluent::move_tr!("search-messages") icon="🔍" testid="open-search"/>
                    <PanelButton panel=panel opens=Panel::Settings label=leptos_fluent::move_tr!("settings") icon="⚙" testid="open-settings"/>
                    <Show when=move || moderates.get().is_some()>
                        <PanelButton panel=panel opens=Panel::Invites label=leptos_fluent::move_tr!("invite-links") icon="🔗" testid="open-invites"/>
                        <PanelButton panel=panel opens=Panel::Moderation label=leptos_fluent::move_tr!("moderation-log") icon="⚑" testid="open-audit"/>
                        <PanelButton panel=panel opens=Panel::Reports label=leptos_fluent::move_tr!("reports") icon="🚩" testid="open-reports"/>
                        {move || {
                            // An admin's count of every room's is beside their list of them.
                            let unseen = match moderates.get() {
                                Some(id) if !admin.get() => chat.read(Part::Moderation, |s| s.unseen_reports(id)),
                                _ => 0,
                            };
                            (unseen > 0).then(|| view! {
                                <span class="report-count" data-testid="unseen-reports" role="status">
                                    {move || leptos_fluent::tr!(i18n, "reports-new", { "count" => unseen })}
                                </span>
                            })
                        }}
                    </Show>
                    <Show when=move || admin.get()>
                        <PanelButton panel=panel opens=Panel::AllReports label=leptos_fluent::move_tr!("reports-everywhere") icon="🛡" testid="open-all-reports"/>
                        {move || {
                            let unseen = chat.read(Part::Moderation, |s| s.unseen_reports_anywhere());
                            (unseen > 0).then(|| view! {
                                <span class="report-count" data-testid="unseen-reports-anywhere" role="status">
                                    {move || leptos_fluent::tr!(i18n, "reports-new", { "count" => unseen })}
                                </span>
                            })
                        }}
                    </Show>
                </header>
                <ConnectionBanner/>
                <LinkRequests/>
                <NoticeBar/>
                {move || match panel.get() {
                    Panel::Search => Some(view! {
                        <SearchPanel current=current on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::Settings => Some(view! {
                        <SettingsPanel on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::Moderation => moderates.get().map(|id| view! {
                        <AuditLog conversation=id on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::Invites => moderates.get().map(|id| view! {
                        <InvitesPanel conversation=id on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::Reports => moderates.get().map(|id| view! {
                        <ReportsPanel conversation=id on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::AllReports => admin.get().then(|| view! {
                        <ReportsPanel on_close=Callback::new(move |_| panel.set(Panel::Conversation))/>
                    }.into_any()),
                    Panel::Conversation => None,
                }}
                {move || match current.get() {
                    Some(id) => view! {
                        <MessageList conversation=id/>
                        <ComposerOrTimeout conversation=id/>
                    }
                    .into_any(),
                    None => view! { <p class="empty">{leptos_fluent::move_tr!("not-a-member")}</p> }.into_any(),
                }}
            </section>
        </div>
    }
}

/// The composer; or while a moderator has timed the user out here, until when; or in
/// a private conversation with someone the user blocks, that, and "Unblock".
#[component]
fn ComposerOrTimeout(conversation: ConversationId) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    // Moves on when the timeout ends (the server's `timed_out` 0 ends it sooner).
    let tick = RwSignal::new(0u32);
    let until = Memo::new(move |_| {
        tick.track();
        chat.read(Part::Conversation(conversation), |s| {
            s.timed_out_until(conversation, crate::client::socket::now_ms())
        })
    });
    Effect::new(move |_| {
        if let Some(_until) = until.get() {
            #[cfg(feature = "hydrate")]
            {
                let wait = (_until as f64 - crate::client::socket::now_ms()).max(0.0) as u64;
                set_timeout(
                    move || tick.update(|t| *t += 1),
                    std::time::Duration::from_millis(wait + 250),
                );
            }
        }
    });
    let blocked_peer = Memo::new(move |_| {
        chat.track(Part::People);
        chat.read(Part::Conversation(conversation), |s| {
            s.blocked_peer(conversation)
        })
    });
    move || {
        if let Some(peer) = blocked_peer.get() {
            let id = peer.id;
            return view! {
                <p class="composer blocked-note" role="status" data-testid="blocked-note">
                    {move || leptos_fluent::tr!(i18n, "you-blocked", { "name" => peer.nickname.clone() })}
                    " "
                    <button type="button" class="link-button" data-testid="unblock-peer" on:click=move |_| socket.send(ClientMsg::Unblock { user: id })>
                        {leptos_fluent::move_tr!("unblock")}
                    </button>
                </p>
            }
            .into_any();
        }
        match until.get() {
        Some(until) => view! {
            <p class="composer timed-out" role="status" data-testid="timed-out">
                {move || leptos_fluent::tr!(i18n, "timed-out-until", { "time" => crate::i18n::message_time(i18n, until) })}
            </p>
        }
        .into_any(),
        None => view! { <Composer conversation=conversation/> }.into_any(),
    }
    }
}

/// "Join" for a room the URL names but the user is not in.
#[component]
fn JoinButton(target: Memo<Target>, current: Memo<Option<ConversationId>>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    move || match (target.get(), current.get()) {
        (Target::Room(name), None) => Some(view! {
            <button class="button" on:click=move |_| socket.send(ClientMsg::JoinRoom { name: name.clone() })>
                {leptos_fluent::move_tr!("join")}
            </button>
        }),
        _ => None,
    }
}

/// A header button that opens a panel in place of the conversation, or closes it.
#[component]
fn PanelButton(
    panel: RwSignal<Panel>,
    opens: Panel,
    label: Signal<String>,
    icon: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <button
            class="icon-button"
            data-testid=testid
            aria-label=label
            title=label
            aria-pressed=move || (panel.get() == opens).to_string()
            on:click=move |_| panel.update(|p| *p = if *p == opens { Panel::Conversation } else { opens })
        >
            <span aria-hidden="true">{icon}</span>
        </button>
    }
}
