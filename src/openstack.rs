//! Connecting the way an OpenStack cloud's users do, without the openstack CLI: a cloud from
//! `clouds.yaml` (with `secure.yaml`) or the `OS_*` variables of an openrc file, a Keystone v3
//! login (password or application credential), the object-store endpoint from the token's
//! catalogue cut to scheme://host[:port], and the user's EC2 credentials for the project.
//!
//! osauth reads the cloud configuration and logs in; the token's user and project, and the
//! EC2 credentials API, are asked of Keystone directly with the same token. Everything secret
//! stays in memory.

use osauth::{CloudConfig, Session};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why an OpenStack login did not give lockwatch what it needs.
#[derive(Debug, thiserror::Error)]
pub enum OpenStackError {
    #[error("{0}")]
    Config(String),
    #[error("Keystone refused the login{}: {message}", at(.auth_url))]
    Refused {
        auth_url: Option<String>,
        message: String,
    },
    #[error("cannot reach Keystone{}: {message}", at(.auth_url))]
    Unreachable {
        auth_url: Option<String>,
        message: String,
    },
    #[error(
        "Keystone refused to show or create EC2 credentials: \"Delegated tokens cannot access \
         credentials directly\". This login used an application credential, and Keystone does \
         not let such a token manage EC2 credentials. Use EC2 credentials you already have: \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an AWS profile (--profile), or type them \
         when asked; or log in with a password to create one."
    )]
    Delegated,
    #[error("the catalogue has no object-store endpoint{0}")]
    NoObjectStore(String),
    #[error("Keystone answered {status} to {what}: {message}")]
    Keystone {
        what: String,
        status: u16,
        message: String,
    },
}

fn at(url: &Option<String>) -> String {
    url.as_deref()
        .map(|u| format!(" at {u}"))
        .unwrap_or_default()
}

/// Where the cloud's settings come from: a named cloud of `clouds.yaml`, or the `OS_*`
/// variables alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudSource {
    Named(String),
    Environment,
}

impl CloudSource {
    pub fn describe(&self) -> String {
        match self {
            CloudSource::Named(n) => format!("cloud {n}"),
            CloudSource::Environment => "the OS_* variables".into(),
        }
    }
}

/// Reads the cloud's settings. `OS_CLIENT_CONFIG_FILE` names the `clouds.yaml` to read
/// instead of the usual places (current directory, `~/.config/openstack/`, `/etc/openstack/`).
/// lockwatch reads the YAML files itself; osauth only logs in with what they say.
pub fn load(source: &CloudSource) -> Result<CloudConfig, OpenStackError> {
    match source {
        CloudSource::Environment => CloudConfig::from_env()
            .map_err(|e| OpenStackError::Config(format!("{}: {e}", source.describe()))),
        CloudSource::Named(name) => match std::env::var_os("OS_CLIENT_CONFIG_FILE") {
            Some(file) => {
                let clouds = PathBuf::from(file);
                let beside = |f: &str| Some(clouds.with_file_name(f)).filter(|p| p.is_file());
                cloud_from(
                    &clouds,
                    beside("secure.yaml"),
                    beside("clouds-public.yaml"),
                    name,
                )
            }
            None => {
                let Some(clouds) = first_found("clouds.yaml") else {
                    let list: Vec<String> = clouds_yaml_places()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect();
                    return Err(OpenStackError::Config(format!(
                        "{}: no clouds.yaml was found; lockwatch looked in {} (or name one with OS_CLIENT_CONFIG_FILE)",
                        source.describe(),
                        list.join(", ")
                    )));
                };
                cloud_from(
                    &clouds,
                    first_found("secure.yaml"),
                    first_found("clouds-public.yaml"),
                    name,
                )
            }
        },
    }
}

/// Where lockwatch (like the OpenStack tools) looks for `clouds.yaml`, first found first: the
/// working directory, `~/.config/openstack/`, then `/etc/openstack/`.
pub fn clouds_yaml_places() -> Vec<PathBuf> {
    config_places("clouds.yaml")
}

fn config_places(file: &str) -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from(file)];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        places.push(Path::new(&home).join(".config/openstack").join(file));
    }
    places.push(Path::new("/etc/openstack").join(file));
    places
}

