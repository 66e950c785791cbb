//! Files on this machine, read and kept the one careful way: a capped read of a regular file
//! (a FIFO never blocks it, a device never feeds it forever, a huge file is refused), and the
//! one opener of the private files lockwatch appends to (the audit trail and the log): created
//! 0600, and an existing file that others could read narrowed to 0600 first.
//!
//! A neutral helper: the configuration, the S3 layer's audit actor, OpenStack's clouds.yaml,
//! the report's checkpoint, the audit trail and the log all use it; it uses none of them.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Whether a path that is a symbolic link is read through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Read what it points at (a configuration file kept in a dotfiles folder).
    Follow,
    /// Refuse it (a file lockwatch also writes, where a link could aim its writes elsewhere).
    Refuse,
}

/// The bytes of the regular file at `path`, at most `max` of them; anything else (a FIFO, a
/// device, a folder, a file larger than `max`) is an error saying so. Opened without blocking
/// and checked on the open file, so nothing can be swapped in between the check and the read.
pub fn read_regular(path: &Path, max: u64, symlinks: Symlinks) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = rustix::fs::OFlags::NONBLOCK;
    if symlinks == Symlinks::Refuse {
        flags |= rustix::fs::OFlags::NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                std::io::Error::other("it is a symbolic link; give the file itself")
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, a device or a folder)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than {max} bytes, more than any such file holds"
        )));
    }
    Ok(bytes)
}

/// `read_regular` through symbolic links, as UTF-8 text.
pub fn read_regular_text(path: &Path, max: u64) -> std::io::Result<String> {
    let bytes = read_regular(path, max, Symlinks::Follow)?;
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// Opens `path` to append, creating it (and its folders) readable and writable by its owner
/// only; an existing file is narrowed to 0600 before anything is written to it.
pub fn open_private_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Opens `path` to read and write, creating it 0600, without following a symbolic link at
/// the name (a link there is an error, never a way to write elsewhere); `new` insists on a
/// file that does not exist yet.
pub fn open_private(path: &Path, new: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    if new {
        options.create_new(true);
    } else {
        options.create(true);
    }
    options.open(path)
}

/// Replaces the file at `path` whole with what `write` writes: written to `PATH.tmp` (a file
/// or link a crash left there is removed, never followed), synced, then renamed over `path`,
/// so a reader finds the old file or the new one, never part of one. For a file only its
/// writer's process writes (it holds a lock beside it).
pub fn replace_whole(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut temp = path.as_os_str().to_os_string();
    temp.push(".tmp");
    let temp = std::path::PathBuf::from(temp);
    match std::fs::remove_file(&temp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = open_private(&temp, true)?;
    let mut out = std::io::BufWriter::new(&mut file);
    write(&mut out)?;
    out.flush()?;
    drop(out);
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lockwatch-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn only_a_regular_file_within_the_cap_is_read() {
        let dir = scratch("read");
        let file = dir.join("a.toml");
        std::fs::write(&file, "x = 1\n").expect("write");
        assert_eq!(read_regular_text(&file, 6).expect("read"), "x = 1\n");
        let big = read_regular_text(&file, 5).expect_err("over the cap");
        assert!(big.to_string().contains("larger than 5 bytes"), "{big}");

        let fifo = dir.join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR).expect("mkfifo");
        // Would block forever waiting for a writer if it were opened the ordinary way.
        let e = read_regular(&fifo, 10, Symlinks::Follow).expect_err("a FIFO");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 10, Symlinks::Follow).expect_err("a device");
        assert!(e.to_string().contains("not a regular file"), "{e}");

        let link = dir.join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert_eq!(read_regular_text(&link, 100).expect("followed"), "x = 1\n");
        let e = read_regular(&link, 100, Symlinks::Refuse).expect_err("refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_private_file_is_created_0600_and_an_open_one_narrowed() {
        let dir = scratch("private");
        let new = dir.join("nested/trail.jsonl");
        open_private_append(&new).expect("created");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&new), 0o600);

        let old = dir.join("old.jsonl");
        std::fs::write(&old, "kept\n").expect("write");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        use std::io::Write;
        open_private_append(&old)
            .and_then(|mut f| f.write_all(b"added\n"))
            .expect("appended");
        assert_eq!(mode(&old), 0o600, "narrowed before writing");
        assert_eq!(
            std::fs::read_to_string(&old).expect("read"),
            "kept\nadded\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
