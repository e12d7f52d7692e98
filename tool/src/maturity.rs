//! Platform maturity: the platform judged against a five-level model, each
//! dimension with evidence measured from the repository, the gap to its
//! next level and the step that closes it. The platform stands at the
//! level of its weakest dimension.
//!
//! The levels: 1 *ad hoc* (no shared way), 2 *provisional* (a platform
//! exists, used here and there), 3 *operational* (most work goes through
//! it), 4 *scalable* (teams serve themselves, guard rails hold), 5
//! *optimizing* (measured and improved on evidence). Levels 2 to 5 follow
//! the CNCF Platform Engineering Maturity Model's names; see
//! `docs/insights.md` for each dimension's thresholds.
//!
//! Pure: measured figures come in, findings go out.

use serde::Serialize;

use crate::cost;
use crate::input::model::SyncPolicy;
use crate::input::repo::Repo;
use crate::inventory::Inventory;
use crate::metrics::{dora, platform};
use crate::support::text::{markdown_table, plural};

/// The five levels, lowest first.
pub const LEVELS: [&str; 5] = [
    "ad hoc",
    "provisional",
    "operational",
    "scalable",
    "optimizing",
];

/// One dimension's assessment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub dimension: String,
    /// 1 to 5.
    pub level: u8,
    pub level_name: String,
    /// The evidence, in words.
    pub evidence: String,
    /// What stands between it and the next level (none at level 5).
    pub gap: Option<String>,
    /// What to do about it.
    pub next_step: Option<String>,
}

/// The platform's assessment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub level: u8,
    pub level_name: String,
    pub levels: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Everything the assessment reads.
pub struct Evidence<'a> {
    pub repo: &'a Repo,
    pub inventory: &'a Inventory,
    pub cost: &'a cost::Report,
    /// From git history, or why there is none.
    pub platform: Result<&'a platform::Report, String>,
    pub dora: Result<&'a dora::Report, String>,
    pub today: String,
}

/// The level a share reaches on a ladder of thresholds for levels 2 to 5
/// (`higher` when more is better).
fn ladder(value: f64, thresholds: [f64; 4], higher: bool) -> u8 {
    let mut level = 1;
    for (index, threshold) in thresholds.iter().enumerate() {
        let reached = if higher {
            value >= *threshold
        } else {
            value <= *threshold
        };
        if reached {
            level = index as u8 + 2;
        }
    }
    level
}

fn percent(count: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * count as f64 / of as f64
    }
}

fn finding(
    dimension: &str,
    level: u8,
    evidence: String,
    gap: Option<String>,
    next_step: Option<String>,
) -> Finding {
    let (gap, next_step) = if level >= 5 {
        (None, None)
    } else {
        (gap, next_step)
    };
    Finding {
        dimension: dimension.to_owned(),
        level,
        level_name: LEVELS[usize::from(level - 1)].to_owned(),
        evidence,
        gap,
        next_step,
    }
}

/// A share-based finding: `count` of `of` on a ladder where more is better.
fn share_finding(
    dimension: &str,
    count: usize,
    of: usize,
    noun: &str,
    thresholds: [f64; 4],
    step: &str,
) -> Finding {
    let value = percent(count, of);
    let level = if of == 0 {
        1
    } else {
        ladder(value, thresholds, true)
    };
    let gap = (level < 5).then(|| {
        let target = thresholds[usize::from(level - 1)];
        let needed = ((target / 100.0) * of as f64).ceil() as usize;
        let more = needed.saturating_sub(count).max(1);
        // `noun` is plural in its first word: "services documented ...".
        let noun = match noun.split_once(' ') {
            Some((head, rest)) if more == 1 => {
                format!("{} {rest}", head.strip_suffix('s').unwrap_or(head))
            }
            _ => noun.to_owned(),
        };
        format!(
            "{more} more {noun} for {target:.0}% (level {}, {})",
            level + 1,
            LEVELS[usize::from(level)]
        )
    });
    finding(
        dimension,
        level,
        format!("{count} of {of} {noun} ({value:.0}%)"),
        gap,
        Some(step.to_owned()),
    )
}

