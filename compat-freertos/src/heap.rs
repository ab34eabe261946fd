//! `pvPortMalloc` / `vPortFree` / `pvPortCalloc` and the heap figures: blocks of the compartment's
//! own heap (the manifest's `heap` arena), charged to its quota. Blocks are 32-byte aligned and
//! zeroed. The figures are the quota's: what `pvPortMalloc` can still obtain.

use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, Ordering};

use rtos_sys::AllocCap;

/// The compartment's allocation capability (0: not fetched yet).
static CAP: AtomicU32 = AtomicU32::new(0);
/// Least free quota seen after an allocation (`u32::MAX`: none yet).
static MIN_FREE: AtomicU32 = AtomicU32::new(u32::MAX);
/// Successful allocations and frees through this layer (`vPortGetHeapStats`).
static ALLOCS: AtomicU32 = AtomicU32::new(0);
static FREES: AtomicU32 = AtomicU32::new(0);

fn cap() -> Option<AllocCap> {
    let c = CAP.load(Ordering::Relaxed);
    if c != 0 {
        return Some(AllocCap(c));
    }
    let c = rtos_sys::heap_cap().ok()?;
    CAP.store(c.0, Ordering::Relaxed);
    Some(c)
}

/// Bytes the quota has left (0 without a heap).
fn free_now() -> u32 {
    cap().and_then(|c| rtos_sys::heap_quota(c).ok()).map_or(0, |q| q.limit.saturating_sub(q.used))
}

/// Allocates `size` bytes (32-byte aligned, zeroed); null if the heap or quota cannot, after
/// calling `vApplicationMallocFailedHook` when it is configured.
pub fn alloc(size: usize) -> *mut u8 {
    if size == 0 {
        return core::ptr::null_mut();
    }
    let p = cap().and_then(|c| rtos_sys::heap_alloc(c, size).ok()).unwrap_or_default();
    if p.is_null() {
        crate::hooks::malloc_failed();
    } else {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        MIN_FREE.fetch_min(free_now(), Ordering::Relaxed);
    }
    p
}

/// Frees a block from [`alloc`] (null is ignored).
pub fn free(p: *mut u8) {
    if p.is_null() {
        return;
    }
    if let Some(c) = cap() {
        if rtos_sys::heap_free(c, p).is_ok() {
            FREES.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// FreeRTOS `pvPortMalloc`.
#[no_mangle]
pub extern "C" fn pvPortMalloc(size: usize) -> *mut c_void {
    alloc(size).cast()
}

/// FreeRTOS `pvPortCalloc`: `n` elements of `size` bytes, zeroed (every block is); null when the
/// product overflows.
#[no_mangle]
pub extern "C" fn pvPortCalloc(n: usize, size: usize) -> *mut c_void {
    match n.checked_mul(size) {
        Some(bytes) => alloc(bytes).cast(),
        None => core::ptr::null_mut(),
    }
}

/// FreeRTOS `vPortFree`.
#[no_mangle]
pub extern "C" fn vPortFree(p: *mut c_void) {
    free(p.cast())
}

/// FreeRTOS `xPortGetFreeHeapSize`: bytes the compartment's quota has left.
#[no_mangle]
pub extern "C" fn xPortGetFreeHeapSize() -> usize {
    free_now() as usize
}

/// FreeRTOS `xPortGetMinimumEverFreeHeapSize`: the least the quota had left after any allocation
/// through this layer (the current figure before the first one).
#[no_mangle]
pub extern "C" fn xPortGetMinimumEverFreeHeapSize() -> usize {
    MIN_FREE.load(Ordering::Relaxed).min(free_now()) as usize
}

/// FreeRTOS `HeapStats_t` (portable.h); the fields are FreeRTOS's.
#[repr(C)]
#[allow(missing_docs)]
pub struct HeapStats_t {
    pub xAvailableHeapSpaceInBytes: usize,
    pub xSizeOfLargestFreeBlockInBytes: usize,
    pub xSizeOfSmallestFreeBlockInBytes: usize,
    pub xNumberOfFreeBlocks: usize,
    pub xMinimumEverFreeBytesRemaining: usize,
    pub xNumberOfSuccessfulAllocations: usize,
    pub xNumberOfSuccessfulFrees: usize,
}

/// FreeRTOS `vPortGetHeapStats`: the block figures come from the kernel's map of the compartment's
/// arena (`HEAP_STATS`), the available and minimum-ever figures from its quota, the counts from
/// this layer.
///
/// # Safety
/// `stats` is null (ignored, after `configASSERT`) or points to a writable `HeapStats_t`.
#[no_mangle]
pub unsafe extern "C" fn vPortGetHeapStats(stats: *mut HeapStats_t) {
    if !crate::config::check(!stats.is_null()) {
        return;
    }
    let arena = rtos_sys::heap_stats().unwrap_or_default();
    let available = free_now().min(arena.free);
    // SAFETY: checked non-null; the caller passes a `HeapStats_t`.
    unsafe {
        stats.write(HeapStats_t {
            xAvailableHeapSpaceInBytes: available as usize,
            xSizeOfLargestFreeBlockInBytes: arena.largest as usize,
            xSizeOfSmallestFreeBlockInBytes: arena.smallest as usize,
            xNumberOfFreeBlocks: arena.blocks as usize,
            xMinimumEverFreeBytesRemaining: xPortGetMinimumEverFreeHeapSize(),
            xNumberOfSuccessfulAllocations: ALLOCS.load(Ordering::Relaxed) as usize,
            xNumberOfSuccessfulFrees: FREES.load(Ordering::Relaxed) as usize,
        })
    };
}
