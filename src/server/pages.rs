//! The rules' documentation pages the diagnostics link to (`codeDescription`).
//!
//! The pages are compiled into the binary (`cilint explain`). The server writes them once per
//! version into the user's cache directory and links each diagnostic to its page there: the link
//! works offline and always shows the page of the running version. Where no cache directory can
//! be written, the link is the page as published with the crate on docs.rs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::convert::uri_of;

/// The directory the pages were written to, once the server has started; `None` inside when
/// they could not be written.
static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Writes the pages into `<cache>/cilint/<version>/rules/` (those missing or different), for
/// [`href`] to link to; where that fails, [`href`] links to docs.rs.
pub fn materialize() {
    DIR.get_or_init(|| {
        cache_dir()
            .map(|cache| {
                cache
                    .join("cilint")
                    .join(env!("CARGO_PKG_VERSION"))
                    .join("rules")
            })
            .filter(|dir| write_pages(dir).is_ok())
    });
}

/// The link to a rule's page.
pub fn href(rule: &str) -> String {
    match DIR.get() {
        Some(Some(dir)) => uri_of(&dir.join(format!("{rule}.md"))),
        _ => format!(
            "https://docs.rs/crate/cilint/{}/source/rules/{rule}.md",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

/// The user's cache directory: `$XDG_CACHE_HOME`, else `%LOCALAPPDATA%` (Windows), else
/// `$HOME/.cache`. Never a directory other users share.
fn cache_dir() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| std::env::var_os("LOCALAPPDATA").and_then(absolute))
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|home| home.join(".cache"))
        })
}

/// Writes every page that is missing or differs, each through a temporary file renamed into
/// place: two servers starting at once never leave a page half written.
fn write_pages(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for rule in crate::rules::RULES {
        let id = rule.meta.id;
        let Some(page) = crate::rules::doc(id) else {
            continue;
        };
        let path = dir.join(format!("{id}.md"));
        if std::fs::read_to_string(&path).is_ok_and(|on_disk| on_disk == page) {
            continue;
        }
        let temporary = dir.join(format!(".{id}.md.{}", std::process::id()));
        std::fs::write(&temporary, page)?;
        std::fs::rename(&temporary, &path)?;
    }
    Ok(())
}
