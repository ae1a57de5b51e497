# The chat's texts in English. Every message here has the same key in
# zh-CN/main.ftl (a test checks it). Arguments are { $name }s.

app-name = Chat
page-not-found = Page not found.
language = Language

## Login page

login-tagline = Pick a nickname and an avatar to join the conversation.
login-nickname = Nickname
login-avatar = Avatar
login-join = Join the chat
login-joining = Joining…
avatar-fox = Fox
avatar-owl = Owl
avatar-cat = Cat
avatar-bear = Bear
avatar-frog = Frog
avatar-panda = Panda
avatar-tiger = Tiger
avatar-koala = Koala
avatar-rabbit = Rabbit
avatar-penguin = Penguin
avatar-whale = Whale
avatar-octopus = Octopus

## Linking this device to an account signed in on another one

link-this-device = Signed in on another device? Link this one
link-code-label = Code from your other device
link-code-hint = On your other device: Settings → Devices → Add a device.
link-submit = Link this device
link-waiting = Now allow this device on your other device (signed in as { $name }).

## Connection

status-connecting = Connecting…
status-connected = Connected
status-offline = You are offline. What you write is sent when the connection is back.
status-reconnecting = Reconnecting (attempt { $attempt }, next try in { $seconds } s)
status-idle = Ready (connects when you join)
reconnect-now = Reconnect now
closed-too-big = The server closed the connection: a message was too big.
closed-flood = The server closed the connection: too many requests.
closed-invalid = The server closed the connection: too many invalid messages.
closed-other = The server closed the connection (code { $code }).
dismiss = Dismiss

## Sidebar

rooms-and-people = Rooms and people
close-sidebar = Close the list of rooms and people
log-out = Log out
rooms = Rooms
filter-rooms = Filter rooms
members = members
leave-room = Leave #{ $room }
new-room = Join or create a room, or paste an invite link
go = Go
people = People
online-count = { $count } online
filter-people = Filter people
message-user = Message { $name }
is-online = , online
is-offline = , offline
list-more = { $count } more: type to narrow the list
unread-count = { $count ->
    [one] 1 unread message
   *[other] { $count } unread messages
}
mention-count = { $count ->
    [one] 1 unread message mentions you
   *[other] { $count } unread messages mention you
}

## Conversation

private-conversation = Private conversation
not-a-member = Not a member of this conversation.
join = Join
search-messages = Search messages
settings = Settings
messages = Messages
load-earlier = Load earlier messages
new-messages = New messages
typing-one = { $name } is typing…
typing-two = { $first } and { $second } are typing…
typing-many = Several people are typing…
user-joined = { $name } joined
user-left = { $name } left
user-kicked = { $name } was removed from the room by a moderator
user-banned = { $name } was banned from the room by a moderator
message-removed = removed by a moderator
message-deleted = message deleted
edited = (edited)
show-quoted = In reply to { $name }: show that message
someone-you-block = Someone you block
quote-of-blocked = a message of someone you block
message-actions = Message actions
reply = Reply
react = React
edit = Edit
delete = Delete
pick-reaction = Pick a reaction
react-with = React with { $emoji }
reaction-label = { $emoji } { $count }: { $names }
delete-title = Delete this message?
delete-confirm = Delete this message for everyone?
cancel = Cancel
sending = Sending…
waiting-for-connection = Waiting for the connection…
not-sent = Not sent: { $reason }
retry = Retry
discard = Discard

## Composer

composer-label = Message
replying-to = Replying to
editing = Editing your message
composer-placeholder = Message { $to }
composer-hint = Enter sends, Shift+Enter adds a line
composer-hint-touch = The Send button sends, Enter adds a line
mention-people = People to mention
characters-left = { $count ->
    [one] 1 character left
   *[other] { $count } characters left
}
send = Send
save = Save

## Search and settings

close = Close
search = Search
search-words = Words to find
search-only-here = Only in this conversation
searching = Searching…
search-nothing = Nothing found for “{ $query }”.
notifications = Notifications
notify-mentions = Notify me when someone mentions me while this tab is in the background
notify-refused = The browser did not allow notifications for this site. Allow them in the browser's site settings, then try again.
notify-unsupported = This browser cannot show notifications.