/// The first of the usual places that holds `file`; each of clouds.yaml, secure.yaml and
/// clouds-public.yaml is looked for on its own, as the OpenStack tools do.
fn first_found(file: &str) -> Option<PathBuf> {
    config_places(file).into_iter().find(|p| p.is_file())
}

/// The cloud `name` of the `clouds` file, with what `secure` says of the same cloud (it wins:
/// that is where passwords go) and, when the cloud names a `profile`, that profile of
/// `public`'s `public-clouds` underneath (the cloud's own settings win).
fn cloud_from(
    clouds: &Path,
    secure: Option<PathBuf>,
    public: Option<PathBuf>,
    name: &str,
) -> Result<CloudConfig, OpenStackError> {
    use serde_yaml_ng::Value;
    let read = |p: &Path| -> Result<Value, OpenStackError> {
        let text = crate::config::read_regular_file(p, crate::config::MAX_CONFIG_BYTES)
            .map_err(|e| OpenStackError::Config(format!("cannot read {}: {e}", p.display())))?;
        serde_yaml_ng::from_str(&text)
            .map_err(|e| OpenStackError::Config(format!("cannot parse {}: {e}", p.display())))
    };
    let entry =
        |doc: &Value, root: &str, key: &str| doc.get(root).and_then(|c| c.get(key)).cloned();
    let mut cloud = entry(&read(clouds)?, "clouds", name).ok_or_else(|| {
        OpenStackError::Config(format!("no cloud {name:?} in {}", clouds.display()))
    })?;
    if let Some(secure) = secure
        && let Some(extra) = entry(&read(&secure)?, "clouds", name)
    {
        merge(&mut cloud, extra, Merge::Overwrite);
    }
    if let Some(profile) = cloud.get("profile").cloned() {
        let Some(profile_name) = profile.as_str() else {
            return Err(OpenStackError::Config(format!(
                "cloud {name:?} in {}: profile is not a name",
                clouds.display()
            )));
        };
        let found = match &public {
            Some(p) => entry(&read(p)?, "public-clouds", profile_name),
            None => None,
        };
        let Some(base) = found else {
            return Err(OpenStackError::Config(format!(
                "cloud {name:?} in {} names profile {profile_name:?}, which no clouds-public.yaml has{}",
                clouds.display(),
                public
                    .as_ref()
                    .map(|p| format!(" (read {})", p.display()))
                    .unwrap_or_default()
            )));
        };
        merge(&mut cloud, base, Merge::KeepExisting);
    }
    serde_yaml_ng::from_value(cloud)
        .map_err(|e| OpenStackError::Config(format!("cloud {name:?} in {}: {e}", clouds.display())))
}

#[derive(Clone, Copy, PartialEq)]
enum Merge {
    Overwrite,
    KeepExisting,
}

/// Copies every value of `extra` into `base`, descending into mappings present in both; a
/// value `base` already has is replaced only with `Merge::Overwrite`.
fn merge(base: &mut serde_yaml_ng::Value, extra: serde_yaml_ng::Value, how: Merge) {
    use serde_yaml_ng::Value;
    match (base, extra) {
        (Value::Mapping(b), Value::Mapping(e)) => {
            for (k, v) in e {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v, how),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, e) => {
            if how == Merge::Overwrite {
                *b = e
            }
        }
    }
}

/// A Keystone login: who, in which project, and where the project's object store is.
pub struct Login {
    pub source: CloudSource,
    pub identity_url: String,
    pub user_id: String,
    pub user_name: String,
    pub project_id: String,
    pub project_name: String,
    /// The catalogue's object-store URL (the Swift API, usually) and what S3 needs of it.
    pub catalogue_url: String,
    pub endpoint: String,
    pub region: Option<String>,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user_name)
            .field("project", &self.project_name)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// One EC2 credential of the user. The secret stays in memory.
#[derive(Clone, Deserialize)]
pub struct Ec2Credential {
    pub access: String,
    pub secret: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

impl std::fmt::Debug for Ec2Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ec2Credential")
            .field("access", &crate::s3::mask(&self.access))
            .finish_non_exhaustive()
    }
}

