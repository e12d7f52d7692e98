//! Command-line arguments, as typed by the user. Nothing here does work:
//! `commands::*` turn these into settings and call the pipeline.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "\
Render service intents into the Kubernetes manifests Argo CD syncs.

Product teams describe services in short YAML intents under `teams/`; paved
expands them against the golden paths in `golden-paths/`, with the settings of
`platform/` and `environments/`, into `rendered/<cluster>/<namespace>/<service>/`.";

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 findings (invalid manifests, policy errors, a stale
`rendered/`, changes with `diff --exit-code`); 2 bad input or usage; 141 when
stdout or stderr is closed early (`paved diff | head`).

Problems go to stderr, with the offending line; `--format json` prints them,
with the command's results, as one JSON document on stdout.

Typical use:
  paved render          render the whole organisation into `rendered/`
  paved validate        check the rendered manifests as the API server would
  paved policy          check them against the baseline and `policies/`
  paved check           in CI: fail if `rendered/` is stale or hand-edited
  paved diff            what this branch changes in each cluster
  paved schema          refresh `schemas/` and `docs/reference/`

Everyday jobs:
  paved new service     start a service on a golden path (intent, docs, app skeleton)
  paved promote SVC --to prod   copy the release from the environment before
  paved explain SVC     where each value of a service comes from
  paved render --service SVC   render (or validate, policy, diff) one service only
  paved list / show     what runs where, who owns it
  paved codeowners      write `.github/CODEOWNERS` from the team files
  paved catalog         write the Backstage catalog into `catalog/`
  paved portal build    build the developer portal into `site/`";