## Reports
report = Report to the moderators
report-reason = Why? (optional)
report-send = Send the report
reported-thanks = Reported. The room's moderators will look at it; the author is not told who reported it.
reports = Reports
reports-loading = Loading the reports…
reports-none = No open reports.
reports-new = { $count ->
    [one] 1 new report
   *[other] { $count } new reports
}
report-of = A message by { $name }:
report-by = Reported by { $name }, { $time }
report-handled = Mark handled
reports-everywhere = Reports from every room
report-in-direct = In a private conversation

## Blocking
block = Block
block-confirm = Block { $name }? You will not see their messages, and no private messages will pass between you. They are not told.
blocked-people = Blocked people
blocked-none = You have not blocked anyone.
unblock = Unblock
unblock-user = Unblock { $name }
you-blocked = You blocked { $name }.

## Read receipts

receipts = Read receipts
receipts-share = Share when I have read messages
receipt-seen = Seen
receipt-seen-at = Seen { $time }
receipt-read-by = { $count ->
    [one] Read by 1
   *[other] Read by { $count }
}

## Devices (in Settings)

devices = Devices
devices-loading = Loading your devices…
device-this = This device
device-active = Active now
device-last-seen = Last seen { $time }
device-unknown = Unknown browser
device-on = { $browser } on { $system }
device-end = End session
devices-end-others = End all other sessions
device-add = Add a device
link-offer-title = Add a device
link-offer-steps = On the new device, open this site, choose “Link this device” and type this code, or scan the QR code with its camera.
link-offer-qr = QR code of the link to this code
link-offer-expires = Valid once, until { $time }.
link-request = { $device } wants to sign in as you.
link-allow = Allow
link-refuse = Refuse

## Passkeys (the login page and Settings)

passkey-sign-in = Sign in with a passkey
passkey-waiting = Waiting for your passkey…
passkeys-elsewhere = Passkeys work at this site's other address:
passkeys = Passkeys
passkeys-about = Sign in on any device without typing your name, and keep your name however long you are away.
passkeys-loading = Loading your passkeys…
passkeys-none = No passkeys yet.
passkey-name-label = Name of the new passkey (optional)
passkey-add = Add a passkey
passkey-added = Passkey added. Next time, choose “Sign in with a passkey”.
passkey-created = Added { $time }
passkey-last-used = Last used { $time }
passkey-never-used = Not used yet
passkey-remove = Remove
passkey-cancelled = The passkey dialog was closed; nothing changed.
passkey-already-here = This device already holds a passkey of your account.
passkey-unsupported = This browser cannot use a passkey here.

## What the server (or the browser's own check) refused, by error code

error-malformed-message = The server did not understand a request of this page; reload it.
error-not-logged-in = Log in first.
error-already-logged-in = This connection already has a session.
error-invalid-nickname = A nickname has 1 to { $max } letters, digits, spaces (one between words) and _ - . only.
error-nickname-taken = That nickname (or one that looks the same) is in use. Choose another, or if it is yours, link this device from your other one.
error-invalid-avatar = Choose one of the avatars shown.
error-invalid-room-name = A room name has 1 to { $max } characters: a-z, 0-9, - and _.
error-invalid-text = A message has 1 to { $max } characters, and no control or direction characters.
error-invalid-client-id = The page sent a message the server could not accept; reload it.
error-session-invalid = Your session has ended. Log in again.
error-no-such-conversation = There is no such conversation or room.
error-no-such-user = There is no such user.
error-not-a-member = You are not a member of this conversation.
error-no-such-message = That message is not there any more (it may have been deleted).
error-not-your-message = You can edit or delete only your own messages.
error-invalid-reaction = That reaction is not one of those offered.
error-invalid-query = Type a word to search for ({ $max } characters at most).
error-cannot-leave = Everyone stays in general.
error-rate-limited = Too many requests at once; wait a moment.
error-link-code-invalid = There is no such code. Check it against your other device.
error-link-code-expired = This code has expired. Make a new one on your other device.
error-link-code-used = This code was used already. Make a new one on your other device.
error-link-declined = Your other device did not allow this one.
error-link-gone = The device being linked is no longer waiting. Start again with a new code.
error-no-such-device = That session has ended already.
error-passkeys-off = Passkeys are not set up on this server.
error-passkey-failed = The passkey could not be checked, or it took too long. Try again.
error-passkey-unknown = This passkey is not one of an account here (it may have been removed).
error-passkey-refused = This passkey could not be added: it is registered already, its name is too long, or you have { $max } passkeys.
error-no-such-passkey = That passkey was removed already.
error-not-allowed = Your role in this room does not allow that (nobody acts on someone of their own role or above).
error-banned = You are banned from this room.
error-timed-out = A moderator has timed you out in this room: you can read, but not write, for now.
error-slow-mode = This room is in slow mode: your message goes once the wait is over.
error-account-banned = An admin has banned this account from the server.
error-invalid-report = That message cannot be reported (one of your own, deleted, or the reason is over 500 characters).
error-no-such-report = That report was handled already.
error-room-unavailable = There is no room of that name you can join (a private room needs an invite link). Pick another name.
error-invalid-invite = This invite link does not work: it has expired, been used up or been revoked. Ask for a new one.
error-direct-closed = No private messages can pass between you and this person.
error-too-many-blocks = You can block at most { $max } people. Unblock someone in Settings first.
error-uploads-off = This server does not take files.
error-file-too-large = That file is too large for this server.
error-upload-quota = Your files take all the room this server gives one person.
error-invalid-image = That picture cannot be read: it is damaged, or too large to open.
error-internal = The server could not complete this; try again.

