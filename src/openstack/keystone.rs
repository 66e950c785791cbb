//! lockwatch's Keystone v3 client: the login (password, token or application credential), the
//! object-store entry of the token's catalogue, and the user's EC2 credentials. It runs on the
//! HTTP stack the S3 client already uses (hyper with rustls), with the system's CA
//! certificates and the cloud's `cacert`; nothing is cached on disk.

use super::cloud::Cloud;
use super::{CloudSource, Ec2Credential, Login, OpenStackError, s3_endpoint};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use std::time::Duration;

/// The most of one Keystone answer lockwatch reads (a large catalogue is tens of KiB).
const MAX_ANSWER_BYTES: usize = 8 << 20;
/// How long one Keystone request may take in all, and to connect.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client for Keystone: a new connection for each request. Keystone often runs under
/// a WSGI server that closes a connection after each answer; a pooled connection it has
/// closed fails the next request, and a write to Keystone is never sent twice to make up for
/// that.
pub(super) struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// What Keystone answered.
struct Answer {
    status: u16,
    subject_token: Option<String>,
    body: Bytes,
}

/// Why a request got no answer.
struct NoAnswer(String);

impl Http {
    /// Trusts the system's CA certificates and those of `cacert` (a PEM file).
    pub(super) fn new(cacert: Option<&str>) -> Result<Http, OpenStackError> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = cacert {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let pem = std::fs::read(path).map_err(|e| {
                OpenStackError::Config(format!("cannot read the cloud's cacert {path}: {e}"))
            })?;
            let mut added = 0;
            for certificate in CertificateDer::pem_slice_iter(&pem) {
                let certificate = certificate.map_err(|e| {
                    OpenStackError::Config(format!("cacert {path} is not PEM certificates: {e}"))
                })?;
                roots.add(certificate).map_err(|e| {
                    OpenStackError::Config(format!(
                        "cacert {path}: a certificate rustls refuses: {e}"
                    ))
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(OpenStackError::Config(format!(
                    "cacert {path} holds no PEM certificate"
                )));
            }
        }
        let connector =
            crate::s3::https::connector(roots, CONNECT_TIMEOUT).map_err(OpenStackError::Config)?;
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Http { client })
    }

