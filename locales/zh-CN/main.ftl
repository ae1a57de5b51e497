# 聊天界面的简体中文文本。每条消息的键与 en/main.ftl 相同（有测试检查）。
# 参数写作 { $name }。

app-name = 聊天室
page-not-found = 找不到该页面。
language = 语言

## 登录页

login-tagline = 选一个昵称和头像，加入聊天。
login-nickname = 昵称
login-avatar = 头像
login-join = 进入聊天室
login-joining = 正在进入…
avatar-fox = 狐狸
avatar-owl = 猫头鹰
avatar-cat = 猫
avatar-bear = 熊
avatar-frog = 青蛙
avatar-panda = 熊猫
avatar-tiger = 老虎
avatar-koala = 考拉
avatar-rabbit = 兔子
avatar-penguin = 企鹅
avatar-whale = 鲸鱼
avatar-octopus = 章鱼

## 把这台设备关联到已在其他设备上登录的账号

link-this-device = 已在其他设备上登录？关联这台设备
link-code-label = 其他设备上显示的代码
link-code-hint = 在你的其他设备上：设置 → 设备 → 添加设备。
link-submit = 关联这台设备
link-waiting = 请在你的其他设备上允许这台设备（登录身份：{ $name }）。

## 连接

status-connecting = 正在连接…
status-connected = 已连接
status-offline = 你已离线。恢复连接后，你写的消息会自动发送。
status-reconnecting = 正在重新连接（第 { $attempt } 次，{ $seconds } 秒后重试）
status-idle = 就绪（进入聊天室时连接）
reconnect-now = 立即重连
closed-too-big = 服务器关闭了连接：消息过大。
closed-flood = 服务器关闭了连接：请求过多。
closed-invalid = 服务器关闭了连接：无效消息过多。
closed-other = 服务器关闭了连接（代码 { $code }）。
dismiss = 知道了

## 侧栏

rooms-and-people = 房间和成员
close-sidebar = 关闭房间和成员列表
log-out = 退出
rooms = 房间
filter-rooms = 筛选房间
members = 成员数
leave-room = 离开 #{ $room }
new-room = 加入或创建房间，或粘贴邀请链接
go = 前往
people = 成员
online-count = { $count } 人在线
filter-people = 筛选成员
message-user = 私聊 { $name }
is-online = ，在线
is-offline = ，离线
list-more = 还有 { $count } 个：输入文字缩小范围
unread-count = { $count } 条未读消息
mention-count = { $count } 条未读消息 @ 了你

## 会话

private-conversation = 私聊
not-a-member = 你不是这个会话的成员。
join = 加入
search-messages = 搜索消息
settings = 设置
messages = 消息
load-earlier = 加载更早的消息
new-messages = 有新消息
typing-one = { $name } 正在输入…
typing-two = { $first } 和 { $second } 正在输入…
typing-many = 多人正在输入…
user-joined = { $name } 加入了
user-left = { $name } 离开了
user-kicked = { $name } 被管理员移出了房间
user-banned = { $name } 被管理员禁止进入房间
message-removed = 已被管理员删除
message-deleted = 消息已删除
edited = （已编辑）
show-quoted = 回复 { $name }：查看原消息
someone-you-block = 你屏蔽的人
quote-of-blocked = 你屏蔽的人的消息
message-actions = 消息操作
reply = 回复
react = 表情回应
edit = 编辑
delete = 删除
pick-reaction = 选择表情
react-with = 用 { $emoji } 回应
reaction-label = { $emoji } { $count }：{ $names }
delete-title = 删除这条消息？
delete-confirm = 要为所有人删除这条消息吗？
cancel = 取消
sending = 正在发送…
waiting-for-connection = 等待连接…
not-sent = 未发送：{ $reason }
retry = 重试
discard = 丢弃

## 输入框

composer-label = 消息
replying-to = 回复
editing = 正在编辑你的消息
composer-placeholder = 发消息到 { $to }
composer-hint = Enter 发送，Shift+Enter 换行
composer-hint-touch = 点“发送”按钮发送，Enter 换行
mention-people = 可以 @ 的人
characters-left = 还可输入 { $count } 个字
send = 发送
save = 保存

## 搜索和设置

close = 关闭
search = 搜索
search-words = 要找的词
search-only-here = 只搜当前会话
searching = 正在搜索…
search-nothing = 没有找到“{ $query }”。
notifications = 通知
notify-mentions = 此标签页在后台时，有人 @ 我就通知我
notify-refused = 浏览器不允许本站显示通知。请在浏览器的网站设置中允许后再试。
notify-unsupported = 此浏览器不能显示通知。

