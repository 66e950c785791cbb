//! Connecting for a command or the UI: flags, environment, config file, an OpenStack login,
//! and the endpoint picker.

use super::*;

/// `connect` for the commands beside the UI: a failure is said on stderr (exit code 2), and
/// so are the connection's warnings.
pub(super) async fn connect_for_command(
    cli: &Cli,
    config: &Config,
    console: &mut Console<'_>,
) -> Result<Connection, Exit> {
    let connection = match connect(cli, config, console).await {
        Ok(c) => c,
        Err(e) => {
            say!(console, "lockwatch: cannot connect: {}", shown_lines(&e));
            return Err(Exit::CouldNotStart);
        }
    };

    for warning in &connection.info.warnings {
        say!(console, "lockwatch: warning: {}", shown(&warning));
    }
    Ok(connection)
}

/// Who these credentials are (ListBuckets' Owner), for the audit trail and the report; a
/// server that will not say (credentials limited to one bucket often may not list buckets) is
/// no reason to stop.
pub(super) async fn learn_identity(connection: &mut Connection) {
    if let Ok(Some(me)) = connection.s3.identity().await {
        let actor = &mut connection.info.actor;
        actor.owner_id = Some(me.id).filter(|i| !i.is_empty());
        actor.owner_name = me.display_name;
    }
}

/// Connects the way the flags, the environment and the config file say.
pub(super) async fn connect(
    cli: &Cli,
    config: &Config,
    console: &mut Console<'_>,
) -> Result<Connection, String> {
    if !config.problems.is_empty() {
        say!(
            console,
            "lockwatch: warning: the config file has {} ignored line(s); `lockwatch config check` lists them",
            config.problems.len()
        );
    }
    let mut options = cli.connect_options(config, console.env)?;
    let given = cli.connection();
    let endpoint_chosen = given.endpoint.is_some()
        || given.endpoint_url.is_some()
        || config.default_endpoint.is_some();
    let Some(source) =
        crate::openstack::requested(given.os_cloud.as_deref(), endpoint_chosen, console.env)
    else {
        let mut connection = crate::s3::connect(&options)
            .await
            .map_err(|e| e.to_string())?;
        crate::audit::here(&mut connection.info.actor);
        return Ok(connection);
    };
    let login = openstack_login(source, &mut options, given.save_as.as_deref(), console).await?;
    let from_catalogue = options.endpoint_url.as_deref() == Some(login.0.endpoint.as_str());
    let mut connection = crate::s3::connect(&options)
        .await
        .map_err(|e| e.to_string())?;
    crate::audit::here(&mut connection.info.actor);
    connection.info.endpoint = format!(
        "{} ({}, project {})",
        connection.info.endpoint,
        login.0.source.describe(),
        login.0.project()
    );
    if let Some(how) = login.1 {
        connection.info.credentials_source = how;
    }
    connection.info.actor.keystone_user = Some(login.0.user_name.clone())
        .filter(|u| !u.is_empty())
        .or_else(|| Some(login.0.user_id.clone()));
    connection.info.actor.keystone_project = Some(login.0.project().to_string());
    if from_catalogue {
        connection.info.endpoint_source = Some(format!(
            "the object-store entry of Keystone's catalogue ({})",
            login.0.catalogue_url
        ));
    }
    Ok(connection)
}