#[derive(Debug, Parser)]
#[command(name = "paved", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Repository root [default: the nearest directory upwards that holds
    /// `platform/platform.yaml`]
    #[arg(short = 'C', long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Threads to render with [default: one per CPU]
    #[arg(short, long, global = true, value_name = "N")]
    pub jobs: Option<usize>,
    /// When to colour messages [default: when the stream is a terminal and
    /// `NO_COLOR` is unset]
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
    /// No progress bar (there is one only on a terminal, and never when
    /// `CI` is set)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Text for people, or one JSON document for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TextOrJson {
    /// Messages for people, on stderr
    #[default]
    Text,
    /// One JSON document on stdout: status, exit code, diagnostics, results
    Json,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// How to print results
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum PolicyFormat {
    /// Findings for people, on stderr
    #[default]
    Text,
    /// One JSON document on stdout: status, exit code, findings
    Json,
    /// SARIF 2.1.0 on stdout, for GitHub code scanning
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiffFormat {
    /// A diff for people, on stdout (coloured on a terminal)
    #[default]
    Text,
    /// One JSON document on stdout: every changed resource, by cluster
    Json,
    /// A pull-request comment on stdout
    Markdown,
}

/// Text for people, one JSON document, or Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// A report for people, on stdout
    #[default]
    Text,
    /// One JSON document on stdout: status, exit code, diagnostics, the report
    Json,
    /// The report as Markdown on stdout (a pull request, a wiki page)
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render every service in every cluster into `rendered/`
    ///
    /// Checks all inputs first and reports every problem at once; then
    /// validates the output as `paved validate` does. Writes nothing unless
    /// everything renders and validates. Unchanged files are left alone,
    /// files of services that no longer exist are removed. A full render
    /// with nothing to report also writes `rendered/.paved-index.json`
    /// (which paved, which inputs, which bytes): when the index committed
    /// at HEAD still names every input and file, the next render stops
    /// there.
    Render(RenderArgs),
    /// Check every rendered manifest as the API server would, without writing
    ///
    /// Renders in memory and validates each resource against the strict
    /// Kubernetes schema of the platform's version (unknown fields, wrong
    /// types, bad enums, quantities, names and ports) or its CRD from
    /// `platform/crds/`, then checks references across resources: Service
    /// selectors and ports, HPA, PDB and NetworkPolicy targets, Ingress
    /// backends, mounted ConfigMaps and Secrets, duplicates, namespaces.
    /// Exit 1 on findings. Unfocused and without `--base`, the verdict is
    /// kept in `rendered/.paved-verdicts` (git-ignored, this clone's): a
    /// run on inputs nobody touched since prints it again at once.
    Validate(ValidateArgs),
    /// Exit 1 if `rendered/` differs from what `paved render` would write
    ///
    /// Renders in memory and lists stale, missing and unexpected files, so CI
    /// catches a forgotten render or a hand-edited manifest. Without
    /// `--base`, what the inputs render is kept in `rendered/.paved-verdicts`
    /// (git-ignored, this clone's): on inputs nobody touched since, the
    /// files are compared with it at once.
    Check(CheckArgs),
    /// Check every rendered resource against the policy baseline and Rego policies
    ///
    /// The built-in baseline (Pod Security Standards, workload hygiene,
    /// availability, RBAC) and the Rego policies in `policies/` (conftest
    /// conventions), at the severity each environment sets, minus the
    /// exceptions in `policies/exceptions.yaml` that have not expired. Exit 1
    /// when an error-severity finding remains. `--format sarif` for GitHub
    /// code scanning. Unfocused, the findings are kept in
    /// `rendered/.paved-verdicts` (git-ignored, this clone's): a run on
    /// inputs nobody touched since, on the same day, prints them again at
    /// once.
    Policy(PolicyArgs),
    /// Show what changes in each cluster compared with a base commit
    ///
    /// Renders the inputs of the base commit (read from git, nothing checked
    /// out) and of the working tree, and compares them resource by resource,
    /// grouped by cluster and service. Secret values are never shown. The
    /// diff goes to stdout, like `git diff`; `--format markdown` gives a
    /// pull-request comment, `--format json` a machine-readable report.
    Diff(DiffArgs),
    /// Work on golden paths: `paved golden-path test`
    #[command(subcommand)]
    GoldenPath(GoldenPathCommand),
    /// Write the JSON Schemas of the input files to `schemas/`
    ///
    /// Intents point at them with `# yaml-language-server: $schema=...` so
    /// editors complete fields and underline mistakes.
    Schema(SchemaArgs),
    /// Scaffold a new service or team
    ///
    /// Writes the files, never over existing ones, then renders the
    /// organisation in memory to prove the result valid. On a terminal,
    /// asks for what is missing; otherwise every value comes from flags.
    New(NewArgs),
    /// Copy a release from the environment before into ENV, editing intents in place
    ///
    /// Takes the tag or digest (and, with `--with`, other settings) that the
    /// service runs in the environment ENV promotes from (`promotesFrom`),
    /// and writes it into `environments.<ENV>` of its intent, changing
    /// nothing else in the file: comments, order, quoting and layout stay.
    /// Refuses when there is nothing newer, or when the result would fail
    /// validation or policy. Shows the change as a diff.
    Promote(PromoteArgs),
    /// Show where each value of a service comes from, in one cluster
    ///
    /// Every resolved value with the layer that set it (golden path,
    /// platform, environment, service, per-environment override) and its
    /// file and line; with `--field` on a rendered resource (such as
    /// `Deployment.spec.replicas`), the template line that printed it or
    /// the patch that wrote it, too.
    Explain(ExplainArgs),
    /// List services: team, golden path and version, what runs in each cluster
    List(ListArgs),
    /// Show one service: owners, dependencies, routes, secrets, and what runs where
    Show(ShowArgs),
    /// Write `.github/CODEOWNERS` from the team files
    ///
    /// Each team owns its folder and its namespace in every cluster's
    /// rendered output; the platform team owns the rest. `paved check`
    /// fails while the file is stale.
    Codeowners(FormatArgs),
    /// Write the organisation's Backstage catalog entities
    ///
    /// A Group per team (its owners as Users), a System per team, a Component
    /// per service, a Resource per managed resource, an API per declared API
    /// and a Template per golden path, with the annotations Backstage's
    /// plugins read (Argo CD, TechDocs, source location, GitHub), and
    /// `catalog-info.yaml`, the Location to register. Generated from the
    /// inputs on every run, so it follows every intent change; the portal
    /// publishes it too (`<site>/catalog/`).
    Catalog(CatalogArgs),
    /// Build or preview the developer portal, a static site
    #[command(subcommand)]
    Portal(PortalCommand),
    /// Measure delivery and the platform from the repository's own history
    ///
    /// Read from the git history of the branch Argo CD follows (first
    /// parents only, nothing checked out), and from the intents. See
    /// `docs/insights.md` for how each figure is derived and what it cannot
    /// see.
    Metrics(MetricsArgs),
    /// Estimate what each service, team, environment and cluster costs a month
    ///
    /// From what pods request (CPU cores and memory, every container, the
    /// largest init container if more) times replicas: the least and the
    /// most under autoscaling; a CronJob costs nothing between runs and
    /// one pod while it runs. Priced at `platform.yaml` `cost` (by default
    /// GKE Autopilot's list prices). Warns when a team's estimate is above
    /// its `monthlyBudget`.
    Cost(CostArgs),
    /// The level each service reaches under `platform/scorecards.yaml`, and what it needs for the next
    ///
    /// Each level's rules name facts paved knows about a service (owner
    /// contact, docs, golden-path version, probes, replicas, disruption
    /// budget and digest in production, policy exceptions, declared
    /// dependencies, patches, budget, DORA bands). A service reaches a
    /// level when every rule of it and of every level below passes. With
    /// `--require LEVEL`, exit 1 when a service is below it.
    Scorecard(ScorecardArgs),
    /// Assess the platform against a five-level maturity model, with evidence
    ///
    /// Golden-path coverage, escape hatches, policy, GitOps, self-service,
    /// docs coverage, delivery (DORA) and cost visibility, each measured
    /// from the repository and its history, placed on the levels ad hoc,
    /// provisional, operational, scalable and optimizing, with the gap to
    /// the next level and the step that closes it. The platform stands at
    /// the level of its weakest dimension.
    Maturity(MaturityArgs),
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Directory to write [default: `catalog/` under the root]. It must be
    /// new, empty, or one paved wrote before: paved replaces its contents.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Build the portal: plain HTML files that work from disk or any static host
    ///
    /// A searchable catalog of services; a page per service (owners, what
    /// runs in each cluster, dependencies and dependents, managed resources,
    /// policy findings and exceptions, Argo CD and source links, the team's
    /// docs); a page per team; the dependency graph; golden paths; the
    /// environment matrix with what waits to be promoted; the input
    /// reference and the platform's docs; and the Backstage catalog under
    /// `catalog/`. Byte-identical for the same inputs.
    Build(PortalBuildArgs),
    /// Serve the portal on localhost and rebuild it when the inputs change
    Serve(PortalServeArgs),
}

