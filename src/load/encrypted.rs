//! Files git stores encrypted: git-crypt and transcrypt encrypt a file on commit and decrypt it
//! on checkout through a `.gitattributes` filter, so in an unlocked working tree an encrypted
//! Secret reads as plain text. Only asked about files that hold a plain-text Secret.

use std::path::Path;

use ignore::gitignore::GitignoreBuilder;

/// Whether a `.gitattributes` in the file's directory or above it, up to the repository's root,
/// gives the file git-crypt's (`filter=git-crypt`, `filter=git-crypt-<key>`) or transcrypt's
/// (`filter=crypt`) filter. As in git, a deeper file and a later line win, and `-filter`,
/// `!filter` or another filter take it away.
pub fn encrypted_in_git(path: &Path) -> bool {
    let Ok(path) = std::path::absolute(path) else {
        return false;
    };
    let mut dirs: Vec<&Path> = Vec::new();
    for dir in path.ancestors().skip(1) {
        dirs.push(dir);
        if dir.join(".git").exists() {
            break;
        }
    }
    let mut encrypted = false;
    // From the repository's root down: deeper files override.
    for dir in dirs.iter().rev() {
        let Ok(text) = std::fs::read_to_string(dir.join(".gitattributes")) else {
            continue;
        };
        for line in text.lines() {
            if let Some(set) = filter_line(dir, line, &path) {
                encrypted = set;
            }
        }
    }
    encrypted
}

/// What one `.gitattributes` line says of the file's filter: `Some(true)` an encrypting one,
/// `Some(false)` another or none, `None` when the line does not match the file or is silent on
/// filters.
fn filter_line(dir: &Path, line: &str, path: &Path) -> Option<bool> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut words = line.split_whitespace();
    let pattern = words.next()?;
    let set = words.find_map(|attr| match attr {
        "-filter" | "!filter" => Some(false),
        _ => attr
            .strip_prefix("filter=")
            .map(|f| f == "crypt" || f == "git-crypt" || f.starts_with("git-crypt-")),
    })?;
    let mut builder = GitignoreBuilder::new(dir);
    builder.add_line(None, pattern).ok()?;
    let matcher = builder.build().ok()?;
    matcher.matched(path, false).is_ignore().then_some(set)
}

#[cfg(test)]
mod tests {
    use super::encrypted_in_git;

    #[test]
    fn git_crypt_and_transcrypt_filters() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("apps/db")).unwrap();
        std::fs::write(
            root.join(".gitattributes"),
            "# secrets\n**/secret*.yaml filter=git-crypt diff=git-crypt\n\
             apps/db/token.yaml filter=crypt diff=crypt merge=crypt\n\
             apps/db/secret-public.yaml !filter !diff\n*.png binary\n",
        )
        .unwrap();
        let at = |p: &str| encrypted_in_git(&root.join(p));
        assert!(at("apps/db/secret.yaml"));
        assert!(at("apps/db/token.yaml"));
        assert!(!at("apps/db/secret-public.yaml"));
        assert!(!at("apps/db/deployment.yaml"));
        // A deeper .gitattributes overrides.
        std::fs::write(root.join("apps/.gitattributes"), "db/** -filter\n").unwrap();
        assert!(!at("apps/db/secret.yaml"));
    }

    #[test]
    fn stops_at_the_repository_root() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join(".gitattributes"), "* filter=git-crypt\n").unwrap();
        let repo = outer.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        assert!(!encrypted_in_git(&repo.join("secret.yaml")));
        assert!(encrypted_in_git(&outer.path().join("secret.yaml")));
    }
}
