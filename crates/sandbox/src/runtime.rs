//! The background thread that owns a tokio runtime and serves one listener
//! until dropped. Every server of the crate (the sandbox, the webhook
//! receiver, the CONNECT proxy) runs on one of these, so synchronous callers
//! need no runtime of their own.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use crate::tls::TlsListener;

/// A server running on its own thread with its own tokio runtime; stops on drop.
pub(crate) struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds `addr` and serves `router` (plain HTTP) on a background thread.
    pub(crate) fn spawn(addr: SocketAddr, router: Router) -> io::Result<Self> {
        Self::spawn_with(addr, move |listener| async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        })
    }

    /// Binds `addr` and serves `router` over HTTPS with this rustls
    /// configuration on a background thread.
    pub(crate) fn spawn_tls(
        addr: SocketAddr,
        router: Router,
        tls: rustls::ServerConfig,
    ) -> io::Result<Self> {
        Self::spawn_with(addr, move |tcp| async move {
            let Ok(listener) = TlsListener::new(tcp, tls) else {
                return;
            };
            // `tap_io` also provides the `ConnectInfo<SocketAddr>` the handlers read.
            let listener = listener.tap_io(|tls| {
                let _ = tls.get_ref().0.set_nodelay(true);
            });
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        })
    }

    /// Binds `addr` on a background thread's runtime and runs `serve` with
    /// the listener until the handle is dropped (or `serve` returns).
    pub(crate) fn spawn_with<F, Fut>(addr: SocketAddr, serve: F) -> io::Result<Self>
    where
        F: FnOnce(TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("velip-sandbox-{}", addr.port()))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("velip-sandbox-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match TcpListener::bind(addr).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let local = match listener.local_addr() {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(local));
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = stop_rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        let addr = ready_rx
            .recv()
            .map_err(|_| io::Error::other("sandbox server thread died during start-up"))??;
        Ok(Self {
            addr,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
