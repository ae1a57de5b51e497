//! 简体中文 and English. Every string of the UI is a Fluent message in `locales/`
//! (leptos-fluent): the language comes from the `lang` cookie (the user's choice),
//! else the browser's (`navigator.languages`, or `Accept-Language` for the page the
//! server renders), and `<html lang>` follows it. Dates and times are formatted by
//! the browser's `Intl` in the same language. The server's refusals are shown by
//! their code, so they read in the user's language too.

use leptos::prelude::*;
use leptos_fluent::leptos_fluent;
pub use leptos_fluent::I18n;

use crate::protocol::ErrorCode;

/// Provides the [`I18n`] context to everything inside it.
#[component]
pub fn I18nProvider(children: Children) -> impl IntoView {
    leptos_fluent! {
        children: children(),
        locales: "./locales",
        languages: "./locales/languages.json",
        default_language: "en",
        // Checked when built with debug assertions (clippy, `cargo test`): a `tr!`
        // key missing from a language, or a message no `tr!` uses, fails the build.
        #[cfg(debug_assertions)]
        check_translations: "./src/**/*.rs",
        // No Unicode isolation marks around arguments: both languages are
        // left-to-right, and the marks would be invisible characters in the text.
        customise: |bundle| bundle.set_use_isolating(false),
        sync_html_tag_lang: true,
        // The user's choice, read by the server too (the page it renders).
        cookie_name: "lang",
        cookie_attrs: "SameSite=Lax; Path=/; Max-Age=31536000",
        initial_language_from_cookie: true,
        set_language_to_cookie: true,
        initial_language_from_navigator: true,
        initial_language_from_navigator_to_cookie: true,
        initial_language_from_accept_language_header: true,
    }
}

/// What a refusal of the server (or the browser's own check of the same rule) means,
/// in the user's language.
pub fn refusal(i18n: I18n, code: ErrorCode) -> String {
    match code {
        ErrorCode::MalformedMessage | ErrorCode::UnsupportedFrame => {
            leptos_fluent::tr!(i18n, "error-malformed-message")
        }
        ErrorCode::NotLoggedIn => leptos_fluent::tr!(i18n, "error-not-logged-in"),
        ErrorCode::AlreadyLoggedIn => leptos_fluent::tr!(i18n, "error-already-logged-in"),
        ErrorCode::InvalidNickname => leptos_fluent::tr!(i18n, "error-invalid-nickname", {
            "max" => crate::protocol::NICKNAME_MAX_CHARS,
        }),
        ErrorCode::NicknameTaken => leptos_fluent::tr!(i18n, "error-nickname-taken"),
        ErrorCode::InvalidAvatar => leptos_fluent::tr!(i18n, "error-invalid-avatar"),
        ErrorCode::InvalidRoomName => leptos_fluent::tr!(i18n, "error-invalid-room-name", {
            "max" => crate::protocol::ROOM_NAME_MAX_CHARS,
        }),
        ErrorCode::InvalidText => leptos_fluent::tr!(i18n, "error-invalid-text", {
            "max" => crate::protocol::TEXT_MAX_CHARS,
        }),
        ErrorCode::InvalidClientId => leptos_fluent::tr!(i18n, "error-invalid-client-id"),
        ErrorCode::SessionInvalid => leptos_fluent::tr!(i18n, "error-session-invalid"),
        ErrorCode::NoSuchConversation => leptos_fluent::tr!(i18n, "error-no-such-conversation"),
        ErrorCode::NoSuchUser => leptos_fluent::tr!(i18n, "error-no-such-user"),
        ErrorCode::NotAMember => leptos_fluent::tr!(i18n, "error-not-a-member"),
        ErrorCode::NoSuchMessage => leptos_fluent::tr!(i18n, "error-no-such-message"),
        ErrorCode::NotYourMessage => leptos_fluent::tr!(i18n, "error-not-your-message"),
        ErrorCode::InvalidReaction => leptos_fluent::tr!(i18n, "error-invalid-reaction"),
        ErrorCode::InvalidQuery => leptos_fluent::tr!(i18n, "error-invalid-query", {
            "max" => crate::protocol::QUERY_MAX_CHARS,
        }),
        ErrorCode::CannotLeave => leptos_fluent::tr!(i18n, "error-cannot-leave"),
        ErrorCode::RateLimited => leptos_fluent::tr!(i18n, "error-rate-limited"),
        ErrorCode::LinkCodeInvalid => leptos_fluent::tr!(i18n, "error-link-code-invalid"),
        ErrorCode::LinkCodeExpired => leptos_fluent::tr!(i18n, "error-link-code-expired"),
        ErrorCode::LinkCodeUsed => leptos_fluent::tr!(i18n, "error-link-code-used"),
        ErrorCode::LinkDeclined => leptos_fluent::tr!(i18n, "error-link-declined"),
        ErrorCode::LinkGone => leptos_fluent::tr!(i18n, "error-link-gone"),
        ErrorCode::NoSuchDevice => leptos_fluent::tr!(i18n, "error-no-such-device"),
        ErrorCode::PasskeysOff => leptos_fluent::tr!(i18n, "error-passkeys-off"),
        ErrorCode::PasskeyFailed => leptos_fluent::tr!(i18n, "error-passkey-failed"),
        ErrorCode::PasskeyUnknown => leptos_fluent::tr!(i18n, "error-passkey-unknown"),
        ErrorCode::PasskeyRefused => leptos_fluent::tr!(i18n, "error-passkey-refused", {
            "max" => crate::protocol::PASSKEYS_MAX,
        }),
        ErrorCode::NoSuchPasskey => leptos_fluent::tr!(i18n, "error-no-such-passkey"),
        ErrorCode::NotAllowed => leptos_fluent::tr!(i18n, "error-not-allowed"),
        ErrorCode::Banned => leptos_fluent::tr!(i18n, "error-banned"),
        ErrorCode::TimedOut => leptos_fluent::tr!(i18n, "error-timed-out"),
        ErrorCode::SlowMode => leptos_fluent::tr!(i18n, "error-slow-mode"),
        ErrorCode::AccountBanned => leptos_fluent::tr!(i18n, "error-account-banned"),
        ErrorCode::InvalidReport => leptos_fluent::tr!(i18n, "error-invalid-report"),
        ErrorCode::NoSuchReport => leptos_fluent::tr!(i18n, "error-no-such-report"),
        ErrorCode::RoomUnavailable => leptos_fluent::tr!(i18n, "error-room-unavailable"),
        ErrorCode::InvalidInvite => leptos_fluent::tr!(i18n, "error-invalid-invite"),
        ErrorCode::DirectClosed => leptos_fluent::tr!(i18n, "error-direct-closed"),
        ErrorCode::TooManyBlocks => leptos_fluent::tr!(i18n, "error-too-many-blocks", {
            "max" => crate::protocol::MAX_BLOCKS,
        }),
        ErrorCode::UploadsOff => leptos_fluent::tr!(i18n, "error-uploads-off"),
        ErrorCode::FileTooLarge => leptos_fluent::tr!(i18n, "error-file-too-large"),
        ErrorCode::UploadQuota => leptos_fluent::tr!(i18n, "error-upload-quota"),
        ErrorCode::InvalidImage => leptos_fluent::tr!(i18n, "error-invalid-image"),
        ErrorCode::Internal => leptos_fluent::tr!(i18n, "error-internal"),
    }
}

