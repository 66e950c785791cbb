//! Command-line flags.

// The doc comments of the flags are clap's `--help` text, shown as written: a URL in them stays
// bare, not a rustdoc link.
#![allow(rustdoc::bare_urls)]

use crate::config::{Config, Endpoint};
use crate::domain::location::S3Location;
use crate::s3::{ConnectOptions, PathStyle};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "lockwatch",
    version,
    about = "A terminal UI for versioned, Object-Lock-protected S3 buckets: see deleted files, \
             restore them, and watch every version's lock count down.",
    after_help = "Credentials and endpoint are taken the way the AWS CLI takes them: \
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_REGION, \
AWS_PROFILE, AWS_CA_BUNDLE, and the profiles in ~/.aws/config and ~/.aws/credentials \
(endpoint_url included). Flags win over all of them.

Examples:
  lockwatch --demo                 a seeded sandbox, nothing else needed
  lockwatch
  lockwatch s3://bup/
  lockwatch --endpoint-url https://object.example.net --profile backup s3://bup/db/
  lockwatch --endpoint mycloud     a named endpoint from the config file
  lockwatch --os-cloud mycloud     an OpenStack cloud of clouds.yaml, through Keystone
  lockwatch sandbox --port 9000    serve the sandbox for other clients
  lockwatch ls --versions --json s3://bup/db/   list for a script
  lockwatch ls --at -3h s3://bup/db/            the folder as it was three hours ago
  lockwatch undelete s3://bup/db/ --after -3h --dry-run   plan a recovery, send nothing
  lockwatch report s3://bup/ > coverage.md      lock coverage, for an auditor
  lockwatch watch s3://bup/ --metrics 127.0.0.1:9464   alert on deletion storms and weakening
  lockwatch check s3://bup/        one check for Nagios or Icinga (exit 0-3)
  lockwatch config init            write a commented config file
  lockwatch completions bash       shell completion; lockwatch man: the manual page

