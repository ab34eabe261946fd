//! Event groups with FreeRTOS's semantics: 24 usable bits (the top byte of `EventBits_t` holds
//! the waiters' control flags), waits for any or all bits with optional clear-on-exit,
//! `xEventGroupSync` rendezvous, deletion releasing every waiter, and the `FromISR` set/clear
//! deferred to the timer task.
//!
//! One lock covers every event group of the compartment (a compare-and-swap when uncontended,
//! like the object locks of queues): it outlives the groups, so a waiter whose time runs out
//! just as its group is deleted never touches freed memory. A blocked task has a [`Waiter`]
//! record on its own stack, linked into the group's list in arrival order, and sleeps on the
//! futex word [`EVENT`]. A set walks that list, releases every waiter
//! whose condition holds (storing the bits it sees in its record), clears the union of their
//! clear-on-exit bits and only then bumps `EVENT` and wakes all its sleepers with one system
//! call: the kernel readies them together and runs the most urgent first, as FreeRTOS does when
//! it resumes the scheduler (a waiter not released goes back to sleep). A more urgent waiter
//! therefore sees the group already cleared. `EVENT`, like the lock, belongs to no group, so a
//! waiter never touches a deleted group's memory; the price is that a release also briefly
//! wakes the waiters of the compartment's other event groups. A released waiter reads its
//! result from its own record, without the lock.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::config;
use crate::lock::Lock;
use crate::{heap, pdFALSE, pdTRUE, portMAX_DELAY, task, timers, BaseType_t, TickType_t, UBaseType_t};

/// FreeRTOS `EventBits_t` (`TickType_t`, 32 bits).
pub type EventBits_t = u32;

/// `eventCLEAR_EVENTS_ON_EXIT_BIT`, `eventUNBLOCKED_DUE_TO_BIT_SET`, `eventWAIT_FOR_ALL_BITS`,
/// `eventEVENT_BITS_CONTROL_BYTES` (32-bit ticks).
const CLEAR_ON_EXIT: u32 = 0x0100_0000;
const UNBLOCKED: u32 = 0x0200_0000;
const WAIT_FOR_ALL: u32 = 0x0400_0000;
const CONTROL: u32 = 0xff00_0000;

const STATIC: u32 = 1;

/// Every event group of the compartment.
static LOCK: Lock = Lock::new();
/// Futex word of every blocked event-group waiter of the compartment: bumped on each release.
static EVENT: AtomicU32 = AtomicU32::new(0);

/// Every listed waiter record of the compartment (through `Waiter::all_next`, under [`LOCK`]),
/// so that deleting a blocked task can unlink its record before its stack is freed.
struct Blocked(UnsafeCell<*mut Waiter>);
// SAFETY: only touched with `LOCK` held.
unsafe impl Sync for Blocked {}
static BLOCKED: Blocked = Blocked(UnsafeCell::new(null_mut()));

/// An event group.
#[repr(C)]
pub struct EventGroup {
    bits: AtomicU32,
    /// Blocked tasks in arrival order (only reached with [`LOCK`] held).
    waiters: UnsafeCell<*mut Waiter>,
    flags: u32,
    /// `uxEventGroupGetNumber` (trace facility).
    number: AtomicU32,
}

/// FreeRTOS `StaticEventGroup_t`: room for an [`EventGroup`] (checked below).
#[repr(C, align(4))]
pub struct StaticEventGroup_t([u32; 4]);
const _: () = assert!(core::mem::size_of::<EventGroup>() <= core::mem::size_of::<StaticEventGroup_t>());
const _: () = assert!(core::mem::align_of::<EventGroup>() <= core::mem::align_of::<StaticEventGroup_t>());

type Handle = *mut EventGroup;

/// A blocked task's record, on its stack.
struct Waiter {
    /// 0 while waiting, 1 once released.
    released: AtomicU32,
    /// The bits waited for plus the control flags.
    wait: u32,
    /// The group's bits at release, with `UNBLOCKED` (0 with `UNBLOCKED`: deleted).
    result: u32,
    next: *mut Waiter,
    /// The blocked thread (raw kernel handle), its group, and the link of [`BLOCKED`].
    thread: u32,
    group: *mut EventGroup,
    all_next: *mut Waiter,
}

