//! A deterministic generator of Kubernetes manifest trees for benchmarking and testing cilint.
//!
//! [`generate`] writes a tree for a [`Spec`] (shape, object count, seed, byte size) and returns
//! [`Stats`]: the objects, files and bytes written, and the defects planted, by the id of the
//! cilint rule that finds them. The output depends only on the spec: no clock, no hash-map
//! order, no threads, so the same seed gives the same bytes on every machine.

mod adversarial;
mod gitops;
mod home_ops;
mod render;
mod rng;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use rng::Rng;

/// The kind of tree to generate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// GitOps-shaped clusters and tenants with exactly `objects` Kubernetes objects.
    #[default]
    Gitops,
    /// One Gateway with 10,000 HTTPRoutes attached (plus gitops filler up to `objects`).
    OneGateway10kRoutes,
    /// One namespace with 20,000 LoadBalancer Services and 100 pool/L2/BGP selectors over them
    /// (plus gitops filler up to `objects`).
    Ns20kServices,
    /// One multi-document file of about `bytes` bytes (plus gitops filler up to `objects`).
    BigFile,
    /// 30,000 files of one small object each (plus gitops filler up to `objects`).
    TinyFiles,
    /// A Flux repository in the onedr0p/home-ops style: about 80% of its HelmReleases are
    /// bjw-s app-template releases whose Services and routes exist only in their values.
    HomeOps,
}