/// `https://object.example.net/swift/v1/AUTH_…` → `https://object.example.net`: the S3 API
/// lives at the root of the host that serves Swift.
pub fn s3_endpoint(catalogue_url: &str) -> Option<String> {
    let url = reqwest::Url::parse(catalogue_url).ok()?;
    // An IPv6 host comes with its brackets.
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

fn osauth_error(e: osauth::Error, auth_url: Option<String>) -> OpenStackError {
    use osauth::ErrorKind as K;
    let message = e.to_string();
    match e.kind() {
        K::AuthenticationFailed | K::AccessDenied => OpenStackError::Refused { auth_url, message },
        K::ProtocolError | K::OperationTimedOut => {
            OpenStackError::Unreachable { auth_url, message }
        }
        _ => OpenStackError::Config(message),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize)]
struct TokenInfo {
    user: Named,
    project: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
}

/// Logs in to Keystone with the cloud's settings and finds the project's object store.
pub async fn login(source: CloudSource, config: CloudConfig) -> Result<Login, OpenStackError> {
    // osauth keeps the Keystone URL (for errors) and the cacert (for lockwatch's own requests)
    // to itself; both are part of what the configuration serializes to.
    let settings = serde_yaml_ng::to_value(&config).unwrap_or_default();
    let setting = |path: &[&str]| {
        path.iter()
            .try_fold(&settings, |v, k| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let auth_url = setting(&["auth", "auth_url"]);
    let http = keystone_client(setting(&["cacert"]))?;
    let session: Session = config
        .create_session()
        .await
        .map_err(|e| osauth_error(e, auth_url.clone()))?;
    let client = session.client();
    let filters = session.endpoint_filters();
    let identity = client
        .get_endpoint("identity", filters)
        .await
        .map_err(|e| osauth_error(e, auth_url.clone()))?;
    let identity_url = identity.as_str().trim_end_matches('/').to_string();
    // The token itself: what osauth puts on an authenticated request.
    let request = client
        .auth_type()
        .authenticate(client.inner(), client.inner().get(identity.clone()))
        .await
        .map_err(|e| osauth_error(e, Some(identity_url.clone())))?
        .build()
        .map_err(|e| OpenStackError::Config(e.to_string()))?;
    let token = request
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| OpenStackError::Config("Keystone gave no token".into()))?;
    let tokens_url = format!("{}/auth/tokens", v3(&identity_url));
    let response = http
        .get(&tokens_url)
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .map_err(|e| OpenStackError::Unreachable {
            auth_url: Some(identity_url.clone()),
            message: e.to_string(),
        })?;
    let body: TokenBody = keystone_json(response, "reading the token").await?;
    let project = body.token.project.ok_or_else(|| {
        OpenStackError::Config(
            "the login is not scoped to a project: set project_name (OS_PROJECT_NAME) or \
             project_id"
                .into(),
        )
    })?;
    let object_store = client
        .get_endpoint("object-store", filters)
        .await
        .map_err(|e| match e.kind() {
            osauth::ErrorKind::EndpointNotFound => OpenStackError::NoObjectStore(format!(
                " ({}{})",
                filters
                    .region
                    .as_deref()
                    .map(|r| format!("region {r}, "))
                    .unwrap_or_default(),
                "interface public unless the cloud says otherwise"
            )),
            _ => osauth_error(e, Some(identity_url.clone())),
        })?;
    let catalogue_url = object_store.to_string();
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
        region: filters.region.clone(),
        token,
        http,
    })
}

/// The HTTP client for lockwatch's own Keystone requests: the cloud's CA certificate if it
/// names one, and a new connection for each request. Keystone often runs under a WSGI server
/// that closes a connection after each answer; a pooled connection it has closed fails the
/// next request, and a write to Keystone is never sent twice to make up for that.
fn keystone_client(cacert: Option<String>) -> Result<reqwest::Client, OpenStackError> {
    let mut builder = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60));
    if let Some(path) = cacert {
        let pem = std::fs::read(&path).map_err(|e| {
            OpenStackError::Config(format!("cannot read the cloud's cacert {path}: {e}"))
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            OpenStackError::Config(format!("cacert {path} is not PEM certificates: {e}"))
        })?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|e| OpenStackError::Config(format!("cannot set up HTTPS: {e}")))
}

/// `http://host:5000` or `http://host:5000/v3` → `http://host:5000/v3`.
fn v3(identity_url: &str) -> String {
    if identity_url.ends_with("/v3") {
        identity_url.to_string()
    } else {
        format!("{identity_url}/v3")
    }
}

