//! Whole runs kept in this process: a process that renders again and
//! again (`portal serve`, a library user, a test suite) often renders the
//! same inputs twice, a `check` after a `render`, a `validate` after both.
//! A run is a function of the answers its source gave, what it was asked
//! for and today's date (grants and exceptions expire), so a run whose
//! recorded answers the source gives again is that run: its outcome is
//! copied instead of loading, rendering and checking everything anew. Off
//! in `paved` itself (see [`remember_renders`]).
//!
//! [`remember_renders`]: crate::render::template::remember_renders

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::input::source::Source;
use crate::input::source::recorded::{Recorded, Transcript};
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
