//! Connecting the way an OpenStack cloud's users do, without the openstack CLI: a cloud from
//! `clouds.yaml` (with `secure.yaml`) or the `OS_*` variables of an openrc file, a Keystone v3
//! login (password or application credential), the object-store endpoint from the token's
//! catalogue cut to `scheme://host[:port]`, and the user's EC2 credentials for the project.
//!
//! `cloud` reads the cloud's settings; `keystone` logs in, finds the object store and asks for
//! the EC2 credentials, on the HTTP stack the S3 client uses. Everything secret stays in
//! memory.

mod cloud;
mod keystone;

pub use cloud::{Cloud, clouds_yaml_places, load};
pub use keystone::login;

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

impl OpenStackError {
    /// The error with every secret of the login written as `[redacted]`: Keystone may echo
    /// what it was sent (a password in a validation error), and this message is printed.
    pub fn without(self, secrets: &[&str]) -> OpenStackError {
        let clean = |message: String| {
            secrets
                .iter()
                .filter(|s| s.len() >= 4)
                .fold(message, |m, s| m.replace(s, "[redacted]"))
        };
        match self {
            OpenStackError::Config(m) => OpenStackError::Config(clean(m)),
            OpenStackError::Refused { auth_url, message } => OpenStackError::Refused {
                auth_url,
                message: clean(message),
            },
            OpenStackError::Unreachable { auth_url, message } => OpenStackError::Unreachable {
                auth_url,
                message: clean(message),
            },
            OpenStackError::NoObjectStore(m) => OpenStackError::NoObjectStore(clean(m)),
            OpenStackError::Keystone {
                what,
                status,
                message,
            } => OpenStackError::Keystone {
                what,
                status,
                message: clean(message),
            },
            OpenStackError::Delegated => OpenStackError::Delegated,
        }
    }
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
    http: keystone::Http,
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

impl Login {
    /// The project by name, or by id when Keystone gave no name.
    pub fn project(&self) -> &str {
        shown(&self.project_name, &self.project_id)
    }
}

/// `https://object.example.net/swift/v1/AUTH_…` → `https://object.example.net`: the S3 API
/// lives at the root of the host that serves Swift.
pub fn s3_endpoint(catalogue_url: &str) -> Option<String> {
    let url = url::Url::parse(catalogue_url).ok()?;
    // An IPv6 host comes with its brackets.
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
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
    fn a_secret_keystone_echoes_is_never_printed() {
        let echoed = OpenStackError::Keystone {
            what: "the login".into(),
            status: 400,
            message: "Invalid input for field 'password': 'hunter2-long' is too short".into(),
        };
        let shown = echoed.without(&["hunter2-long", "ab"]).to_string();
        assert!(!shown.contains("hunter2-long"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        // A secret of a few characters would redact ordinary words: left alone.
        assert!(shown.contains("too short"), "{shown}");
    }

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
}