Exit codes: 0 done (the listing, report or run is complete, or the UI was quit); 1 done in \
part or refused (a listing cut short, a key that failed, a plan not confirmed, a config file \
with problems); 2 could not start (no connection, nothing listed at all, no terminal, nobody \
to ask). `lockwatch check` has its own: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (check --help).",
    subcommand_precedence_over_arg = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Open lockwatch on its built-in S3 sandbox, seeded with demonstration buckets (in
    /// memory, on 127.0.0.1, gone when lockwatch exits)
    #[arg(long, conflicts_with_all = ["endpoint", "endpoint_url", "os_cloud", "profile", "region", "seed_demo", "read_only"])]
    pub demo: bool,

    /// Open at this place: s3://bucket or s3://bucket/prefix/
    pub location: Option<S3Location>,

    /// Never write: every write is refused before a request is sent, and write keys say so
    #[arg(long)]
    pub read_only: bool,

    /// Create lockwatch's demonstration buckets (bup, bup-governance, scratch) on the
    /// endpoint first, then open lockwatch on them. Existing buckets are left alone.
    #[arg(long)]
    pub seed_demo: bool,

    /// Where the UI reads what the watchers say (the --state-dir they were given; default:
    /// ~/.local/state/lockwatch/)
    #[arg(long, value_name = "DIR", conflicts_with = "demo")]
    pub state_dir: Option<PathBuf>,

    /// Measure the UI while it runs (frame draw time, key-to-frame latency, key handling time,
    /// rows held, peak memory) and write the figures to FILE as JSON on exit; for benchmarks
    #[arg(long, value_name = "FILE")]
    pub bench_report: Option<PathBuf>,

    /// Write a diagnostic log: a level (error, warn, info, debug, trace) or targets such as
    /// lockwatch=debug,aws_smithy_runtime=info. Off unless given. Secrets are never logged.
    #[arg(
        long,
        global = true,
        value_name = "FILTER",
        env = "LOCKWATCH_LOG",
        help_heading = "Logging"
    )]
    pub log: Option<String>,

    /// Where the log goes (default: ~/.local/state/lockwatch/lockwatch.log, mode 0600)
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "LOCKWATCH_LOG_FILE",
        help_heading = "Logging"
    )]
    pub log_file: Option<PathBuf>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How to connect: the options of every command that talks to a server (the UI, `ls`,
/// `undelete`, `report`, `watch`, `check`), and of no other. Given before the command (`lockwatch --profile p ls
/// …`) or after it; after it wins.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectArgs {
    /// A named endpoint from the config file ([endpoint.NAME]; also LOCKWATCH_ENDPOINT)
    #[arg(long, value_name = "NAME", env = "LOCKWATCH_ENDPOINT")]
    pub endpoint: Option<String>,

    /// Log in to an OpenStack cloud of clouds.yaml (also OS_CLOUD; OS_AUTH_URL and the other
    /// OS_* variables of an openrc file work without a name): the endpoint comes from
    /// Keystone's catalogue and the keys are the user's EC2 credentials (created after asking
    /// when there are none)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["endpoint", "endpoint_url"])]
    pub os_cloud: Option<String>,

    /// With --os-cloud: after asking, save the connection as NAME — the EC2 keys as profile
    /// NAME in ~/.aws/credentials (mode 0600), the endpoint as [endpoint.NAME] in the config
    /// file — so that --endpoint NAME connects without Keystone. Nothing is replaced.
    #[arg(long, value_name = "NAME", requires = "os_cloud")]
    pub save_as: Option<String>,

    /// S3 endpoint, e.g. http://127.0.0.1:8333 or https://object.example.net
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Profile from ~/.aws/config and ~/.aws/credentials
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region to sign requests for (S3-compatible servers mostly ignore it)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Path-style addressing: auto (the default) uses it whenever a custom endpoint is set
    #[arg(long, value_enum)]
    pub path_style: Option<PathStyle>,

    /// PEM file of CA certificates to trust instead of the system's (also AWS_CA_BUNDLE)
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,

    /// Seconds to wait for a connection to the endpoint before giving up on an attempt
    /// (default 5)
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,

    /// Seconds to wait for the server to answer before giving up on an attempt (reads are
    /// tried up to 3 times with backoff; writes are never repeated; default 30)
    #[arg(long, value_name = "SECONDS")]
    pub read_timeout: Option<f64>,

    /// Seconds one attempt of a request may take in all, however the answer trickles in
    /// (downloads: until their first byte; default 120)
    #[arg(long, value_name = "SECONDS")]
    pub attempt_timeout: Option<f64>,

    /// Listings at once for `ls -r`, `report` and `undelete`: the listing is split over its
    /// folders and merged back into key order (the same output as one listing). Lowered for
    /// good when the server asks to slow down; 1 lists in one sequence (default 4)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub listings: Option<u16>,
}

