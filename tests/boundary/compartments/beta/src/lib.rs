//! Compartment `beta`: a hostile callee. Besides two honest exports it tries, on request, every way
//! of reaching beyond what it was given. Each attempt must fault and be unwound to the caller.
#![no_std]

use core::arch::asm;
use core::hint::black_box;
use rtos_sys::{Granule, ReadOnly, ReadWrite, StoreOnly};

rtos_sys::imports!();

/// Honest: adds two numbers.
#[no_mangle]
pub extern "C" fn add(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}

/// Honest: a nested call, beta → gamma; returns gamma's result + 1.
#[no_mangle]
pub extern "C" fn relay(x: u32) -> u32 {
    match gamma::double(x) {
        Ok(v) => v + 1,
        Err(e) => e.code() as u32,
    }
}

/// Reads any address it is handed.
#[no_mangle]
pub extern "C" fn peek(addr: u32) -> u32 {
    // SAFETY: deliberately hostile: the address is not ours; the MPU must stop the load.
    unsafe { (addr as *const u32).read_volatile() }
}

/// Writes any address it is handed.
#[no_mangle]
pub extern "C" fn poke(addr: u32, value: u32) -> u32 {
    // SAFETY: deliberately hostile: the address is not ours; the MPU must stop the store.
    unsafe { (addr as *mut u32).write_volatile(value) };
    0
}

/// Leaves a recognisable pattern (the complement of its argument, so the caller never holds the
/// pattern itself) on its stack and returns; the caller then looks for it.
#[no_mangle]
pub extern "C" fn scribble(complement: u32) -> u32 {
    let mut buf = [!complement; 64];
    black_box(&mut buf);
    0
}

/// Tries to become privileged (write CONTROL.nPRIV = 0), then proves it by reading a system
/// control register.
#[no_mangle]
pub extern "C" fn escalate() -> u32 {
    // SAFETY: deliberately hostile: unprivileged writes to CONTROL.nPRIV are ignored, and the
    // following SCB read must fault.
    unsafe {
        asm!("msr control, {0}", "isb", in(reg) 0u32);
        (0xE000_ED00 as *const u32).read_volatile()
    }
}

/// Tries to switch the MPU off.
#[no_mangle]
pub extern "C" fn touch_mpu() -> u32 {
    // SAFETY: deliberately hostile: MPU_CTRL is in the privileged-only system space.
    unsafe { (0xE000_ED94 as *mut u32).write_volatile(0) };
    0
}

/// Tries to mask interrupts, then waits for the next tick (which arrives only if masking failed).
/// Returns PRIMASK as seen afterwards.
#[no_mangle]
pub extern "C" fn mask_interrupts() -> u32 {
    // SAFETY: `cpsid i` is ignored in unprivileged Thread mode, which is what this checks.
    unsafe { asm!("cpsid i") };
    let t0 = rtos_sys::ticks();
    while rtos_sys::ticks() == t0 {}
    let primask: u32;
    // SAFETY: reading PRIMASK has no side effects.
    unsafe { asm!("mrs {0}, primask", out(reg) primask) };
    primask
}

/// Unbounded recursion: overflows the stack window it was given.
#[no_mangle]
#[allow(unconditional_recursion)] // the point of this export
pub extern "C" fn recurse(n: u32) -> u32 {
    let mut frame = [n; 32];
    black_box(&mut frame);
    recurse(n + 1).wrapping_add(frame[1])
}

/// Panics.
#[no_mangle]
pub extern "C" fn panic(x: u32) -> u32 {
    if x != 0x600D {
        panic!("beta panics on purpose ({})", x);
    }
    0
}

/// Capability arguments: sums the words of a buffer it was granted (read-only is enough).
#[no_mangle]
pub extern "C" fn sum_ro(buf: ReadOnly<'_>) -> u32 {
    // SAFETY: alpha lends the buffer through its typed stub: the kernel checked and mapped it for
    // this call, and the slice does not outlive it.
    let granules = unsafe { buf.granules() }.unwrap_or(&[]);
    granules.iter().flat_map(|g| g.words()).fold(0u32, |acc, w| acc.wrapping_add(*w))
}

/// Writes into a buffer it was granted read-only.
#[no_mangle]
pub extern "C" fn write_ro(ptr: u32) -> u32 {
    // SAFETY: deliberately hostile: the grant is read-only; the MPU must stop the store.
    unsafe { (ptr as *mut u32).write_volatile(0xBAD) };
    0
}

/// Fills a buffer granted read-write with `value`.
#[no_mangle]
pub extern "C" fn fill(mut buf: ReadWrite<'_>, value: u32) -> u32 {
    // SAFETY: as in `sum_ro`.
    fill_words(unsafe { buf.granules_mut() }.unwrap_or(&mut []), value);
    0
}