async fn keystone_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> Result<T, OpenStackError> {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| OpenStackError::Keystone {
            what: what.into(),
            status: status.as_u16(),
            message: format!("an answer lockwatch cannot read: {e}"),
        });
    }
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or(text);
    if status.as_u16() == 403 && message.contains("Delegated tokens cannot access credentials") {
        return Err(OpenStackError::Delegated);
    }
    Err(OpenStackError::Keystone {
        what: what.into(),
        status: status.as_u16(),
        message,
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
    /// The project by name, or by id when Keystone gave no name.
    pub fn project(&self) -> &str {
        shown(&self.project_name, &self.project_id)
    }

    fn ec2_url(&self) -> String {
        format!(
            "{}/users/{}/credentials/OS-EC2",
            v3(&self.identity_url),
            self.user_id
        )
    }

    fn unreachable(&self, e: reqwest::Error) -> OpenStackError {
        OpenStackError::Unreachable {
            auth_url: Some(self.identity_url.clone()),
            message: e.to_string(),
        }
    }

    /// The user's EC2 credentials for the logged-in project.
    pub async fn ec2_credentials(&self) -> Result<Vec<Ec2Credential>, OpenStackError> {
        let response = self
            .http
            .get(self.ec2_url())
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let list: Ec2List = keystone_json(response, "listing EC2 credentials").await?;
        Ok(list
            .credentials
            .into_iter()
            .filter(|c| c.tenant_id.as_deref() == Some(self.project_id.as_str()))
            .collect())
    }

    /// Creates an EC2 credential for the user in the logged-in project (what `openstack ec2
    /// credentials create` does). Sent once: a failure is reported, never retried.
    pub async fn create_ec2_credential(&self) -> Result<Ec2Credential, OpenStackError> {
        let response = self
            .http
            .post(self.ec2_url())
            .header("X-Auth-Token", &self.token)
            .json(&serde_json::json!({ "tenant_id": self.project_id }))
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let one: Ec2One = keystone_json(response, "creating an EC2 credential").await?;
        Ok(one.credential)
    }
}

/// Which cloud the flags and the environment ask for, if any: `--os-cloud NAME`; else, when
/// nothing names an S3 endpoint (`--endpoint-url`, `--endpoint`, `AWS_ENDPOINT_URL`,
/// `LOCKWATCH_ENDPOINT`, the config file's `default_endpoint`), `OS_CLOUD`, or `OS_AUTH_URL`
/// alone (an openrc file's variables).
pub fn requested(
    os_cloud_flag: Option<&str>,
    endpoint_chosen: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Option<CloudSource> {
    if let Some(name) = os_cloud_flag {
        return Some(CloudSource::Named(name.to_string()));
    }
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if endpoint_chosen || set("AWS_ENDPOINT_URL").is_some() || set("AWS_ENDPOINT_URL_S3").is_some()
    {
        return None;
    }
    match (set("OS_CLOUD"), set("OS_AUTH_URL")) {
        (Some(name), _) => Some(CloudSource::Named(name)),
        (None, Some(_)) => Some(CloudSource::Environment),
        (None, None) => None,
    }
}

/// Asking on the terminal before the UI starts: questions go to `out` (stderr), answers come
/// from `input`; `interactive` is false when there is no terminal to ask.
pub struct Ask<'a> {
    pub input: &'a mut dyn std::io::BufRead,
    pub out: &'a mut dyn std::io::Write,
    pub interactive: bool,
}

impl Ask<'_> {
    fn line(&mut self, question: &str) -> Option<String> {
        let _ = write!(self.out, "{question}");
        let _ = self.out.flush();
        let mut answer = String::new();
        match self.input.read_line(&mut answer) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(answer.trim().to_string()),
        }
    }

    fn yes(&mut self, question: &str) -> bool {
        self.line(question)
            .is_some_and(|a| matches!(a.to_ascii_lowercase().as_str(), "y" | "yes"))
    }
}

/// How the EC2 keys were found, for the screen.
pub struct Chosen {
    pub credential: Ec2Credential,
    pub how: String,
}