# Moderation
remove-message = Remove this message (moderator)
moderate = Moderate the author
moderate-user = Moderate { $name }
timeout-for = How long
time-out = Time out
for-5-minutes = for 5 minutes
for-1-hour = for 1 hour
for-1-day = for 1 day
for-1-week = for 1 week
kick = Remove from the room
ban = Ban
ban-removes = Their messages
ban-keep-messages = keep their messages
ban-remove-hour = remove their last hour
ban-remove-day = remove their last day
make-moderator = Make moderator
remove-moderator = Remove as moderator
make-owner = Hand the room over
unban = Let back in
ban-from-server = Ban from the server
moderation-log = Moderation log
moderation-log-empty = Nothing has been done here yet.
audit-kicked = { $actor } removed { $target } from the room
audit-banned = { $actor } banned { $target } ({ $removed } messages removed)
audit-unbanned = { $actor } let { $target } back in
audit-timed-out = { $actor } timed { $target } out until { $until }
audit-timeout-lifted = { $actor } ended { $target }'s timeout
audit-made-owner = { $actor } handed the room over to { $target }
audit-made-moderator = { $actor } made { $target } a moderator
audit-made-member = { $actor } took { $target }'s role away
audit-message-removed = { $actor } removed a message of { $target }
audit-made-private = { $actor } made the room private
audit-made-public = { $actor } made the room public
audit-invite-created = { $actor } made an invite link
audit-invite-revoked = { $actor } revoked an invite link
audit-slow-mode-set = { $actor } set slow mode to one message every { $span }
audit-slow-mode-off = { $actor } turned slow mode off
slow-mode = Slow mode
slow-mode-off = Off
slow-mode-note = Members wait this long between their messages; moderators do not.
slow-mode-on = Slow mode: one message every { $span }
span-seconds = { $n } s
span-minutes = { $n } min
span-hours = { $n } h

# Private rooms and invites
private-room = Private room
invite-links = Invite links
room-private-switch = Private: not listed, not found by name; people join with an invite link
invites-none = No live invite links.
invite-expires = Expires
invite-uses = Uses
expires-1-hour = after 1 hour
expires-1-day = after 1 day
expires-7-days = after 7 days
expires-30-days = after 30 days
expires-never = never
uses-1 = 1 person
uses-5 = 5 people
uses-25 = 25 people
uses-unlimited = no limit
create-invite = Make a link
invite-link = Invite link
invite-used = Used { $uses } of { $max }
invite-used-unlimited = Used { $uses } times
invite-until = until { $time }
invite-forever = no expiry
copy = Copy
copied = Copied
revoke = Revoke
invite-pending = You were invited to a room: sign in to join it.
you-were-kicked = A moderator removed you from #{ $room }. You may join it again.
you-were-banned = A moderator banned you from #{ $room }.
timed-out-until = A moderator has timed you out here until { $time }: you can read, but not write.
