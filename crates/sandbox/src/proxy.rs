//! An HTTP proxy for tests: `CONNECT` tunnels (what HTTPS clients such as
//! ureq send) and plain absolute-form requests (`GET http://host/path`), on
//! `127.0.0.1`, reaching loopback targets only.
//!
//! Built on hyper's server with upgrades (`CONNECT` → a raw tunnel copied
//! both ways) and hyper's client for plain requests. Every request is
//! logged ([`ProxiedRequest`]): the target, the method, what the proxy
//! answered, whether proxy credentials came. Targets other than
//! `127.0.0.0/8`, `[::1]` and `localhost` are refused with `403`, so a
//! misconfigured test can never leave the machine.
//!
//! ```
//! use velip_sandbox::proxy::ConnectProxy;
//!
//! # fn main() -> std::io::Result<()> {
//! let proxy = ConnectProxy::start()?;
//! assert!(proxy.url().starts_with("http://127.0.0.1:"));
//! // ... point the client's proxy setting at proxy.url(), then:
//! assert_eq!(proxy.request_count(), 0);
//! assert!(proxy.connect_targets().is_empty());
//!
//! // Requiring credentials (`407` without them):
//! let strict = ConnectProxy::start_with_credentials("proxyuser", "proxypass")?;
//! # let _ = strict;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use base64::Engine as _;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::runtime::ServerThread;
use crate::state::lock;

/// One request the proxy got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxiedRequest {
    /// `CONNECT`, or the method of a plain proxied request.
    pub method: String,
    /// `host:port` for `CONNECT` (e.g. `127.0.0.1:40123`); the absolute URI
    /// for a plain request (e.g. `http://127.0.0.1:40123/api/v2/GetCallStatus.php`).
    pub target: String,
    /// What the proxy answered: `200` tunnel open, the upstream status of a
    /// plain request, `400` not a proxy request, `403` target not on
    /// loopback, `407` credentials missing or wrong, `502` target unreachable.
    pub status: u16,
    /// Whether a `Proxy-Authorization` header came (its value is never kept).
    pub proxy_authorization: bool,
}

struct ProxyState {
    log: Mutex<Vec<ProxiedRequest>>,
    count: AtomicU64,
    /// The expected `Proxy-Authorization` value, when credentials are required.
    credentials: Option<String>,
}

/// A running proxy on `127.0.0.1`; stops on drop.
pub struct ConnectProxy {
    state: Arc<ProxyState>,
    server: ServerThread,
    url: String,
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ConnectProxy {
    /// Starts a proxy on a free port of `127.0.0.1` that needs no credentials.
    pub fn start() -> io::Result<Self> {
        Self::spawn(None)
    }

    /// Starts a proxy that answers `407` (with `Proxy-Authenticate: Basic`)
    /// unless the request carries `Proxy-Authorization: Basic` with these
    /// credentials.
    pub fn start_with_credentials(user: &str, password: &str) -> io::Result<Self> {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self::spawn(Some(format!("Basic {encoded}")))
    }

    fn spawn(credentials: Option<String>) -> io::Result<Self> {
        let state = Arc::new(ProxyState {
            log: Mutex::new(Vec::new()),
            count: AtomicU64::new(0),
            credentials,
        });
        let shared = Arc::clone(&state);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = ServerThread::spawn_with(addr, move |listener| async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let st = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&st), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        })?;
        let url = format!("http://{}", server.addr());
        Ok(Self { state, server, url })
    }

    /// The proxy URL, `http://127.0.0.1:PORT`, for the client's proxy setting.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Every request so far (`CONNECT` and plain), in arrival order.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        lock(&self.state.log).clone()
    }

    /// The `host:port` targets of the `CONNECT` requests so far.
    pub fn connect_targets(&self) -> Vec<String> {
        lock(&self.state.log)
            .iter()
            .filter(|r| r.method == "CONNECT")
            .map(|r| r.target.clone())
            .collect()
    }

    /// How many requests the proxy got (`CONNECT` and plain).
    pub fn request_count(&self) -> u64 {
        self.state.count.load(Ordering::SeqCst)
    }

    /// Forgets the log and resets the counter.
    pub fn clear(&self) {
        lock(&self.state.log).clear();
        self.state.count.store(0, Ordering::SeqCst);
    }
}