/// Assesses the platform.
pub fn assess(evidence: &Evidence<'_>) -> Report {
    let inventory = evidence.inventory;
    let services = &inventory.services;
    let total = services.len();
    let mut findings = Vec::new();

    // Golden-path coverage: on a path, and on its newest version.
    let newest = |s: &&crate::inventory::ServiceFacts| {
        inventory
            .golden_paths
            .iter()
            .any(|p| p.name == s.golden_path && p.version == s.golden_path_version)
    };
    findings.push(share_finding(
        "golden-path coverage",
        services.iter().filter(newest).count(),
        total,
        "services on the newest version of their golden path",
        [25.0, 50.0, 75.0, 90.0],
        "move the services `paved metrics platform` lists on older versions to their path's newest",
    ));

    // Escape hatches: fewer is better.
    let patched = services.iter().filter(|s| !s.patches.is_empty()).count();
    let share = percent(patched, total);
    let thresholds = [50.0, 30.0, 15.0, 5.0];
    let level = if total == 0 {
        1
    } else {
        ladder(share, thresholds, false)
    };
    findings.push(finding(
        "escape hatches",
        level,
        format!("{patched} of {total} services carry patches ({share:.0}%)"),
        (level < 5).then(|| {
            format!(
                "at most {:.0}% of services with patches for level {}",
                thresholds[usize::from(level - 1)],
                level + 1
            )
        }),
        Some("turn the most common patches (`paved metrics platform` lists what they touch) into golden-path parameters".into()),
    ));

    // Policy: baseline, Rego, exceptions under control, admission and tests.
    let repo = evidence.repo;
    let rego = repo
        .policies
        .iter()
        .filter(|p| !p.name.ends_with("_test.rego"))
        .count();
    let tests = repo.policies.len() - rego;
    let admission = repo
        .policy_config
        .as_ref()
        .is_some_and(|c| !c.value.admission.is_empty());
    let expired = services
        .iter()
        .flat_map(|s| &s.exceptions)
        .filter(|e| e.expires.as_str() < evidence.today.as_str())
        .count();
    let excepted = services
        .iter()
        .filter(|s| {
            s.exceptions
                .iter()
                .any(|e| e.expires.as_str() >= evidence.today.as_str())
        })
        .count();
    let excepted_share = percent(excepted, total);
    let steps: [(bool, &str, &str); 3] = [
        (
            rego > 0,
            "no Rego policies in `policies/`",
            "write the organisation's own rules as Rego in `policies/`",
        ),
        (
            expired == 0 && excepted_share <= 10.0,
            "expired exceptions, or more than 10% of services under an exception",
            "fix what the exceptions waive and remove them from `policies/exceptions.yaml`",
        ),
        (
            admission && tests > 0,
            "no rules enforced at admission, or no policy tests",
            "enforce key rules at admission (`policies/paved.yaml` `admission`) and test them (`*_test.rego`)",
        ),
    ];
    let mut level = 2;
    let mut gap = None;
    for (holds, missing, step) in steps {
        if holds {
            level += 1;
        } else {
            gap = Some((missing.to_owned(), step.to_owned()));
            break;
        }
    }
    findings.push(finding(
        "policy",
        level,
        format!(
            "the built-in baseline, {rego} Rego policy files, {tests} test files, {} at admission; {} under an active exception, {expired} expired",
            if admission { "rules enforced" } else { "nothing enforced" },
            plural(excepted, "service"),
        ),
        gap.as_ref().map(|g| g.0.clone()),
        gap.map(|g| g.1),
    ));

    // GitOps: rendered and synced, automated before production, promoted.
    let automated = repo
        .environments
        .iter()
        .filter(|e| !e.value.production)
        .all(|e| e.value.sync == SyncPolicy::Automated);
    let deployed = services
        .iter()
        .filter(|s| !s.deployments.is_empty())
        .count();
    let traced = evidence.dora.as_ref().ok().map(|d| {
        let lead = &d.organisation.lead_time;
        (lead.measured, lead.measured + lead.untraced)
    });
    let (level, gap, step) = if deployed < total {
        (
            2,
            "services that render to no cluster".to_owned(),
            "give every service an environment it runs in".to_owned(),
        )
    } else if !automated {
        (
            3,
            "an environment before production that Argo CD does not sync by itself".to_owned(),
            "set `sync: automated` in every environment before production".to_owned(),
        )
    } else {
        match traced {
            Some((measured, of)) if of > 0 && percent(measured, of) >= 90.0 => (5, String::new(), String::new()),
            Some((measured, of)) => (
                4,
                format!("{measured} of {of} new releases in production ran in an earlier environment first; 90% for level 5"),
                "promote releases through the environments before production (and use the same tag or digest all the way)".to_owned(),
            ),
            None => (4, "no git history to see how releases reach production".to_owned(), "run paved in a clone with history".to_owned()),
        }
    };
    findings.push(finding(
        "GitOps",
        level,
        format!(
            "{deployed} of {total} services rendered for Argo CD, each synced by its own Application; {} before production",
            if automated { "automated sync" } else { "manual sync" }
        ),
        Some(gap),
        Some(step),
    ));

    // Self-service.
    match &evidence.platform {
        Ok(platform) => {
            let rate = &platform.self_service.rate;
            findings.push(share_finding(
                "self-service",
                rate.count,
                rate.of,
                "changes to team files needing no platform-team file",
                [25.0, 50.0, 75.0, 90.0],
                "make what teams ask the platform team for a setting of the intent or a golden-path parameter",
            ));
        }
        Err(why) => findings.push(finding(
            "self-service",
            1,
            format!("not measured: {why}"),
            Some("no history to measure".into()),
            Some("run paved in a clone with history".into()),
        )),
    }

    // Documentation.
    let documented = services.iter().filter(|s| s.docs.is_some()).count();
    findings.push(share_finding(
        "docs coverage",
        documented,
        total,
        "services documented in `teams/<team>/docs/<service>.md`",
        [25.0, 50.0, 75.0, 90.0],
        "write `teams/<team>/docs/<service>.md` for each undocumented service (what it does, how to run it, who to call)",
    ));

    // DORA bands of the organisation.
    match &evidence.dora {
        Ok(report) if report.organisation.deployments > 0 => {
            let org = &report.organisation;
            let bands = &report.bands.bands;
            let metrics = [
                ("deployment frequency", Some(&org.deployment_frequency.band)),
                ("lead time", org.lead_time.band.as_ref()),
                ("change failure rate", org.change_failure_rate.band.as_ref()),
                ("time to restore", org.time_to_restore.band.as_ref()),
            ];
            let rank = |band: &str| bands.iter().position(|b| b == band).unwrap_or(bands.len());
            let worst = metrics
                .iter()
                .filter_map(|(name, band)| band.map(|b| (rank(b), *name, b.clone())))
                .max();
            let level = match &worst {
                Some((rank, ..)) => 5u8.saturating_sub(u8::try_from(*rank).unwrap_or(3)).max(2),
                None => 2,
            };
            let evidence_text = metrics
                .iter()
                .map(|(name, band)| format!("{name} {}", band.map_or("-", |b| b.as_str())))
                .collect::<Vec<_>>()
                .join(", ");
            findings.push(finding(
                "delivery (DORA)",
                level,
                evidence_text,
                worst.map(|(_, name, band)| {
                    format!(
                        "{name} is `{band}`; every key one band better for level {}",
                        level + 1
                    )
                }),
                Some(
                    "see `paved metrics dora` for the services and weeks that hold the figure back"
                        .into(),
                ),
            ));
        }
        Ok(_) => findings.push(finding(
            "delivery (DORA)",
            1,
            "no production deployments in the window".into(),
            Some("nothing reaches production through the main line".into()),
            Some("deploy through pull requests to the branch Argo CD follows".into()),
        )),
        Err(why) => findings.push(finding(
            "delivery (DORA)",
            1,
            format!("not measured: {why}"),
            Some("no history to measure".into()),
            Some("run paved in a clone with history".into()),
        )),
    }

    // Cost visibility.
    let cost = evidence.cost;
    let own_rates = repo.platform.file.doc.value.get("cost").is_some();
    let priced = cost
        .units
        .iter()
        .filter(|u| u.cpu_cores > 0.0 && u.memory_gib > 0.0)
        .count();
    let budgets = cost.teams.iter().filter(|t| t.budget.is_some()).count();
    let over = cost.teams.iter().filter(|t| t.over_budget).count();
    let teams = cost.teams.len();
    let (level, gap, step) = if priced < cost.units.len() {
        (
            2,
            format!(
                "{} workloads request no CPU or memory, so cost nothing here",
                cost.units.len() - priced
            ),
            "give every workload requests (a `size`)",
        )
    } else if budgets < teams {
        (
            3,
            format!(
                "{} of {teams} teams have no `monthlyBudget`",
                teams - budgets
            ),
            "set `monthlyBudget` in every `team.yaml`",
        )
    } else if over > 0 {
        (
            4,
            format!("{over} teams over budget"),
            "bring them within budget (`paved cost --team`), or agree new budgets",
        )
    } else {
        (5, String::new(), "")
    };
    findings.push(finding(
        "cost visibility",
        level,
        format!(
            "{priced} of {} workloads priced at {} rates; {budgets} of {teams} teams with a budget, {over} over",
            cost.units.len(),
            if own_rates { "the platform's own" } else { "default list" }
        ),
        Some(gap),
        Some(step.to_owned()),
    ));

    let level = findings.iter().map(|f| f.level).min().unwrap_or(1);
    Report {
        level,
        level_name: LEVELS[usize::from(level - 1)].to_owned(),
        levels: LEVELS.iter().map(|l| (*l).to_owned()).collect(),
        findings,
    }
}