## 举报
report = 向管理员举报
report-reason = 原因（可不填）
report-send = 提交举报
reported-thanks = 已举报。房间的管理员会查看；作者不会知道是谁举报的。
reports = 举报
reports-loading = 正在加载举报…
reports-none = 没有待处理的举报。
reports-new = { $count } 条新举报
report-of = { $name } 的消息：
report-by = { $name } 于 { $time } 举报
report-handled = 标记为已处理
reports-everywhere = 所有房间的举报
report-in-direct = 在私聊中

## 屏蔽
block = 屏蔽
block-confirm = 屏蔽 { $name }？你将看不到对方的消息，你们之间也无法互发私信。对方不会收到通知。
blocked-people = 已屏蔽的人
blocked-none = 你还没有屏蔽任何人。
unblock = 解除屏蔽
unblock-user = 解除屏蔽 { $name }
you-blocked = 你已屏蔽 { $name }。

## 已读回执

receipts = 已读回执
receipts-share = 让别人知道我已读了消息
receipt-seen = 已读
receipt-seen-at = { $time } 已读
receipt-read-by = { $count } 人已读

## 设备（在设置中）

devices = 设备
devices-loading = 正在加载你的设备…
device-this = 这台设备
device-active = 正在使用
device-last-seen = 最近使用：{ $time }
device-unknown = 未知浏览器
device-on = { $system } 上的 { $browser }
device-end = 结束会话
devices-end-others = 结束其他所有会话
device-add = 添加设备
link-offer-title = 添加设备
link-offer-steps = 在新设备上打开本网站，选择“关联这台设备”并输入这个代码，或用它的相机扫描二维码。
link-offer-qr = 指向这个代码的链接的二维码
link-offer-expires = 仅可使用一次，有效期至 { $time }。
link-request = { $device } 想以你的身份登录。
link-allow = 允许
link-refuse = 拒绝

## 通行密钥（登录页和设置）

passkey-sign-in = 用通行密钥登录
passkey-waiting = 正在等待你的通行密钥…
passkeys-elsewhere = 通行密钥只能在本站的另一个地址使用：
passkeys = 通行密钥
passkeys-about = 在任何设备上登录都无需输入昵称；离开再久，昵称也一直归你。
passkeys-loading = 正在加载你的通行密钥…
passkeys-none = 还没有通行密钥。
passkey-name-label = 新通行密钥的名称（可不填）
passkey-add = 添加通行密钥
passkey-added = 已添加通行密钥。下次请选择“用通行密钥登录”。
passkey-created = 添加于 { $time }
passkey-last-used = 上次使用于 { $time }
passkey-never-used = 尚未使用
passkey-remove = 删除
passkey-cancelled = 通行密钥对话框已关闭，没有任何改动。
passkey-already-here = 这台设备上已有你这个账号的通行密钥。
passkey-unsupported = 这个浏览器无法在这里使用通行密钥。

## 服务器（或浏览器自身的检查）拒绝的原因，按错误代码

error-malformed-message = 服务器无法理解本页面的请求，请刷新页面。
error-not-logged-in = 请先登录。
error-already-logged-in = 这个连接已经登录。
error-invalid-nickname = 昵称为 1 到 { $max } 个字符，只能用文字、数字、空格（词之间一个）和 _ - .。
error-nickname-taken = 这个昵称（或看起来相同的昵称）已被使用。请换一个；如果是你自己的，请从你的其他设备关联这台设备。
error-invalid-avatar = 请从给出的头像中选择一个。
error-invalid-room-name = 房间名为 1 到 { $max } 个字符：a-z、0-9、- 和 _。
error-invalid-text = 消息为 1 到 { $max } 个字符，不能含控制字符或文字方向控制符。
error-invalid-client-id = 页面发送了服务器无法接受的消息，请刷新页面。
error-session-invalid = 你的会话已结束，请重新登录。
error-no-such-conversation = 没有这个会话或房间。
error-no-such-user = 没有这个用户。
error-not-a-member = 你不是这个会话的成员。
error-no-such-message = 这条消息已不存在（可能已被删除）。
error-not-your-message = 只能编辑或删除自己的消息。
error-invalid-reaction = 这个表情不在可选范围内。
error-invalid-query = 请输入要搜索的词（最多 { $max } 个字符）。
error-cannot-leave = 所有人都留在 general 房间。
error-rate-limited = 请求太频繁，请稍等。
error-link-code-invalid = 没有这个代码，请与其他设备上显示的代码核对。
error-link-code-expired = 这个代码已过期，请在其他设备上生成新的代码。
error-link-code-used = 这个代码已被使用，请在其他设备上生成新的代码。
error-link-declined = 你的其他设备没有允许这台设备。
error-link-gone = 要关联的设备已不再等待，请用新的代码重新开始。
error-no-such-device = 这个会话已经结束。
error-passkeys-off = 这台服务器没有启用通行密钥。
error-passkey-failed = 无法验证这个通行密钥，或者等待太久。请重试。
error-passkey-unknown = 这个通行密钥不属于这里的任何账号（可能已被删除）。
error-passkey-refused = 无法添加这个通行密钥：它已经注册过、名称太长，或者你已有 { $max } 个通行密钥。
error-no-such-passkey = 这个通行密钥已经删除了。
error-not-allowed = 你在这个房间的角色不能这样做（任何人都不能对同级或更高角色的人这样做）。
error-banned = 你已被禁止进入这个房间。
error-timed-out = 管理员已暂时禁止你在这个房间发言：你现在只能看，不能写。
error-slow-mode = 这个房间开启了慢速模式：等待结束后你的消息会自动发出。
error-account-banned = 管理员已将此账号从服务器封禁。
error-invalid-report = 这条消息不能举报（是你自己的、已删除，或理由超过 500 个字）。
error-no-such-report = 这个举报已经处理过了。
error-room-unavailable = 没有你能加入的这个名称的房间（私密房间需要邀请链接）。请换一个名称。
error-invalid-invite = 这个邀请链接无效：已过期、已用完或已被撤销。请索取新的链接。
error-direct-closed = 你和此人之间无法互发私信。
error-too-many-blocks = 你最多可以屏蔽 { $max } 个人。请先在设置中解除屏蔽某人。
error-uploads-off = 这个服务器不接收文件。
error-file-too-large = 这个文件对这个服务器来说太大了。
error-upload-quota = 你的文件已经用完了这个服务器给每个人的空间。
error-invalid-image = 无法读取这张图片：它已损坏，或者太大无法打开。
error-internal = 服务器未能完成此操作，请重试。