    /// One request, sent once; the answer's body is read up to `MAX_ANSWER_BYTES`.
    async fn send(
        &self,
        method: http::Method,
        url: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, NoAnswer> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header("Accept", "application/json")
            .header(
                "User-Agent",
                concat!("lockwatch/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(token) = token {
            request = request.header("X-Auth-Token", token);
        }
        let bytes = match body {
            Some(b) => {
                request = request.header("Content-Type", "application/json");
                Bytes::from(serde_json::to_vec(b).map_err(|e| NoAnswer(e.to_string()))?)
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(bytes))
            .map_err(|e| NoAnswer(format!("{url} is not a URL lockwatch can ask: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| NoAnswer(describe_client_error(&e)))?;
            let status = response.status().as_u16();
            let subject_token = response
                .headers()
                .get("X-Subject-Token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| NoAnswer(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(Answer {
                status,
                subject_token,
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                NoAnswer(format!(
                    "no complete answer within {} s",
                    REQUEST_TIMEOUT.as_secs()
                ))
            })?
    }
}

/// hyper's error with its causes (the cause says "connection refused" or the TLS problem).
fn describe_client_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `http://host:5000`, `http://host:5000/` or `http://host:5000/v3` → `http://host:5000/v3`.
pub(super) fn v3(identity_url: &str) -> String {
    let base = identity_url.trim_end_matches('/');
    if base.ends_with("/v3") {
        base.to_string()
    } else {
        format!("{base}/v3")
    }
}

/// Keystone's own message of an error answer (`{"error": {"message": …}}`), or its text.
fn keystone_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| crate::domain::text::sanitize(text.trim()).into_owned())
}

/// A successful answer read as JSON, or the error Keystone gave for `what`.
fn keystone_json<T: serde::de::DeserializeOwned>(
    answer: &Answer,
    what: &str,
) -> Result<T, OpenStackError> {
    if (200..300).contains(&answer.status) {
        return serde_json::from_slice(&answer.body).map_err(|e| OpenStackError::Keystone {
            what: what.into(),
            status: answer.status,
            message: format!("an answer lockwatch cannot read: {e}"),
        });
    }
    let message = keystone_message(&answer.body);
    if answer.status == 403 && message.contains("Delegated tokens cannot access credentials") {
        return Err(OpenStackError::Delegated);
    }
    Err(OpenStackError::Keystone {
        what: what.into(),
        status: answer.status,
        message,
    })
}

/// The body of `POST /v3/auth/tokens` for the cloud's auth type, as the OpenStack tools send
/// it: the user's domain and the project's domain are `Default` unless said.
fn auth_body(cloud: &Cloud) -> Result<serde_json::Value, OpenStackError> {
    use serde_json::json;
    let a = &cloud.auth;
    let missing =
        |what: &str| OpenStackError::Config(format!("the cloud's settings have no {what}"));
    let domain = |id: &Option<String>, name: &Option<String>| match (id, name) {
        (Some(id), _) => json!({ "id": id }),
        (None, Some(name)) => json!({ "name": name }),
        (None, None) => json!({ "name": "Default" }),
    };
    let scope = || {
        let project = match (&a.project_id, &a.project_name) {
            (Some(id), _) => Some(json!({ "id": id })),
            (None, Some(name)) => Some(json!({
                "name": name,
                "domain": domain(&a.project_domain_id, &a.project_domain_name),
            })),
            (None, None) => None,
        };
        project.map(|p| json!({ "project": p }))
    };
    let kind = cloud.auth_type.as_deref().unwrap_or(if a.token.is_some() {
        "v3token"
    } else if a.application_credential_secret.is_some() {
        "v3applicationcredential"
    } else {
        "password"
    });
    let (identity, scoped) = match kind {
        "password" | "v3password" => {
            let password = a
                .password
                .as_ref()
                .ok_or_else(|| missing("password (OS_PASSWORD, or secure.yaml)"))?;
            let user = match (&a.user_id, &a.username) {
                (Some(id), _) => json!({ "id": id, "password": password }),
                (None, Some(name)) => json!({
                    "name": name,
                    "password": password,
                    "domain": domain(&a.user_domain_id, &a.user_domain_name),
                }),
                (None, None) => return Err(missing("username or user_id (OS_USERNAME)")),
            };
            (
                json!({ "methods": ["password"], "password": { "user": user } }),
                true,
            )
        }
        "token" | "v3token" => {
            let token = a
                .token
                .as_ref()
                .ok_or_else(|| missing("token (OS_TOKEN)"))?;
            (
                json!({ "methods": ["token"], "token": { "id": token } }),
                true,
            )
        }
        "v3applicationcredential" | "applicationcredential" => {
            let secret = a
                .application_credential_secret
                .as_ref()
                .ok_or_else(|| missing("application_credential_secret"))?;
            let credential = match (&a.application_credential_id, &a.application_credential_name) {
                (Some(id), _) => json!({ "id": id, "secret": secret }),
                (None, Some(name)) => {
                    let user = match (&a.user_id, &a.username) {
                        (Some(id), _) => json!({ "id": id }),
                        (None, Some(user)) => json!({
                            "name": user,
                            "domain": domain(&a.user_domain_id, &a.user_domain_name),
                        }),
                        (None, None) => {
                            return Err(missing(
                                "user for application_credential_name (username or user_id)",
                            ));
                        }
                    };
                    json!({ "name": name, "secret": secret, "user": user })
                }
                (None, None) => {
                    return Err(missing(
                        "application_credential_id or application_credential_name",
                    ));
                }
            };
            // An application credential is scoped already; Keystone refuses another scope.
            (
                json!({
                    "methods": ["application_credential"],
                    "application_credential": credential,
                }),
                false,
            )
        }
        other => {
            return Err(OpenStackError::Config(format!(
                "auth_type {other:?} is not one lockwatch can log in with (password, v3token, v3applicationcredential)"
            )));
        }
    };
    let mut auth = json!({ "identity": identity });
    if scoped && let Some(scope) = scope() {
        auth["scope"] = scope;
    }
    Ok(json!({ "auth": auth }))
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize)]
struct TokenInfo {
    user: Named,
    project: Option<Named>,
    #[serde(default)]
    catalog: Vec<Service>,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Service {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
struct Endpoint {
    #[serde(default)]
    interface: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    url: String,
}

/// The catalogue's first `object-store` endpoint of `interface` (`public`, `internal` or
/// `admin`; `publicURL` is read as `public`) in `region` when one is named.
fn object_store<'a>(
    catalog: &'a [Service],
    interface: &str,
    region: Option<&str>,
) -> Option<&'a str> {
    let interface = interface.trim_end_matches("URL");
    catalog
        .iter()
        .filter(|s| s.kind == "object-store")
        .flat_map(|s| &s.endpoints)
        .find(|e| {
            e.interface == interface
                && region.is_none_or(|r| {
                    e.region_id.as_deref() == Some(r) || e.region.as_deref() == Some(r)
                })
        })
        .map(|e| e.url.as_str())
}

/// Logs in to Keystone with the cloud's settings and finds the project's object store. No
/// secret of the login appears in an error it returns.
pub async fn login(source: CloudSource, cloud: Cloud) -> Result<Login, OpenStackError> {
    let auth = &cloud.auth;
    let secrets: Vec<String> = [
        auth.password.clone(),
        auth.application_credential_secret.clone(),
        auth.token.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    log_in(source, cloud).await.map_err(|e| e.without(&secrets))
}

async fn log_in(source: CloudSource, cloud: Cloud) -> Result<Login, OpenStackError> {
    let auth_url = cloud.auth.auth_url.clone().ok_or_else(|| {
        OpenStackError::Config(format!(
            "{}: no auth_url (OS_AUTH_URL) to log in at",
            source.describe()
        ))
    })?;
    if cloud.verify_off() {
        return Err(OpenStackError::Config(format!(
            "{}: verify is false, and lockwatch does not log in without checking Keystone's certificate; give the cloud's CA certificate as cacert (OS_CACERT) instead",
            source.describe()
        )));
    }
    let identity_url = v3(&auth_url);
    let http = Http::new(cloud.cacert.as_deref())?;
    let body = auth_body(&cloud)?;
    let answer = http
        .send(
            http::Method::POST,
            &format!("{identity_url}/auth/tokens"),
            None,
            Some(&body),
        )
        .await
        .map_err(|NoAnswer(message)| OpenStackError::Unreachable {
            auth_url: Some(auth_url.clone()),
            message,
        })?;
    if answer.status == 401 || answer.status == 403 {
        return Err(OpenStackError::Refused {
            auth_url: Some(auth_url),
            message: keystone_message(&answer.body),
        });
    }
    let body: TokenBody = keystone_json(&answer, "the login")?;
    let token = answer
        .subject_token
        .ok_or_else(|| OpenStackError::Config("Keystone gave no token (X-Subject-Token)".into()))?;
    crate::logging::redact(&token);
    let project = body.token.project.ok_or_else(|| {
        OpenStackError::Config(
            "the login is not scoped to a project: set project_name (OS_PROJECT_NAME) or \
             project_id"
                .into(),
        )
    })?;
    let interface = cloud.interface.as_deref().unwrap_or("public");
    let region = cloud.region_name.clone();
    let catalogue_url = object_store(&body.token.catalog, interface, region.as_deref())
        .ok_or_else(|| {
            OpenStackError::NoObjectStore(format!(
                " ({}interface {interface})",
                region
                    .as_deref()
                    .map(|r| format!("region {r}, "))
                    .unwrap_or_default(),
            ))
        })?
        .to_string();
    let endpoint = s3_endpoint(&catalogue_url).ok_or_else(|| {
        OpenStackError::NoObjectStore(format!(" usable for S3 (it says {catalogue_url})"))
    })?;
    Ok(Login {
        source,
        identity_url,
        user_id: body.token.user.id,
        user_name: body.token.user.name,
        project_id: project.id,
        project_name: project.name,
        catalogue_url,
        endpoint,
        region,
        token,
        http,
    })
}

#[derive(Deserialize)]
struct Ec2List {
    credentials: Vec<Ec2Credential>,
}

#[derive(Deserialize)]
struct Ec2One {
    credential: Ec2Credential,
}

impl Login {
    fn ec2_url(&self) -> String {
        format!(
            "{}/users/{}/credentials/OS-EC2",
            self.identity_url, self.user_id
        )
    }

    fn unreachable(&self, NoAnswer(message): NoAnswer) -> OpenStackError {
        OpenStackError::Unreachable {
            auth_url: Some(self.identity_url.clone()),
            message,
        }
    }

    /// The user's EC2 credentials for the logged-in project.
    pub async fn ec2_credentials(&self) -> Result<Vec<Ec2Credential>, OpenStackError> {
        let answer = self
            .http
            .send(http::Method::GET, &self.ec2_url(), Some(&self.token), None)
            .await
            .map_err(|e| self.unreachable(e))?;
        let list: Ec2List = keystone_json(&answer, "listing EC2 credentials")?;
        Ok(list
            .credentials
            .into_iter()
            .filter(|c| c.tenant_id.as_deref() == Some(self.project_id.as_str()))
            .collect())
    }

    /// Creates an EC2 credential for the user in the logged-in project (what `openstack ec2
    /// credentials create` does). Sent once: a failure is reported, never retried.
    pub async fn create_ec2_credential(&self) -> Result<Ec2Credential, OpenStackError> {
        let body = serde_json::json!({ "tenant_id": self.project_id });
        let answer = self
            .http
            .send(
                http::Method::POST,
                &self.ec2_url(),
                Some(&self.token),
                Some(&body),
            )
            .await
            .map_err(|e| self.unreachable(e))?;
        let one: Ec2One = keystone_json(&answer, "creating an EC2 credential")?;
        Ok(one.credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(yaml: &str) -> Cloud {
        serde_yaml_ng::from_str(yaml).expect("cloud")
    }

    #[test]
    fn the_login_body_is_the_one_the_openstack_tools_send() {
        let password = auth_body(&cloud(
            "auth: {auth_url: http://k, username: alice, password: pw, project_name: demo}",
        ))
        .expect("body");
        assert_eq!(
            password,
            serde_json::json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "alice", "password": "pw", "domain": {"name": "Default"}}}},
                "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}})
        );
        let app = auth_body(&cloud(
            "auth_type: v3applicationcredential\nauth: {application_credential_id: c1, application_credential_secret: s, project_name: ignored}",
        ))
        .expect("body");
        assert_eq!(
            app,
            serde_json::json!({"auth": {"identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": "c1", "secret": "s"}}}})
        );
        let e = auth_body(&cloud("auth: {username: alice}")).expect_err("no password");
        assert!(e.to_string().contains("password"), "{e}");
        let e = auth_body(&cloud("auth_type: http_basic\nauth: {}")).expect_err("unsupported");
        assert!(e.to_string().contains("http_basic"), "{e}");
    }

    #[test]
    fn the_object_store_is_found_by_interface_and_region() {
        let catalog: Vec<Service> = serde_json::from_value(serde_json::json!([
            {"type": "identity", "endpoints": [{"interface": "public", "region_id": "R1", "url": "http://k"}]},
            {"type": "object-store", "endpoints": [
                {"interface": "internal", "region_id": "R1", "url": "http://internal"},
                {"interface": "public", "region_id": "R2", "region": "R2", "url": "http://r2"},
                {"interface": "public", "region_id": "R1", "url": "http://r1"}]}
        ]))
        .expect("catalog");
        assert_eq!(
            object_store(&catalog, "public", Some("R1")),
            Some("http://r1")
        );
        assert_eq!(
            object_store(&catalog, "publicURL", Some("R2")),
            Some("http://r2")
        );
        assert_eq!(
            object_store(&catalog, "internal", None),
            Some("http://internal")
        );
        assert_eq!(object_store(&catalog, "admin", None), None);
        assert_eq!(object_store(&catalog, "public", Some("R3")), None);
    }

    #[test]
    fn the_v3_url_is_found_however_auth_url_ends() {
        for url in [
            "http://k:5000",
            "http://k:5000/",
            "http://k:5000/v3",
            "http://k:5000/v3/",
        ] {
            assert_eq!(v3(url), "http://k:5000/v3", "{url}");
        }
    }
}