/// Logs in to the OpenStack cloud and fills in the endpoint (unless a flag gave one), the
/// region (unless given) and the EC2 keys. Questions are asked on the terminal, before the UI.
pub(super) async fn openstack_login(
    source: crate::openstack::CloudSource,
    options: &mut ConnectOptions,
    save_as: Option<&str>,
    console: &mut Console<'_>,
) -> Result<(crate::openstack::Login, Option<String>), String> {
    use crate::openstack;
    let cloud = openstack::load(&source).map_err(|e| e.to_string())?;
    for warning in cloud.warnings() {
        say!(console, "lockwatch: warning: {}", shown(&warning));
    }
    // Keystone takes a moment (a token, the catalogue, the EC2 credentials): say so.
    if console.err_is_terminal {
        say!(
            console,
            "lockwatch: logging in to {} through Keystone…",
            shown(&source.describe())
        );
    }
    let login = openstack::login(source, cloud)
        .await
        .map_err(|e| e.to_string())?;
    let interactive = console.input_is_terminal && console.err_is_terminal;
    let mut ask = openstack::Ask {
        input: &mut *console.input,
        out: &mut *console.err,
        interactive,
    };
    if options.endpoint_url.is_none() {
        options.endpoint_url = Some(login.endpoint.clone());
    }
    if options.region.is_none() {
        options.region = login.region.clone();
    }
    let how = match openstack::choose_credential(&login, &mut ask)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(chosen) => {
            options.static_credentials = Some(StaticCredentials {
                access_key_id: chosen.credential.access,
                secret_access_key: chosen.credential.secret,
            });
            Some(chosen.how)
        }
        None => {
            // A login by application credential: Keystone will not show EC2 credentials.
            let _ = writeln!(
                ask.out,
                "lockwatch: {}",
                openstack::OpenStackError::Delegated
            );
            let from_env = (console.env)("AWS_ACCESS_KEY_ID").is_some();
            if !from_env && options.profile.is_none() {
                let keys = openstack::ask_for_keys(&mut ask).map_err(|e| e.to_string())?;
                options.static_credentials = Some(keys);
                Some("EC2 keys typed at the start".into())
            } else {
                None
            }
        }
    };
    if let Some(name) = save_as {
        let keys = options.static_credentials.clone().ok_or_else(|| {
            "--save-as: nothing to save, the keys come from the environment or --profile"
                .to_string()
        })?;
        let save = openstack::Save {
            name: name.to_string(),
            credentials_file: crate::s3::aws_credentials_file()
                .ok_or("--save-as: no home directory for ~/.aws/credentials")?,
            config_file: crate::config::default_path()
                .ok_or("--save-as: no place for the config file")?,
            endpoint_url: options
                .endpoint_url
                .clone()
                .unwrap_or_else(|| login.endpoint.clone()),
            region: options.region.clone(),
        };
        openstack::confirm_and_save(&save, &keys, &mut ask)?;
    }
    Ok((login, how))
}

/// With several named endpoints and nothing saying which (no --endpoint, LOCKWATCH_ENDPOINT,
/// default_endpoint, --endpoint-url or AWS_ENDPOINT_URL), asks on the terminal before the UI
/// starts. `None` when there is nothing to ask, or no terminal to ask on.
pub(super) fn pick_endpoint(
    cli: &Cli,
    config: &Config,
    console: &mut Console<'_>,
) -> Result<Option<String>, Exit> {
    let given = cli.connection();
    let said = given.endpoint.is_some()
        || given.endpoint_url.is_some()
        || config.default_endpoint.is_some()
        || ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|k| console.var(k).is_some());
    if said || config.endpoints.len() < 2 || !console.input_is_terminal {
        return Ok(None);
    }
    let names: Vec<&String> = config.endpoints.keys().collect();
    let err = &mut *console.err;
    let _ = writeln!(err, "lockwatch: which endpoint?");
    for (i, name) in names.iter().enumerate() {
        let e = &config.endpoints[*name];
        let _ = writeln!(
            err,
            "  {}) {}  {}{}",
            i + 1,
            crate::domain::text::name(name),
            e.endpoint_url
                .as_deref()
                .unwrap_or("(the AWS profile's endpoint)"),
            if e.read_only { "  read-only" } else { "" }
        );
    }
    let _ = write!(
        err,
        "Number or name (Enter: 1; set default_endpoint in the config file to skip this): "
    );
    let _ = err.flush();
    let mut line = String::new();
    if console.input.read_line(&mut line).is_err() {
        return Err(Exit::CouldNotStart);
    }
    let answer = line.trim();
    let chosen = if answer.is_empty() {
        Some(names[0].clone())
    } else if let Ok(n) = answer.parse::<usize>() {
        names.get(n.wrapping_sub(1)).map(|s| (*s).clone())
    } else {
        names
            .iter()
            .find(|n| n.as_str() == answer)
            .map(|s| (*s).clone())
    };
    match chosen {
        Some(name) => Ok(Some(name)),
        None => {
            say!(console, "lockwatch: no endpoint {answer:?}");
            Err(Exit::CouldNotStart)
        }
    }
}
