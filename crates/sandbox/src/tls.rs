//! HTTPS for the sandbox (the production service is HTTPS only) and a test
//! certificate authority.
//!
//! [`TestCa::generate`] makes a fresh CA and a server certificate for
//! `127.0.0.1` and `localhost` signed by it; give the server identity to
//! [`SandboxConfig::tls`](crate::SandboxConfig::tls) and the CA certificate
//! to the client as its only trusted root. A second `TestCa` is a *different*
//! CA: its certificates are what a client must refuse.
//!
//! rustls on the `ring` provider, the one ureq's rustls feature already
//! uses, so the workspace keeps a single crypto stack.
//!
//! ```
//! use velip_sandbox::tls::TestCa;
//! use velip_sandbox::{Sandbox, SandboxConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = TestCa::generate()?;
//! let sb = Sandbox::start(SandboxConfig {
//!     calls: 100,
//!     tls: Some(ca.server_identity()),
//!     ..Default::default()
//! })?;
//! assert!(sb.url().starts_with("https://127.0.0.1:"));
//! let trusted_root: &str = ca.cert_pem(); // PEM, for the client's trust store
//! assert!(trusted_root.starts_with("-----BEGIN CERTIFICATE-----"));
//!
//! // Signed by another CA: a client trusting only `ca` must refuse it.
//! let stranger = TestCa::generate()?.server_identity();
//! # let _ = stranger;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A server certificate chain and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    /// The certificate chain, PEM (`-----BEGIN CERTIFICATE-----` blocks),
    /// the server's own certificate first.
    pub cert_chain_pem: String,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1). Never shown by `Debug`.
    pub key_pem: String,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_chain_pem", &self.cert_chain_pem)
            .field("key_pem", &"<hidden>")
            .finish()
    }
}

impl TlsIdentity {
    /// An identity from PEM text.
    pub fn new(cert_chain_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        Self {
            cert_chain_pem: cert_chain_pem.into(),
            key_pem: key_pem.into(),
        }
    }

    /// Reads the certificate chain and key PEM files (the binary's
    /// `--tls-cert` and `--tls-key`).
    pub fn from_files(cert_chain: &Path, key: &Path) -> io::Result<Self> {
        let read = |p: &Path| {
            std::fs::read_to_string(p)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        };
        Ok(Self::new(read(cert_chain)?, read(key)?))
    }

    /// The rustls server configuration (HTTP/1.1 by ALPN).
    pub(crate) fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        let certs = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError(format!("unreadable certificate PEM: {e}")))?;
        if certs.is_empty() {
            return Err(TlsError("no certificate in the certificate PEM".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| TlsError(format!("no readable private key in the key PEM: {e}")))?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError(format!("certificate and key do not make an identity: {e}")))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(cfg)
    }
}

/// A TLS set-up error: unreadable PEM, a key that does not match, or a
/// failed certificate generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

impl From<rcgen::Error> for TlsError {
    fn from(e: rcgen::Error) -> Self {
        TlsError(format!("certificate generation failed: {e}"))
    }
}

/// A throw-away certificate authority for tests (ECDSA P-256 keys, valid
/// 2025-01-01 to 2100-01-01). Each one is new: two `TestCa`s never trust
/// each other's certificates.
pub struct TestCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    server: TlsIdentity,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

fn validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2100, 1, 1);
}

impl TestCa {
    /// A new CA, and a server certificate for `127.0.0.1` and `localhost`
    /// signed by it ([`server_identity`](Self::server_identity)).
    pub fn generate() -> Result<Self, TlsError> {
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "velip-sandbox test CA");
        name.push(DnType::OrganizationName, "velip-sandbox");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params);
        let key = KeyPair::generate()?;
        let cert_pem = params.self_signed(&key)?.pem();
        let issuer = Issuer::new(params, key);
        let server = Self::sign(&issuer, &["127.0.0.1", "localhost"])?;
        Ok(Self {
            cert_pem,
            issuer,
            server,
        })
    }

    /// The CA certificate, PEM: the root a client should trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The server certificate for `127.0.0.1` and `localhost` (IP and DNS
    /// subject alternative names) with its key, signed by this CA.
    pub fn server_identity(&self) -> TlsIdentity {
        self.server.clone()
    }

    /// A server certificate for other names (DNS names or IP addresses),
    /// signed by this CA.
    pub fn issue(&self, names: &[&str]) -> Result<TlsIdentity, TlsError> {
        Self::sign(&self.issuer, names)
    }

    fn sign(issuer: &Issuer<'_, KeyPair>, names: &[&str]) -> Result<TlsIdentity, TlsError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone())?;
        let mut name = DistinguishedName::new();
        name.push(
            DnType::CommonName,
            names.first().map_or("velip-sandbox", String::as_str),
        );
        params.distinguished_name = name;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, issuer)?;
        Ok(TlsIdentity::new(cert.pem(), key.serialize_pem()))
    }
}

/// Accepts TCP connections and completes their TLS handshakes on tasks of
/// their own (a slow or failing handshake never holds up the others); axum
/// serves the finished streams.
pub(crate) struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl TlsListener {
    /// Starts accepting on `tcp` (call inside the runtime).
    pub(crate) fn new(tcp: TcpListener, cfg: rustls::ServerConfig) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(cfg));
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            while !tx.is_closed() {
                let Ok((stream, peer)) = tcp.accept().await else {
                    // Out of descriptors and the like: wait, then retry.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    if let Ok(Ok(tls)) = handshake {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(Self { ready: rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