fn satisfied(bits: u32, wanted: u32, all: bool) -> bool {
    if all {
        bits & wanted == wanted
    } else {
        bits & wanted != 0
    }
}

/// The group behind a handle; a null handle fails `configASSERT`.
fn group<'a>(h: Handle) -> Option<&'a EventGroup> {
    if !config::check(!h.is_null()) {
        return None;
    }
    // SAFETY: a handle from xEventGroupCreate[Static] that has not been deleted.
    Some(unsafe { &*h })
}

/// Appends a waiter to its group's list and to [`BLOCKED`] (lock held).
///
/// # Safety
/// [`LOCK`] is held; `w` and its group stay valid until it is released or unlinked.
unsafe fn enlist(w: *mut Waiter) {
    // SAFETY: list entries are live waiter records (lock held).
    unsafe {
        let mut link: *mut *mut Waiter = (*(*w).group).waiters.get();
        while !(*link).is_null() {
            link = &mut (**link).next;
        }
        *link = w;
        let all = BLOCKED.0.get();
        (*w).all_next = *all;
        *all = w;
    }
}

/// Removes a waiter from [`BLOCKED`] (lock held; its group's list is the caller's business).
///
/// # Safety
/// As for [`enlist`].
unsafe fn untrack(w: *mut Waiter) {
    // SAFETY: as for `enlist`.
    unsafe {
        let mut link: *mut *mut Waiter = BLOCKED.0.get();
        while !(*link).is_null() {
            if *link == w {
                *link = (*w).all_next;
                return;
            }
            link = &mut (**link).all_next;
        }
    }
}

/// Removes a listed waiter from its group's list and from [`BLOCKED`] (lock held).
///
/// # Safety
/// As for [`enlist`].
unsafe fn delist(w: *mut Waiter) {
    // SAFETY: as for `enlist`.
    unsafe {
        let mut link: *mut *mut Waiter = (*(*w).group).waiters.get();
        while !(*link).is_null() {
            if *link == w {
                *link = (*w).next;
                break;
            }
            link = &mut (**link).next;
        }
        untrack(w);
    }
}

/// Forgets the waiter record of a deleted task (`vTaskDelete` calls this after ending the
/// thread and before freeing its stack, where the record lives), as FreeRTOS takes a deleted
/// task off the event list it waits in.
pub fn forget_thread(thread: u32) {
    LOCK.lock();
    // SAFETY: lock held; listed records are live (their stacks are not freed yet).
    unsafe {
        let mut w = *BLOCKED.0.get();
        while !w.is_null() {
            if (*w).thread == thread {
                delist(w);
                break;
            }
            w = (*w).all_next;
        }
    }
    LOCK.unlock();
}

/// Sets bits and takes the waiters now satisfied off the list (lock held); returns them,
/// linked through `next`, for [`release`] once every state change is done.
///
/// # Safety
/// [`LOCK`] is held.
unsafe fn set_locked(g: &EventGroup, set: u32) -> *mut Waiter {
    let bits = g.bits.load(Ordering::Relaxed) | set;
    let mut clear = 0;
    let mut released: *mut Waiter = null_mut();
    let mut link: *mut *mut Waiter = g.waiters.get();
    // SAFETY: list entries are live waiter records (lock held).
    unsafe {
        while !(*link).is_null() {
            let w = *link;
            let wanted = (*w).wait & !CONTROL;
            if satisfied(bits, wanted, (*w).wait & WAIT_FOR_ALL != 0) {
                if (*w).wait & CLEAR_ON_EXIT != 0 {
                    clear |= wanted;
                }
                (*w).result = bits | UNBLOCKED;
                untrack(w);
                *link = (*w).next;
                (*w).next = released;
                released = w;
            } else {
                link = &mut (*w).next;
            }
        }
    }
    g.bits.store(bits & !clear, Ordering::Relaxed);
    released
}

