//! `Memo`: observations made once per run and judged by several checks.
//!
//! Some observations are expensive (a simulated outage lasts seconds) and answer several
//! requirements at once: the attempts of one retried event show that it was retried (DLV-1),
//! what the retry carried (DLV-2) and whether delivery stopped after a 2xx (DLV-3). Whichever
//! of those checks runs first makes the observation; the others read it. It lives in the run's
//! [`Context`](crate::Context), never in a static, so runs in one process never see each
//! other's observations.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

type Cell = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

/// One run's observations, by key.
#[derive(Default)]
pub struct Memo {
    cells: Mutex<BTreeMap<&'static str, Cell>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.cells.lock().expect("memo lock").keys().copied().collect();
        f.debug_struct("Memo").field("keys", &keys).finish()
    }
}

impl Memo {
    /// The observation stored under `key`, made by `init` on first use. Concurrent callers wait
    /// for the one observation instead of making their own.
    ///
    /// # Panics
    /// When `key` was first used with another type: two checks disagreeing on what a key holds
    /// is a bug to fix, not a state to run in.
    pub async fn get_or_init<T, F, Fut>(&self, key: &'static str, init: F) -> Arc<T>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = self.cells.lock().expect("memo lock").entry(key).or_default().clone();
        let value = cell.get_or_init(|| async { Arc::new(init().await) as Arc<dyn Any + Send + Sync> }).await;
        value.clone().downcast::<T>().unwrap_or_else(|_| panic!("memo key `{key}` holds another type"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn an_observation_is_made_once_per_key() {
        let memo = Memo::default();
        let made = AtomicUsize::new(0);
        let observe = || async {
            made.fetch_add(1, Ordering::SeqCst);
            42u32
        };
        assert_eq!(*memo.get_or_init("a", observe).await, 42);
        assert_eq!(*memo.get_or_init("a", observe).await, 42);
        assert_eq!(*memo.get_or_init("b", || async { 7u32 }).await, 7);
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(format!("{memo:?}").contains("\"a\""));
    }

    #[tokio::test]
    #[should_panic(expected = "holds another type")]
    async fn a_key_keeps_its_type() {
        let memo = Memo::default();
        memo.get_or_init("a", || async { 1u32 }).await;
        memo.get_or_init("a", || async { "one" }).await;
    }
}
