//! Compartment `store`: a service with a heap of its own that allocates on its callers' behalf —
//! with the allocation capability they lend it — and, when asked, misuses what it holds.
//!
//! Exports return a value, or a negative error code as `u32`.
#![no_std]

use rtos_sys::{AllocCap, Error};

fn code(e: Error) -> u32 {
    e.code() as u32
}

fn ret(r: Result<u32, Error>) -> u32 {
    r.unwrap_or_else(code)
}

/// Allocates `size` bytes in this compartment's heap, charged to the caller's capability `cap`,
/// fills it with `0xA5` (after checking it arrived zeroed) and returns its address.
#[no_mangle]
pub extern "C" fn make(cap: u32, size: u32) -> u32 {
    match rtos_sys::heap_alloc(AllocCap(cap), size as usize) {
        Ok(p) => {
            let words = (size as usize).div_ceil(32) * 8;
            for i in 0..words {
                // SAFETY: `p` is a fresh block of `words` words in this compartment's own heap.
                unsafe {
                    let w = (p as *mut u32).add(i);
                    if w.read_volatile() != 0 {
                        return code(Error::InvalidArgument); // not zeroed: reported as a failure
                    }
                    w.write_volatile(0xA5A5_A5A5);
                }
            }
            p as u32
        }
        Err(e) => code(e),
    }
}

/// Frees a block this compartment allocated, with capability `cap`.
#[no_mangle]
pub extern "C" fn release(cap: u32, addr: u32) -> u32 {
    ret(rtos_sys::heap_free(AllocCap(cap), addr as *mut u8))
}

/// Allocates with a capability it was never given: a guess next to its own one.
#[no_mangle]
pub extern "C" fn forge(size: u32) -> u32 {
    let mine = match rtos_sys::heap_cap() {
        Ok(c) => c.0,
        Err(e) => return code(e),
    };
    ret(rtos_sys::heap_alloc(AllocCap(mine ^ 0x0001_0000), size as usize).map(|p| p as u32))
}

/// Passes a sealed handle of its own type as an allocation capability.
#[no_mangle]
pub extern "C" fn confuse(size: u32) -> u32 {
    let key = match rtos_sys::seal_key_create() {
        Ok(k) => k,
        Err(e) => return code(e),
    };
    let h = match rtos_sys::seal(key, 0) {
        Ok(h) => h,
        Err(e) => return code(e),
    };
    ret(rtos_sys::heap_alloc(AllocCap(h.0), size as usize).map(|p| p as u32))
}

/// Reads a word at `addr` (e.g. in another compartment's heap): faults unless it is ours.
#[no_mangle]
pub extern "C" fn peek(addr: u32) -> u32 {
    // SAFETY: deliberately hostile: the MPU decides whether this load is allowed.
    unsafe { (addr as *const u32).read_volatile() }
}

/// Its own allocation capability.
#[no_mangle]
pub extern "C" fn own_cap() -> u32 {
    ret(rtos_sys::heap_cap().map(|c| c.0))
}
