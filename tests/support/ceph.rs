//! Ceph RGW 16 as a test server — what the guide's cloud runs: one monitor without cephx, one
//! OSD on memstore, a realm, the zonegroup `europe-se-1` and a zone, and radosgw. Everything
//! lives in a temporary directory; the daemons die with the test binary.

use super::daemon;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Ceph {
    pub endpoint: String,
    pub dir: PathBuf,
}

/// The zonegroup name doubles as the LocationConstraint the guide uses.
pub const ZONEGROUP: &str = "europe-se-1";

fn require(binary: &str) -> PathBuf {
    daemon::which(binary).unwrap_or_else(|| {
        panic!(
            "Ceph's `{binary}` was not found. Ceph RGW tests need Debian's packages ceph-mon \
             ceph-osd radosgw ceph-common; `tests/run` installs them when run as root (or with \
             sudo)."
        )
    })
}

fn uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded randomly per instance: two of them make 128 random bits.
    let mut halves = [0u64; 2].map(|_| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    });
    halves[0] = (halves[0] & !0xf000) | 0x4000; // version 4
    halves[1] = (halves[1] & !(0xc << 60)) | (0x8 << 60); // variant
    let hex = format!("{:016x}{:016x}", halves[0], halves[1]);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn config(dir: &Path, mon_port: u16, rgw_port: u16, fsid: &str, rgw_extra: &str) -> String {
    let d = dir.display();
    format!(
        "[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{mon_port}]
auth cluster required = none
auth service required = none
auth client required = none
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
ms bind msgr1 = false
run dir = {d}/run
log file = {d}/log/$name.log
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
keyring = {d}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 536870912
osd crush chooseleaf type = 0
osd data = {d}/osd
mon data = {d}/mon
[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw dns name = localhost
rgw data = {d}/rgw
rgw realm = test
rgw zonegroup = {ZONEGROUP}
rgw zone = {ZONEGROUP}a
{rgw_extra}"
    )
}

fn start() -> Ceph {
    start_with("", super::free_port())
}

/// A Ceph RGW on `rgw_port` with `rgw_extra` added to its section of ceph.conf (one option
/// per line), for a test binary that needs RGW set up differently (Keystone).
pub fn start_with(rgw_extra: &str, rgw_port: u16) -> Ceph {
    // One cluster is set up at a time: two set up at once in one test binary were seen to
    // collide ("realm create: File exists").
    static SETTING_UP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = SETTING_UP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mon, osd, rgw) = (require("ceph-mon"), require("ceph-osd"), require("radosgw"));
    for tool in ["ceph", "ceph-authtool", "monmaptool", "radosgw-admin"] {
        require(tool);
    }
    // A folder per cluster: a second cluster of this test binary (Keystone's, or a test's own)
    // must not remove the first one's folder, which its daemons still use.
    static CLUSTERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CLUSTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = daemon::fresh_dir(&if n == 0 {
        "lockwatch-ceph".to_string()
    } else {
        format!("lockwatch-ceph{n}")
    });
    for sub in ["mon", "osd", "rgw", "run", "log"] {
        std::fs::create_dir_all(dir.join(sub))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let mon_port = super::free_port();
    let fsid = uuid();
    let conf = dir.join("ceph.conf");
    std::fs::write(&conf, config(&dir, mon_port, rgw_port, &fsid, rgw_extra))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", conf.display()));
    let c = conf.to_string_lossy().into_owned();
    let keyring = dir.join("keyring").to_string_lossy().into_owned();
    let monmap = dir.join("monmap").to_string_lossy().into_owned();
    daemon::run(
        "ceph-authtool",
        &[
            "--create-keyring",
            &keyring,
            "--gen-key",
            "-n",
            "mon.",
            "--cap",
            "mon",
            "allow *",
        ],
    );
    let mon_addr = format!("[v2:127.0.0.1:{mon_port}]");
    daemon::run(
        "monmaptool",
        &[
            "--create", "--fsid", &fsid, "--addv", "a", &mon_addr, &monmap,
        ],
    );
    daemon::run(
        "ceph-mon",
        &[
            "-c",
            &c,
            "--mkfs",
            "-i",
            "a",
            "--monmap",
            &monmap,
            "--keyring",
            &keyring,
        ],
    );
    let mon_log = dir.join("log/mon.stdout");
    let mon_child = daemon::spawn(
        &mon,
        &["-c".into(), c.clone(), "-i".into(), "a".into(), "-f".into()],
        &mon_log,
    );

    let osd_uuid = uuid();
    let osd_id = daemon::run(
        "ceph",
        &["-c", &c, "--connect-timeout", "30", "osd", "new", &osd_uuid],
    )
    .trim()
    .to_string();
    daemon::run(
        "ceph-osd",
        &["-c", &c, "-i", &osd_id, "--mkfs", "--osd-uuid", &osd_uuid],
    );
    let osd_log = dir.join("log/osd.stdout");
    let osd_child = daemon::spawn(
        &osd,
        &[
            "-c".into(),
            c.clone(),
            "-i".into(),
            osd_id.clone(),
            "-f".into(),
        ],
        &osd_log,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        daemon::check_alive(&mon_child, "ceph-mon", &mon_log);
        daemon::check_alive(&osd_child, "ceph-osd", &osd_log);
        if daemon::run("ceph", &["-c", &c, "osd", "stat"]).contains("1 up") {
            break;
        }
        if Instant::now() > deadline {
            panic!(
                "the Ceph OSD did not come up within 60 s:\n{}",
                daemon::log_tail(&osd_log)
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }

    let rgw_url = format!("--endpoints=http://127.0.0.1:{rgw_port}");
    let zone = format!("{ZONEGROUP}a");
    daemon::run(
        "radosgw-admin",
        &["-c", &c, "realm", "create", "--rgw-realm=test", "--default"],
    );
    daemon::run(
        "radosgw-admin",
        &[
            "-c",
            &c,
            "zonegroup",
            "create",
            &format!("--rgw-zonegroup={ZONEGROUP}"),
            "--master",
            "--default",
            &rgw_url,
        ],
    );
    daemon::run(
        "radosgw-admin",
        &[
            "-c",
            &c,
            "zone",
            "create",
            &format!("--rgw-zonegroup={ZONEGROUP}"),
            &format!("--rgw-zone={zone}"),
            "--master",
            "--default",
            &rgw_url,
        ],
    );
    daemon::run("radosgw-admin", &["-c", &c, "period", "update", "--commit"]);
    daemon::run(
        "radosgw-admin",
        &[
            "-c",
            &c,
            "user",
            "create",
            "--uid=lockwatch-test",
            "--display-name=lockwatch test",
            &format!("--access-key={}", super::ACCESS_KEY),
            &format!("--secret-key={}", super::SECRET_KEY),
        ],
    );
    let rgw_log = dir.join("log/rgw.stdout");
    let rgw_child = daemon::spawn(
        &rgw,
        &[
            "-c".into(),
            c.clone(),
            "-n".into(),
            "client.rgw.test".into(),
            "-f".into(),
        ],
        &rgw_log,
    );
    let endpoint = format!("http://127.0.0.1:{rgw_port}");
    daemon::wait_for_s3(
        &endpoint,
        "radosgw",
        &rgw_log,
        &rgw_child,
        Duration::from_secs(90),
    );
    Ceph { endpoint, dir }
}

/// The Ceph RGW of this test binary, started on first use (about 15 s).
pub fn ceph() -> &'static Ceph {
    static CEPH: OnceLock<Ceph> = OnceLock::new();
    CEPH.get_or_init(|| match std::thread::spawn(start).join() {
        Ok(ceph) => ceph,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
