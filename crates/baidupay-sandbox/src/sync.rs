//! Locks that outlive a panicked holder: the simulator's state stays usable (each change is
//! made whole under one guard).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, recovering it from a panicked holder.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read and write guards that outlive a panicked holder, as [`lock`] does for mutexes.
pub(crate) trait Unpoisoned<T> {
    /// A read guard.
    fn read_or_recover(&self) -> RwLockReadGuard<'_, T>;
    /// A write guard.
    fn write_or_recover(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> Unpoisoned<T> for RwLock<T> {
    fn read_or_recover(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_or_recover(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A copy of every value of `map` (the lock is held only while copying).
pub(crate) fn values<K, V: Clone>(map: &RwLock<HashMap<K, V>>) -> Vec<V> {
    map.read_or_recover().values().cloned().collect()
}
