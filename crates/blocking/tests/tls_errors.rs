//! TLS failures are reported as `TransportKind::Tls`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use velip_blocking::{Client, Error, TransportKind};

/// An `https` base URL pointing at a plain-HTTP server: the handshake fails
/// on the server's plain-text answer ("received corrupt message").
#[test]
fn https_url_to_a_plain_http_server_is_a_tls_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        // Answer every connection (the client may retry) in plain HTTP.
        for stream in listener.incoming().take(1) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let c = Client::builder()
        .base_url(format!("https://127.0.0.1:{port}"))
        .token("T".repeat(30))
        .no_proxy()
        .max_retries(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let e = c
        .list_page(
            &velip_core::Query::builder()
                .date_range("2026-11-01", "2026-11-20")
                .build()
                .unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Tls,
                ..
            }
        ),
        "{e:?}"
    );
    server.join().unwrap();
}