impl Shape {
    pub const ALL: [Shape; 6] = [
        Shape::Gitops,
        Shape::OneGateway10kRoutes,
        Shape::Ns20kServices,
        Shape::BigFile,
        Shape::TinyFiles,
        Shape::HomeOps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Gitops => "gitops",
            Shape::OneGateway10kRoutes => "one-gateway-10k-routes",
            Shape::Ns20kServices => "ns-20k-services",
            Shape::BigFile => "big-file",
            Shape::TinyFiles => "tiny-files",
            Shape::HomeOps => "home-ops",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Shape::ALL
            .into_iter()
            .find(|shape| shape.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Shape::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown shape `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub shape: Shape,
    /// Kubernetes objects to write. Exact for `gitops` and `home-ops` (from 30 on); for the
    /// adversarial shapes, objects beyond the shape's own are gitops filler under `filler/`.
    pub objects: usize,
    pub seed: u64,
    /// The size of the one file of `big-file`; ignored by the other shapes.
    pub bytes: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            shape: Shape::Gitops,
            objects: 10_000,
            seed: 1,
            bytes: 50_000_000,
        }
    }
}

/// What a run wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Kubernetes objects (YAML documents with apiVersion and kind).
    pub objects: usize,
    /// Files: manifests, shell scripts and Markdown.
    pub files: usize,
    pub bytes: u64,
    /// Planted defects by the id of the cilint rule that reports each (one finding each).
    pub defects: BTreeMap<&'static str, usize>,
}

impl Stats {
    pub fn defects_total(&self) -> usize {
        self.defects.values().sum()
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "objects  {}", self.objects)?;
        writeln!(f, "files    {}", self.files)?;
        writeln!(
            f,
            "bytes    {} ({:.1} MB)",
            self.bytes,
            self.bytes as f64 / 1e6
        )?;
        writeln!(f, "defects  {}", self.defects_total())?;
        for (rule, n) in &self.defects {
            writeln!(f, "  {rule:<32} {n}")?;
        }
        Ok(())
    }
}

/// Writes the tree for `spec` under `out`, which must not exist or be an empty directory.
pub fn generate(spec: &Spec, out: &Path) -> io::Result<Stats> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not empty", out.display()),
        ));
    }
    fs::create_dir_all(out)?;
    let mut w = Out::new(out);
    let mut rng = Rng::new(spec.seed);
    match spec.shape {
        Shape::Gitops => gitops::generate(&mut w, &mut rng, spec.objects, "")?,
        Shape::OneGateway10kRoutes => adversarial::one_gateway(&mut w, &mut rng)?,
        Shape::Ns20kServices => adversarial::ns_services(&mut w, &mut rng)?,
        Shape::BigFile => adversarial::big_file(&mut w, &mut rng, spec.bytes)?,
        Shape::TinyFiles => adversarial::tiny_files(&mut w, &mut rng)?,
        Shape::HomeOps => home_ops::generate(&mut w, &mut rng, spec.objects)?,
    }
    if !matches!(spec.shape, Shape::Gitops | Shape::HomeOps) && spec.objects > w.stats.objects {
        let rest = spec.objects - w.stats.objects;
        let mut filler_rng = rng.fork();
        gitops::generate(&mut w, &mut filler_rng, rest, "filler/")?;
    }
    Ok(w.stats)
}

/// A defect the generator plants, named by the rule that finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Defect {
    RouteParentNotFound,
    RouteListenerNotFound,
    RouteNotAllowed,
    RouteHostnameMismatch,
    BackendNotFound,
    BackendPortMismatch,
    TlsSecretNotFound,
    GatewayLabelsNotPropagated,
    ServiceNotAdvertised,
    SelectorMatchesNothing,
    LabelCommandUnknownGateway,
    UnusedSuppression,
    /// Planted by `home-ops` only: an app-template value the chart refuses to render.
    ChartRenderFailed,
}

impl Defect {
    /// The defects the `gitops` shape plants, in turn.
    pub(crate) const ALL: [Defect; 12] = [
        Defect::RouteParentNotFound,
        Defect::RouteListenerNotFound,
        Defect::RouteNotAllowed,
        Defect::RouteHostnameMismatch,
        Defect::BackendNotFound,
        Defect::BackendPortMismatch,
        Defect::TlsSecretNotFound,
        Defect::GatewayLabelsNotPropagated,
        Defect::ServiceNotAdvertised,
        Defect::SelectorMatchesNothing,
        Defect::LabelCommandUnknownGateway,
        Defect::UnusedSuppression,
    ];

    pub(crate) fn rule(self) -> &'static str {
        match self {
            Defect::RouteParentNotFound => "route-parent-not-found",
            Defect::RouteListenerNotFound => "route-listener-not-found",
            Defect::RouteNotAllowed => "route-not-allowed",
            Defect::RouteHostnameMismatch => "route-hostname-mismatch",
            Defect::BackendNotFound => "backend-not-found",
            Defect::BackendPortMismatch => "backend-port-mismatch",
            Defect::TlsSecretNotFound => "tls-secret-not-found",
            Defect::GatewayLabelsNotPropagated => "gateway-labels-not-propagated",
            Defect::ServiceNotAdvertised => "service-not-advertised",
            Defect::SelectorMatchesNothing => "selector-matches-nothing",
            Defect::LabelCommandUnknownGateway => "label-command-unknown-gateway",
            Defect::UnusedSuppression => "unused-suppression",
            Defect::ChartRenderFailed => "chart-render-failed",
        }
    }

    /// Defects that live on one app's route.
    pub(crate) fn on_route(self) -> bool {
        matches!(
            self,
            Defect::RouteParentNotFound
                | Defect::RouteListenerNotFound
                | Defect::RouteHostnameMismatch
                | Defect::BackendNotFound
                | Defect::BackendPortMismatch
                | Defect::UnusedSuppression
        )
    }
}

/// The writer: creates directories once, counts what it writes.
pub(crate) struct Out {
    root: PathBuf,
    dirs: BTreeSet<PathBuf>,
    written: BTreeSet<String>,
    pub(crate) stats: Stats,
}

impl Out {
    fn new(root: &Path) -> Self {
        Out {
            root: root.to_path_buf(),
            dirs: BTreeSet::new(),
            written: BTreeSet::new(),
            stats: Stats::default(),
        }
    }

    /// Writes `text` to `rel` (a `/`-separated path under the root), holding `objects` objects.
    pub(crate) fn write(&mut self, rel: &str, text: &str, objects: usize) -> io::Result<()> {
        assert!(self.written.insert(rel.to_string()), "{rel} written twice");
        let path = self.root.join(rel);
        if let Some(parent) = path.parent()
            && !self.dirs.contains(parent)
        {
            fs::create_dir_all(parent)?;
            self.dirs.insert(parent.to_path_buf());
        }
        fs::write(&path, text)?;
        self.stats.files += 1;
        self.stats.bytes += text.len() as u64;
        self.stats.objects += objects;
        Ok(())
    }

    pub(crate) fn defect(&mut self, d: Defect) {
        *self.stats.defects.entry(d.rule()).or_default() += 1;
    }
}