/// Marks released waiters and wakes every sleeper at once (under the lock, so that a waiter
/// whose time runs out sees either its release or its record still listed).
///
/// # Safety
/// [`LOCK`] is held; `w` is a list from [`set_locked`] (or unlinked records).
unsafe fn release(mut w: *mut Waiter) {
    if w.is_null() {
        return;
    }
    while !w.is_null() {
        // SAFETY: live records, off the group's list, lock held; `next` is read before the
        // record's owner may see `released` and leave.
        unsafe {
            let next = (*w).next;
            (*w).released.store(1, Ordering::Release);
            w = next;
        }
    }
    EVENT.fetch_add(1, Ordering::Release);
    rtos_sys::futex_wake(&EVENT, u32::MAX);
}

/// Blocks on a listed waiter record until it is released or `wait` ticks pass; returns the
/// result, or `Err` on timeout (the record is then unlinked, with the lock held on return).
///
/// # Safety
/// `w` is the caller's listed record. Other tasks write it (under the lock) while we wait, so
/// it is only reached through the raw pointer.
unsafe fn block(w: *mut Waiter, wait: TickType_t) -> Result<u32, ()> {
    // SAFETY: the caller's record; `result` is written before `released` is set (Release), so
    // it is read after seeing `released` (Acquire).
    let released = || unsafe { (*w).released.load(Ordering::Acquire) != 0 };
    // SAFETY: as above.
    let result = || unsafe { (*w).result };
    let start = rtos_sys::ticks();
    loop {
        // `released` is stored before `EVENT` is bumped: reading them in the opposite order
        // never misses a release (the wait below returns at once if `EVENT` moved).
        let seen = EVENT.load(Ordering::Acquire);
        if released() {
            return Ok(result());
        }
        let elapsed = rtos_sys::ticks().wrapping_sub(start);
        if wait != portMAX_DELAY && elapsed >= wait {
            break;
        }
        let _ = rtos_sys::futex_wait(&EVENT, seen, task::timeout(wait).map(|t| t - elapsed));
    }
    LOCK.lock();
    if released() {
        // Released while our time ran out: the release wins, as in FreeRTOS.
        LOCK.unlock();
        return Ok(result());
    }
    // SAFETY: lock held; still listed, so the group is alive.
    unsafe { delist(w) };
    Err(())
}

fn create_in(g: *mut EventGroup, flags: u32) -> Handle {
    if g.is_null() {
        return null_mut();
    }
    // SAFETY: memory for an event group owned by the caller.
    unsafe {
        g.write(EventGroup {
            bits: AtomicU32::new(0),
            waiters: UnsafeCell::new(null_mut()),
            flags,
            number: AtomicU32::new(0),
        })
    };
    g
}

/// FreeRTOS `xEventGroupCreate`.
#[no_mangle]
pub extern "C" fn xEventGroupCreate() -> Handle {
    create_in(heap::alloc(core::mem::size_of::<EventGroup>()).cast(), 0)
}

/// FreeRTOS `xEventGroupCreateStatic`.
#[no_mangle]
pub extern "C" fn xEventGroupCreateStatic(buf: *mut StaticEventGroup_t) -> Handle {
    if !config::check(!buf.is_null()) || !config::static_fits::<EventGroup>(config::get().static_event_group_size) {
        return null_mut();
    }
    create_in(buf.cast(), STATIC)
}

/// FreeRTOS `xEventGroupGetStaticBuffer`.
///
/// # Safety
/// `buf` is null (refused through `configASSERT`) or writable; `h` is any value (checked).
#[no_mangle]
pub unsafe extern "C" fn xEventGroupGetStaticBuffer(h: Handle, buf: *mut *mut StaticEventGroup_t) -> BaseType_t {
    match group(h) {
        Some(g) if g.flags & STATIC != 0 && config::check(!buf.is_null()) => {
            // SAFETY: the caller's output pointer, checked non-null.
            unsafe { *buf = h.cast() };
            pdTRUE
        }
        _ => pdFALSE,
    }
}