fn rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["dimension", "level", "evidence"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for f in &report.findings {
        rows.push(vec![
            f.dimension.clone(),
            format!("{} {}", f.level, f.level_name),
            f.evidence.clone(),
        ]);
    }
    rows
}

fn headline(report: &Report) -> String {
    format!(
        "Platform maturity: level {} of 5, {} (the level of its weakest dimension)",
        report.level, report.level_name
    )
}

/// The report for a terminal.
pub fn to_text(report: &Report) -> String {
    let mut out = format!("{}\n\n", headline(report));
    // Left-aligned throughout: levels and evidence read as text, though
    // they start with a figure.
    let rows = rows(report);
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let (first, second) = (width(0), width(1));
    for row in &rows {
        out.push_str(&format!(
            "{:first$}  {:second$}  {}\n",
            row[0], row[1], row[2]
        ));
    }
    for f in &report.findings {
        if let (Some(gap), Some(step)) = (&f.gap, &f.next_step) {
            out.push_str(&format!(
                "\n{} (level {}): {gap}\n  next: {step}\n",
                f.dimension, f.level
            ));
        }
    }
    out
}

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let mut out = format!("## {}\n\n", headline(report));
    let mut rows = vec![
        ["dimension", "level", "evidence", "gap", "next step"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for f in &report.findings {
        rows.push(vec![
            f.dimension.clone(),
            format!("{} {}", f.level, f.level_name),
            f.evidence.clone(),
            f.gap.clone().unwrap_or_default(),
            f.next_step.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&markdown_table(&rows));
    out
}
