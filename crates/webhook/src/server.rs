//! [`Server`] and [`serve`]: run a [`Receiver`] on its own listener (HTTP
//! or HTTPS) until a signal, then stop gracefully.

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::config::ReceiverConfig;
use crate::error::Error;
use crate::metrics::MetricsSnapshot;
use crate::receiver::Receiver;
use crate::sink::Sink;
use crate::tls::{TlsListener, acceptor};

/// Asks a running [`Server`] to stop (the same as a signal). Cheap to clone;
/// may be used before the server runs.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Stops the server: no new connections, deliveries in flight finish
    /// (durably), then [`Server::run`] returns.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        *self.0.borrow()
    }
}

enum Bound {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// A receiver bound to its address, ready to run.
///
/// ```no_run
/// # async fn run() -> Result<(), velip_webhook::Error> {
/// use velip_webhook::{JsonLinesSink, ReceiverConfig, Server};
/// let config = ReceiverConfig::new()
///     .bind("127.0.0.1:8080".parse().unwrap())
///     .require_header("X-Velip-Key: k-123")?;
/// let server = Server::bind(config, JsonLinesSink::open("deliveries.jsonl")?).await?;
/// println!("deliveries to {}", server.url());
/// let totals = server.run_until(velip_webhook::shutdown_signal()).await?;
/// println!("{totals}");
/// # Ok(()) }
/// ```
pub struct Server {
    receiver: Receiver,
    listener: Bound,
    local_addr: SocketAddr,
    shutdown: ShutdownHandle,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Checks the configuration, reads the TLS files when set, binds the
    /// address and starts the [`Receiver`] over `sink`.
    ///
    /// # Errors
    /// [`Error::Config`], [`Error::Tls`], [`Error::Io`] (binding).
    pub async fn bind(config: ReceiverConfig, sink: impl Sink) -> Result<Self, Error> {
        config.validate()?;
        let tls = config.tls.as_ref().map(acceptor).transpose()?;
        let addr = config.bind;
        let tcp = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io(format!("bind {addr}"), e))?;
        let local_addr = tcp
            .local_addr()
            .map_err(|e| Error::io(format!("bind {addr}"), e))?;
        let listener = match tls {
            Some(acceptor) => Bound::Tls(
                TlsListener::new(tcp, acceptor)
                    .map_err(|e| Error::io(format!("bind {addr}"), e))?,
            ),
            None => Bound::Plain(tcp),
        };
        let receiver = Receiver::new(config, sink)?;
        Ok(Self {
            receiver,
            listener,
            local_addr,
            shutdown: ShutdownHandle(Arc::new(watch::channel(false).0)),
        })
    }

    /// The address bound (with the real port when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL to give the sender as `rurl`: `http(s)://ADDR/PATH`.
    pub fn url(&self) -> String {
        let scheme = match self.listener {
            Bound::Plain(_) => "http",
            Bound::Tls(_) => "https",
        };
        format!(
            "{scheme}://{}{}",
            self.local_addr,
            self.receiver.config().get_path()
        )
    }

    /// The receiver (counters, health).
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// A handle that stops the server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Runs until [`ShutdownHandle::shutdown`].
    ///
    /// # Errors
    /// As [`run_until`](Self::run_until).
    pub async fn run(self) -> Result<MetricsSnapshot, Error> {
        self.run_until(std::future::pending()).await
    }

    /// Runs until `signal` completes (for example [`shutdown_signal`]) or
    /// [`ShutdownHandle::shutdown`] is called, then stops gracefully: no new
    /// connections; requests in flight finish, each delivery acknowledged
    /// only once durable; idle keep-alive connections are closed; after the
    /// configured grace (default 30 s) connections still open are left
    /// unanswered (their senders retry). Then the sink is closed and the
    /// counters returned.
    ///
    /// # Errors
    /// [`Error::Io`] when the server fails; [`Error::Sink`] when the sink
    /// fails to close.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<MetricsSnapshot, Error> {
        let Self {
            receiver,
            listener,
            local_addr,
            shutdown,
        } = self;
        let app = receiver
            .router_with_fallback()
            .into_make_service_with_connect_info::<SocketAddr>();
        let mut stop_rx = shutdown.0.subscribe();
        let (stopping_tx, stopping_rx) = oneshot::channel::<()>();
        let graceful = async move {
            tokio::select! {
                () = signal => {}
                _ = stop_rx.wait_for(|stop| *stop) => {}
            }
            log::info!("stopping: no new connections; finishing the deliveries in flight");
            let _ = stopping_tx.send(());
        };
        let grace = receiver.config().shutdown_grace;
        log::debug!(
            "receiving webhook deliveries on {local_addr}{}",
            receiver.config().get_path()
        );
        let served = match listener {
            Bound::Plain(tcp) => {
                let tcp = tcp.tap_io(|s| {
                    let _ = s.set_nodelay(true);
                });
                drive(
                    axum::serve(tcp, app).with_graceful_shutdown(graceful),
                    stopping_rx,
                    grace,
                )
                .await
            }
            Bound::Tls(tls) => {
                drive(
                    axum::serve(tls.tap_io(|_| {}), app).with_graceful_shutdown(graceful),
                    stopping_rx,
                    grace,
                )
                .await
            }
        };
        let totals = receiver.shutdown().await;
        served.map_err(|e| Error::io(format!("serve on {local_addr}"), e))?;
        let totals = totals?;
        log::debug!("stopped: {totals}");
        Ok(totals)
    }
}

/// Runs the server future; once stopping, gives it `grace` to finish.
async fn drive(
    serve: impl IntoFuture<Output = io::Result<()>>,
    stopping: oneshot::Receiver<()>,
    grace: Duration,
) -> io::Result<()> {
    let serve = serve.into_future();
    tokio::pin!(serve);
    let deadline = async move {
        if stopping.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = &mut serve => r,
        () = deadline => {
            log::warn!(
                "connections still open {grace:?} after the stop; leaving them (their deliveries were not acknowledged)"
            );
            Ok(())
        }
    }
}

/// Binds and runs a receiver until SIGTERM or Ctrl-C ([`shutdown_signal`]),
/// then stops gracefully and returns the counters. The one call behind
/// `velip webhook listen`.
///
/// ```no_run
/// # async fn run() -> Result<(), velip_webhook::Error> {
/// use velip_webhook::{JsonLinesSink, ReceiverConfig};
/// let totals = velip_webhook::serve(
///     ReceiverConfig::new().basic_auth("hook", "s3cret"),
///     JsonLinesSink::open("deliveries.jsonl")?,
/// ).await?;
/// eprintln!("{totals}");
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`Server::bind`] and [`Server::run_until`].
pub async fn serve(config: ReceiverConfig, sink: impl Sink) -> Result<MetricsSnapshot, Error> {
    let signal = shutdown_signal();
    Server::bind(config, sink).await?.run_until(signal).await
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C). The handlers are
/// installed when this is called (not when first polled), so a signal that
/// arrives right after is not missed. Call it inside a Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => log::info!("SIGTERM received"),
                        _ = int.recv() => log::info!("SIGINT received"),
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    log::warn!("cannot listen for SIGTERM/SIGINT ({e}); use a ShutdownHandle");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
