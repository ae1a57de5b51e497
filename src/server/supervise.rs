//! Tasks the server cannot work without (the hub, the storage writer). If one of them
//! panics, the process stops with a clear line in the log, so that the operator's
//! supervisor (systemd, Docker, Kubernetes) starts it again and every client resumes;
//! never a server whose pages still load while its chat is dead.

use std::{any::Any, future::Future};

use tokio::task::JoinHandle;

/// The exit status of a process stopped by a panicked essential task (EX_SOFTWARE).
pub const EXIT_STATUS: i32 = 70;

/// Spawns `task`; if it panics, the process exits with [`EXIT_STATUS`]. The handle
/// returned ends when the task does.
pub fn spawn_essential<F>(name: &'static str, task: F) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = tokio::spawn(task);
    tokio::spawn(watch(name, handle, |name, why| {
        tracing::error!(task = name, panic = %why, "an essential task panicked: stopping the server so that it is restarted");
        eprintln!(
            "chat: the {name} panicked ({why}); stopping so that a supervisor restarts the server"
        );
        std::process::exit(EXIT_STATUS);
    }))
}

/// Waits for `handle`; calls `on_panic` with the task's name and panic message if it
/// panicked. A task that ended, or was cancelled as the runtime shut down, is let be.
async fn watch<F>(name: &'static str, handle: JoinHandle<()>, on_panic: F)
where
    F: FnOnce(&'static str, String),
{
    if let Err(e) = handle.await {
        if e.is_panic() {
            on_panic(name, panic_message(e.into_panic()));
        }
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "no message".to_string(), |s| s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn a_panic_is_reported_with_its_message_and_an_ending_is_not() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = |seen: Arc<Mutex<Vec<String>>>| {
            move |name: &'static str, why: String| {
                seen.lock().unwrap().push(format!("{name}: {why}"))
            }
        };
        let n = 7;
        let panicking = tokio::spawn(async move { panic!("hub state broken at {n}") });
        watch("hub", panicking, record(seen.clone())).await;
        let ending = tokio::spawn(async {});
        watch("writer", ending, record(seen.clone())).await;
        assert_eq!(*seen.lock().unwrap(), ["hub: hub state broken at 7"]);
    }
}