/// The EC2 credential to use: the only one, or the one picked among several; when there is
/// none, one created after the user agrees. `Ok(None)`: Keystone would not say (a login by
/// application credential) and the AWS credential chain should be used instead.
pub async fn choose_credential(
    login: &Login,
    ask: &mut Ask<'_>,
) -> Result<Option<Chosen>, OpenStackError> {
    let who = format!(
        "user {} in project {}",
        shown(&login.user_name, &login.user_id),
        login.project()
    );
    let of_who = |credential: Ec2Credential| {
        let how = format!(
            "EC2 credential {} of {who}, from Keystone",
            crate::s3::mask(&credential.access)
        );
        Some(Chosen { credential, how })
    };
    let mut found = match login.ec2_credentials().await {
        Ok(found) => found,
        Err(OpenStackError::Delegated) => return Ok(None),
        Err(e) => return Err(e),
    };
    match found.len() {
        0 => {
            if !ask.interactive {
                return Err(OpenStackError::Config(format!(
                    "Keystone has no EC2 credential for {who}; run lockwatch on a terminal to \
                     create one (it asks first), or create one with `openstack ec2 credentials \
                     create`"
                )));
            }
            let _ = writeln!(
                ask.out,
                "Keystone at {} has no EC2 credential for {who}.\nCreating one stores a new \
                 access key and secret for {who} in Keystone, as `openstack ec2 credentials \
                 create` does; lockwatch keeps them in memory only.",
                login.identity_url
            );
            if !ask.yes("Create it? [y/N] ") {
                return Err(OpenStackError::Config(
                    "no EC2 credential: nothing was created".into(),
                ));
            }
            let credential = login.create_ec2_credential().await?;
            let how = format!(
                "EC2 credential {} created in Keystone for {who}",
                crate::s3::mask(&credential.access)
            );
            let _ = writeln!(ask.out, "Created {}.", crate::s3::mask(&credential.access));
            Ok(Some(Chosen { credential, how }))
        }
        1 => Ok(of_who(found.remove(0))),
        n => {
            if !ask.interactive {
                return Err(OpenStackError::Config(format!(
                    "Keystone has {n} EC2 credentials for {who}; run lockwatch on a terminal \
                     to pick one, or give the keys in AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY"
                )));
            }
            let _ = writeln!(ask.out, "Keystone has {n} EC2 credentials for {who}:");
            for (i, c) in found.iter().enumerate() {
                let _ = writeln!(ask.out, "  {}) {}", i + 1, crate::s3::mask(&c.access));
            }
            let answer = ask
                .line(&format!("Which one? [1-{n}] "))
                .unwrap_or_default();
            let index = answer
                .parse::<usize>()
                .ok()
                .filter(|i| (1..=n).contains(i))
                .ok_or_else(|| {
                    OpenStackError::Config(format!("no EC2 credential number {answer:?}"))
                })?;
            Ok(of_who(found.swap_remove(index - 1)))
        }
    }
}

fn shown<'a>(name: &'a str, id: &'a str) -> &'a str {
    if name.is_empty() { id } else { name }
}

/// Asks for an access key and its secret (not echoed) on the terminal.
pub fn ask_for_keys(ask: &mut Ask<'_>) -> Result<crate::s3::StaticCredentials, OpenStackError> {
    if !ask.interactive {
        return Err(OpenStackError::Config(
            "no EC2 keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name an AWS \
             profile with --profile"
                .into(),
        ));
    }
    let access = ask.line("EC2 access key: ").unwrap_or_default();
    let _ = write!(ask.out, "EC2 secret key (not shown): ");
    let _ = ask.out.flush();
    let secret = read_hidden(ask.input)
        .map_err(|e| OpenStackError::Config(format!("cannot read the secret: {e}")))?;
    let _ = writeln!(ask.out);
    if access.is_empty() || secret.is_empty() {
        return Err(OpenStackError::Config(
            "no EC2 keys given: nothing to connect with".into(),
        ));
    }
    Ok(crate::s3::StaticCredentials {
        access_key_id: access,
        secret_access_key: secret,
    })
}

/// One line from the terminal with echo off (the terminal's own setting, restored after).
fn read_hidden(input: &mut dyn std::io::BufRead) -> std::io::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let tty = std::io::stdin();
    let saved = tcgetattr(&tty).ok();
    if let Some(mut quiet) = saved.clone() {
        quiet.local_modes.remove(LocalModes::ECHO);
        let _ = tcsetattr(&tty, OptionalActions::Now, &quiet);
    }
    let mut line = String::new();
    let read = input.read_line(&mut line);
    if let Some(saved) = saved {
        let _ = tcsetattr(&tty, OptionalActions::Now, &saved);
    }
    read.map(|_| line.trim_end_matches(['\r', '\n']).to_string())
}

