//! An OpenStack cloud in miniature for the `--os-cloud` tests: Keystone 22 from Debian's
//! python3-keystone under uwsgi (SQLite in WAL mode, fernet tokens), and a Ceph RGW that
//! validates S3 signatures of Keystone's EC2 credentials, registered in Keystone's catalogue as
//! the object store the way an OpenStack cloud registers it (the Swift URL). In it: a project
//! `demo` and four members — alice with an EC2 credential, bob with none, carol, who logs in
//! with an application credential, and dave with two EC2 credentials.

use super::{ceph, daemon};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "lockwatch-admin-pw";
pub const REGION: &str = "RegionOne";

pub struct User {
    pub name: &'static str,
    pub password: &'static str,
    pub id: String,
}

pub struct Cloud {
    /// Keystone's v3 URL.
    pub auth_url: String,
    pub dir: PathBuf,
    pub ceph: ceph::Ceph,
    pub project_id: String,
    pub alice: User,
    pub bob: User,
    pub carol: User,
    pub dave: User,
    /// dave's two EC2 access keys, in the order they were made.
    pub dave_ec2: Vec<String>,
    /// alice's EC2 keys, created at set-up.
    pub alice_ec2: (String, String),
    /// carol's application credential: id and secret. Restricted, Keystone's default: it
    /// cannot see or make EC2 credentials.
    pub carol_app: (String, String),
    /// carol's unrestricted application credential: id and secret.
    pub carol_app_unrestricted: (String, String),
    /// carol's one EC2 access key, made by the administrator.
    pub carol_ec2: String,
}