fn fill_words(granules: &mut [Granule], value: u32) {
    for w in granules.iter_mut().flat_map(|g| g.words_mut().iter_mut()) {
        *w = value;
    }
}

/// Store-only probe: counts the non-zero words it can see in the buffer (must be 0: the old
/// contents were wiped), then writes its answer there.
#[no_mangle]
pub extern "C" fn store_probe(mut buf: StoreOnly<'_>) -> u32 {
    // SAFETY: as in `sum_ro`.
    let granules = unsafe { buf.granules_mut() }.unwrap_or(&mut []);
    let seen = granules.iter().flat_map(|g| g.words()).filter(|w| **w != 0).count() as u32;
    fill_words(granules, 0xAB);
    seen
}

static KEPT: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Keeps a granted pointer for later.
#[no_mangle]
pub extern "C" fn keep(ptr: u32) -> u32 {
    KEPT.store(ptr, core::sync::atomic::Ordering::Relaxed);
    0
}

/// Uses the pointer kept from an earlier call (whose grant has ended).
#[no_mangle]
pub extern "C" fn use_kept() -> u32 {
    peek(KEPT.load(core::sync::atomic::Ordering::Relaxed))
}

/// Writes the byte just past a granted buffer.
#[no_mangle]
pub extern "C" fn write_past(ptr: u32, len: u32) -> u32 {
    // SAFETY: deliberately hostile: one byte beyond the grant; the MPU must stop it.
    unsafe { ((ptr + len) as *mut u8).write_volatile(1) };
    0
}

/// Passes a read-only grant on to gamma (allowed: beta holds it) and returns gamma's sum.
#[no_mangle]
pub extern "C" fn pass_on(buf: ReadOnly<'_>) -> u32 {
    match gamma::sum_ro(buf) {
        Ok(v) => v,
        Err(e) => e.code() as u32,
    }
}

/// Tries to pass a read-only grant on as read-write; returns the error code it got.
#[no_mangle]
pub extern "C" fn pass_on_rw(ptr: u32, len: u32) -> u32 {
    let desc = rtos_sys::CallDesc {
        slot: 1, // gamma.sum_ro
        args: [ptr, len, 0, 0],
        ngrants: 1,
        grants: [rtos_sys::GrantDesc { base: ptr, len, kind: 2 }, rtos_sys::GrantDesc::default()],
    };
    match rtos_sys::call_raw(&desc) {
        Ok(_) => 0,
        Err(e) => e.code() as u32,
    }
}

/// Confused deputy through the raw path: lends gamma a buffer of its own (on its stack, so it
/// holds it) but puts gamma's own globals (`gamma.secret_at`) in the registers `gamma.sum_ro`
/// declares as its read-only grant. The kernel must refuse (`GrantMismatch`); otherwise gamma
/// would sum its own secret for beta. Returns gamma's result or the error code.
#[no_mangle]
pub extern "C" fn deputy_callee_memory() -> u32 {
    let target = match gamma::secret_at() {
        Ok(a) => a,
        Err(e) => return e.code() as u32,
    };
    let buf = black_box([Granule([3; 32])]);
    let base = buf.as_ptr() as u32;
    let desc = rtos_sys::CallDesc {
        slot: 1, // gamma.sum_ro
        args: [target, 32, 0, 0],
        ngrants: 1,
        grants: [rtos_sys::GrantDesc { base, len: 32, kind: 1 }, rtos_sys::GrantDesc::default()],
    };
    match rtos_sys::call_raw(&desc) {
        Ok(v) => v,
        Err(e) => e.code() as u32,
    }
}

/// The raw path with the right registers for `gamma.sum_ro` (read-only) but a grant of another
/// `kind` (2 read-write, 3 store-only) of a buffer beta holds read-write: refused
/// (`GrantMismatch`). Returns gamma's result or the error code.
#[no_mangle]
pub extern "C" fn deputy_wrong_kind(kind: u32) -> u32 {
    let buf = black_box([Granule([3; 32])]);
    let base = buf.as_ptr() as u32;
    let desc = rtos_sys::CallDesc {
        slot: 1, // gamma.sum_ro
        args: [base, 32, 0, 0],
        ngrants: 1,
        grants: [rtos_sys::GrantDesc { base, len: 32, kind }, rtos_sys::GrantDesc::default()],
    };
    match rtos_sys::call_raw(&desc) {
        Ok(v) => v,
        Err(e) => e.code() as u32,
    }
}

/// Never returns.
#[no_mangle]
pub extern "C" fn spin() -> u32 {
    loop {
        core::hint::spin_loop();
    }
}

/// Tries an import slot it does not have; returns the error code it got.
#[no_mangle]
pub extern "C" fn call_back() -> u32 {
    match rtos_sys::call(5, [0; 4]) {
        Ok(_) => 0,
        Err(e) => e.code() as u32,
    }
}
