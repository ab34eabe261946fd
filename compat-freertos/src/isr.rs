//! "Interrupt context" for C compartments, which have no interrupt handlers of their own: a
//! function run with [`vCompatRunAsIsr`] runs on the calling task's thread raised to the most
//! urgent priority, so no task of the compartment runs until it returns (as if it interrupted the
//! task); the `FromISR` functions report through `pxHigherPriorityTaskWoken` whether they readied
//! a task more urgent than the interrupted one, and that task runs when the function returns.

use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::BaseType_t;

/// Priority of the interrupted task (+1), 0 outside interrupt context.
static INTERRUPTED: AtomicU32 = AtomicU32::new(0);

/// The priority a `FromISR` wake must exceed to set `*pxHigherPriorityTaskWoken`: the interrupted
/// task's (or the caller's own, outside interrupt context).
pub fn interrupted_priority() -> u32 {
    match INTERRUPTED.load(Ordering::Relaxed) {
        0 => crate::task::current_priority(),
        p => p - 1,
    }
}

/// Runs `f(arg)` as an interrupt of the calling task (see the module documentation).
///
/// # Safety
/// `f` is a C function that may be called with `arg`.
#[no_mangle]
pub unsafe extern "C" fn vCompatRunAsIsr(f: Option<unsafe extern "C" fn(*mut c_void)>, arg: *mut c_void) {
    let Some(f) = f else { return };
    let me = rtos_sys::current();
    let old = rtos_sys::priority(me).unwrap_or(0);
    let _ = rtos_sys::set_priority(me, crate::task::MAX_PRIORITY);
    // Marked only once raised: a task that sees the mark (the timer task yields to it) knows
    // the interrupted thread runs at the top priority.
    INTERRUPTED.store(old as u32 + 1, Ordering::Relaxed);
    // SAFETY: the caller passes a C function and its argument.
    unsafe { f(arg) };
    INTERRUPTED.store(0, Ordering::Relaxed);
    // Lowering the priority lets a task the "interrupt" readied run at once.
    let _ = rtos_sys::set_priority(me, old);
}

/// `portYIELD_FROM_ISR` / `portEND_SWITCHING_ISR`: nothing to do, the switch happens when the
/// interrupt function returns (the priority drops back).
#[no_mangle]
pub extern "C" fn vCompatYieldFromIsr(_switch: BaseType_t) {}

/// Whether the caller runs in [`vCompatRunAsIsr`] (`xPortIsInsideInterrupt`).
#[no_mangle]
pub extern "C" fn xPortIsInsideInterrupt() -> BaseType_t {
    (INTERRUPTED.load(Ordering::Relaxed) != 0) as BaseType_t
}
