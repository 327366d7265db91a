//! The allocators the tracking allocator can wrap (the system's, mimalloc),
//! which one is installed, and handing freed memory back to the system.

#[cfg(doc)]
use super::{AllocStats, TrackingAllocator};
use std::alloc::{GlobalAlloc, System};

/// The backing allocator slotlab's binaries use: mimalloc with the
/// `mimalloc` feature (the default), else the system allocator.
#[cfg(feature = "mimalloc")]
pub type PreferredBacking = mimalloc::MiMalloc;
/// The backing allocator slotlab's binaries use: mimalloc with the
/// `mimalloc` feature (the default), else the system allocator.
#[cfg(not(feature = "mimalloc"))]
pub type PreferredBacking = System;

/// An allocator [`TrackingAllocator`] can wrap: it says its name and the
/// real size of the blocks it hands out.
pub trait BackingAllocator: GlobalAlloc {
    /// How reports name it.
    const NAME: &'static str;
    /// Whether [`BackingAllocator::usable_size`] measures real block sizes
    /// (else it repeats the requested size).
    const MEASURES_USABLE_SIZE: bool;

    /// The real size of a live block.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live block from this allocator, of `requested` bytes.
    unsafe fn usable_size(&self, ptr: *mut u8, requested: usize) -> usize;
}

impl BackingAllocator for System {
    const NAME: &'static str = "system malloc";
    const MEASURES_USABLE_SIZE: bool = cfg!(target_os = "linux");

    unsafe fn usable_size(&self, ptr: *mut u8, requested: usize) -> usize {
        #[cfg(target_os = "linux")]
        {
            let _ = requested;
            // SAFETY: the caller passes a live block from `System` (malloc, or
            // posix_memalign when over-aligned), which `malloc_usable_size` accepts.
            unsafe { libc::malloc_usable_size(ptr.cast()) }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = ptr;
            requested
        }
    }
}

/// mimalloc, for `TrackingAllocator::wrapping(MiMalloc)`.
#[cfg(feature = "mimalloc")]
pub use mimalloc::MiMalloc;

#[cfg(feature = "mimalloc")]
impl BackingAllocator for mimalloc::MiMalloc {
    const NAME: &'static str = "mimalloc";
    const MEASURES_USABLE_SIZE: bool = true;

    unsafe fn usable_size(&self, ptr: *mut u8, _requested: usize) -> usize {
        // SAFETY: the caller passes a live block from this allocator.
        unsafe { mimalloc::MiMalloc.usable_size(ptr) }
    }
}

/// The installed backing allocator: its name and whether it measures
/// usable sizes; set by the first call the tracking allocator serves.
pub(super) static BACKEND: std::sync::OnceLock<(&'static str, bool)> = std::sync::OnceLock::new();

/// The backing allocator's name, once a [`TrackingAllocator`] is installed.
pub fn backing_allocator() -> Option<&'static str> {
    BACKEND.get().map(|(name, _)| *name)
}

/// Hands memory that was freed back to the operating system now, rather
/// than when the backing allocator gets round to it: between two runs, so
/// the first run's garbage is not purged in the middle of the second
/// (seen as latency stalls). A no-op where the allocator has no such call.
pub fn release_free_memory() {
    let Some(name) = backing_allocator() else {
        return;
    };
    #[cfg(feature = "mimalloc")]
    if name == <mimalloc::MiMalloc as BackingAllocator>::NAME {
        // SAFETY: `mi_collect` takes no pointers; it only walks mimalloc's
        // own free lists, and is safe to call from any thread at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if name == <System as BackingAllocator>::NAME {
        // SAFETY: `malloc_trim` takes no pointers and only returns glibc's
        // free memory to the system; it is thread-safe.
        unsafe { libc::malloc_trim(0) };
    }
}

/// Whether [`AllocStats::usable_peak_bytes`] measures the allocator's real
/// block sizes (else it repeats the requested sizes).
pub fn usable_size_measured() -> bool {
    BACKEND.get().is_some_and(|(_, measured)| *measured)
}
