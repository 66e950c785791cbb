//! A throwaway certificate authority and a server certificate for 127.0.0.1, made once per
//! test binary, so that https endpoints and CA bundles are tested for real.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::path::PathBuf;
use std::sync::OnceLock;

pub struct TestCa {
    /// PEM of the authority: what a user passes as --ca-bundle / AWS_CA_BUNDLE.
    pub ca_pem: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

fn make() -> Result<TestCa, String> {
    let dir = std::env::temp_dir().join(format!("lockwatch-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().map_err(|e| e.to_string())?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| e.to_string())?;
    let issuer = Issuer::new(ca_params, ca_key);
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(|e| e.to_string())?;
    let server_key = KeyPair::generate().map_err(|e| e.to_string())?;
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(|e| e.to_string())?;
    let ca = TestCa {
        ca_pem: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
    };
    std::fs::write(&ca.ca_pem, ca_cert.pem()).map_err(|e| e.to_string())?;
    std::fs::write(&ca.server_cert, server_cert.pem()).map_err(|e| e.to_string())?;
    std::fs::write(&ca.server_key, server_key.serialize_pem()).map_err(|e| e.to_string())?;
    Ok(ca)
}

pub fn test_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| match make() {
        Ok(ca) => ca,
        Err(e) => panic!("cannot make the test certificate authority: {e}"),
    })
}