/// An avatar's name (its picture's alternative text), for the ids of
/// [`crate::protocol::AVATARS`].
pub fn avatar_name(i18n: I18n, id: &str) -> String {
    match id {
        "fox" => leptos_fluent::tr!(i18n, "avatar-fox"),
        "owl" => leptos_fluent::tr!(i18n, "avatar-owl"),
        "cat" => leptos_fluent::tr!(i18n, "avatar-cat"),
        "bear" => leptos_fluent::tr!(i18n, "avatar-bear"),
        "frog" => leptos_fluent::tr!(i18n, "avatar-frog"),
        "panda" => leptos_fluent::tr!(i18n, "avatar-panda"),
        "tiger" => leptos_fluent::tr!(i18n, "avatar-tiger"),
        "koala" => leptos_fluent::tr!(i18n, "avatar-koala"),
        "rabbit" => leptos_fluent::tr!(i18n, "avatar-rabbit"),
        "penguin" => leptos_fluent::tr!(i18n, "avatar-penguin"),
        "whale" => leptos_fluent::tr!(i18n, "avatar-whale"),
        "octopus" => leptos_fluent::tr!(i18n, "avatar-octopus"),
        other => other.to_string(),
    }
}

/// A span of seconds in words ("30 s", "5 min", "1 h"), in whole units.
pub fn seconds_span(i18n: I18n, seconds: u32) -> String {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        leptos_fluent::tr!(i18n, "span-hours", { "n" => seconds / 3600 })
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        leptos_fluent::tr!(i18n, "span-minutes", { "n" => seconds / 60 })
    } else {
        leptos_fluent::tr!(i18n, "span-seconds", { "n" => seconds })
    }
}

/// Why the server closed the connection, for the close codes the user is told of.
pub fn closed_because(i18n: I18n, code: u16, reason: &str) -> String {
    use crate::protocol::close_code;
    match (code, reason) {
        (close_code::MESSAGE_TOO_BIG, _) => leptos_fluent::tr!(i18n, "closed-too-big"),
        (close_code::POLICY_VIOLATION, close_code::REASON_FLOOD) => {
            leptos_fluent::tr!(i18n, "closed-flood")
        }
        (close_code::POLICY_VIOLATION, _) => leptos_fluent::tr!(i18n, "closed-invalid"),
        (code, _) => leptos_fluent::tr!(i18n, "closed-other", { "code" => code }),
    }
}

