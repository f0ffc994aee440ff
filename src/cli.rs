//! Command-line definitions.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "cilint",
    version,
    about = "Lint Kubernetes manifests that use Cilium and the Gateway API, offline",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to lint; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,

    /// Namespace for objects without metadata.namespace, as with `kubectl apply -n`.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// When to use colour in human output (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the rules: id, category, severity, summary.
    Rules,
    /// Print a rule's documentation page.
    Explain {
        /// The rule id, e.g. route-parent-not-found.
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}
