//! Whole runs kept in this process: a process that renders again and
//! again (`portal serve`, a library user, a test suite) often renders the
//! same inputs twice, a `check` after a `render`, a `validate` after both.
//! A run is a function of the answers its source gave, what it was asked
//! for and today's date (grants and exceptions expire), so a run whose
//! recorded answers the source gives again is that run: its outcome is
//! copied instead of loading, rendering and checking everything anew.
//! What a later stage computes from a run's repository and render (the
//! findings of `validate`) is kept beside it the same way ([`derived`]).
//! Off in `paved` itself (see [`remember_renders`]).
//!
//! [`remember_renders`]: crate::render::template::remember_renders

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::input::repo::Repo;
use crate::input::source::Source;
use crate::input::source::recorded::{Recorded, Transcript};
use crate::render::resolve::ValueIndex;
use crate::render::template::Resource;
use crate::render::unit::{Rendered, TemplateSet, UnitKind};
use crate::support::date::{Date, today};

struct Run {
    /// What the run was asked for (its focus), and on which day.
    asked: (String, Date),
    transcript: Transcript,
    outcome: Box<dyn Any + Send + Sync>,
}

/// Runs kept at most, newest first.
const RUNS: usize = 8;

/// Bytes of input files the kept runs read, at most (the example reads
/// 0.6 MiB): a run holds its inputs parsed and its render, several times
/// the bytes it read. A larger organisation's run is not kept at all.
const KEPT_INPUTS: usize = 8 << 20;
const LARGEST_INPUTS: usize = 2 << 20;

fn kept() -> std::sync::MutexGuard<'static, VecDeque<Arc<Run>>> {
    static KEPT: LazyLock<Mutex<VecDeque<Arc<Run>>>> = LazyLock::new(Mutex::default);
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `run(source)`, or a copy of a kept run asked the same (`asked`) of the
/// same inputs.
pub fn run_or_copy<T: Clone + Send + Sync + 'static>(
    source: &dyn Source,
    asked: String,
    run: impl FnOnce(&dyn Source) -> T,
) -> T {
    let asked = (asked, today());
    let candidates: Vec<Arc<Run>> = kept()
        .iter()
        .filter(|kept| kept.asked == asked && kept.outcome.is::<T>())
        .cloned()
        .collect();
    // Each file is read once, however many runs are compared, and again
    // only if nothing matches and the run asks for it.
    let recorded = Recorded::new(source);
    for candidate in candidates {
        if let Some(outcome) = candidate.outcome.downcast_ref::<T>()
            && recorded.gives(&candidate.transcript)
        {
            let outcome = outcome.clone();
            let mut kept = kept();
            kept.retain(|other| !Arc::ptr_eq(other, &candidate));
            kept.push_front(candidate);
            return outcome;
        }
    }
    let outcome = run(&recorded);
    let transcript = recorded.transcript();
    if transcript.bytes() <= LARGEST_INPUTS {
        let run = Run {
            asked,
            transcript,
            outcome: Box::new(outcome.clone()),
        };
        let evicted = {
            let mut kept = kept();
            kept.push_front(Arc::new(run));
            let mut bytes = 0;
            let within = kept
                .iter()
                .take_while(|run| {
                    bytes += run.transcript.bytes();
                    bytes <= KEPT_INPUTS
                })
                .count();
            kept.split_off(within.min(RUNS))
        };
        // Freed once the lock is released: a render is freed in parallel,
        // and a worker waiting for that may take up another run's work,
        // which needs the lock.
        drop(evicted);
    }
    outcome
}

/// Whether this thread keeps runs and what is derived from them.
pub fn keeps_runs() -> bool {
    crate::render::template::remembers_renders() && !crate::input::yaml::cross_checks_quick_reader()
}

/// A result computed from one repository and render.
struct Derived {
    asked: String,
    inputs: Inputs,
    value: Box<dyn Any + Send + Sync>,
}

/// Results kept at most, newest first.
const DERIVED: usize = 8;