/// A message's time: `14:03` today, with the date before today; in the user's language.
pub fn message_time(i18n: I18n, ms: i64) -> String {
    let language = i18n.language.get().id;
    #[cfg(feature = "hydrate")]
    {
        let today = js_sys::Date::new_0();
        let then = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let same_day = today.get_full_year() == then.get_full_year()
            && today.get_month() == then.get_month()
            && today.get_date() == then.get_date();
        let style = if same_day {
            TimeStyle::Time
        } else {
            TimeStyle::DateTime
        };
        intl::format(language, style, ms)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // The server renders no messages; UTC keeps this total anyway.
        let _ = language;
        let minutes = ms.div_euclid(60_000);
        format!(
            "{:02}:{:02}",
            minutes.div_euclid(60).rem_euclid(24),
            minutes.rem_euclid(60)
        )
    }
}

/// A message's full date and time (its tooltip), in the user's language.
pub fn message_date(i18n: I18n, ms: i64) -> String {
    let language = i18n.language.get().id;
    #[cfg(feature = "hydrate")]
    {
        intl::format(language, TimeStyle::Full, ms)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = language;
        message_time(i18n, ms)
    }
}

#[cfg(feature = "hydrate")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeStyle {
    Time,
    DateTime,
    Full,
}

/// `Intl.DateTimeFormat`s, made once per language and style: a busy room formats
/// hundreds of times, and making a formatter costs far more than using one.
#[cfg(feature = "hydrate")]
mod intl {
    use std::cell::RefCell;

    use js_sys::{Array, Intl::DateTimeFormat, Object, Reflect};
    use wasm_bindgen::JsValue;

    use super::TimeStyle;

    thread_local! {
        static FORMATS: RefCell<Vec<(&'static str, TimeStyle, DateTimeFormat)>> =
            const { RefCell::new(Vec::new()) };
    }

    fn options(style: TimeStyle) -> Object {
        let options = Object::new();
        let set = |key: &str, value: &str| {
            let _ = Reflect::set(&options, &key.into(), &value.into());
        };
        match style {
            TimeStyle::Time => {
                set("hour", "2-digit");
                set("minute", "2-digit");
            }
            TimeStyle::DateTime => {
                set("month", "short");
                set("day", "numeric");
                set("hour", "2-digit");
                set("minute", "2-digit");
            }
            TimeStyle::Full => {
                set("dateStyle", "full");
                set("timeStyle", "short");
            }
        }
        options
    }

    pub(super) fn format(language: &'static str, style: TimeStyle, ms: i64) -> String {
        FORMATS.with(|formats| {
            let mut formats = formats.borrow_mut();
            let at = match formats
                .iter()
                .position(|(l, s, _)| *l == language && *s == style)
            {
                Some(at) => at,
                None => {
                    let locales = Array::of1(&language.into());
                    formats.push((
                        language,
                        style,
                        DateTimeFormat::new(&locales, &options(style)),
                    ));
                    formats.len() - 1
                }
            };
            let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
            formats[at]
                .2
                .format()
                .call1(&JsValue::UNDEFINED, &date)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::protocol::AVATARS;

    const EN: &str = include_str!("../locales/en/main.ftl");
    const ZH_CN: &str = include_str!("../locales/zh-CN/main.ftl");

    /// The message ids a Fluent file defines (lines `id = …` at the start).
    fn ids(ftl: &str) -> BTreeSet<&str> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let (en, zh) = (ids(EN), ids(ZH_CN));
        assert!(en.len() > 100, "{} messages", en.len());
        assert_eq!(
            en.difference(&zh).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "missing in zh-CN"
        );
        assert_eq!(
            zh.difference(&en).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "missing in en"
        );
    }

    #[test]
    fn every_avatar_has_a_name() {
        for locale in [EN, ZH_CN] {
            let ids = ids(locale);
            for avatar in AVATARS {
                assert!(
                    ids.contains(format!("avatar-{avatar}").as_str()),
                    "{avatar}"
                );
            }
        }
    }

    #[test]
    fn chinese_messages_are_translated() {
        // An English sentence left in zh-CN by mistake: a message with words of
        // Latin letters and no Chinese at all (keys, codes and names aside).
        let untranslated: Vec<&str> = ZH_CN
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" = ").map(|(_, text)| text))
            .filter(|text| {
                let words = text
                    .split_whitespace()
                    .filter(|w| w.len() > 3 && w.chars().all(|c| c.is_ascii_alphabetic()));
                words.count() > 0 && !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            })
            .collect();
        assert!(untranslated.is_empty(), "{untranslated:?}");
    }
}
