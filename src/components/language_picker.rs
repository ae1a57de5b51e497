//! The language switch: each language named in itself, so anyone finds theirs.
//! The choice is kept in a cookie, which the server reads too.

use leptos::prelude::*;

use crate::i18n::I18n;

#[component]
pub fn LanguagePicker() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let choose = move |ev| {
        let id = event_target_value(&ev);
        if let Some(language) = i18n.languages.iter().find(|l| l.id == id) {
            i18n.language.set(language);
        }
    };
    view! {
        <label class="language-picker">
            <span class="visually-hidden">{leptos_fluent::move_tr!("language")}</span>
            <span aria-hidden="true">"🌐"</span>
            <select data-testid="language" on:change=choose>
                {i18n
                    .languages
                    .iter()
                    .map(|language| {
                        view! {
                            <option
                                value=language.id
                                lang=language.id
                                selected=move || i18n.language.get().id == language.id
                            >
                                {language.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