impl ConnectArgs {
    /// These options with `over`'s wherever it gives one.
    fn overlaid(&self, over: &ConnectArgs) -> ConnectArgs {
        ConnectArgs {
            endpoint: over.endpoint.clone().or_else(|| self.endpoint.clone()),
            os_cloud: over.os_cloud.clone().or_else(|| self.os_cloud.clone()),
            save_as: over.save_as.clone().or_else(|| self.save_as.clone()),
            endpoint_url: over
                .endpoint_url
                .clone()
                .or_else(|| self.endpoint_url.clone()),
            profile: over.profile.clone().or_else(|| self.profile.clone()),
            region: over.region.clone().or_else(|| self.region.clone()),
            path_style: over.path_style.or(self.path_style),
            ca_bundle: over.ca_bundle.clone().or_else(|| self.ca_bundle.clone()),
            connect_timeout: over.connect_timeout.or(self.connect_timeout),
            read_timeout: over.read_timeout.or(self.read_timeout),
            attempt_timeout: over.attempt_timeout.or(self.attempt_timeout),
            listings: over.listings.or(self.listings),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a listing without the UI, page by page, as the UI lists it. Keys are escaped or
    /// quoted for the terminal; --json gives them exactly, one JSON object per line.
    Ls {
        /// s3://bucket, s3://bucket/folder/, or s3://bucket/prefix (the keys that start with it)
        #[arg(value_parser = S3Location::parse_exact)]
        location: S3Location,
        /// Every version and delete marker, not only current objects
        #[arg(long)]
        versions: bool,
        /// Everything below the prefix, not only one level
        #[arg(long, short = 'r')]
        recursive: bool,
        /// One JSON object per line (its JSON Schema: assets/schemas/ in the source)
        #[arg(long)]
        json: bool,
        /// As it was at this time: each key's version of then (with --versions: the entries
        /// written by then). -2h / -90m / -3d (by the server's clock), RFC 3339, or
        /// "2026-11-20 10:00" in UTC
        #[arg(long, allow_hyphen_values = true, value_parser = crate::domain::format::parse_time_arg)]
        at: Option<crate::domain::format::TimeArg>,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Bring back what was deleted (or overwritten) under a prefix: plans every key first and
    /// shows the plan; removes only delete markers, each re-checked as the latest entry just
    /// before; copies back (guarded by ETag) only with --after. Asks before sending anything.
    Undelete {
        /// s3://bucket/prefix/ (everything below it)
        location: S3Location,
        /// The incident time: undo what happened after it (-2h, -90m, -3d by the server's
        /// clock, or RFC 3339, e.g. 2026-11-20T10:00:00Z, or "2026-11-20 10:00" in UTC)
        #[arg(long, allow_hyphen_values = true, value_parser = crate::domain::format::parse_time_arg)]
        after: Option<crate::domain::format::TimeArg>,
        /// Show the plan and stop; nothing is sent
        #[arg(long)]
        dry_run: bool,
        /// One JSON object per line: each key's plan ("phase": "plan"), and after a run each
        /// key's outcome ("outcome") and the counts ("result"); JSON Schema: assets/schemas/
        #[arg(long)]
        json: bool,
        /// Carry out the plan without asking (needed when standard input is not a terminal)
        #[arg(long)]
        yes: bool,
        /// Never write: the plan is shown and nothing is sent
        #[arg(long)]
        read_only: bool,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// The lock-coverage report of a bucket or prefix, for an auditor: versioning and Object
    /// Lock configuration, versions and bytes by protection, retention bounds, current objects
    /// without protection, delete markers by age, the time taken and the server's clock.
    /// Reads the lock of every version (one HEAD each; none in a bucket without Object Lock),
    /// or of a random sample (--sample), or takes the locks from an S3 Inventory report
    /// (--inventory). --checkpoint makes a long report resumable.
    Report(ReportArgs),
    /// Watch buckets while it happens: each interval, read each location's posture and list
    /// its versions, compare with what was kept, and say what weakened its protection and
    /// every deletion storm, as JSON lines, to --on-alert and on --metrics. Runs until
    /// interrupted (--once: one look).
    Watch(WatchArgs),
    /// One check of a location for Nagios, Icinga, Zabbix or cron, as the Monitoring Plugins
    /// guidelines say: one status line with performance data, and the exit status 0 OK, 1
    /// WARNING, 2 CRITICAL, 3 UNKNOWN. Reports the watcher's status when `lockwatch watch`
    /// watches the location (CRITICAL when it stopped); looks itself otherwise.
    #[command(
        after_help = "Exit status (the Monitoring Plugins' meaning, not lockwatch's other commands'):
  0 OK        nothing weakened, no storm, everything read
  1 WARNING   replication or default encryption removed, a lifecycle rule that removes
              versions without shortening the recovery window
  2 CRITICAL  a deletion storm, a weakened posture, a legal hold released or a retention
              shortened, what it watches cannot be read (denied, unreachable), or the
              watcher of the location stopped or is late
  3 UNKNOWN   the check could not be made: bad arguments, a state folder it cannot use
  --warning and --critical add the protection of current versions running out.

Examples:
  lockwatch check s3://bup/                  look, compare with the last check, say
  lockwatch check s3://bup/ --accept         take the posture now as the one to compare with"
    )]
    Check(CheckArgs),
    /// The configuration file: where it is, a commented default, and a check of every line
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script: lockwatch completions bash > ~/.local/share/bash-completion/completions/lockwatch
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): lockwatch man > ~/.local/share/man/man1/lockwatch.1
    Man,
    /// Serve the seeded S3 sandbox on 127.0.0.1 without the UI, until interrupted, so that the
    /// aws CLI or any other client can try it too. Prints the environment to use first.
    Sandbox {
        /// Port on 127.0.0.1 (default: any free port)
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The access key the sandbox accepts (default: the documented lockwatch-sandbox)
        #[arg(long, value_name = "KEY")]
        access_key: Option<String>,
        /// The secret key the sandbox accepts (default: the documented one, which anyone on
        /// this machine can use; give your own where others log in)
        #[arg(long, value_name = "SECRET")]
        secret_key: Option<String>,
        /// The most memory the sandbox holds: bodies, versions, delete markers, metadata, tags,
        /// buckets and uploads all count. Past it, uploads are refused (EntityTooLarge) and
        /// other writes answered 503 SlowDown; deletes always work. Units: B, KiB, MiB, GiB
        #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = memory_size)]
        max_memory: u64,
        /// The largest object the sandbox takes in one upload or part (at most --max-memory)
        #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = memory_size)]
        max_object: u64,
        /// Start with no buckets instead of the demo data (for a test suite that expects an
        /// empty account)
        #[arg(long)]
        empty: bool,
    },
}

/// A memory size: a whole number of B, KiB, MiB or GiB (`512MiB`, `2GiB`), from 1 MiB to
/// 1 TiB.
fn memory_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown unit {:?}: a size is a number of B, KiB, MiB or GiB, such as 512MiB",
                unit.trim()
            ));
        }
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is not a size such as 512MiB"))?;
    if !(1 << 20..=1 << 40).contains(&bytes) {
        return Err(format!("{text} is outside 1MiB to 1024GiB"));
    }
    Ok(bytes)
}