/// What a derived result was computed from, held alive so that the same
/// allocation met again is the same value: a repository is a function of
/// its source texts, and a render's resources and value provenance are
/// never changed once rendered (a changed copy is a new allocation).
struct Inputs {
    sources: Vec<(String, Arc<str>)>,
    units: Vec<UnitInputs>,
    context: std::collections::BTreeSet<String>,
}

struct UnitInputs {
    path: String,
    cluster: String,
    kind: UnitKind,
    origin: String,
    templates: TemplateSet,
    resources: Arc<Vec<Resource>>,
    values: Option<Arc<ValueIndex>>,
}

impl Inputs {
    fn of(repo: &Repo, rendered: &Rendered) -> Inputs {
        Inputs {
            sources: repo
                .sources
                .iter()
                .map(|(path, text)| (path.to_owned(), text.clone()))
                .collect(),
            units: rendered
                .units
                .iter()
                .map(|unit| UnitInputs {
                    path: unit.path.clone(),
                    cluster: unit.cluster.clone(),
                    kind: unit.kind.clone(),
                    origin: unit.origin.clone(),
                    templates: unit.templates.clone(),
                    resources: unit.resources.clone(),
                    values: unit.values.clone(),
                })
                .collect(),
            context: rendered.context.clone(),
        }
    }

    fn bytes(&self) -> usize {
        self.sources.iter().map(|(_, text)| text.len()).sum()
    }

    /// Whether `repo` and `rendered` are these very inputs.
    fn are(&self, repo: &Repo, rendered: &Rendered) -> bool {
        let same_arc = |a: &Option<Arc<_>>, b: &Option<Arc<_>>| match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        self.sources.len() == repo.sources.iter().count()
            && self.sources.iter().zip(repo.sources.iter()).all(
                |((path, text), (other_path, other))| {
                    path == other_path && Arc::ptr_eq(text, other)
                },
            )
            && self.context == rendered.context
            && self.units.len() == rendered.units.len()
            && self.units.iter().zip(&rendered.units).all(|(kept, unit)| {
                Arc::ptr_eq(&kept.resources, &unit.resources)
                    && same_arc(&kept.values, &unit.values)
                    && kept.path == unit.path
                    && kept.cluster == unit.cluster
                    && kept.kind == unit.kind
                    && kept.origin == unit.origin
                    && kept.templates == unit.templates
            })
    }
}

/// `make()`, or a copy of what it gave before when asked the same
/// (`asked`) of this very repository and render: a `check` after a
/// `render` of the same inputs validates a copy of the same kept run.
/// Only while this thread keeps runs ([`keeps_runs`]), and only for
/// inputs small enough for their run to be kept.
pub fn derived<T: Clone + Send + Sync + 'static>(
    repo: &Repo,
    rendered: &Rendered,
    asked: String,
    make: impl FnOnce() -> T,
) -> T {
    if !keeps_runs() {
        return make();
    }
    let found = {
        let mut kept = kept_derived();
        let at = kept.iter().position(|derived| {
            derived.asked == asked && derived.value.is::<T>() && derived.inputs.are(repo, rendered)
        });
        at.and_then(|at| kept.remove(at)).and_then(|derived| {
            let value = derived.value.downcast_ref::<T>().cloned();
            kept.push_front(derived);
            value
        })
    };
    if let Some(value) = found {
        return value;
    }
    let value = make();
    let inputs = Inputs::of(repo, rendered);
    if inputs.bytes() <= LARGEST_INPUTS {
        let evicted = {
            let mut kept = kept_derived();
            kept.push_front(Derived {
                asked,
                inputs,
                value: Box::new(value.clone()),
            });
            let within = kept.len().min(DERIVED);
            kept.split_off(within)
        };
        // Released outside the lock, as displaced runs are.
        drop(evicted);
    }
    value
}

fn kept_derived() -> std::sync::MutexGuard<'static, VecDeque<Derived>> {
    static KEPT: LazyLock<Mutex<VecDeque<Derived>>> = LazyLock::new(Mutex::default);
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}
