//! The home page. For now: what the app is, and a live check of the link to the server.

use leptos::prelude::*;

use crate::{client::socket::Socket, components::connection_status::ConnectionBanner};

#[component]
pub fn HomePage() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let round_trip = socket.round_trip_ms();
    let connected =
        move || socket.status().get() == crate::client::socket::ConnectionStatus::Connected;

    view! {
        <main class="home">
            <header class="home-header">
                <h1>"Chat"</h1>
                <p class="tagline">"Pick a nickname, join a room, talk in real time."</p>
            </header>
            <ConnectionBanner/>
            <section class="latency">
                <button
                    class="button"
                    data-testid="measure-latency"
                    disabled=move || !connected()
                    on:click=move |_| socket.measure_round_trip()
                >
                    "Measure round trip"
                </button>
                <output data-testid="round-trip" aria-live="polite">
                    {move || match round_trip.get() {
                        Some(ms) => format!("Round trip: {ms} ms"),
                        None => String::new(),
                    }}
                </output>
            </section>
        </main>
    }
}
