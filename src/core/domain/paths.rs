//! Local path completion for the upload form: pure, over a directory listing the runtime read.

/// Splits what the user typed into the directory to list and the partial name in it.
pub fn split(input: &str) -> (String, String) {
    match input.rfind('/') {
        Some(i) => (input[..=i].to_string(), input[i + 1..].to_string()),
        None => (String::new(), input.to_string()),
    }
}

/// Completes `input` against the names in its directory (directories end in `/`). Returns the
/// completed input and the candidates that still match.
pub fn complete(input: &str, names: &[String]) -> (String, Vec<String>) {
    let (dir, partial) = split(input);
    let mut matches: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(&partial) && (partial.starts_with('.') || !n.starts_with('.')))
        .cloned()
        .collect();
    matches.sort();
    let Some(first) = matches.first() else {
        return (input.to_string(), Vec::new());
    };
    let mut common = first.clone();
    for m in &matches[1..] {
        let shared = common
            .chars()
            .zip(m.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        common.truncate(shared);
    }
    (format!("{dir}{common}"), matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn completes_the_common_prefix_and_lists_candidates() {
        let dir = names(&[
            "backup-2026-01.tar",
            "backup-2026-02.tar",
            "notes/",
            ".hidden",
        ]);
        let (done, candidates) = complete("/srv/b", &dir);
        assert_eq!(done, "/srv/backup-2026-0");
        assert_eq!(candidates.len(), 2);
        let (done, candidates) = complete("/srv/n", &dir);
        assert_eq!(done, "/srv/notes/");
        assert_eq!(candidates, ["notes/"]);
        let (done, _) = complete("x", &dir);
        assert_eq!(done, "x", "no match leaves the input alone");
        let (_, candidates) = complete("/srv/", &dir);
        assert!(
            !candidates.contains(&".hidden".to_string()),
            "hidden names only when asked"
        );
        let (done, _) = complete("/srv/.h", &dir);
        assert_eq!(done, "/srv/.hidden");
    }
}

/// A local file name for an object key that can never leave the chosen directory: the key's
/// last segment, with control characters escaped and separators replaced; never empty, `.` or
/// `..`; at most 255 bytes.
pub fn local_name(key: &str) -> String {
    let last = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    let mut name: String = super::text::sanitize(last)
        .chars()
        .map(|c| {
            if matches!(c, '\\' | '\0' | '/') {
                '_'
            } else {
                c
            }
        })
        .collect();
    while name.len() > 255 {
        name.pop();
    }
    match name.trim() {
        "" | "." | ".." => "download".to_string(),
        _ => name,
    }
}

#[cfg(test)]
mod local_name_tests {
    use super::local_name;

    #[test]
    fn names_never_escape_the_directory() {
        assert_eq!(local_name("db/nightly/orders.sql"), "orders.sql");
        assert_eq!(local_name("../../etc/passwd"), "passwd");
        assert_eq!(local_name("a/.."), "download");
        assert_eq!(local_name("/"), "download");
        assert_eq!(local_name("dir/"), "dir");
        assert_eq!(local_name("evil\u{1b}[2J"), "evil_x1b[2J");
        assert_eq!(local_name("back\\slash"), "back_slash");
        assert!(local_name(&"x".repeat(1000)).len() <= 255);
        for hostile in ["..", ".", "", "//", "a/../..", "\u{0}"] {
            let n = local_name(hostile);
            assert!(
                !n.contains('/') && n != ".." && n != "." && !n.is_empty(),
                "{hostile:?} → {n:?}"
            );
        }
    }
}
