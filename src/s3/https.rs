//! The hyper + rustls connector lockwatch's own HTTP clients use (the report's lean HEAD and
//! the Keystone client): ring, TLS 1.2 and 1.3, HTTP/1, plain `http://` allowed.

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use std::time::Duration;

/// A connector trusting `roots`, giving up a connection attempt after `connect_timeout`.
pub fn connector(
    roots: rustls::RootCertStore,
    connect_timeout: Duration,
) -> Result<HttpsConnector<HttpConnector>, String> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}
