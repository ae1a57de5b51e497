//! Linking devices and listing sessions from a test client.

use chat::protocol::{ClientMsg, Device, DeviceInfo, ErrorCode, LinkId, ServerMsg};
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::{connect_as, login_on, recv_until, send, Client, Tab, TestServer, PATIENCE};

/// What a laptop's Firefox and a phone's Chrome send as their `User-Agent`.
pub const LAPTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
pub const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// Logs in from a browser that says it is `user_agent`.
pub async fn login_as(server: &TestServer, nickname: &str, user_agent: &str) -> Tab {
    login_on(connect_as(server.addr, user_agent).await, nickname, "fox")
        .await
        .unwrap()
}

/// Asks for a link code on a signed-in tab: the code, and the link its QR code carries.
pub async fn offer(tab: &mut Tab) -> (String, Option<String>) {
    let start = ClientMsg::LinkStart {
        origin: Some("http://localhost:3000".into()),
    };
    send(&mut tab.client, &start).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::LinkCode { code, link, qr, .. } => {
            assert!(qr.as_ref().is_some_and(|q| !q.path.is_empty()));
            Some((code.clone(), link.clone()))
        }
        _ => None,
    })
    .await
}

/// Redeems a code on a new connection: the account it waits to join, or the refusal.
pub async fn redeem(client: &mut Client, code: &str) -> Result<String, ErrorCode> {
    send(client, &ClientMsg::LinkRedeem { code: code.into() }).await;
    recv_until(client, |m| match m {
        ServerMsg::LinkWaiting { nickname, .. } => Some(Ok(nickname.clone())),
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}

/// The request a signed-in tab gets when its code was redeemed.
pub async fn request(tab: &mut Tab) -> (LinkId, DeviceInfo) {
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::LinkRequest { link, device } => Some((*link, device.clone())),
        _ => None,
    })
    .await
}

pub async fn link_done(tab: &mut Tab) -> (LinkId, bool) {
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::LinkDone { link, accepted } => Some((*link, *accepted)),
        _ => None,
    })
    .await
}

/// Links a new device (a connection from `user_agent`) to `tab`'s user: its tab.
pub async fn link_new_device(server: &TestServer, tab: &mut Tab, user_agent: &str) -> Tab {
    let (code, _) = offer(tab).await;
    let mut phone = connect_as(server.addr, user_agent).await;
    redeem(&mut phone, &code).await.unwrap();
    let (link, _) = request(tab).await;
    send(
        &mut tab.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(link_done(tab).await, (link, true));
    ready_tab(phone).await.0
}

/// The `ready` of a linked device, with the token of its own session, and how many
/// are online.
pub async fn ready_tab(mut client: Client) -> (Tab, u32) {
    let (me, token, conversations, users, rooms, online) = recv_until(&mut client, |m| match m {
        ServerMsg::Ready {
            me,
            token,
            conversations,
            users,
            rooms,
            online_count,
            ..
        } => Some((
            me.clone(),
            token.clone(),
            conversations.clone(),
            users.clone(),
            rooms.clone(),
            *online_count,
        )),
        ServerMsg::Error { code, .. } => panic!("refused: {code:?}"),
        _ => None,
    })
    .await;
    let tab = Tab {
        client,
        me,
        token: token.expect("a linked device gets a token of its own"),
        conversations,
        users,
        rooms,
    };
    (tab, online)
}

pub async fn devices(tab: &mut Tab) -> Vec<Device> {
    send(&mut tab.client, &ClientMsg::Devices).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::Devices { devices } => Some(devices.clone()),
        _ => None,
    })
    .await
}

/// Waits for the server to close the connection; its close code.
pub async fn closed_with(client: &mut Client) -> u16 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, client.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => return frame.code.into(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    }
}