/// `lockwatch report`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// s3://bucket or s3://bucket/prefix/
    pub location: S3Location,
    /// markdown (to read and attach), json, or csv (one row per version and marker, written as
    /// they are read)
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: crate::work::report::Format,
    /// The most HEAD requests in flight at once. lockwatch starts at 8, grows while it pays
    /// and halves when the server asks it to slow down (503 SlowDown)
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Save the report's progress in FILE as it runs. When FILE holds an unfinished report of
    /// the same location (cut by a failure or Ctrl-C), continue it; CSV rows are then those
    /// not written yet (append them: >>)
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Read the locks of N versions chosen uniformly at random over the whole listing (which
    /// is complete) instead of every version: estimates with 95% confidence intervals,
    /// labelled as such
    #[arg(long, value_name = "N", conflicts_with_all = ["checkpoint", "inventory"])]
    pub sample: Option<u64>,
    /// The seed of --sample's choice: the same seed over the same listing reads the same
    /// versions
    #[arg(long, value_name = "SEED", requires = "sample")]
    pub seed: Option<u64>,
    /// Build the report from an S3 Inventory report (CSV or Parquet, with the Object Lock
    /// fields) instead of HEAD requests: s3://inventory-bucket/…/manifest.json
    // Taken as typed: a manifest is a key, not a folder.
    #[arg(
        long,
        value_name = "MANIFEST",
        conflicts_with = "checkpoint",
        value_parser = S3Location::parse_exact
    )]
    pub inventory: Option<S3Location>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How a watcher or a check judges what it sees, and where it keeps what it saw.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Judging")]