/// Saving a connection made through Keystone, so that `lockwatch --endpoint NAME` connects
/// without it: the keys as profile NAME in the AWS credentials file (mode 0600), the endpoint
/// as `[endpoint.NAME]` in lockwatch's config file. Nothing is replaced: a profile or endpoint
/// of that name already there stops the save before anything is written.
pub struct Save {
    pub name: String,
    pub credentials_file: PathBuf,
    pub config_file: PathBuf,
    pub endpoint_url: String,
    pub region: Option<String>,
}

impl Save {
    /// What the confirmation says will be written.
    pub fn describe(&self) -> String {
        format!(
            "Save this connection as {name}?\n  {creds}: profile [{name}] with the EC2 access \
             key and secret (the file's mode becomes 0600)\n  {config}: [endpoint.{name}] with \
             endpoint_url = {url}{region}, profile = {name}\nAfterwards `lockwatch --endpoint \
             {name}` connects without Keystone.",
            name = self.name,
            creds = self.credentials_file.display(),
            config = self.config_file.display(),
            url = self.endpoint_url,
            region = self
                .region
                .as_deref()
                .map(|r| format!(", region = {r}"))
                .unwrap_or_default(),
        )
    }

    /// Why saving would replace something, if it would.
    pub fn conflict(&self) -> Option<String> {
        let header = format!("[{}]", self.name);
        let profile_taken = std::fs::read_to_string(&self.credentials_file)
            .is_ok_and(|text| text.lines().any(|l| l.trim() == header));
        if profile_taken {
            return Some(format!(
                "{} already has a profile [{}]",
                self.credentials_file.display(),
                self.name
            ));
        }
        let config = crate::config::Config::load(&self.config_file);
        if config.endpoints.contains_key(&self.name) {
            return Some(format!(
                "{} already has [endpoint.{}]",
                self.config_file.display(),
                self.name
            ));
        }
        None
    }

    pub fn write(&self, keys: &crate::s3::StaticCredentials) -> Result<(), String> {
        if let Some(conflict) = self.conflict() {
            return Err(format!("not saved: {conflict}"));
        }
        if !self
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "not saved: {:?} is not a name (letters, digits, - and _)",
                self.name
            ));
        }
        append_private(
            &self.credentials_file,
            &format!(
                "\n[{}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                self.name, keys.access_key_id, keys.secret_access_key
            ),
        )?;
        let region = self
            .region
            .as_deref()
            .map(|r| format!("region = {}\n", toml_string(r)))
            .unwrap_or_default();
        append(
            &self.config_file,
            &format!(
                "\n# Saved by lockwatch --os-cloud --save-as {name}.\n[endpoint.{name}]\nendpoint_url = {url}\n{region}profile = {profile}\n",
                name = self.name,
                url = toml_string(&self.endpoint_url),
                profile = toml_string(&self.name),
            ),
        )
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Appends to a file only its owner may read: created 0600 (its directory 0700), an existing
/// file's mode set to 0600 before the secret goes in.
fn append_private(path: &Path, text: &str) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if let Some(dir) = path.parent()
            && !dir.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot make {} private: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
    #[cfg(not(unix))]
    {
        append(path, text)
    }
}