fn answer(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The loopback address of a target host, or `None` when it is not loopback.
fn loopback(host: &str, port: u16) -> Option<SocketAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>().ok().filter(IpAddr::is_loopback)?
    };
    Some(SocketAddr::new(ip, port))
}

async fn handle(st: Arc<ProxyState>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    st.count.fetch_add(1, Ordering::SeqCst);
    let authorization = req.headers().get(header::PROXY_AUTHORIZATION);
    let mut entry = ProxiedRequest {
        method: req.method().as_str().to_owned(),
        target: if req.method() == Method::CONNECT {
            req.uri()
                .authority()
                .map_or_else(|| req.uri().to_string(), ToString::to_string)
        } else {
            req.uri().to_string()
        },
        status: 0,
        proxy_authorization: authorization.is_some(),
    };
    let authorized = st
        .credentials
        .as_ref()
        .is_none_or(|want| authorization.is_some_and(|got| got.as_bytes() == want.as_bytes()));
    let resp = if authorized {
        if req.method() == Method::CONNECT {
            tunnel(req).await
        } else {
            forward(req).await
        }
    } else {
        let mut r = answer(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "proxy credentials required\n",
        );
        r.headers_mut().insert(
            header::PROXY_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"velip-sandbox\""),
        );
        r
    };
    entry.status = resp.status().as_u16();
    lock(&st.log).push(entry);
    Ok(resp)
}

/// `CONNECT host:port`: connect first (so an unreachable target is a `502`),
/// answer `200`, then copy bytes both ways once hyper hands over the connection.
async fn tunnel(req: Request<Incoming>) -> Response<Body> {
    let Some(target) = req
        .uri()
        .authority()
        .and_then(|a| loopback(a.host(), a.port_u16()?))
    else {
        return refuse(req.uri());
    };
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return answer(StatusCode::BAD_GATEWAY, "target unreachable\n");
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let mut client = TokioIo::new(upgraded);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    });
    Response::new(Body::empty())
}

fn refuse(uri: &Uri) -> Response<Body> {
    if uri.authority().is_none() {
        answer(StatusCode::BAD_REQUEST, "not a proxy request\n")
    } else {
        answer(
            StatusCode::FORBIDDEN,
            "the velip-sandbox proxy only reaches 127.0.0.1, [::1] and localhost\n",
        )
    }
}

/// Headers that concern this hop only.
const HOP_BY_HOP: [header::HeaderName; 4] = [
    header::PROXY_AUTHORIZATION,
    header::CONNECTION,
    header::TE,
    header::TRAILER,
];

/// A plain request in absolute form (`GET http://127.0.0.1:PORT/path`):
/// sent on to the target in origin form, the answer passed back.
async fn forward(mut req: Request<Incoming>) -> Response<Body> {
    let uri = req.uri().clone();
    if uri.scheme_str() != Some("http") {
        return refuse(&Uri::default());
    }
    let Some(target) = uri
        .authority()
        .and_then(|a| loopback(a.host(), a.port_u16().unwrap_or(80)))
    else {
        return refuse(&uri);
    };
    let Ok(upstream) = TcpStream::connect(target).await else {
        return answer(StatusCode::BAD_GATEWAY, "target unreachable\n");
    };
    let Ok((mut sender, conn)) =
        hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await
    else {
        return answer(StatusCode::BAD_GATEWAY, "target unreachable\n");
    };
    tokio::spawn(conn);
    let origin_form = uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .unwrap_or_default();
    *req.uri_mut() = origin_form;
    let headers = req.headers_mut();
    for h in &HOP_BY_HOP {
        headers.remove(h);
    }
    headers.remove("proxy-connection");
    headers.remove("keep-alive");
    if !headers.contains_key(header::HOST)
        && let Some(host) = uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        headers.insert(header::HOST, host);
    }
    match sender.send_request(req).await {
        Ok(resp) => resp.map(Body::new),
        Err(_) => answer(StatusCode::BAD_GATEWAY, "target closed the connection\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback("127.0.0.1", 1).is_some());
        assert!(loopback("127.8.9.10", 1).is_some());
        assert!(loopback("[::1]", 1).is_some());
        assert_eq!(
            loopback("LocalHost", 8),
            Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 8)))
        );
        assert!(loopback("10.0.0.1", 1).is_none());
        assert!(loopback("vox.velip.com.br", 443).is_none());
        assert!(loopback("localhost.example", 443).is_none());
    }
}
