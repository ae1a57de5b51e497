//! A sidebar list's filter: a search field, and how many more match than are shown
//! (lists stay short however many rooms and people a server has).

use leptos::prelude::*;

use crate::i18n::I18n;

/// Rows a sidebar list shows at most; the filter finds the others.
pub const LIST_LIMIT: usize = 50;

#[component]
pub fn ListFilter(
    value: RwSignal<String>,
    /// What is listed (`rooms`, `people`): the field's id.
    list: &'static str,
    label: Signal<String>,
    more: Signal<usize>,
) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let id = format!("filter-{list}");
    view! {
        <div class="list-filter">
            <label for=id.clone() class="visually-hidden">{label}</label>
            <input
                id=id.clone()
                type="search"
                placeholder=label
                data-testid=id
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <Show when=move || { more.get() > 0 }>
                <p class="list-more">{move || leptos_fluent::tr!(i18n, "list-more", { "count" => more.get() })}</p>
            </Show>
        </div>
    }
}