/// Asks before saving, then saves; `Ok(false)` when the user said no.
pub fn confirm_and_save(
    save: &Save,
    keys: &crate::s3::StaticCredentials,
    ask: &mut Ask<'_>,
) -> Result<bool, String> {
    if let Some(conflict) = save.conflict() {
        return Err(format!("not saved: {conflict}; choose another name"));
    }
    if !ask.interactive {
        return Err("--save-as asks before writing a secret: run it on a terminal".into());
    }
    let _ = writeln!(ask.out, "{}", save.describe());
    if !ask.yes("Save? [y/N] ") {
        let _ = writeln!(ask.out, "Not saved.");
        return Ok(false);
    }
    save.write(keys)?;
    let _ = writeln!(ask.out, "Saved as {}.", save.name);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_url_is_cut_to_scheme_and_host() {
        for (url, want) in [
            (
                "https://object.example.net/swift/v1/AUTH_7b33ab12",
                "https://object.example.net",
            ),
            (
                "http://127.0.0.1:8080/swift/v1/AUTH_x",
                "http://127.0.0.1:8080",
            ),
            ("https://[::1]:7480/swift/v1", "https://[::1]:7480"),
        ] {
            assert_eq!(s3_endpoint(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(s3_endpoint("not a url"), None);
    }

    #[test]
    fn a_cloud_is_used_when_asked_for_and_no_s3_endpoint_is_chosen() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let named = |n: &str| Some(CloudSource::Named(n.into()));
        assert_eq!(
            requested(Some("a"), true, env(&[])),
            named("a"),
            "the flag wins"
        );
        assert_eq!(
            requested(None, false, env(&[("OS_CLOUD", "b")])),
            named("b")
        );
        assert_eq!(
            requested(None, false, env(&[("OS_AUTH_URL", "http://k/v3")])),
            Some(CloudSource::Environment)
        );
        assert_eq!(requested(None, true, env(&[("OS_CLOUD", "b")])), None);
        assert_eq!(
            requested(
                None,
                false,
                env(&[("OS_CLOUD", "b"), ("AWS_ENDPOINT_URL", "http://s3")])
            ),
            None,
            "an S3 endpoint in the environment wins over OS_CLOUD"
        );
        assert_eq!(requested(None, false, env(&[("OS_CLOUD", "")])), None);
    }

    #[test]
    fn secure_yaml_fills_in_the_cloud_of_clouds_yaml() {
        let dir = std::env::temp_dir().join(format!("lockwatch-os-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("clouds.yaml"),
            "clouds:\n  mycloud:\n    region_name: RegionOne\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: alice\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n",
        )
        .expect("write");
        std::fs::write(
            dir.join("secure.yaml"),
            "clouds:\n  mycloud:\n    auth:\n      password: s3cret\n",
        )
        .expect("write");
        let secure = Some(dir.join("secure.yaml"));
        let config = cloud_from(&dir.join("clouds.yaml"), secure.clone(), None, "mycloud")
            .expect("the cloud");
        let yaml = serde_yaml_ng::to_string(&config).expect("yaml");
        assert!(yaml.contains("password: s3cret"), "{yaml}");
        assert!(yaml.contains("username: alice"), "{yaml}");
        let missing =
            cloud_from(&dir.join("clouds.yaml"), secure, None, "other").expect_err("no such cloud");
        assert!(
            missing.to_string().contains("no cloud \"other\""),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    #[test]
    fn a_profile_of_clouds_public_yaml_fills_in_what_the_cloud_leaves_out() {
        let dir = tempfile::tempdir().expect("dir");
        let clouds = dir.path().join("clouds.yaml");
        std::fs::write(
            &clouds,
            "clouds:\n  mine:\n    profile: acme\n    region_name: Own\n    auth:\n      username: alice\n      password: pw\n      project_name: demo\n  orphan:\n    profile: nobody\n    auth:\n      username: bob\n",
        )
        .expect("write");
        let public = dir.path().join("clouds-public.yaml");
        std::fs::write(
            &public,
            "public-clouds:\n  acme:\n    region_name: AcmeOne\n    auth:\n      auth_url: https://keystone.acme.example/v3\n      username: not-alice\n",
        )
        .expect("write");
        let config = cloud_from(&clouds, None, Some(public.clone()), "mine").expect("the cloud");
        let yaml = serde_yaml_ng::to_string(&config).expect("yaml");
        // The profile's URL is used; the cloud's own region and user win over the profile's.
        assert!(
            yaml.contains("auth_url: https://keystone.acme.example/v3"),
            "{yaml}"
        );
        assert!(yaml.contains("username: alice"), "{yaml}");
        assert!(yaml.contains("region_name: Own"), "{yaml}");
        let e = cloud_from(&clouds, None, Some(public), "orphan").expect_err("no such profile");
        assert!(e.to_string().contains("profile \"nobody\""), "{e}");
        let e = cloud_from(&clouds, None, None, "mine").expect_err("no clouds-public.yaml");
        assert!(e.to_string().contains("no clouds-public.yaml"), "{e}");
    }
}
