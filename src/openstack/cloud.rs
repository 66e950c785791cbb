//! A cloud's settings, as the OpenStack tools read them: a named cloud of `clouds.yaml` (with
//! `secure.yaml` over it and a `clouds-public.yaml` profile under it), or the `OS_*` variables
//! of an openrc file. Only what a Keystone v3 login and the catalogue need is kept; other keys
//! are ignored, as the OpenStack tools ignore what they do not use.

use super::{CloudSource, OpenStackError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The settings of one cloud.
#[derive(Clone, Default, Deserialize)]
pub struct Cloud {
    #[serde(default)]
    pub auth: Auth,
    /// `password` (the default), `v3password`, `token`/`v3token`, or
    /// `v3applicationcredential`.
    pub auth_type: Option<String>,
    /// A PEM file of CA certificates to trust for Keystone (added to the system's).
    pub cacert: Option<String>,
    /// `verify: false` (no TLS verification) is refused; see `Cloud::check`.
    pub verify: Option<serde_yaml_ng::Value>,
    /// The catalogue interface: `public` unless said otherwise.
    pub interface: Option<String>,
    pub region_name: Option<String>,
    /// What the user should fix before a secret leaks: a file holding this cloud's password
    /// that others can read (set by `load`; see also `Cloud::warnings`).
    #[serde(skip)]
    pub file_warnings: Vec<String>,
}

/// The `auth` section of a cloud.
#[derive(Clone, Default, Deserialize)]
pub struct Auth {
    pub auth_url: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub password: Option<String>,
    pub user_domain_name: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub project_domain_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub token: Option<String>,
    pub application_credential_id: Option<String>,
    pub application_credential_name: Option<String>,
    pub application_credential_secret: Option<String>,
}

/// Names and places only: passwords, tokens and secrets never reach a log or a panic message.
impl std::fmt::Debug for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloud")
            .field("auth_url", &self.auth.auth_url)
            .field("auth_type", &self.auth_type)
            .field("username", &self.auth.username)
            .field("project_name", &self.auth.project_name)
            .field("region_name", &self.region_name)
            .finish_non_exhaustive()
    }
}

impl Cloud {
    /// The `OS_*` variables of an openrc file (`env` reads the environment).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Cloud {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        Cloud {
            auth: Auth {
                auth_url: var("OS_AUTH_URL"),
                username: var("OS_USERNAME"),
                user_id: var("OS_USER_ID"),
                password: var("OS_PASSWORD"),
                user_domain_name: var("OS_USER_DOMAIN_NAME"),
                user_domain_id: var("OS_USER_DOMAIN_ID"),
                project_name: var("OS_PROJECT_NAME").or_else(|| var("OS_TENANT_NAME")),
                project_id: var("OS_PROJECT_ID").or_else(|| var("OS_TENANT_ID")),
                project_domain_name: var("OS_PROJECT_DOMAIN_NAME"),
                project_domain_id: var("OS_PROJECT_DOMAIN_ID"),
                token: var("OS_TOKEN"),
                application_credential_id: var("OS_APPLICATION_CREDENTIAL_ID"),
                application_credential_name: var("OS_APPLICATION_CREDENTIAL_NAME"),
                application_credential_secret: var("OS_APPLICATION_CREDENTIAL_SECRET"),
            },
            auth_type: var("OS_AUTH_TYPE"),
            cacert: var("OS_CACERT"),
            verify: None,
            interface: var("OS_INTERFACE"),
            region_name: var("OS_REGION_NAME"),
            file_warnings: Vec::new(),
        }
    }

    /// Whether the cloud turns TLS verification off (`verify: false`, or the string "false").
    pub fn verify_off(&self) -> bool {
        match &self.verify {
            Some(serde_yaml_ng::Value::Bool(b)) => !b,
            Some(serde_yaml_ng::Value::String(s)) => s.eq_ignore_ascii_case("false"),
            _ => false,
        }
    }
}

