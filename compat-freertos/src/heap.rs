//! `pvPortMalloc` / `vPortFree`: blocks of the compartment's own heap (the manifest's `heap`
//! arena), charged to its quota. Blocks are 32-byte aligned and zeroed.

use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, Ordering};

use rtos_sys::AllocCap;

/// The compartment's allocation capability (0: not fetched yet).
static CAP: AtomicU32 = AtomicU32::new(0);

fn cap() -> Option<AllocCap> {
    let c = CAP.load(Ordering::Relaxed);
    if c != 0 {
        return Some(AllocCap(c));
    }
    let c = rtos_sys::heap_cap().ok()?;
    CAP.store(c.0, Ordering::Relaxed);
    Some(c)
}

/// Allocates `size` bytes (32-byte aligned, zeroed); null if the heap or quota cannot.
pub fn alloc(size: usize) -> *mut u8 {
    if size == 0 {
        return core::ptr::null_mut();
    }
    cap().and_then(|c| rtos_sys::heap_alloc(c, size).ok()).unwrap_or_default()
}

/// Frees a block from [`alloc`] (null is ignored).
pub fn free(p: *mut u8) {
    if p.is_null() {
        return;
    }
    if let Some(c) = cap() {
        let _ = rtos_sys::heap_free(c, p);
    }
}

/// FreeRTOS `pvPortMalloc`.
#[no_mangle]
pub extern "C" fn pvPortMalloc(size: usize) -> *mut c_void {
    alloc(size).cast()
}

/// FreeRTOS `vPortFree`.
#[no_mangle]
pub extern "C" fn vPortFree(p: *mut c_void) {
    free(p.cast())
}
