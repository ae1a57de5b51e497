//! UI components, one concern per file.

pub mod audit_log;
pub mod avatar;
pub mod blocked_section;
pub mod chat_page;
pub mod composer;
pub mod connection_status;
pub mod devices_section;
pub mod invites_panel;
pub mod language_picker;
pub mod link_requests;
pub mod link_this_device;
pub mod list_filter;
pub mod login_page;
pub mod message_list;
pub mod message_row;
pub mod message_text;
pub mod moderation_menu;
pub mod passkey_sign_in;
pub mod passkeys_section;
pub mod reports_panel;
pub mod room_list;
pub mod search_panel;
pub mod settings_panel;
pub mod slow_mode_setting;
pub mod unread_badge;
pub mod user_list;
