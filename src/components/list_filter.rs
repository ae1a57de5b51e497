//! A sidebar list's filter: a search field, and how many more match than are shown
//! (lists stay short however many rooms and people a server has).

use leptos::prelude::*;

/// Rows a sidebar list shows at most; the filter finds the others.
pub const LIST_LIMIT: usize = 50;

#[component]
pub fn ListFilter(
    value: RwSignal<String>,
    label: &'static str,
    more: Signal<usize>,
) -> impl IntoView {
    let id = format!("filter-{}", label.to_lowercase().replace(' ', "-"));
    view! {
        <div class="list-filter">
            <label for=id.clone() class="visually-hidden">{label}</label>
            <input
                id=id
                type="search"
                placeholder=label
                data-testid=format!("{}", label.to_lowercase().replace(' ', "-"))
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <Show when=move || { more.get() > 0 }>
                <p class="list-more">{move || format!("{} more: type to narrow the list", more.get())}</p>
            </Show>
        </div>
    }
}
