//! A process-wide cache: values by key, up to a budget of bytes (as each
//! value is measured), emptied when full, so that a process that runs for
//! long (`portal serve`) does not grow without end. For work that is a
//! pure function of its key and that a process may repeat: parsing a
//! template or a policy, compiling a schema, rendering a unit.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Values by key, up to a budget of bytes.
pub struct Kept<K, V> {
    budget: usize,
    bytes: usize,
    values: HashMap<K, Arc<V>>,
}

impl<K: Hash + Eq, V> Kept<K, V> {
    pub fn new(budget: usize) -> Self {
        Kept {
            budget,
            bytes: 0,
            values: HashMap::new(),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.values.get(key).cloned()
    }

    pub fn insert(&mut self, key: K, value: Arc<V>, size: usize) {
        if self.bytes + size > self.budget {
            self.values.clear();
            self.bytes = 0;
        }
        if self.values.insert(key, value).is_none() {
            self.bytes += size;
        }
    }
}

/// What `cache` keeps for `key`, else what `make` makes, then kept (as
/// `size` bytes). The lock is not held while `make` runs: two threads may
/// both make a value, and either is kept.
pub fn get_or_make<K: Hash + Eq, V>(
    cache: &Mutex<Kept<K, V>>,
    key: K,
    size: usize,
    make: impl FnOnce() -> V,
) -> Arc<V> {
    let lock = || cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = lock().get(&key) {
        return known;
    }
    let made = Arc::new(make());
    lock().insert(key, made.clone(), size);
    made
}
