//! One budget per user (and per address) across servers: the tokens each server
//! takes from its rate-limit buckets ([`super::limits`]) are told to the others over
//! the bus (Redis pub/sub when configured) every [`SHARE_EVERY`], and each takes them
//! from its own buckets too. So a spammer with tabs on three servers gets one budget,
//! not three, give or take what is spent within one telling. The hub never waits for
//! Redis: its checks stay in memory, and what the bus loses is only a little budget.

use std::{collections::HashMap, net::IpAddr, time::Duration};

use crate::{protocol::UserId, server::bus::Event};

use super::{
    limits::{Kind, PerAddress},
    Done, State,
};

/// How long spending gathers before it is told.
const SHARE_EVERY: Duration = Duration::from_millis(100);

/// Tokens taken here and not told yet.
#[derive(Default)]
pub(super) struct Spent {
    users: HashMap<(UserId, u8), u32>,
    addresses: HashMap<(IpAddr, u8), u32>,
    /// A telling is due (a timer runs).
    scheduled: bool,
}

impl State {
    /// `user` took a token of `kind` here.
    pub(super) fn spent_by_user(&mut self, user: UserId, kind: Kind) {
        if self.bus.alone() {
            return;
        }
        *self.spent.users.entry((user, kind as u8)).or_default() += 1;
        self.share_soon();
    }

    /// `address` took a token of `bucket` here.
    pub(super) fn spent_by_address(&mut self, address: IpAddr, bucket: PerAddress) {
        if self.bus.alone() {
            return;
        }
        *self
            .spent
            .addresses
            .entry((address, bucket as u8))
            .or_default() += 1;
        self.share_soon();
    }

    fn share_soon(&mut self) {
        if self.spent.scheduled {
            return;
        }
        self.spent.scheduled = true;
        let done = self.done.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SHARE_EVERY).await;
            let _ = done.send(Done::ShareSpent);
        });
    }

    /// Tells the other servers what was spent here since the last telling.
    pub(super) fn share_spent(&mut self) {
        let spent = std::mem::take(&mut self.spent);
        let users: Vec<_> = spent
            .users
            .into_iter()
            .map(|((user, kind), n)| (user, kind, n))
            .collect();
        let addresses: Vec<_> = spent
            .addresses
            .into_iter()
            .map(|((address, bucket), n)| (address, bucket, n))
            .collect();
        if !users.is_empty() || !addresses.is_empty() {
            self.bus.publish(Event::Spent { users, addresses });
        }
    }

    /// Another server's spending: taken from the buckets here too.
    pub(super) fn spent_elsewhere(
        &mut self,
        users: Vec<(UserId, u8, u32)>,
        addresses: Vec<(IpAddr, u8, u32)>,
    ) {
        for (user, kind, n) in users {
            if let Some(kind) = Kind::numbered(kind) {
                self.limits.debit(kind, user, n);
            }
        }
        for (address, bucket, n) in addresses {
            if let Some(bucket) = PerAddress::numbered(bucket) {
                self.limits.debit_address(bucket, address, n);
            }
        }
    }
}