#[derive(Debug, Args)]
pub struct PortalBuildArgs {
    /// Directory to write [default: `site/` under the root]. It must be new,
    /// empty, or one paved wrote before: paved replaces its contents.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PortalServeArgs {
    /// Port to listen on, on 127.0.0.1
    #[arg(long, default_value_t = 8000, value_name = "N")]
    pub port: u16,
    /// Directory to build into [default: `site/` under the root]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seconds between checks of the inputs for changes
    #[arg(long, default_value_t = 1, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also check promotion order against this base commit: a release new
    /// in an environment must have run in the one it promotes from, at
    /// REF or before. When neither the inputs, nor `rendered/`, nor
    /// CODEOWNERS changed since REF, and REF's committed index names this
    /// paved and no secret grant has lapsed since, the index vouches for
    /// the tree and nothing is rendered
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(subcommand)]
    pub command: NewCommand,
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A service: `teams/<team>/services/<name>.yaml`, a docs stub, and with `--app-dir` an application skeleton
    Service(NewServiceArgs),
    /// A team: `teams/<name>/team.yaml`
    Team(NewTeamArgs),
}

#[derive(Debug, Args)]
pub struct NewServiceArgs {
    /// The service's name: lowercase letters, digits and `-`, unique across the organisation
    pub name: Option<String>,
    /// The team that owns it (a directory of `teams/`)
    #[arg(long)]
    pub team: Option<String>,
    /// The golden path it follows (a directory of `golden-paths/`)
    #[arg(long, value_name = "GOLDEN_PATH")]
    pub path: Option<String>,
    /// One sentence saying what it does
    #[arg(long)]
    pub description: Option<String>,
    /// The first image tag to run in the first environment
    #[arg(long, default_value = "0.1.0")]
    pub tag: String,
    /// Also write an application skeleton (source, Dockerfile, CI workflow) into DIR
    #[arg(long, value_name = "DIR")]
    pub app_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct NewTeamArgs {
    /// The team's name, also its namespace in every cluster
    pub name: Option<String>,
    /// An accountable person (e-mail); repeat for several
    #[arg(long = "owner", value_name = "EMAIL")]
    pub owners: Vec<String>,
    /// The identity-provider group granted edit rights in the team's namespaces
    #[arg(long)]
    pub group: Option<String>,
    /// The cost centre that pays for the team's resources
    #[arg(long)]
    pub cost_center: Option<String>,
    /// GitHub users or teams who review the team's changes (`@org/team`); repeat for several
    #[arg(long = "github", value_name = "OWNER")]
    pub github: Vec<String>,
    /// Where to reach the team, such as a chat channel
    #[arg(long)]
    pub contact: Option<String>,
    /// One sentence saying what the team does
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The service to promote (or use `--team` or `--all`)
    #[arg(required_unless_present_any = ["team", "all"], conflicts_with_all = ["team", "all"])]
    pub service: Option<String>,
    /// The environment to promote into
    #[arg(long, value_name = "ENV")]
    pub to: String,
    /// Every service of this team that runs in the environment before
    #[arg(long, conflicts_with = "all")]
    pub team: Option<String>,
    /// Every service that runs in the environment before
    #[arg(long)]
    pub all: bool,
    /// Also copy this setting of the environment before (`size`, `env`, `replicas`, ...); repeat for several
    #[arg(long = "with", value_name = "FIELD")]
    pub with: Vec<String>,
    /// Show the change without writing it
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The service
    pub service: String,
    /// The cluster [default: the first cluster the service runs in, in promotion order]
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: Option<String>,
    /// Only this field: a value (`replicas`, `env.LOG_LEVEL`) or a rendered
    /// resource's field (`Deployment.spec.replicas`, `Ingress/checkout.metadata.annotations`)
    #[arg(long, value_name = "PATH")]
    pub field: Option<String>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only services of this team
    #[arg(long)]
    pub team: Option<String>,
    /// Only services on this golden path
    #[arg(long, value_name = "GOLDEN_PATH")]
    pub path: Option<String>,
    /// Only services that run in this environment
    #[arg(long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// List golden paths instead: their versions, and which services run which version where
    #[arg(long)]
    pub paths: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The service
    pub service: String,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Write even if the output fails validation (findings become warnings)
    #[arg(long)]
    pub allow_invalid: bool,
    #[command(flatten)]
    pub validation: ValidationArgs,
    #[command(flatten)]
    pub output: FormatArgs,
    #[command(flatten)]
    pub focus: FocusArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// When neither the inputs nor `rendered/` changed since this commit
    /// (a pull request's base), its committed index vouches that the tree
    /// validated with nothing to report, and nothing is rendered
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    #[command(flatten)]
    pub validation: ValidationArgs,
    #[command(flatten)]
    pub output: FormatArgs,
    #[command(flatten)]
    pub focus: FocusArgs,
}

#[derive(Debug, Args)]
pub struct ValidationArgs {
    /// Only warn about kinds that have no schema (no built-in kind, no CRD)
    #[arg(long)]
    pub allow_unknown_kinds: bool,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: Option<PolicyCommand>,
    /// List the built-in rules and exit
    #[arg(long)]
    pub list_rules: bool,
    /// How to print findings
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: PolicyFormat,
    #[command(flatten)]
    pub focus: FocusArgs,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the policy unit tests (`test_` rules in `policies/*_test.rego`), as `opa test` does
    ///
    /// A test passes when its rule is true; `with input as ...` and `with
    /// data.x as ...` mock the input and data. A failing test names the
    /// expression that did not hold.
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Also report which lines of each policy file the tests evaluate
    #[arg(long)]
    pub coverage: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The commit to compare with [default: the merge base of HEAD and
    /// origin/main]
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Exit 1 when anything changes
    #[arg(long)]
    pub exit_code: bool,
    /// How to print the changes
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: DiffFormat,
    #[command(flatten)]
    pub focus: FocusArgs,
}

/// Narrows a command to some services, teams or clusters.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Focus")]
pub struct FocusArgs {
    /// Only this service (repeatable)
    ///
    /// For a quick loop on one intent at any organisation size. The flags
    /// combine (`--team payments --cluster prod-eu-west-1`). Every input is
    /// still loaded and checked, and the services in focus are validated
    /// against their clusters' platform units and the units of the
    /// services whose resources they use (`uses.<name>.from`), as their
    /// intents render them now; the platform units are themselves
    /// in focus (rendered, written, compared) only when no `--service` or
    /// `--team` is given. A focused render writes its units' files and
    /// leaves every other file as it is. Checks across the organisation
    /// (a route or Secret claimed twice) see only the units in focus and
    /// those they are checked against, and report only on the focused
    /// side: CI renders and checks everything.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Only this team's services (repeatable)
    #[arg(long = "team", value_name = "TEAM")]
    pub teams: Vec<String>,
    /// Only this cluster (repeatable)
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
}

impl FocusArgs {
    /// The focus the pipeline understands (no clap types past here).
    pub fn focus(&self) -> crate::render::Focus {
        crate::render::Focus {
            services: self.services.iter().cloned().collect(),
            teams: self.teams.iter().cloned().collect(),
            clusters: self.clusters.iter().cloned().collect(),
        }
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Do not write: exit 1 if `schemas/` is not up to date
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum GoldenPathCommand {
    /// Render each golden path's sample intents and compare them with their snapshots
    ///
    /// Samples are intents kept beside a golden path, in
    /// `golden-paths/<path>/tests/<name>.yaml`; each renders, with this
    /// repository's platform and environments, as a service of a team named
    /// `samples`, and is validated as `paved validate` would. Its manifests,
    /// cluster by cluster, are compared with
    /// `golden-paths/<path>/tests/<name>.rendered.yaml`. Exit 1 when one
    /// differs or does not validate; `--update` writes the snapshots that
    /// differ, for review in the pull request.
    Test(GoldenPathTestArgs),
}

#[derive(Debug, Args)]
pub struct GoldenPathTestArgs {
    /// Golden paths to test [default: every one]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Write the snapshots that differ (or are missing) instead of failing
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(subcommand)]
    pub command: MetricsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// DORA's four keys: deployment frequency, lead time, change failure rate, time to restore
    ///
    /// A deployment is a main-line commit that changes what a service runs
    /// in an environment (its rendered output there); its release is the
    /// image digest, else the tag. Lead time runs from the commit that
    /// first brought a release to any environment to the one that brought
    /// it to production. A production deployment fails when a rollback (a
    /// return to an earlier release) or a `git revert` undoes it within
    /// the failure window of `platform/dora.yaml`; time to restore runs
    /// from the failed deployment to the one that undid it. Each figure is
    /// classified against the bands of `platform/dora.yaml`, for the
    /// organisation, each team and each service, with a weekly trend.
    Dora(DoraArgs),
    /// Adoption of the golden paths, escape hatches, self-service rate and onboarding time
    ///
    /// Shares of services and teams on the golden paths (and their newest
    /// versions) and free of patches; the patches each service carries and
    /// what they touch; services per golden path; the share of changes to
    /// team files that needed no platform-team file changed alongside; and
    /// the time from a service's first commit to its first production
    /// deployment.
    Platform(PlatformMetricsArgs),
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How far back to look, such as `90d` or `12w` (up to today)
    #[arg(long, value_name = "DURATION", default_value = "90d")]
    pub since: String,
    /// The commit history ends at [default: the branch Argo CD follows,
    /// `targetRevision` in `platform/platform.yaml`, or `origin/` it]
    #[arg(long, value_name = "REF")]
    pub rev: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoraArgs {
    #[command(flatten)]
    pub history: HistoryArgs,
    /// The environment whose deployments count; repeat for several
    /// [default: every environment marked `production`]
    #[arg(long = "env", value_name = "ENV")]
    pub environments: Vec<String>,
    /// Only this team's services
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// Only this service
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// How to print the report
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct PlatformMetricsArgs {
    #[command(flatten)]
    pub history: HistoryArgs,
    /// How to print the report
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Only this team's services
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// How to print the estimate
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ScorecardArgs {
    /// Only this service
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
    /// Only this team's services
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// Exit 1 when a service is below this level
    #[arg(long, value_name = "LEVEL")]
    pub require: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
    /// How to print the scorecards
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct MaturityArgs {
    #[command(flatten)]
    pub history: HistoryArgs,
    /// How to print the assessment
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,
}