/// FreeRTOS `vEventGroupDelete`: every waiter returns 0.
#[no_mangle]
pub extern "C" fn vEventGroupDelete(h: Handle) {
    let Some(g) = group(h) else { return };
    LOCK.lock();
    // SAFETY: lock held.
    let all = unsafe { core::mem::take(&mut *g.waiters.get()) };
    let mut w = all;
    while !w.is_null() {
        // SAFETY: listed records are live (lock held).
        unsafe {
            (*w).result = UNBLOCKED;
            untrack(w);
            w = (*w).next;
        }
    }
    // SAFETY: lock held; the records are off the list.
    unsafe { release(all) };
    let dynamic = g.flags & STATIC == 0;
    LOCK.unlock();
    if dynamic {
        heap::free(h.cast());
    }
}

/// FreeRTOS `xEventGroupSetBits`: returns the bits after waiters cleared theirs.
#[no_mangle]
pub extern "C" fn xEventGroupSetBits(h: Handle, set: EventBits_t) -> EventBits_t {
    let Some(g) = group(h) else { return 0 };
    if !config::check(set & CONTROL == 0) {
        return g.bits.load(Ordering::Relaxed);
    }
    LOCK.lock();
    // SAFETY: lock held throughout.
    unsafe {
        let released = set_locked(g, set);
        release(released);
    }
    let bits = g.bits.load(Ordering::Relaxed);
    LOCK.unlock();
    bits
}

/// FreeRTOS `xEventGroupClearBits`: returns the bits before clearing (`xEventGroupGetBits` is
/// a clear of nothing, which needs no lock).
#[no_mangle]
pub extern "C" fn xEventGroupClearBits(h: Handle, clear: EventBits_t) -> EventBits_t {
    let Some(g) = group(h) else { return 0 };
    if clear == 0 || !config::check(clear & CONTROL == 0) {
        return g.bits.load(Ordering::Relaxed);
    }
    LOCK.lock();
    let old = g.bits.load(Ordering::Relaxed);
    g.bits.store(old & !clear, Ordering::Relaxed);
    LOCK.unlock();
    old
}

/// FreeRTOS `xEventGroupGetBitsFromISR`.
#[no_mangle]
pub extern "C" fn xEventGroupGetBitsFromISR(h: Handle) -> EventBits_t {
    group(h).map_or(0, |g| g.bits.load(Ordering::Relaxed))
}

/// FreeRTOS `xEventGroupWaitBits`.
#[no_mangle]
pub extern "C" fn xEventGroupWaitBits(
    h: Handle,
    wanted: EventBits_t,
    clear_on_exit: BaseType_t,
    all: BaseType_t,
    wait: TickType_t,
) -> EventBits_t {
    let Some(g) = group(h) else { return 0 };
    if !config::check(wanted & CONTROL == 0) || !config::check(wanted != 0) {
        return g.bits.load(Ordering::Relaxed);
    }
    let (clear, all) = (clear_on_exit != pdFALSE, all != pdFALSE);
    LOCK.lock();
    let bits = g.bits.load(Ordering::Relaxed);
    if satisfied(bits, wanted, all) || wait == 0 {
        if clear && satisfied(bits, wanted, all) {
            g.bits.store(bits & !wanted, Ordering::Relaxed);
        }
        LOCK.unlock();
        return bits;
    }
    let flags = if clear { CLEAR_ON_EXIT } else { 0 } | if all { WAIT_FOR_ALL } else { 0 };
    wait_listed(h, wanted, flags, wait, all, clear)
}

/// Lists a waiter for `wanted` (lock held on entry, released here) and blocks; on timeout
/// returns the group's bits, clearing the wanted ones if the condition holds by then.
fn wait_listed(h: Handle, wanted: u32, flags: u32, wait: TickType_t, all: bool, clear: bool) -> EventBits_t {
    let mut record = Waiter {
        released: AtomicU32::new(0),
        wait: wanted | flags,
        result: 0,
        next: null_mut(),
        thread: rtos_sys::current().to_raw(),
        group: h,
        all_next: null_mut(),
    };
    let w: *mut Waiter = &mut record;
    // SAFETY: lock held; the record outlives its listing (it is unlinked, by a release, a
    // deletion, our timeout or `forget_thread`, before this function returns or the stack goes).
    unsafe { enlist(w) };
    LOCK.unlock();
    // SAFETY: our listed record, from now on reached only through `w`.
    match unsafe { block(w, wait) } {
        Ok(result) => result & !CONTROL,
        Err(()) => {
            // Timed out; lock held and the group alive.
            // SAFETY: as above.
            let g = unsafe { &*h };
            let bits = g.bits.load(Ordering::Relaxed);
            if clear && satisfied(bits, wanted, all) {
                g.bits.store(bits & !wanted, Ordering::Relaxed);
            }
            LOCK.unlock();
            bits
        }
    }
}