fn require(binary: &str) -> PathBuf {
    daemon::which(binary).unwrap_or_else(|| {
        panic!(
            "`{binary}` was not found. The OpenStack tests need Debian's packages \
             python3-keystone uwsgi-core uwsgi-plugin-python3; `tests/run` installs them when \
             run as root (or with sudo)."
        )
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a runtime: {e}"))
}

/// uwsgi closes each connection after its answer: a pooled one would fail the next request.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"))
}

/// Keystone's REST API as its administrator.
struct Admin {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Admin {
    async fn token(
        http: &reqwest::Client,
        url: &str,
        user: &str,
        password: &str,
        project: &str,
    ) -> Result<String, String> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}
        }});
        let response = http
            .post(format!("{url}/auth/tokens"))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let token = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        match token {
            Some(t) if status.is_success() => Ok(t),
            _ => Err(format!(
                "{status}: {}",
                response.text().await.unwrap_or_default()
            )),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("Keystone {method} {path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            panic!("Keystone {method} {path}: {status} {text}");
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn id_of(&self, path: &str, body: Value, field: &str) -> String {
        let answer = self.call(reqwest::Method::POST, path, Some(body)).await;
        answer[field]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in Keystone's answer to {path}: {answer}"))
            .to_string()
    }
}

fn keystone_conf(dir: &std::path::Path) -> String {
    let d = dir.display();
    format!(
        "[DEFAULT]
log_file = {d}/keystone.log
[database]
connection = sqlite:///{d}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {d}/fernet-keys
[fernet_receipts]
key_repository = {d}/fernet-keys
[credential]
key_repository = {d}/credential-keys
"
    )
}

fn start() -> Cloud {
    let manage = require("keystone-manage");
    let uwsgi = require("uwsgi");
    let wsgi = PathBuf::from("/usr/bin/keystone-wsgi-public");
    if !wsgi.exists() {
        require("keystone-wsgi-public");
    }
    let dir = daemon::fresh_dir("lockwatch-keystone");
    for sub in ["fernet-keys", "credential-keys"] {
        std::fs::create_dir_all(dir.join(sub))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let conf = dir.join("keystone.conf");
    std::fs::write(&conf, keystone_conf(&dir))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", conf.display()));
    let (port, rgw_port) = (super::free_port(), super::free_port());
    let auth_url = format!("http://127.0.0.1:{port}/v3");
    let c = conf.to_string_lossy().into_owned();
    let m = manage.to_string_lossy().into_owned();
    daemon::run(&m, &["--config-file", &c, "db_sync"]);
    // Without WAL every write after the first fails with "database is locked" under uwsgi.
    let db = dir.join("keystone.db").to_string_lossy().into_owned();
    daemon::run(
        "python3",
        &[
            "-c",
            &format!("import sqlite3; sqlite3.connect({db:?}).execute('PRAGMA journal_mode=WAL')"),
        ],
    );
    let user = daemon::run("id", &["-un"]).trim().to_string();
    let group = daemon::run("id", &["-gn"]).trim().to_string();
    for setup in ["fernet_setup", "credential_setup"] {
        daemon::run(
            &m,
            &[
                "--config-file",
                &c,
                setup,
                "--keystone-user",
                &user,
                "--keystone-group",
                &group,
            ],
        );
    }
    daemon::run(
        &m,
        &[
            "--config-file",
            &c,
            "bootstrap",
            "--bootstrap-password",
            ADMIN_PASSWORD,
            "--bootstrap-admin-url",
            &auth_url,
            "--bootstrap-internal-url",
            &auth_url,
            "--bootstrap-public-url",
            &auth_url,
            "--bootstrap-region-id",
            REGION,
        ],
    );
    let log = dir.join("uwsgi.log");
    // uwsgi reads the config from the environment of its workers.
    let child = daemon::spawn_with_env(
        &uwsgi,
        &[
            "--plugin".into(),
            "python3".into(),
            "--http-socket".into(),
            format!("127.0.0.1:{port}"),
            "--wsgi-file".into(),
            wsgi.to_string_lossy().into_owned(),
            "--processes".into(),
            "2".into(),
            "--die-on-term".into(),
            // The master dies with the test binary; without these its workers would live on.
            "--master".into(),
            "--no-orphans".into(),
        ],
        &[("OS_KEYSTONE_CONFIG_FILES", c.as_str())],
        &log,
    );

    let rt = runtime();
    let http = http_client();
    let deadline = Instant::now() + Duration::from_secs(60);
    let token = loop {
        daemon::check_alive(&child, "keystone (uwsgi)", &log);
        match rt.block_on(Admin::token(
            &http,
            &auth_url,
            "admin",
            ADMIN_PASSWORD,
            "admin",
        )) {
            Ok(t) => break t,
            Err(e) if Instant::now() > deadline => panic!(
                "Keystone did not log the admin in within 60 s ({e}).\nuwsgi:\n{}\nkeystone:\n{}",
                daemon::log_tail(&log),
                daemon::log_tail(&dir.join("keystone.log"))
            ),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    };
    let admin = Admin {
        http: http.clone(),
        url: auth_url.clone(),
        token,
    };
    let (project_id, alice, bob, carol, dave, alice_ec2, dave_ec2, carol_ec2) =
        rt.block_on(async {
            let post = reqwest::Method::POST;
            let project_id = admin
                .id_of(
                    "/projects",
                    json!({"project": {"name": "demo", "domain_id": "default"}}),
                    "project",
                )
                .await;
            let roles = admin
                .call(reqwest::Method::GET, "/roles?name=member", None)
                .await;
            let member = roles["roles"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no member role: {roles}"))
                .to_string();
            let mut users = Vec::new();
            for (name, password) in [
                ("alice", "alice-pw"),
                ("bob", "bob-pw"),
                ("carol", "carol-pw"),
                ("dave", "dave-pw"),
            ] {
                let id = admin
                .id_of(
                    "/users",
                    json!({"user": {"name": name, "domain_id": "default", "password": password}}),
                    "user",
                )
                .await;
                admin
                    .call(
                        reqwest::Method::PUT,
                        &format!("/projects/{project_id}/users/{id}/roles/{member}"),
                        None,
                    )
                    .await;
                users.push(User { name, password, id });
            }
            let service = admin
                .id_of(
                    "/services",
                    json!({"service": {"type": "object-store", "name": "swift"}}),
                    "service",
                )
                .await;
            admin
                .call(
                    post.clone(),
                    "/endpoints",
                    Some(json!({"endpoint": {
                        "service_id": service, "interface": "public", "region_id": REGION,
                        "url": format!("http://127.0.0.1:{rgw_port}/swift/v1/AUTH_%(project_id)s")
                    }})),
                )
                .await;
            let dave = users.pop().expect("dave");
            let carol = users.pop().expect("carol");
            let bob = users.pop().expect("bob");
            let alice = users.pop().expect("alice");
            let ec2 = admin
                .call(
                    post,
                    &format!("/users/{}/credentials/OS-EC2", alice.id),
                    Some(json!({"tenant_id": project_id})),
                )
                .await;
            let keys = (
                ec2["credential"]["access"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ec2["credential"]["secret"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            assert!(!keys.0.is_empty(), "no EC2 credential for alice: {ec2}");
            let mut dave_ec2 = Vec::new();
            for _ in 0..2 {
                let made = admin
                    .call(
                        reqwest::Method::POST,
                        &format!("/users/{}/credentials/OS-EC2", dave.id),
                        Some(json!({"tenant_id": project_id})),
                    )
                    .await;
                dave_ec2.push(
                    made["credential"]["access"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            let made = admin
                .call(
                    reqwest::Method::POST,
                    &format!("/users/{}/credentials/OS-EC2", carol.id),
                    Some(json!({"tenant_id": project_id})),
                )
                .await;
            let carol_ec2 = made["credential"]["access"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(!carol_ec2.is_empty(), "no EC2 credential for carol: {made}");
            (
                project_id, alice, bob, carol, dave, keys, dave_ec2, carol_ec2,
            )
        });
    // carol makes her own application credentials, as a user would in the dashboard: one as
    // Keystone makes them by default (restricted), one unrestricted.
    let (carol_app, carol_app_unrestricted) = rt.block_on(async {
        let token = Admin::token(&http, &auth_url, carol.name, carol.password, "demo")
            .await
            .unwrap_or_else(|e| panic!("carol cannot log in: {e}"));
        let as_carol = Admin {
            http: http.clone(),
            url: auth_url.clone(),
            token,
        };
        let mut made = Vec::new();
        for (name, unrestricted) in [("lockwatch-test", false), ("lockwatch-test-unrestricted", true)] {
            let answer = as_carol
                .call(
                    reqwest::Method::POST,
                    &format!("/users/{}/application_credentials", carol.id),
                    Some(json!({"application_credential": {"name": name, "unrestricted": unrestricted}})),
                )
                .await;
            let app = &answer["application_credential"];
            made.push((
                app["id"].as_str().unwrap_or_default().to_string(),
                app["secret"].as_str().unwrap_or_default().to_string(),
            ));
        }
        let unrestricted = made.pop().unwrap_or_default();
        let restricted = made.pop().unwrap_or_default();
        (restricted, unrestricted)
    });

    let rgw_keystone = format!(
        "rgw s3 auth use keystone = true
rgw keystone url = http://127.0.0.1:{port}
rgw keystone api version = 3
rgw keystone admin user = admin
rgw keystone admin password = {ADMIN_PASSWORD}
rgw keystone admin project = admin
rgw keystone admin domain = Default
rgw keystone accepted roles = member,admin
rgw keystone implicit tenants = true
"
    );
    let ceph = ceph::start_with(&rgw_keystone, rgw_port);
    // RGW makes its user for a Keystone project on that project's first request; two first
    // requests at once race, and one fails with 409 (seen with the tests in parallel). One
    // request now, before any test runs.
    rt.block_on(async {
        let options = lockwatch::s3::ConnectOptions {
            endpoint_url: Some(ceph.endpoint.clone()),
            region: Some(REGION.into()),
            static_credentials: Some(lockwatch::s3::StaticCredentials {
                access_key_id: alice_ec2.0.clone(),
                secret_access_key: alice_ec2.1.clone(),
            }),
            ..lockwatch::s3::ConnectOptions::default()
        };
        let s3 = lockwatch::s3::connect(&options)
            .await
            .unwrap_or_else(|e| panic!("cannot connect as alice: {e}"));
        s3.s3
            .list_buckets()
            .await
            .unwrap_or_else(|e| panic!("RGW does not take alice's EC2 keys: {e}"));
    });
    Cloud {
        auth_url,
        dir,
        ceph,
        project_id,
        alice,
        bob,
        carol,
        dave,
        dave_ec2,
        alice_ec2,
        carol_app,
        carol_app_unrestricted,
        carol_ec2,
    }
}

/// The cloud of this test binary, started on first use (about 30 s).
pub fn cloud() -> &'static Cloud {
    static CLOUD: OnceLock<Cloud> = OnceLock::new();
    CLOUD.get_or_init(|| match std::thread::spawn(start).join() {
        Ok(cloud) => cloud,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl Cloud {
    /// A clouds.yaml naming one cloud per user (alice, bob, carol by application credential,
    /// alice with a wrong password, and a Keystone nobody answers at).
    pub fn clouds_yaml(&self) -> String {
        let password = |name: &str, user: &str, password: &str, url: &str| {
            format!(
                "  {name}:\n    region_name: {REGION}\n    auth:\n      auth_url: {url}\n      username: {user}\n      password: {password}\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n"
            )
        };
        let nobody = format!("http://127.0.0.1:{}/v3", super::free_port());
        format!(
            "clouds:\n{}{}{}{}{}  carol:\n    region_name: {REGION}\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {}\n      application_credential_id: {}\n      application_credential_secret: {}\n  carol-unrestricted:\n    region_name: {REGION}\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {}\n      application_credential_id: {}\n      application_credential_secret: {}\n",
            password("alice", "alice", self.alice.password, &self.auth_url),
            password("bob", "bob", self.bob.password, &self.auth_url),
            password("dave", "dave", self.dave.password, &self.auth_url),
            password("wrong", "alice", "not-her-password", &self.auth_url),
            password("nowhere", "alice", self.alice.password, &nobody),
            self.auth_url,
            self.carol_app.0,
            self.carol_app.1,
            self.auth_url,
            self.carol_app_unrestricted.0,
            self.carol_app_unrestricted.1,
        )
    }

    /// The EC2 credentials Keystone holds for `user_id` (access keys), as its administrator.
    pub fn ec2_access_keys(&self, user_id: &str) -> Vec<String> {
        let rt = runtime();
        rt.block_on(async {
            let http = http_client();
            let token = Admin::token(&http, &self.auth_url, "admin", ADMIN_PASSWORD, "admin")
                .await
                .unwrap_or_else(|e| panic!("admin login: {e}"));
            let admin = Admin {
                http,
                url: self.auth_url.clone(),
                token,
            };
            let list = admin
                .call(
                    reqwest::Method::GET,
                    &format!("/users/{user_id}/credentials/OS-EC2"),
                    None,
                )
                .await;
            list["credentials"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c["access"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
    }
}
