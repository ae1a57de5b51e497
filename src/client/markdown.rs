//! A message's text as the small part of Markdown a chat needs: **bold**, *italic*,
//! `inline code`, code blocks, links (`[text](https://…)`, `<https://…>` and bare
//! `https://…`), and line breaks as typed. Parsed by pulldown-cmark into plain data
//! ([`Block`], [`Span`]) that the view turns into elements: never HTML. Everything
//! else Markdown knows (headings, lists, quotes, tables, images, HTML) shows as the
//! characters typed.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A paragraph or a code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Span>),
    Code(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Strong(Vec<Span>),
    Emphasis(Vec<Span>),
    Code(String),
    /// A link to an `http(s):` or `mailto:` address.
    Link {
        href: String,
        children: Vec<Span>,
    },
    Break,
}

/// Whether a link target may be followed: the web and mail only (no `javascript:`,
/// `data:` or relative paths).
fn safe_href(href: &str) -> bool {
    let lower = href.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// Spans being built, innermost last: the open element and its children.
enum Open {
    Strong,
    Emphasis,
    Link(String),
}

/// Parses a message's text (see the module's note).
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut stack: Vec<(Open, Vec<Span>)> = Vec::new();
    let mut code: Option<String> = None;
    // The source range of a construct shown as typed, and where it ends.
    let mut verbatim_until: Option<usize> = None;
    let parser = Parser::new_ext(text, Options::empty()).into_offset_iter();
    for (event, range) in parser {
        if let Some(end) = verbatim_until {
            if range.start < end {
                continue;
            }
            verbatim_until = None;
        }
        let push =
            |spans: &mut Vec<Span>, stack: &mut Vec<(Open, Vec<Span>)>, span: Span| match stack
                .last_mut()
            {
                Some((_, children)) => children.push(span),
                None => spans.push(span),
            };
        match event {
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {
                if matches!(event, Event::End(_)) {
                    close_all(&mut spans, &mut stack);
                    blocks.push(Block::Paragraph(std::mem::take(&mut spans)));
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                if matches!(kind, CodeBlockKind::Indented) {
                    // Four spaces of indentation are not a code block in a chat.
                    verbatim(text, range, &mut blocks, &mut verbatim_until);
                } else {
                    code = Some(String::new());
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let body = code.take().unwrap_or_default();
                blocks.push(Block::Code(
                    body.strip_suffix('\n').unwrap_or(&body).to_string(),
                ));
            }
            Event::Text(t) if code.is_some() => {
                if let Some(body) = code.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::Start(Tag::Strong) => stack.push((Open::Strong, Vec::new())),
            Event::Start(Tag::Emphasis) => stack.push((Open::Emphasis, Vec::new())),
            Event::Start(Tag::Link { dest_url, .. }) => {
                stack.push((Open::Link(dest_url.to_string()), Vec::new()))
            }
            Event::End(TagEnd::Strong | TagEnd::Emphasis | TagEnd::Link) => {
                close_one(&mut spans, &mut stack);
            }
            Event::Text(t) => {
                for (is_link, part) in linkify(&t) {
                    let span = if is_link && !inside_link(&stack) {
                        Span::Link {
                            href: part.to_string(),
                            children: vec![Span::Text(part.to_string())],
                        }
                    } else {
                        Span::Text(part.to_string())
                    };
                    push(&mut spans, &mut stack, span);
                }
            }
            Event::Code(c) => push(&mut spans, &mut stack, Span::Code(c.to_string())),
            Event::SoftBreak | Event::HardBreak => push(&mut spans, &mut stack, Span::Break),
            // Inline HTML and anything else inline: as typed.
            Event::InlineHtml(_)
            | Event::Html(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => {
                push(&mut spans, &mut stack, Span::Text(text[range].to_string()))
            }
            Event::Start(Tag::Image { .. }) => {
                push(
                    &mut spans,
                    &mut stack,
                    Span::Text(text[range.clone()].to_string()),
                );
                verbatim_until = Some(range.end);
            }
            // Headings, lists, quotes, rules, HTML blocks: the source as typed.
            Event::Start(_) | Event::Rule => {
                close_all(&mut spans, &mut stack);
                if !spans.is_empty() {
                    blocks.push(Block::Paragraph(std::mem::take(&mut spans)));
                }
                verbatim(text, range, &mut blocks, &mut verbatim_until);
            }
            _ => {}
        }
    }
    close_all(&mut spans, &mut stack);
    if !spans.is_empty() {
        blocks.push(Block::Paragraph(spans));
    }
    blocks
}

/// The source of `range` as a paragraph of its lines, and the events in it skipped.
fn verbatim(
    text: &str,
    range: std::ops::Range<usize>,
    blocks: &mut Vec<Block>,
    until: &mut Option<usize>,
) {
    // From the start of its line: an indented block's range starts after the indent.
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let source = text[start..range.end].trim_end_matches('\n');
    let mut spans = Vec::new();
    for (i, line) in source.split('\n').enumerate() {
        if i > 0 {
            spans.push(Span::Break);
        }
        for (is_link, part) in linkify(line) {
            spans.push(if is_link {
                Span::Link {
                    href: part.to_string(),
                    children: vec![Span::Text(part.to_string())],
                }
            } else {
                Span::Text(part.to_string())
            });
        }
    }
    blocks.push(Block::Paragraph(spans));
    *until = Some(range.end);
}

fn inside_link(stack: &[(Open, Vec<Span>)]) -> bool {
    stack.iter().any(|(open, _)| matches!(open, Open::Link(_)))
}

/// Closes the innermost open element into its parent.
fn close_one(spans: &mut Vec<Span>, stack: &mut Vec<(Open, Vec<Span>)>) {
    let Some((open, children)) = stack.pop() else {
        return;
    };
    let closed = match open {
        Open::Strong => vec![Span::Strong(children)],
        Open::Emphasis => vec![Span::Emphasis(children)],
        Open::Link(href) if safe_href(&href) => vec![Span::Link { href, children }],
        // A link anywhere else is its text.
        Open::Link(_) => children,
    };
    match stack.last_mut() {
        Some((_, parent)) => parent.extend(closed),
        None => spans.extend(closed),
    }
}

fn close_all(spans: &mut Vec<Span>, stack: &mut Vec<(Open, Vec<Span>)>) {
    while !stack.is_empty() {
        close_one(spans, stack);
    }
}

/// Reads `text` as runs of plain text and links (http/https).
pub fn linkify(text: &str) -> Vec<(bool, &str)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(rest.len(), |e| start + e);
        // A sentence's closing punctuation is not part of the link.
        let trimmed = rest[start..end].trim_end_matches(['.', ',', ')', '!', '?', ';', ':', '\'']);
        let end = start + trimmed.len();
        if start > 0 {
            parts.push((false, &rest[..start]));
        }
        parts.push((true, &rest[start..end]));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        parts.push((false, rest));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Span {
        Span::Text(s.into())
    }

    #[test]
    fn the_chat_subset_is_formatted() {
        assert_eq!(
            parse("**bold** and *it* `x<y`"),
            [Block::Paragraph(vec![
                Span::Strong(vec![text("bold")]),
                text(" and "),
                Span::Emphasis(vec![text("it")]),
                text(" "),
                Span::Code("x<y".into()),
            ])]
        );
        assert_eq!(
            parse("line one\nline two"),
            [Block::Paragraph(vec![
                text("line one"),
                Span::Break,
                text("line two")
            ])]
        );
        assert_eq!(
            parse("look:\n```\nfn main() {}\n  <b>\n```"),
            [
                Block::Paragraph(vec![text("look:")]),
                Block::Code("fn main() {}\n  <b>".into())
            ]
        );
        assert_eq!(
            parse("[docs](https://leptos.dev) or https://docs.rs."),
            [Block::Paragraph(vec![
                Span::Link {
                    href: "https://leptos.dev".into(),
                    children: vec![text("docs")]
                },
                text(" or "),
                Span::Link {
                    href: "https://docs.rs".into(),
                    children: vec![text("https://docs.rs")]
                },
                text("."),
            ])]
        );
    }

    #[test]
    fn nothing_else_is_read_as_markup() {
        // Unsafe link targets are their text; HTML is characters.
        assert_eq!(
            parse("[click](javascript:alert(1)) <img src=x onerror=alert(1)>"),
            [Block::Paragraph(vec![
                text("click"),
                text(" "),
                text("<img src=x onerror=alert(1)>"),
            ])]
        );
        assert_eq!(
            parse("<script>alert(1)</script>"),
            [Block::Paragraph(vec![text("<script>alert(1)</script>")])]
        );
        // Headings, lists and quotes stay as typed.
        assert_eq!(
            parse("# not a heading"),
            [Block::Paragraph(vec![text("# not a heading")])]
        );
        assert_eq!(
            parse("- one\n- two"),
            [Block::Paragraph(vec![
                text("- one"),
                Span::Break,
                text("- two")
            ])]
        );
        assert_eq!(
            parse("> quoted"),
            [Block::Paragraph(vec![text("> quoted")])]
        );
        assert_eq!(
            parse("![x](https://e.x/a.png)"),
            [Block::Paragraph(vec![text("![x](https://e.x/a.png)")])]
        );
        assert_eq!(
            parse("    indented"),
            [Block::Paragraph(vec![text("    indented")])]
        );
        assert_eq!(
            parse("你好 *世界*"),
            [Block::Paragraph(vec![
                text("你好 "),
                Span::Emphasis(vec![text("世界")])
            ])]
        );
    }

    #[test]
    fn links_are_found_in_text() {
        assert_eq!(
            linkify("see https://example.com/a?b=1, then http://x.y!"),
            [
                (false, "see "),
                (true, "https://example.com/a?b=1"),
                (false, ", then "),
                (true, "http://x.y"),
                (false, "!"),
            ]
        );
        assert_eq!(linkify("no links"), [(false, "no links")]);
        assert_eq!(linkify("<b>no link</b>"), [(false, "<b>no link</b>")]);
    }
}
