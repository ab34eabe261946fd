//! Task notifications: per task, [`MAX_SLOTS`] slots of a 32-bit value and a state, guarded by
//! the task's notification [`Lock`] (a compare-and-swap when uncontended).
//!
//! A task waits for a notification on the futex word of its slot's state, while it is
//! `WAITING`; a notifier that finds the state `WAITING` wakes it. So a give or take that need not
//! wait never enters the kernel; only blocking and waking do. As in FreeRTOS, a wait blocks
//! once: whatever ends it (a notification, the timeout, `xTaskAbortDelay`, a suspension) the
//! function then reports the slot as it finds it.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::config::check;
use crate::lock::Lock;
use crate::task::{self, Task};
use crate::{isr, pdFALSE, pdTRUE, BaseType_t, TickType_t, UBaseType_t};

/// Slots per task the runtime provides (`configTASK_NOTIFICATION_ARRAY_ENTRIES` may be 1..=4).
pub const MAX_SLOTS: usize = 4;

const NOT_WAITING: u32 = 0;
const WAITING: u32 = 1;
const RECEIVED: u32 = 2;

/// `eNotifyAction`.
const NO_ACTION: u32 = 0;
const SET_BITS: u32 = 1;
const INCREMENT: u32 = 2;
const SET_VALUE_WITH_OVERWRITE: u32 = 3;
const SET_VALUE_WITHOUT_OVERWRITE: u32 = 4;

/// One notification slot.
#[repr(C)]
pub struct Slot {
    value: AtomicU32,
    /// `NOT_WAITING`, `WAITING` (the futex word its owner waits on) or `RECEIVED`.
    state: AtomicU32,
}

/// The notification part of a task control block.
#[repr(C)]
pub struct Slots {
    lock: Lock,
    slots: [Slot; MAX_SLOTS],
}

impl Slots {
    /// Every slot empty and not waiting.
    pub const fn new() -> Slots {
        Slots {
            lock: Lock::new(),
            slots: [const { Slot { value: AtomicU32::new(0), state: AtomicU32::new(NOT_WAITING) } }; MAX_SLOTS],
        }
    }

    /// A suspended task no longer waits (FreeRTOS resets the state, so that notifications while
    /// it is suspended only update the value and report no task woken).
    pub fn forget_waits(&self) {
        self.lock.lock();
        for s in &self.slots {
            let _ = s.state.compare_exchange(WAITING, NOT_WAITING, Ordering::Relaxed, Ordering::Relaxed);
        }
        self.lock.unlock();
    }
}

impl Default for Slots {
    fn default() -> Self {
        Slots::new()
    }
}

/// The slot `index` of `t` (null: the caller), if the index is configured; otherwise the
/// configuration assertion fails.
fn slot<'a>(t: *mut Task, index: UBaseType_t) -> Option<(&'a Slots, &'a Slot, *mut Task)> {
    let t = if t.is_null() { task::current_task() } else { t };
    if !check(index < crate::config::get().notify_entries && (index as usize) < MAX_SLOTS) {
        return None;
    }
    // SAFETY: `t` is a live control block (a handle the application holds, or the caller's).
    let n = unsafe { &(*t).notify };
    Some((n, &n.slots[index as usize], t))
}

/// Applies `action`; returns (pass, state before). Lock held by the caller.
fn apply(s: &Slot, value: u32, action: u32, prev: *mut u32) -> (BaseType_t, u32) {
    let v = s.value.load(Ordering::Relaxed);
    if !prev.is_null() {
        // SAFETY: the caller's `pulPreviousNotificationValue`.
        unsafe { *prev = v };
    }
    let before = s.state.load(Ordering::Relaxed);
    let (new, pass) = match action {
        NO_ACTION => (v, pdTRUE),
        SET_BITS => (v | value, pdTRUE),
        INCREMENT => (v.wrapping_add(1), pdTRUE),
        SET_VALUE_WITH_OVERWRITE => (value, pdTRUE),
        SET_VALUE_WITHOUT_OVERWRITE if before != RECEIVED => (value, pdTRUE),
        SET_VALUE_WITHOUT_OVERWRITE => (v, pdFALSE),
        // Not an eNotifyAction: FreeRTOS asserts; without assertions nothing changes.
        _ => {
            check(false);
            return (pdFALSE, NOT_WAITING);
        }
    };
    s.value.store(new, Ordering::Relaxed);
    s.state.store(RECEIVED, Ordering::Relaxed);
    (pass, before)
}

/// Notifies; returns (result, whether the task was waiting and so was woken).
fn notify(
    t: *mut Task,
    index: UBaseType_t,
    value: u32,
    action: u32,
    prev: *mut u32,
) -> (BaseType_t, Option<*mut Task>) {
    if !check(!t.is_null()) {
        return (pdFALSE, None);
    }
    let Some((n, s, t)) = slot(t, index) else { return (pdFALSE, None) };
    n.lock.lock();
    let (r, before) = apply(s, value, action, prev);
    n.lock.unlock();
    if before != WAITING {
        return (r, None);
    }
    rtos_sys::futex_wake(&s.state, 1);
    (r, Some(t))
}

/// `*pxHigherPriorityTaskWoken = pdTRUE` if the woken task (at its current, possibly inherited,
/// priority) outranks the interrupted one.
fn report_woken(woken: Option<*mut Task>, out: *mut BaseType_t) {
    let (Some(t), false) = (woken, out.is_null()) else { return };
    // SAFETY: a live control block.
    let thread = rtos_sys::ThreadId::from_raw(unsafe { (*t).thread.load(Ordering::Relaxed) });
    if let Ok(p) = rtos_sys::priority(thread) {
        if u32::from(p) > isr::interrupted_priority() {
            // SAFETY: the caller's `pxHigherPriorityTaskWoken`.
            unsafe { *out = pdTRUE };
        }
    }
}