pub struct JudgeArgs {
    /// A deletion storm: this many delete markers, deleted versions and overwrites since the
    /// last look (an interval, or a listing that took several)
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub storm: u64,
    /// A deletion storm too: this many times the location's recent rate (the mean of its last
    /// 12 intervals, once 3 are known), with at least a tenth of --storm changes
    #[arg(long, value_name = "FACTOR", default_value_t = 10.0, value_parser = factor)]
    pub storm_factor: f64,
    /// Take the bucket's posture now as the one to compare with: the weakenings alerted so
    /// far are accepted (said in an event), and no longer alerted
    #[arg(long)]
    pub accept: bool,
    /// Read the posture only: no listing and no lock count, so no storm is seen
    #[arg(long)]
    pub no_listing: bool,
    /// Read every version's lock (one HEAD each, as `report` does) this often, in seconds,
    /// and at the first look: it finds legal holds released, retentions shortened, and the
    /// current versions whose protection runs out; with --notifications, the versions are
    /// listed again as often and compared with what the notices told. 0: never
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub locks_every: u64,
    /// Protection running out: current versions whose retention ends within this many days
    #[arg(long, value_name = "DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub expiring: u64,
    /// Where what was seen is kept, one folder per location (default:
    /// ~/.local/state/lockwatch/)
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Listing pages of at most N entries (tests)
    #[arg(long, value_name = "N", hide = true)]
    pub max_keys: Option<i32>,
}

fn factor(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 1.0 => Ok(f),
        _ => Err(format!("{text:?} is not a factor of 1 or more")),
    }
}

fn days(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() && d >= 0.0 => Ok(d),
        _ => Err(format!("{text:?} is not a number of days")),
    }
}

/// `lockwatch watch`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// s3://bucket or s3://bucket/prefix/, one or more
    #[arg(required = true)]
    pub locations: Vec<S3Location>,
    /// Seconds from the start of one interval to the start of the next (a longer interval
    /// starts the next at once)
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub interval: u64,
    /// Look once, say what was found, and stop (exit 1 when something could not be read)
    #[arg(long)]
    pub once: bool,
    /// Append the events (JSON lines; JSON Schema: assets/schemas/) to FILE (created 0600)
    /// instead of writing them on standard output
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// JSON lines on standard output even when it is a terminal (where each event is
    /// otherwise one line to read, its evidence below it)
    #[arg(long)]
    pub json: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (they name the
    /// buckets and prefixes watched: keep ADDR on a trusted network)
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Run CMD for each alert, with the event (one JSON object) on its standard input. CMD is
    /// split into words as a shell would but never run through one; at most 4 run at once,
    /// each killed after 60 s
    #[arg(long, value_name = "CMD")]
    pub on_alert: Option<String>,
    /// Learn of changes from the server's bucket notifications (Ceph RGW) instead of listing
    /// every interval: after asking, make a topic that posts to this watcher and add it to
    /// each bucket's notification configuration (the rest kept); remove both on exit
    #[arg(long, conflicts_with_all = ["once", "no_listing"])]
    pub notifications: bool,
    /// Where the notifications are received (--notifications)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:0",
        requires = "notifications"
    )]
    pub listen: std::net::SocketAddr,
    /// The address the server posts to, when it is not the --listen address as the server
    /// sees it, e.g. http://watcher.example:9470 (a secret path is added)
    #[arg(long, value_name = "URL", requires = "notifications")]
    pub push_url: Option<String>,
    /// Set up --notifications without asking (needed when standard input is not a terminal)
    #[arg(long, requires = "notifications")]
    pub yes: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `lockwatch check`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// s3://bucket or s3://bucket/prefix/
    pub location: S3Location,
    /// CRITICAL when the watcher of the location has not finished an interval for this many
    /// seconds (default: three of its intervals, and a minute)
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,
    /// Look at the bucket itself even when a watcher keeps the location's status
    #[arg(long)]
    pub standalone: bool,
    /// WARNING when the protection of a current version ends within DAYS (from the last lock
    /// count; decimals allowed)
    #[arg(long, value_name = "DAYS", value_parser = days)]
    pub warning: Option<f64>,
    /// CRITICAL when the protection of a current version ends within DAYS
    #[arg(long, value_name = "DAYS", value_parser = days)]
    pub critical: Option<f64>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

