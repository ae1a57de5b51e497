//! A room's open reports, for its moderators (and the instance admins), or every room's,
//! for an instance admin (rooms they are not in too): which message of whom, where,
//! why, who reported it and when; each marked handled from here. New reports come in
//! live while the panel is open.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{ClientMsg, ConversationId, ReportInfo},
};

/// The reports of `conversation`, or with none those of every room.
#[component]
pub fn ReportsPanel(
    #[prop(optional)] conversation: Option<ConversationId>,
    on_close: Callback<()>,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    chat.update(|s| s.open_reports(conversation));
    socket.send(ClientMsg::Reports { conversation });
    on_cleanup(move || {
        chat.update(|s| s.close_reports(conversation));
    });
    let everywhere = conversation.is_none();
    let reports = Memo::new(move |_| {
        chat.read(Part::Moderation, |s| {
            s.reports_view
                .as_ref()
                .filter(|v| v.conversation == conversation)
                .and_then(|v| v.reports.clone())
        })
    });
    view! {
        <section class="panel reports-panel" aria-labelledby="reports-heading" data-testid="reports-panel">
            <div class="panel-header">
                <h2 id="reports-heading">
                    {if everywhere { leptos_fluent::move_tr!("reports-everywhere") } else { leptos_fluent::move_tr!("reports") }}
                </h2>
                <button class="link-button" data-testid="close-reports" on:click=move |_| on_close.run(())>{leptos_fluent::move_tr!("close")}</button>
            </div>
            {move || match reports.get() {
                None => view! { <p class="muted">{leptos_fluent::move_tr!("reports-loading")}</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="muted" data-testid="reports-empty">{leptos_fluent::move_tr!("reports-none")}</p>
                }.into_any(),
                Some(list) => view! {
                    <ul class="reports">
                        {list.into_iter().map(|report| view! { <Report report=report everywhere=everywhere/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// One open report (with where it is, in the list of every room), and marking it
/// handled.
#[component]
fn Report(report: ReportInfo, everywhere: bool) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let i18n = expect_context::<I18n>();
    let id = report.id;
    let (wrote, by) = (
        report.reported.nickname.clone(),
        report.reporter.nickname.clone(),
    );
    let at = report.at_ms;
    view! {
        <li class="report" data-testid="report">
            {everywhere.then(|| match report.room.clone() {
                Some(room) => view! {
                    <p class="report-where" data-testid="report-room">
                        <a href=format!("/chat/{room}")>{format!("# {room}")}</a>
                    </p>
                }.into_any(),
                None => view! {
                    <p class="report-where muted" data-testid="report-room">{leptos_fluent::move_tr!("report-in-direct")}</p>
                }.into_any(),
            })}
            <p class="report-of">
                {move || leptos_fluent::tr!(i18n, "report-of", { "name" => wrote.clone() })}
            </p>
            <blockquote class="report-snippet" data-testid="report-snippet">{report.snippet.clone()}</blockquote>
            {(!report.reason.is_empty()).then(|| view! {
                <p class="report-reason" data-testid="report-reason-shown">{report.reason.clone()}</p>
            })}
            <p class="muted">
                {move || leptos_fluent::tr!(i18n, "report-by", { "name" => by.clone(), "time" => i18n::message_date(i18n, at) })}
            </p>
            <button class="button small" data-testid="handle-report" on:click=move |_| socket.send(ClientMsg::HandleReport { report: id })>
                {leptos_fluent::move_tr!("report-handled")}
            </button>
        </li>
    }
}