/// Blocks the caller on its slot `s` (lock held on entry and on return) for up to `wait` ticks.
fn block(n: &Slots, s: &Slot, wait: TickType_t) {
    s.state.store(WAITING, Ordering::Relaxed);
    n.lock.unlock();
    task::check_own_stack();
    // Whatever ends the wait, the slot is read as it is now (see the module documentation).
    if rtos_sys::futex_wait(&s.state, WAITING, task::timeout(wait)) == Err(rtos_sys::Error::Interrupted) {
        // An abort has no further meaning here: consume the flag.
        task::take_delay_aborted();
    }
    n.lock.lock();
}

/// FreeRTOS `xTaskGenericNotify`.
///
/// # Safety
/// `t` is a task handle; `prev` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xTaskGenericNotify(
    t: *mut Task,
    index: UBaseType_t,
    value: u32,
    action: u32,
    prev: *mut u32,
) -> BaseType_t {
    notify(t, index, value, action, prev).0
}

/// FreeRTOS `xTaskGenericNotifyFromISR`.
///
/// # Safety
/// `t` is a task handle; `prev` and `woken` are null or writable.
#[no_mangle]
pub unsafe extern "C" fn xTaskGenericNotifyFromISR(
    t: *mut Task,
    index: UBaseType_t,
    value: u32,
    action: u32,
    prev: *mut u32,
    woken: *mut BaseType_t,
) -> BaseType_t {
    let (r, w) = notify(t, index, value, action, prev);
    report_woken(w, woken);
    r
}

/// FreeRTOS `vTaskGenericNotifyGiveFromISR`.
///
/// # Safety
/// `t` is a task handle; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn vTaskGenericNotifyGiveFromISR(t: *mut Task, index: UBaseType_t, woken: *mut BaseType_t) {
    let (_, w) = notify(t, index, 0, INCREMENT, core::ptr::null_mut());
    report_woken(w, woken);
}

/// FreeRTOS `ulTaskGenericNotifyTake`: waits (up to `wait` ticks) while the value is 0, then
/// returns the value and clears or decrements it.
#[no_mangle]
pub extern "C" fn ulTaskGenericNotifyTake(index: UBaseType_t, clear: BaseType_t, wait: TickType_t) -> u32 {
    let Some((n, s, _)) = slot(core::ptr::null_mut(), index) else { return 0 };
    n.lock.lock();
    if s.value.load(Ordering::Relaxed) == 0 && wait > 0 {
        block(n, s, wait);
    }
    let v = s.value.load(Ordering::Relaxed);
    if v != 0 {
        s.value.store(if clear != pdFALSE { 0 } else { v - 1 }, Ordering::Relaxed);
    }
    s.state.store(NOT_WAITING, Ordering::Relaxed);
    n.lock.unlock();
    v
}

/// FreeRTOS `xTaskGenericNotifyWait`: unless a notification is pending, clears `entry` bits and
/// waits up to `wait` ticks; reports the value, and on a notification clears `exit` bits.
///
/// # Safety
/// `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xTaskGenericNotifyWait(
    index: UBaseType_t,
    entry: u32,
    exit: u32,
    out: *mut u32,
    wait: TickType_t,
) -> BaseType_t {
    let Some((n, s, _)) = slot(core::ptr::null_mut(), index) else { return pdFALSE };
    n.lock.lock();
    if s.state.load(Ordering::Relaxed) != RECEIVED {
        s.value.fetch_and(!entry, Ordering::Relaxed);
        if wait > 0 {
            block(n, s, wait);
        }
    }
    let v = s.value.load(Ordering::Relaxed);
    if !out.is_null() {
        // SAFETY: the caller's `pulNotificationValue`.
        unsafe { *out = v };
    }
    let r = if s.state.load(Ordering::Relaxed) == RECEIVED {
        s.value.store(v & !exit, Ordering::Relaxed);
        pdTRUE
    } else {
        pdFALSE
    };
    s.state.store(NOT_WAITING, Ordering::Relaxed);
    n.lock.unlock();
    r
}

/// FreeRTOS `xTaskGenericNotifyStateClear` (`NULL`: the caller): `pdPASS` if a notification was
/// pending.
#[no_mangle]
pub extern "C" fn xTaskGenericNotifyStateClear(t: *mut Task, index: UBaseType_t) -> BaseType_t {
    let Some((n, s, _)) = slot(t, index) else { return pdFALSE };
    n.lock.lock();
    let r = s.state.compare_exchange(RECEIVED, NOT_WAITING, Ordering::Relaxed, Ordering::Relaxed).is_ok();
    n.lock.unlock();
    r as BaseType_t
}

/// FreeRTOS `ulTaskGenericNotifyValueClear` (`NULL`: the caller): clears `bits`, returns the
/// value before.
#[no_mangle]
pub extern "C" fn ulTaskGenericNotifyValueClear(t: *mut Task, index: UBaseType_t, bits: u32) -> u32 {
    let Some((n, s, _)) = slot(t, index) else { return 0 };
    n.lock.lock();
    let v = s.value.fetch_and(!bits, Ordering::Relaxed);
    n.lock.unlock();
    v
}
