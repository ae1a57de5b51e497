//! A message's text with the chat's formatting (src/client/markdown.rs): elements
//! built from parsed data, never HTML; links open in a new tab, without a referrer.

use leptos::prelude::*;

use crate::client::markdown::{parse, Block, Span};

#[component]
pub fn MessageText(text: String) -> impl IntoView {
    parse(&text)
        .into_iter()
        .map(|block| match block {
            Block::Paragraph(spans) => view! { <p>{spans_view(spans)}</p> }.into_any(),
            Block::Code(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
        })
        .collect_view()
}

fn spans_view(spans: Vec<Span>) -> AnyView {
    spans
        .into_iter()
        .map(|span| match span {
            Span::Text(text) => text.into_any(),
            Span::Strong(children) => view! { <strong>{spans_view(children)}</strong> }.into_any(),
            Span::Emphasis(children) => view! { <em>{spans_view(children)}</em> }.into_any(),
            Span::Code(code) => view! { <code>{code}</code> }.into_any(),
            Span::Link { href, children } => view! {
                <a href=href target="_blank" rel="noopener noreferrer nofollow">{spans_view(children)}</a>
            }
            .into_any(),
            Span::Break => view! { <br/> }.into_any(),
        })
        .collect_view()
        .into_any()
}
