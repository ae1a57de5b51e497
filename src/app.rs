//! The HTML shell and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    client::socket::use_socket,
    components::{chat_page::ChatPage, login_page::LoginPage},
    i18n::I18nProvider,
};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security_headers::set_page_policy();
    view! {
        <!DOCTYPE html>
        // `lang` is set by the I18nProvider (leptos_meta's <Html>), in the user's language.
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <I18nProvider>
            <Pages/>
        </I18nProvider>
    }
}

/// The routes, inside the language's context.
#[component]
fn Pages() -> impl IntoView {
    provide_context(use_socket());
    view! {
        <Title text=leptos_fluent::move_tr!("app-name")/>
        <Router>
            <Routes fallback=|| view! { <p class="not-found">{leptos_fluent::move_tr!("page-not-found")}</p> }>
                <Route path=path!("/") view=LoginPage/>
                <Route path=path!("/chat") view=ChatPage/>
                <Route path=path!("/chat/dm/:user") view=ChatPage/>
                <Route path=path!("/chat/:room") view=ChatPage/>
            </Routes>
        </Router>
    }
}
