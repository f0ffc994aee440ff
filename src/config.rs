//! `.cilint.yaml`: rule settings, the default namespace, excluded paths, and objects that live in
//! the cluster but not in git. Loaded with serde-saphyr so every error has a line and column.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use crate::diagnostic::Severity;
use crate::model::suggest::closest;
use crate::model::versions::{Channel, Version};

/// The file name cilint looks for.
pub const FILE_NAME: &str = ".cilint.yaml";

/// What a rule is set to in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

/// An object that exists in the cluster but not in the repository (a Secret made by hand, a
/// Service of another team): it satisfies references to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalObject {
    pub api_version: String,
    pub kind: String,
    /// `None` means the run's default namespace (for namespaced kinds).
    pub namespace: Option<String>,
    pub name: String,
    pub labels: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    pub namespace: Option<String>,
    pub rules: HashMap<String, RuleSetting>,
    /// Paths to skip, gitignore-style, relative to the configuration file's directory.
    pub exclude: Option<Gitignore>,
    pub external: Vec<ExternalObject>,
    /// `strict: true`: report references that may be satisfied outside the tree as not found.
    pub strict: bool,
    /// `max-file-size: BYTES`: refuse larger files instead of reading them.
    pub max_file_size: Option<u64>,
    /// The clusters the repository holds, when not detected from `clusters/<name>/`; paths
    /// are absolute.
    pub clusters: Vec<ClusterSpec>,
    /// `undeployed:` what findings in files no entry point deploys become: at most this
    /// severity, or dropped (`off`). Default: warning.
    pub undeployed: RuleSetting,
    /// What the cluster runs, over what the tree pins: `gateway-api-version`,
    /// `gateway-api-channel`, `cilium-version` (and the flags).
    pub versions: VersionSettings,
}

/// Versions given by the configuration or the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionSettings {
    pub gateway_api: Option<VersionSetting>,
    pub channel: Option<Channel>,
    pub cilium: Option<VersionSetting>,
}

/// A version and who set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionSetting {
    pub version: Version,
    /// Set by a command-line flag (else by the configuration file).
    pub flag: bool,
}

/// A version as the configuration or a flag writes it: `1.19.3`, `v1.4.1`, `1.20`.
pub fn parse_version(value: &str) -> Result<Version, String> {
    Version::parse(value)
        .filter(|_| !value.contains(['~', '*', 'x', 'X']))
        .ok_or_else(|| format!("`{value}` is not a version; write it as 1.19.3 or v1.4.1"))
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            namespace: None,
            rules: HashMap::new(),
            exclude: None,
            external: Vec::new(),
            strict: false,
            max_file_size: None,
            clusters: Vec::new(),
            undeployed: RuleSetting::Severity(Severity::Warning),
            versions: VersionSettings::default(),
        }
    }
}

impl Config {
    /// Whether a rule runs.
    pub fn enabled(&self, rule: &str) -> bool {
        self.rules.get(rule) != Some(&RuleSetting::Off)
    }

    /// The severity the configuration gives a rule, if it changes it.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        match self.rules.get(rule) {
            Some(RuleSetting::Severity(s)) => Some(*s),
            _ => None,
        }
    }

    /// Whether a walked path is excluded. `path` is as discovered (relative to the working
    /// directory, or absolute).
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        let Some(exclude) = &self.exclude else {
            return false;
        };
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let Ok(relative) = absolute.strip_prefix(exclude.path()) else {
            return false;
        };
        exclude
            .matched_path_or_any_parents(relative, is_dir)
            .is_ignore()
    }
}

