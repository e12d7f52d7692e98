//! A source that notes every answer it gives, so that another source can
//! later be asked whether it gives the same. Loading is a function of the
//! answers its questions get (the determinism invariant), so a source that
//! answers every recorded question as recorded loads the same repository:
//! what lets a process that renders again and again (`portal serve`, a
//! library user, the tests) keep a render and know when it still holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use super::{Entry, Source, SourceError};

/// A question a [`Source`] answers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Question {
    List(String),
    Read(String),
    Exists(String),
}

/// Its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    List(Result<Vec<Entry>, SourceError>),
    Read(Result<String, SourceError>),
    Exists(bool),
}

/// `inner`, asked each question once: the answers are kept, and those a
/// reader of this source asked for are its transcript. (Also what lets a
/// command that hashes the inputs and then loads them read each once:
/// `commands::settings::Committed`.)
#[derive(Debug)]
pub struct Recorded<S> {
    inner: S,
    known: Mutex<BTreeMap<Question, Answer>>,
    asked: Mutex<BTreeSet<Question>>,
}

impl<S: Source> Recorded<S> {
    pub fn new(inner: S) -> Self {
        Recorded {
            inner,
            known: Mutex::default(),
            asked: Mutex::default(),
        }
    }

    /// The answer to `question`, from `inner` the first time. (Not locked
    /// while `inner` answers: loading asks from several threads.)
    fn known(&self, question: &Question) -> Answer {
        let known = || self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(answer) = known().get(question) {
            return answer.clone();
        }
        let answer = match question {
            Question::List(dir) => Answer::List(self.inner.list(dir)),
            Question::Read(path) => Answer::Read(self.inner.read(path)),
            Question::Exists(path) => Answer::Exists(self.inner.exists(path)),
        };
        known().insert(question.clone(), answer.clone());
        answer
    }

    fn answer(&self, question: Question) -> Answer {
        let answer = self.known(&question);
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(question);
        answer
    }

    /// Whether this source answers every question of `transcript` as it
    /// records. Directories are compared first: a file added or removed
    /// shows there, before any file is read.
    pub fn gives(&self, transcript: &Transcript) -> bool {
        let (lists, others): (Vec<_>, Vec<_>) = transcript
            .answers
            .iter()
            .partition(|(question, _)| matches!(question, Question::List(_)));
        lists
            .into_iter()
            .chain(others)
            .all(|(question, answer)| self.known(question) == *answer)
    }

    /// The answers to every question a reader asked.
    pub fn transcript(self) -> Transcript {
        let mut known = self
            .known
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let asked = self
            .asked
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let answers: Vec<(Question, Answer)> = asked
            .into_iter()
            .filter_map(|question| known.remove(&question).map(|answer| (question, answer)))
            .collect();
        let bytes = answers
            .iter()
            .map(|(_, answer)| match answer {
                Answer::Read(Ok(text)) => text.len(),
                _ => 0,
            })
            .sum();
        Transcript { answers, bytes }
    }
}

impl<S: Source> Source for Recorded<S> {
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        match self.answer(Question::List(dir.to_owned())) {
            Answer::List(entries) => entries,
            _ => unreachable!("a list is answered with entries"),
        }
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        match self.answer(Question::Read(path.to_owned())) {
            Answer::Read(text) => text,
            _ => unreachable!("a read is answered with text"),
        }
    }

    fn exists(&self, path: &str) -> bool {
        match self.answer(Question::Exists(path.to_owned())) {
            Answer::Exists(exists) => exists,
            _ => unreachable!("an existence question is answered yes or no"),
        }
    }
}

/// The answers a source gave, each question once.
#[derive(Debug)]
pub struct Transcript {
    answers: Vec<(Question, Answer)>,
    bytes: usize,
}

impl Transcript {
    /// The bytes of the files read.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every path asked about: directories listed, files read, paths
    /// whose existence was asked.
    pub fn paths(&self) -> BTreeSet<&str> {
        self.answers
            .iter()
            .map(|(question, _)| match question {
                Question::List(path) | Question::Read(path) | Question::Exists(path) => {
                    path.as_str()
                }
            })
            .collect()
    }
}
