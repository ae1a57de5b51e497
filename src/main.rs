//! The server binary: settings, then the HTTP + WebSocket server until Ctrl-C or
//! SIGTERM; or, with `admin`, the operator's list of instance admins.

/// The commands of the server binary.
#[cfg(feature = "ssr")]
#[derive(clap::Parser)]
#[command(name = "chat", about = "A real-time chat server", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[cfg(feature = "ssr")]
#[derive(clap::Subcommand)]
enum Command {
    /// Serve the chat (what `chat` alone does).
    Serve,
    /// The instance admins, in the configured database (every server of a cluster
    /// reads it within seconds).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[cfg(feature = "ssr")]
#[derive(clap::Subcommand)]
enum AdminAction {
    /// Make the user of this nickname an instance admin.
    Grant { nickname: String },
    /// Make them an instance admin no more.
    Revoke { nickname: String },
    /// List the instance admins.
    List,
    /// Ban the user of this nickname from the server: their sessions end and the name
    /// is kept from anyone else.
    Ban { nickname: String },
    /// Lift that ban.
    Unban { nickname: String },
}

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use std::process::ExitCode;

    use chat::server::{admin::AdminCommand, serve, Config};
    use clap::Parser;
    use tracing_subscriber::EnvFilter;

    let cli = Cli::parse();

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chat: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Admin { action }) = cli.command {
        let command = match action {
            AdminAction::Grant { nickname } => AdminCommand::Grant(nickname),
            AdminAction::Revoke { nickname } => AdminCommand::Revoke(nickname),
            AdminAction::List => AdminCommand::List,
            AdminAction::Ban { nickname } => AdminCommand::Ban(nickname),
            AdminAction::Unban { nickname } => AdminCommand::Unban(nickname),
        };
        return match chat::server::admin::run(&config, command).await {
            Ok(said) => {
                println!("{said}");
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("chat admin: {why}");
                ExitCode::from(1)
            }
        };
    }
    let listener = match tokio::net::TcpListener::bind(config.listen_addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chat: cannot listen on {}: {e}", config.listen_addr);
            return ExitCode::from(1);
        }
    };
    match listener.local_addr() {
        Ok(addr) => tracing::info!("listening on http://{addr}"),
        Err(e) => tracing::warn!("listening, but the local address is unknown: {e}"),
    }
    if let Err(e) = serve(listener, config, shutdown_signal()).await {
        eprintln!("chat: server error: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM.
#[cfg(feature = "ssr")]
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The client is the library, built for wasm32 with `hydrate`; see lib.rs.
}