/// Reads the cloud's settings. `OS_CLIENT_CONFIG_FILE` names the `clouds.yaml` to read
/// instead of the usual places (current directory, `~/.config/openstack/`, `/etc/openstack/`).
pub fn load(source: &CloudSource) -> Result<Cloud, OpenStackError> {
    match source {
        CloudSource::Environment => Ok(Cloud::from_env(|k| std::env::var(k).ok())),
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
) -> Result<Cloud, OpenStackError> {
    use serde_yaml_ng::Value;
    let read = |p: &Path| -> Result<Value, OpenStackError> {
        let text = crate::files::read_regular_text(p, crate::config::MAX_CONFIG_BYTES)
            .map_err(|e| OpenStackError::Config(format!("cannot read {}: {e}", p.display())))?;
        serde_yaml_ng::from_str(&text)
            .map_err(|e| OpenStackError::Config(format!("cannot parse {}: {e}", p.display())))
    };
    let entry =
        |doc: &Value, root: &str, key: &str| doc.get(root).and_then(|c| c.get(key)).cloned();
    let mut cloud = entry(&read(clouds)?, "clouds", name).ok_or_else(|| {
        OpenStackError::Config(format!("no cloud {name:?} in {}", clouds.display()))
    })?;
    let mut file_warnings = Vec::new();
    file_warnings.extend(readable_secret(clouds, &cloud));
    if let Some(secure) = secure
        && let Some(extra) = entry(&read(&secure)?, "clouds", name)
    {
        file_warnings.extend(readable_secret(&secure, &extra));
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
    let mut cloud: Cloud = serde_yaml_ng::from_value(cloud).map_err(|e| {
        OpenStackError::Config(format!("cloud {name:?} in {}: {e}", clouds.display()))
    })?;
    cloud.file_warnings = file_warnings;
    Ok(cloud)
}

/// A warning when `file`'s entry for the cloud holds a password or a secret and people other
/// than its owner can read the file.
fn readable_secret(file: &Path, entry: &serde_yaml_ng::Value) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let auth = entry.get("auth")?;
    let secret = ["password", "application_credential_secret", "token"]
        .into_iter()
        .find(|k| auth.get(*k).is_some())?;
    let mode = std::fs::metadata(file).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds this cloud's {secret} and others on this machine can read it (mode {:o}): chmod 600 {}",
            file.display(),
            mode & 0o777,
            file.display()
        )
    })
}

impl Cloud {
    /// What to tell the user before logging in: files that leak the secret, and a plain
    /// http:// Keystone (the password would travel unencrypted).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.file_warnings.clone();
        let sends_secret = self.auth.password.is_some()
            || self.auth.application_credential_secret.is_some()
            || self.auth.token.is_some();
        if sends_secret
            && let Some(url) = &self.auth.auth_url
            && url.to_ascii_lowercase().starts_with("http://")
        {
            out.push(format!(
                "Keystone's auth_url {url} is plain http://: the password or secret is sent unencrypted; use https:// where the cloud offers it"
            ));
        }
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(config.auth.password.as_deref(), Some("s3cret"));
        assert_eq!(config.auth.username.as_deref(), Some("alice"));
        assert_eq!(config.region_name.as_deref(), Some("RegionOne"));
        let missing =
            cloud_from(&dir.join("clouds.yaml"), secure, None, "other").expect_err("no such cloud");
        assert!(
            missing.to_string().contains("no cloud \"other\""),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_password_others_can_read_and_a_plain_http_keystone_are_warned_of() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let clouds = dir.path().join("clouds.yaml");
        let secure = dir.path().join("secure.yaml");
        std::fs::write(
            &clouds,
            "clouds:\n  c:\n    auth:\n      auth_url: http://keystone.example:5000/v3\n      username: alice\n",
        )
        .expect("write");
        std::fs::write(
            &secure,
            "clouds:\n  c:\n    auth:\n      password: s3cret-pw\n",
        )
        .expect("write");
        let chmod = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        chmod(&clouds, 0o644);
        chmod(&secure, 0o644);
        let cloud = cloud_from(&clouds, Some(secure.clone()), None, "c").expect("the cloud");
        let warnings = cloud.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("secure.yaml holds this cloud's password")
                && warnings[0].contains("chmod 600"),
            "only the file with the password: {warnings:?}"
        );
        assert!(warnings[1].contains("plain http://"), "{warnings:?}");
        chmod(&secure, 0o600);
        let cloud = cloud_from(&clouds, Some(secure), None, "c").expect("the cloud");
        assert_eq!(cloud.warnings().len(), 1, "{:?}", cloud.warnings());
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
        // The profile's URL is used; the cloud's own region and user win over the profile's.
        assert_eq!(
            config.auth.auth_url.as_deref(),
            Some("https://keystone.acme.example/v3")
        );
        assert_eq!(config.auth.username.as_deref(), Some("alice"));
        assert_eq!(config.region_name.as_deref(), Some("Own"));
        let e = cloud_from(&clouds, None, Some(public), "orphan").expect_err("no such profile");
        assert!(e.to_string().contains("profile \"nobody\""), "{e}");
        let e = cloud_from(&clouds, None, None, "mine").expect_err("no clouds-public.yaml");
        assert!(e.to_string().contains("no clouds-public.yaml"), "{e}");
    }

    #[test]
    fn an_openrc_files_variables_make_a_cloud() {
        let env = |k: &str| {
            match k {
                "OS_AUTH_URL" => Some("https://k.example:5000/v3"),
                "OS_USERNAME" => Some("alice"),
                "OS_PASSWORD" => Some("pw"),
                "OS_TENANT_NAME" => Some("old-style"),
                "OS_REGION_NAME" => Some(""),
                _ => None,
            }
            .map(str::to_string)
        };
        let cloud = Cloud::from_env(env);
        assert_eq!(cloud.auth.project_name.as_deref(), Some("old-style"));
        assert_eq!(cloud.region_name, None, "an empty variable is unset");
        assert!(!cloud.verify_off());
        let off: Cloud = serde_yaml_ng::from_str("verify: false").expect("cloud");
        assert!(off.verify_off());
    }
}