# Moderation
remove-message = 删除这条消息（管理员）
moderate = 管理作者
moderate-user = 管理 { $name }
timeout-for = 时长
time-out = 禁言
for-5-minutes = 5 分钟
for-1-hour = 1 小时
for-1-day = 1 天
for-1-week = 1 周
kick = 移出房间
ban = 封禁
ban-removes = 其消息
ban-keep-messages = 保留其消息
ban-remove-hour = 删除其最近 1 小时的消息
ban-remove-day = 删除其最近 1 天的消息
make-moderator = 设为管理员
remove-moderator = 取消管理员
make-owner = 转让房间
unban = 解除封禁
ban-from-server = 从服务器封禁
moderation-log = 管理记录
moderation-log-empty = 这里还没有任何管理操作。
audit-kicked = { $actor } 把 { $target } 移出了房间
audit-banned = { $actor } 封禁了 { $target }（删除了 { $removed } 条消息）
audit-unbanned = { $actor } 解除了对 { $target } 的封禁
audit-timed-out = { $actor } 禁言了 { $target }，直到 { $until }
audit-timeout-lifted = { $actor } 解除了 { $target } 的禁言
audit-made-owner = { $actor } 把房间转让给了 { $target }
audit-made-moderator = { $actor } 把 { $target } 设为管理员
audit-made-member = { $actor } 取消了 { $target } 的角色
audit-message-removed = { $actor } 删除了 { $target } 的一条消息
audit-made-private = { $actor } 把房间设为私密
audit-made-public = { $actor } 把房间设为公开
audit-invite-created = { $actor } 创建了一个邀请链接
audit-invite-revoked = { $actor } 撤销了一个邀请链接
audit-slow-mode-set = { $actor } 开启了慢速模式：每 { $span } 一条消息
audit-slow-mode-off = { $actor } 关闭了慢速模式
slow-mode = 慢速模式
slow-mode-off = 关闭
slow-mode-note = 成员每发一条消息要等这么久；管理员不受限制。
slow-mode-on = 慢速模式：每 { $span } 只能发一条消息
span-seconds = { $n } 秒
span-minutes = { $n } 分钟
span-hours = { $n } 小时

# Private rooms and invites
private-room = 私密房间
invite-links = 邀请链接
room-private-switch = 私密：不公开列出，无法按名称找到；凭邀请链接加入
invites-none = 没有有效的邀请链接。
invite-expires = 有效期
invite-uses = 可用人数
expires-1-hour = 1 小时后过期
expires-1-day = 1 天后过期
expires-7-days = 7 天后过期
expires-30-days = 30 天后过期
expires-never = 永不过期
uses-1 = 1 人
uses-5 = 5 人
uses-25 = 25 人
uses-unlimited = 不限
create-invite = 创建链接
invite-link = 邀请链接
invite-used = 已使用 { $uses } / { $max }
invite-used-unlimited = 已使用 { $uses } 次
invite-until = 有效至 { $time }
invite-forever = 永久有效
copy = 复制
copied = 已复制
revoke = 撤销
invite-pending = 你收到了一个房间的邀请：登录后即可加入。
you-were-kicked = 管理员把你移出了 #{ $room }。你可以再次加入。
you-were-banned = 管理员禁止你进入 #{ $room }。
timed-out-until = 管理员已在这里禁言你，直到 { $time }：你可以看，但不能写。