impl Cli {
    /// The connection options given, before the command or after it (after wins).
    pub fn connection(&self) -> ConnectArgs {
        match &self.command {
            Some(Command::Ls { connect, .. }) | Some(Command::Undelete { connect, .. }) => {
                self.connect.overlaid(connect)
            }
            Some(Command::Report(args)) => self.connect.overlaid(&args.connect),
            Some(Command::Watch(args)) => self.connect.overlaid(&args.connect),
            Some(Command::Check(args)) => self.connect.overlaid(&args.connect),
            _ => self.connect.clone(),
        }
    }

    /// Whether writes are refused: `--read-only` before the command or after `undelete`.
    pub fn read_only(&self) -> bool {
        self.read_only
            || matches!(
                self.command,
                Some(Command::Undelete {
                    read_only: true,
                    ..
                })
            )
    }

    /// How to connect: for each setting, flags > environment > the config file (the endpoint
    /// chosen with --endpoint, LOCKWATCH_ENDPOINT or default_endpoint) > AWS profile >
    /// defaults. `env` reads the environment (a parameter, for tests).
    pub fn connect_options(
        &self,
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ConnectOptions, String> {
        let given = self.connection();
        let name = given
            .endpoint
            .clone()
            .or_else(|| config.default_endpoint.clone());
        let chosen = match &name {
            None => Endpoint::default(),
            Some(n) => config.endpoints.get(n).cloned().ok_or_else(|| {
                let known: Vec<&str> = config.endpoints.keys().map(String::as_str).collect();
                format!(
                    "no endpoint named {n:?} in {}{}",
                    config
                        .path
                        .as_deref()
                        .map_or("the config file".into(), |p| p.display().to_string()),
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(" (there: {})", known.join(", "))
                    }
                )
            })?,
        };
        // The environment's value, handed to the SDK as it would have read it itself.
        let from_env = |vars: &[&str], value: Option<String>| {
            vars.iter()
                .find_map(|v| env(v).filter(|s| !s.is_empty()))
                .or(value)
        };
        let read_only_because = match (&name, self.read_only(), chosen.read_only) {
            (_, true, _) => None,
            (Some(n), false, true) => Some(format!(
                "read_only = true for endpoint '{n}' in the config file"
            )),
            _ => None,
        };
        Ok(ConnectOptions {
            endpoint_url: given.endpoint_url.clone().or_else(|| {
                from_env(
                    &["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
                    chosen.endpoint_url,
                )
            }),
            profile: given
                .profile
                .clone()
                .or_else(|| from_env(&["AWS_PROFILE"], chosen.profile)),
            region: given
                .region
                .clone()
                .or_else(|| from_env(&["AWS_REGION", "AWS_DEFAULT_REGION"], chosen.region)),
            path_style: given.path_style.or(chosen.path_style).unwrap_or_default(),
            ca_bundle: given.ca_bundle.clone().or_else(|| {
                from_env(&["AWS_CA_BUNDLE"], None)
                    .map(std::path::PathBuf::from)
                    .or(chosen.ca_bundle)
            }),
            static_credentials: None,
            environment_keys: crate::s3::EnvironmentKeys::from_env(&env),
            read_only: self.read_only() || chosen.read_only,
            listings: given
                .listings
                .map_or(crate::s3::DEFAULT_LISTINGS, usize::from),
            read_only_because,
            timeouts: crate::s3::Timeouts {
                connect: seconds(given.connect_timeout.unwrap_or(5.0)),
                read: seconds(given.read_timeout.unwrap_or(30.0)),
                attempt: seconds(given.attempt_timeout.unwrap_or(120.0)),
            },
        })
    }
}

/// A duration from a number of seconds given on the command line; nonsense becomes the
/// smallest sensible value rather than a panic.
fn seconds(s: f64) -> std::time::Duration {
    if s.is_finite() && s > 0.0 {
        std::time::Duration::from_secs_f64(s.min(86_400.0))
    } else {
        std::time::Duration::from_millis(100)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum ConfigAction {
    /// Print where the config file is read from
    Path,
    /// Write the commented default config file there (never over an existing one)
    Init,
    /// Read the config file and print every line it ignores, with why (exit 1 if any)
    Check,
}