/// A configuration file that cannot be used: where, and why.
#[derive(Clone, Debug)]
pub struct ConfigError {
    pub path: String,
    /// The file's text, for a snippet; `None` when it could not be read.
    pub text: Option<Arc<str>>,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// The configuration file for a run started in `dir`: `.cilint.yaml` in `dir` or one of its
/// parents, not looking above the repository root (the directory holding `.git`).
pub fn find(dir: &Path) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    for d in dir.ancestors() {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            // Shown relative to where the search started when it is there.
            return Some(match candidate.strip_prefix(&dir) {
                Ok(rel) => rel.to_path_buf(),
                Err(_) => candidate,
            });
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The configuration file of a run: found from the working directory, else (a run over one
/// directory, `cilint path/to/repo`) from that directory, as a repository's own `.cilint.yaml`
/// is meant for linting it from anywhere.
pub fn find_for_run(paths: &[String]) -> Option<PathBuf> {
    if let Some(found) = find(Path::new(".")) {
        return Some(found);
    }
    let [one] = paths else { return None };
    let dir = Path::new(one);
    if !dir.is_dir() {
        return None;
    }
    find(dir).map(|p| if p.is_absolute() { p } else { dir.join(p) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    namespace: Option<Spanned<String>>,
    #[serde(default)]
    rules: HashMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    external: Vec<RawExternal>,
    #[serde(default)]
    strict: bool,
    #[serde(default, rename = "max-file-size")]
    max_file_size: Option<u64>,
    #[serde(default)]
    clusters: Vec<RawCluster>,
    undeployed: Option<Spanned<String>>,
    /// GatewayClasses installed outside the tree: declared like `external` GatewayClasses.
    #[serde(default, rename = "gateway-classes")]
    gateway_classes: Vec<String>,
    #[serde(rename = "gateway-api-version")]
    gateway_api_version: Option<Spanned<String>>,
    #[serde(rename = "gateway-api-channel")]
    gateway_api_channel: Option<Spanned<String>>,
    #[serde(rename = "cilium-version")]
    cilium_version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    name: String,
    paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawExternal {
    api_version: Option<String>,
    kind: Spanned<String>,
    namespace: Option<String>,
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// A cluster declared in the configuration: its name and the paths that make it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    pub paths: Vec<PathBuf>,
}

/// Reads and checks a configuration file.
pub fn load(path: &Path, known_rules: &[&str]) -> Result<Config, ConfigError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: display.clone(),
        text: None,
        line: 0,
        column: 0,
        message: format!("cannot read the configuration: {e}"),
    })?;
    let Parsed {
        mut config,
        exclude_patterns,
    } = parse(&display, &text, known_rules)?;
    let base = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    config.exclude = exclude_matcher(&display, &text, &base, &exclude_patterns)?;
    for c in &mut config.clusters {
        for p in &mut c.paths {
            *p = base.join(&*p);
        }
    }
    config.path = Some(path.to_path_buf());
    Ok(config)
}

/// A parsed configuration before its exclude globs are compiled against its directory.
struct Parsed {
    config: Config,
    exclude_patterns: Vec<Spanned<String>>,
}

fn error_at(path: &str, text: &str, line: u32, column: u32, message: String) -> ConfigError {
    ConfigError {
        path: path.to_string(),
        text: Some(Arc::from(text)),
        line,
        column,
        message,
    }
}

fn parse(path: &str, text: &str, known_rules: &[&str]) -> Result<Parsed, ConfigError> {
    let raw: Option<RawConfig> = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((1, 1));
        let message = UserMessageFormatter.format_message(&e).into_owned();
        error_at(path, text, line, column, message)
    })?;
    let raw = raw.unwrap_or(RawConfig {
        namespace: None,
        rules: HashMap::new(),
        exclude: Vec::new(),
        external: Vec::new(),
        strict: false,
        max_file_size: None,
        clusters: Vec::new(),
        undeployed: None,
        gateway_classes: Vec::new(),
        gateway_api_version: None,
        gateway_api_channel: None,
        cilium_version: None,
    });
    let at = |s: &serde_saphyr::Location, message: String| {
        error_at(path, text, s.line() as u32, s.column() as u32, message)
    };

    // Report rule errors in file order, whatever order the map gives them in.
    let mut rule_entries: Vec<_> = raw.rules.into_iter().collect();
    rule_entries.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
    let mut rules_map = HashMap::new();
    for (id, value) in rule_entries {
        if !known_rules.contains(&id.value.as_str()) {
            let hint = closest(&id.value, known_rules.iter().copied())
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            return Err(at(
                &id.referenced,
                format!(
                    "unknown rule `{}`{hint}; `cilint rules` lists them",
                    id.value
                ),
            ));
        }
        let Some(setting) = setting(&value.value) else {
            return Err(at(
                &value.referenced,
                format!(
                    "rule `{}` is set to `{}`; use off, error, warning or note",
                    id.value, value.value
                ),
            ));
        };
        rules_map.insert(id.value, setting);
    }

    let undeployed = match &raw.undeployed {
        None => RuleSetting::Severity(Severity::Warning),
        Some(v) => setting(&v.value).ok_or_else(|| {
            at(
                &v.referenced,
                format!(
                    "`undeployed` is set to `{}`; use error, warning, note or off",
                    v.value
                ),
            )
        })?,
    };

    let version = |v: &Option<Spanned<String>>| -> Result<Option<VersionSetting>, ConfigError> {
        v.as_ref()
            .map(|v| {
                parse_version(&v.value)
                    .map(|version| VersionSetting {
                        version,
                        flag: false,
                    })
                    .map_err(|m| at(&v.referenced, m))
            })
            .transpose()
    };
    let versions = VersionSettings {
        gateway_api: version(&raw.gateway_api_version)?,
        channel: raw
            .gateway_api_channel
            .as_ref()
            .map(|c| {
                Channel::parse(&c.value).ok_or_else(|| {
                    at(
                        &c.referenced,
                        format!(
                            "`gateway-api-channel` is set to `{}`; use standard or experimental",
                            c.value
                        ),
                    )
                })
            })
            .transpose()?,
        cilium: version(&raw.cilium_version)?,
    };

    let mut external = Vec::new();
    for e in raw.external {
        let api_version = match e.api_version {
            Some(v) => v,
            None => match default_api_version(&e.kind.value) {
                Some(v) => v.to_string(),
                None => {
                    return Err(at(
                        &e.kind.referenced,
                        format!(
                            "external object of kind `{}` needs an `apiVersion`",
                            e.kind.value
                        ),
                    ));
                }
            },
        };
        external.push(ExternalObject {
            api_version,
            kind: e.kind.value,
            namespace: e.namespace,
            name: e.name,
            labels: e.labels.into_iter().collect(),
        });
    }
    // `cilium` is known without being declared; declaring it must not make it a class whose
    // controller cilint does not know.
    for class in raw.gateway_classes.into_iter().filter(|c| c != "cilium") {
        external.push(ExternalObject {
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: "GatewayClass".into(),
            namespace: None,
            name: class,
            labels: Vec::new(),
        });
    }

    Ok(Parsed {
        config: Config {
            path: None,
            namespace: raw.namespace.map(|n| n.value),
            rules: rules_map,
            exclude: None,
            external,
            strict: raw.strict,
            max_file_size: raw.max_file_size,
            clusters: raw
                .clusters
                .into_iter()
                .map(|c| ClusterSpec {
                    name: c.name,
                    // Made absolute against the file's directory once it is known.
                    paths: c.paths.into_iter().map(PathBuf::from).collect(),
                })
                .collect(),
            undeployed,
            versions,
        },
        exclude_patterns: raw.exclude,
    })
}

/// `off`, `error`, `warning` or `note`.
fn setting(value: &str) -> Option<RuleSetting> {
    Some(match value {
        "off" => RuleSetting::Off,
        "error" => RuleSetting::Severity(Severity::Error),
        "warning" => RuleSetting::Severity(Severity::Warning),
        "note" => RuleSetting::Severity(Severity::Note),
        _ => return None,
    })
}

/// The apiVersion of the kinds external objects usually are.
fn default_api_version(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Secret" | "Service" | "ConfigMap" | "Namespace" => "v1",
        "Gateway" | "GatewayClass" | "HTTPRoute" | "GRPCRoute" => "gateway.networking.k8s.io/v1",
        _ => return None,
    })
}

fn exclude_matcher(
    path: &str,
    text: &str,
    base: &Path,
    patterns: &[Spanned<String>],
) -> Result<Option<Gitignore>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GitignoreBuilder::new(base);
    for p in patterns {
        builder.add_line(None, &p.value).map_err(|e| {
            error_at(
                path,
                text,
                p.referenced.line() as u32,
                p.referenced.column() as u32,
                format!("invalid exclude pattern `{}`: {e}", p.value),
            )
        })?;
    }
    builder.build().map(Some).map_err(|e| ConfigError {
        path: path.to_string(),
        text: None,
        line: 0,
        column: 0,
        message: format!("invalid exclude patterns: {e}"),
    })
}