/// FreeRTOS `xEventGroupSync`: sets `set`, then waits until every bit of `wanted` is set and
/// clears them (all participants see the same result).
#[no_mangle]
pub extern "C" fn xEventGroupSync(h: Handle, set: EventBits_t, wanted: EventBits_t, wait: TickType_t) -> EventBits_t {
    let Some(g) = group(h) else { return 0 };
    if !config::check(wanted & CONTROL == 0) || !config::check(wanted != 0) || !config::check(set & CONTROL == 0) {
        return g.bits.load(Ordering::Relaxed);
    }
    LOCK.lock();
    let before = g.bits.load(Ordering::Relaxed);
    // SAFETY: lock held.
    let released = unsafe { set_locked(g, set) };
    let result = if (before | set) & wanted == wanted {
        g.bits.fetch_and(!wanted, Ordering::Relaxed);
        Some(before | set)
    } else if wait == 0 {
        Some(g.bits.load(Ordering::Relaxed))
    } else {
        None
    };
    // SAFETY: lock held, every state change done.
    unsafe { release(released) };
    match result {
        Some(r) => {
            LOCK.unlock();
            r
        }
        None => wait_listed(h, wanted, CLEAR_ON_EXIT | WAIT_FOR_ALL, wait, true, true),
    }
}

/// `vEventGroupSetBitsCallback`: the deferred half of `xEventGroupSetBitsFromISR`.
///
/// # Safety
/// Called by the timer task with the handle `xEventGroupSetBitsFromISR` pended (checked like any handle).
#[no_mangle]
pub unsafe extern "C" fn vEventGroupSetBitsCallback(h: *mut c_void, bits: u32) {
    xEventGroupSetBits(h.cast(), bits);
}

/// `vEventGroupClearBitsCallback`: the deferred half of `xEventGroupClearBitsFromISR`.
///
/// # Safety
/// Called by the timer task with the handle `xEventGroupClearBitsFromISR` pended (checked like any handle).
#[no_mangle]
pub unsafe extern "C" fn vEventGroupClearBitsCallback(h: *mut c_void, bits: u32) {
    xEventGroupClearBits(h.cast(), bits);
}

/// FreeRTOS `xEventGroupSetBitsFromISR`: the set runs in the timer task; returns whether it
/// could be queued.
#[no_mangle]
pub extern "C" fn xEventGroupSetBitsFromISR(h: Handle, bits: EventBits_t, woken: *mut BaseType_t) -> BaseType_t {
    if group(h).is_none() {
        return pdFALSE;
    }
    timers::xTimerPendFunctionCallFromISR(Some(vEventGroupSetBitsCallback), h.cast(), bits, woken)
}

/// FreeRTOS `xEventGroupClearBitsFromISR`: the clear runs in the timer task.
#[no_mangle]
pub extern "C" fn xEventGroupClearBitsFromISR(h: Handle, bits: EventBits_t) -> BaseType_t {
    if group(h).is_none() {
        return pdFALSE;
    }
    timers::xTimerPendFunctionCallFromISR(Some(vEventGroupClearBitsCallback), h.cast(), bits, null_mut())
}

/// FreeRTOS `uxEventGroupGetNumber` (trace facility).
#[no_mangle]
pub extern "C" fn uxEventGroupGetNumber(h: Handle) -> UBaseType_t {
    group(h).map_or(0, |g| g.number.load(Ordering::Relaxed))
}

/// FreeRTOS `vEventGroupSetNumber` (trace facility).
#[no_mangle]
pub extern "C" fn vEventGroupSetNumber(h: Handle, n: UBaseType_t) {
    if let Some(g) = group(h) {
        g.number.store(n, Ordering::Relaxed);
    }
}
