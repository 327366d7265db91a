//! The state the pipeline's stages share: counters, the stop, how the run
//! ended.

use super::{Ended, Live, Stop};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// State the stages share.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) stop: Stop,
    pub(super) halt: AtomicBool,
    /// The source stage has returned: nothing more will be accepted.
    pub(super) intake_ended: AtomicBool,
    pub(super) ended: Mutex<Option<Ended>>,
    pub(super) accepted: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) stored: AtomicU64,
    pub(super) held: AtomicU64,
    pub(super) queued: [AtomicUsize; 2],
}

impl Shared {
    pub(super) fn new(stop: Stop) -> Self {
        Self {
            stop,
            halt: AtomicBool::new(false),
            intake_ended: AtomicBool::new(false),
            ended: Mutex::new(None),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            held: AtomicU64::new(0),
            queued: [AtomicUsize::new(0), AtomicUsize::new(0)],
        }
    }

    /// Whether intake should stop.
    pub(super) fn halted(&self) -> bool {
        self.halt.load(Relaxed) || self.stop.requested()
    }

    /// Stops intake for `why` (the first reason given is kept).
    pub(super) fn end(&self, why: Ended) {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        if ended.is_none() {
            *ended = Some(why);
        }
        self.halt.store(true, Relaxed);
    }

    pub(super) fn ended(&self) -> Ended {
        let ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        match &*ended {
            Some(why) => why.clone(),
            None if self.stop.requested() => Ended::Stopped,
            None => Ended::Finished,
        }
    }

    pub(super) fn live(&self, elapsed: Duration, capacity: usize) -> Live {
        Live {
            elapsed,
            accepted: self.accepted.load(Relaxed),
            stored: self.stored.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            held_bytes: self.held.load(Relaxed),
            queued: [self.queued[0].load(Relaxed), self.queued[1].load(Relaxed)],
            capacity,
        }
    }
}

/// Nanoseconds from `epoch` to now.
pub(super) fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
