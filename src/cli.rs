//! Command-line definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};

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

    #[command(flatten)]
    pub lint: LintArgs,

    /// Load all PATHs as context, but report only findings located in these files (by hand;
    /// the pre-commit hook runs `cilint hook`, which takes any option before its files).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub report_only: Option<Vec<String>>,

    /// Benchmark baseline: only walk, read and parse the YAML of PATHs, print counts to
    /// standard error, and exit.
    #[arg(long, hide = true)]
    pub floor: bool,
}

/// The options of a lint run, shared by the main command and `cilint hook`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Namespace for objects without metadata.namespace, as with `kubectl apply -n`
    /// [default: the configuration's `namespace`, else `default`].
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Output format [default: github when GITHUB_ACTIONS=true, else human].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// When to use colour in human output (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Print the findings only, without the summary line.
    #[arg(short, long)]
    pub quiet: bool,

    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// The configuration file [default: .cilint.yaml in the working directory or a parent, up
    /// to the repository root; else, linting one directory, in it or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,

    /// Report references that may be satisfied by something outside the tree (a Helm chart in
    /// the namespace, an unresolved `${VAR}`) as not found [also: `strict: true` in the
    /// configuration].
    #[arg(long)]
    pub strict: bool,

    /// Refuse files larger than BYTES instead of reading them [default: the configuration's
    /// `max-file-size`, else 64 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,

    /// List the references that could not be verified, with the reason.
    #[arg(long)]
    pub show_unverified: bool,

    /// The Gateway API CRD bundle the cluster runs, e.g. v1.4.1 [default: the configuration's
    /// `gateway-api-version`, else what the tree pins, else the bundle current Cilium documents].
    #[arg(long, value_name = "VERSION", value_parser = cilint::config::parse_version)]
    pub gateway_api_version: Option<cilint::model::versions::Version>,

    /// The Cilium release the cluster runs, e.g. 1.19.3 [default: the configuration's
    /// `cilium-version`, else the cilium chart version the tree pins].
    #[arg(long, value_name = "VERSION", value_parser = cilint::config::parse_version)]
    pub cilium_version: Option<cilint::model::versions::Version>,

    /// Apply the safe fixes to the files in place, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff, also apply the unsafe fixes ("did you mean" renames, new files).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff and change nothing; exit 1 when there is something to
    /// fix.
    #[arg(long)]
    pub diff: bool,

    /// Print each stage's wall time and counts to standard error [also: CILINT_TIMINGS=1].
    #[arg(long)]
    pub timings: bool,
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
    /// The pre-commit hook: lint the whole repository as context, report only the findings
    /// located in FILES.
    Hook(Hook),
    /// Print the Services and routes cilint renders from the values of app-template
    /// HelmReleases, each at the values it comes from, and what the chart would refuse.
    Render(Render),
    /// Draw the request and address paths of the tree (Mermaid, DOT, SVG or JSON), broken
    /// edges red and dashed with the rule id, unverifiable ones grey with the reason.
    Graph(Graph),
    /// Run the language server (LSP over standard input and output) for editors: live
    /// diagnostics across files, fixes and suppressions as code actions, hover and
    /// go-to-definition on references.
    Server {
        /// Accepted for clients that announce the transport (`vscode-languageclient` does);
        /// standard input and output is the only one.
        #[arg(long, hide = true)]
        stdio: bool,
    },
}

/// `cilint graph [OPTIONS] [PATH]...`: the repository is read as for a lint run. The lint
/// report's `--format` is replaced by the picture's own; the options only a report uses are
/// accepted and hidden.
#[derive(Args, Debug)]
#[command(mut_arg("format", |a| a.long("report-format").hide(true)))]
#[command(mut_arg("color", |a| a.hide(true)))]
#[command(mut_arg("quiet", |a| a.hide(true)))]
#[command(mut_arg("fail_on", |a| a.hide(true)))]
#[command(mut_arg("show_unverified", |a| a.hide(true)))]
#[command(mut_arg("timings", |a| a.hide(true)))]
#[command(mut_arg("fix", |a| a.hide(true)))]
#[command(mut_arg("unsafe_fixes", |a| a.hide(true)))]
#[command(mut_arg("diff", |a| a.hide(true)))]
pub struct Graph {
    #[command(flatten)]
    pub lint: LintArgs,

    /// The picture's format.
    #[arg(
        long = "format",
        id = "graph_format",
        value_name = "FORMAT",
        value_enum,
        default_value_t = GraphFormat::Mermaid
    )]
    pub graph_format: GraphFormat,

    /// Draw only what this object reaches and what reaches it: KIND/NAMESPACE/NAME, or
    /// KIND/NAME when cluster-scoped (e.g. Gateway/prod/web).
    #[arg(long, value_name = "KIND/NAMESPACE/NAME")]
    pub focus: Option<String>,

    /// Files or directories to read.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart source (GitHub renders it in a ```mermaid block).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// A self-contained SVG picture, laid out without Graphviz.
    Svg,
    /// Nodes and edges, for other tools.
    Json,
}

/// `cilint render [OPTIONS] [PATH]...`: the repository is read as for a lint run.
#[derive(Args, Debug)]
pub struct Render {
    #[command(flatten)]
    pub lint: LintArgs,

    /// Files or directories to read.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
}

/// `cilint hook [OPTIONS] [FILES]...`: pre-commit runs the entry, then the hook's `args:`, then
/// the staged files, so every option must be able to come before the file names.
#[derive(Args, Debug)]
pub struct Hook {
    #[command(flatten)]
    pub lint: LintArgs,

    /// The files whose findings are reported (pre-commit passes the staged files), relative to
    /// the working directory; a file that no longer exists (a staged deletion) is skipped.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Findings with a snippet of each file, for a terminal.
    Human,
    /// The stable JSON document.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the diff.
    Github,
    /// GitLab Code Quality report (`artifacts: reports: codequality:`).
    Gitlab,
    /// JUnit XML, one test suite per rule (Jenkins, GitLab, Azure DevOps, Buildkite).
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}
