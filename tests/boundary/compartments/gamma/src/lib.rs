//! Compartment `gamma`: the end of a nested call chain, and a bystander thread that must keep
//! running while another compartment misbehaves.
#![no_std]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use rtos_sys::{println, ReadOnly, ReadWrite, StoreOnly};

static MARKED: AtomicBool = AtomicBool::new(false);

/// Globals of gamma's own (one granule) that a caller must not make gamma read on its behalf:
/// the confused-deputy cases put their address where `sum_ro` declares its grant.
#[repr(C, align(32))]
struct Secret([AtomicU32; 8]);

static SECRET: Secret = Secret([
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
    AtomicU32::new(SECRET_WORD),
]);
const SECRET_WORD: u32 = 0x0AC0_FFEE;

/// Where gamma's own secret globals are (addresses are no secret: the link map is public); the
/// hostile callers aim their confused-deputy attempts at it.
#[no_mangle]
pub extern "C" fn secret_at() -> u32 {
    SECRET.0.as_ptr() as u32
}

/// Doubles its argument (called by `beta`, nested inside `alpha` → `beta`).
#[no_mangle]
pub extern "C" fn double(x: u32) -> u32 {
    x.wrapping_mul(2)
}

/// Sums the words of a buffer granted to it read-only (passed on by `beta`, lent by C).
#[no_mangle]
pub extern "C" fn sum_ro(buf: ReadOnly<'_>) -> u32 {
    // SAFETY: its callers lend the buffer through typed stubs or the untyped path, both through
    // CALL_GRANTS: the kernel checked and mapped it for this call; the slice does not outlive it.
    let granules = unsafe { buf.granules() }.unwrap_or(&[]);
    granules.iter().flat_map(|g| g.words()).fold(0u32, |acc, w| acc.wrapping_add(*w))
}

/// Fills a buffer granted read-write with `value`; returns the number of words written.
#[no_mangle]
pub extern "C" fn fill(mut buf: ReadWrite<'_>, value: u32) -> u32 {
    // SAFETY: as in `sum_ro`.
    let granules = unsafe { buf.granules_mut() }.unwrap_or(&mut []);
    granules.iter_mut().flat_map(|g| g.words_mut().iter_mut()).fold(0, |n, w| {
        *w = value;
        n + 1
    })
}

/// Store-only: returns the number of non-zero words it saw (0: the kernel wiped the old
/// contents), then writes `value` to every word.
#[no_mangle]
pub extern "C" fn store(mut buf: StoreOnly<'_>, value: u32) -> u32 {
    // SAFETY: as in `sum_ro`.
    let granules = unsafe { buf.granules_mut() }.unwrap_or(&mut []);
    let seen = granules.iter().flat_map(|g| g.words()).filter(|w| **w != 0).count() as u32;
    granules.iter_mut().flat_map(|g| g.words_mut().iter_mut()).for_each(|w| *w = value);
    seen
}

/// Called by `alpha` just before it calls `beta.spin`.
#[no_mangle]
pub extern "C" fn mark() -> u32 {
    MARKED.store(true, Ordering::Release);
    0
}

/// The bystander thread: once `alpha` is stuck in `beta.spin`, it checks that it still gets the
/// CPU (same priority, time slicing), then ends the test.
#[no_mangle]
pub extern "C" fn gamma_main(_arg: usize) {
    while !MARKED.load(Ordering::Acquire) {
        rtos_sys::sleep(1);
    }
    let t0 = rtos_sys::ticks();
    let mut rounds = 0u32;
    while rtos_sys::ticks().wrapping_sub(t0) < 100 {
        rounds += 1;
    }
    println!("bystander: still running while beta spins ({} rounds in 100 ticks)", rounds);
    println!("PASS");
    rtos_sys::shutdown(0);
}
