//! Task priorities and mutex priority inheritance, with the reference kernel's rules.
//!
//! A task has a base priority (`Task::priority`, what `vTaskPrioritySet` sets) and may inherit a
//! higher one (`Task::inherited`, 0 when it has none; otherwise above the base) from tasks that
//! wait for a mutex it holds. Its effective priority, the larger of the two, is its kernel
//! thread's priority and what `uxTaskPriorityGet` reports. As in FreeRTOS:
//!
//! - a task about to wait for a mutex raises the holder to its own priority if that is higher
//!   (not transitively: a holder that itself waits is not followed further);
//! - giving a mutex back drops the inherited priority only when the task holds no other mutex
//!   (`Task::mutexes_held` reaches 0), whatever order the mutexes are released in;
//! - a waiter that times out, having caused an inheritance, lowers the holder to the larger of its
//!   base priority and the most urgent remaining waiter, but only if that mutex is the only one
//!   the holder holds;
//! - `vTaskPrioritySet` changes the base; an inherited priority stays in force while it is higher.
//!
//! Updates are serialised by one lock; the kernel's `SET_PRIORITY` applies the result.

use core::sync::atomic::Ordering;

use rtos_sys::ThreadId;

use crate::lock::Lock;
use crate::task::{current_task, Task, MAX_PRIORITY};
use crate::UBaseType_t;

static LOCK: Lock = Lock::new();

fn task_of(handle: *mut Task) -> *mut Task {
    if handle.is_null() {
        current_task()
    } else {
        handle
    }
}

/// The base priority of a live control block.
///
/// # Safety
/// `t` is a live control block.
unsafe fn base(t: *mut Task) -> u32 {
    // SAFETY: the caller passes a live control block.
    unsafe { (*t).priority.load(Ordering::Relaxed) }
}

/// The effective priority of `t` (base or inherited, whichever is higher).
///
/// # Safety
/// `t` is a live control block.
pub unsafe fn effective(t: *mut Task) -> u32 {
    // SAFETY: the caller passes a live control block.
    unsafe { base(t).max((*t).inherited.load(Ordering::Relaxed)) }
}

/// Gives `t`'s kernel thread its effective priority (lock held).
///
/// # Safety
/// `t` is a live control block.
unsafe fn apply(t: *mut Task) {
    // SAFETY: the caller passes a live control block.
    unsafe {
        let thread = ThreadId::from_raw((*t).thread.load(Ordering::Relaxed));
        let _ = rtos_sys::set_priority(thread, effective(t) as u8);
    }
}

/// `xTaskPriorityInherit`: the caller, at priority `waiter`, is about to wait for a mutex that
/// `holder` holds. Raises the holder if it is less urgent; returns whether the holder now runs
/// (or already ran) above its base priority because of such a waiter.
///
/// # Safety
/// `holder` is a live control block.
pub unsafe fn inherit(holder: *mut Task, waiter: u32) -> bool {
    LOCK.lock();
    // SAFETY: the caller passes a live control block; lock held.
    let raised = unsafe {
        if effective(holder) < waiter {
            (*holder).inherited.store(waiter, Ordering::Relaxed);
            apply(holder);
            true
        } else {
            base(holder) < waiter
        }
    };
    LOCK.unlock();
    raised
}

/// The calling task `me` took a mutex.
///
/// # Safety
/// `me` is the caller's live control block.
pub unsafe fn mutex_taken(me: *mut Task) {
    // SAFETY: the caller's control block. Only its own thread changes the count, so a plain
    // read and write suffice (no read-modify-write loop).
    unsafe {
        let held = (*me).mutexes_held.load(Ordering::Relaxed);
        (*me).mutexes_held.store(held + 1, Ordering::Relaxed);
    }
}

/// `xTaskPriorityDisinherit`: the calling task `me` gave a mutex back (after waking a waiter, so
/// that the waiter, not some task in between, runs when the priority drops).
///
/// # Safety
/// `me` is the caller's live control block.
pub unsafe fn mutex_given(me: *mut Task) {
    // SAFETY: the caller's control block. Only its own thread changes the count, and nobody
    // raises a task that holds no mutex, so the lock is needed only to drop an inheritance.
    unsafe {
        let held = (*me).mutexes_held.load(Ordering::Relaxed).saturating_sub(1);
        (*me).mutexes_held.store(held, Ordering::Relaxed);
        if held != 0 || (*me).inherited.load(Ordering::Relaxed) == 0 {
            return;
        }
        LOCK.lock();
        (*me).inherited.store(0, Ordering::Relaxed);
        apply(me);
        LOCK.unlock();
    }
}

/// `vTaskPriorityDisinheritAfterTimeout`: a waiter that caused an inheritance gave up; the most
/// urgent remaining waiter has priority `highest` (0 if none).
///
/// # Safety
/// `holder` is a live control block.
pub unsafe fn disinherit_after_timeout(holder: *mut Task, highest: u32) {
    LOCK.lock();
    // SAFETY: the caller passes a live control block; lock held.
    unsafe {
        let target = base(holder).max(highest);
        if effective(holder) != target && (*holder).mutexes_held.load(Ordering::Relaxed) == 1 {
            let inherited = if target > base(holder) { target } else { 0 };
            (*holder).inherited.store(inherited, Ordering::Relaxed);
            apply(holder);
        }
    }
    LOCK.unlock();
}

/// FreeRTOS `uxTaskPriorityGet` (`NULL`: the caller): the effective priority.
#[no_mangle]
pub extern "C" fn uxTaskPriorityGet(handle: *mut Task) -> UBaseType_t {
    // SAFETY: a live control block (the application passes a valid handle).
    unsafe { effective(task_of(handle)) }
}

/// FreeRTOS `uxTaskPriorityGetFromISR`.
#[no_mangle]
pub extern "C" fn uxTaskPriorityGetFromISR(handle: *mut Task) -> UBaseType_t {
    uxTaskPriorityGet(handle)
}

/// FreeRTOS `uxTaskBasePriorityGet` (`NULL`: the caller): the priority without inheritance.
#[no_mangle]
pub extern "C" fn uxTaskBasePriorityGet(handle: *mut Task) -> UBaseType_t {
    // SAFETY: a live control block.
    unsafe { base(task_of(handle)) }
}

/// FreeRTOS `uxTaskBasePriorityGetFromISR`.
#[no_mangle]
pub extern "C" fn uxTaskBasePriorityGetFromISR(handle: *mut Task) -> UBaseType_t {
    uxTaskBasePriorityGet(handle)
}

/// FreeRTOS `vTaskPrioritySet`: sets the base priority (clamped to the most urgent, 31); an
/// inherited priority stays in force while it is higher. Switches at once if another task
/// becomes more urgent than the caller.
#[no_mangle]
pub extern "C" fn vTaskPrioritySet(handle: *mut Task, priority: UBaseType_t) {
    let t = task_of(handle);
    let p = priority.min(MAX_PRIORITY as u32);
    LOCK.lock();
    // SAFETY: a live control block; lock held.
    unsafe {
        (*t).priority.store(p, Ordering::Relaxed);
        if (*t).inherited.load(Ordering::Relaxed) <= p {
            (*t).inherited.store(0, Ordering::Relaxed);
        }
        apply(t);
    }
    LOCK.unlock();
}
