//! Queues, semaphores and mutexes: one [`Queue`] type, as in FreeRTOS (a semaphore is a queue of
//! zero-sized items whose message count is the semaphore's count; a mutex is a binary semaphore
//! with a holder).
//!
//! State changes happen under the object's [`Lock`] (a compare-and-swap when uncontended). A task
//! that must wait puts its control block on the object's receiver or sender list (ordered by
//! priority, FIFO among equals), releases the lock and futex-waits on `items` (receivers, while
//! 0) or `spaces` (senders, while 0). An operation that makes room or data marks the first
//! unmarked waiter of the other list and wakes one futex waiter of that word: the kernel wakes
//! the most urgent waiter first and FIFO among equals, the same one. A woken task retries; if
//! another took the item first it waits again with the time it has left. Nothing enters the
//! kernel when nobody waits.

use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::lock::Lock;
use crate::task::{current_task, Task};
use crate::{heap, isr, pdFALSE, pdTRUE, task, BaseType_t, TickType_t, UBaseType_t};

/// `queueSEND_TO_BACK`.
pub const SEND_TO_BACK: BaseType_t = 0;
/// `queueSEND_TO_FRONT`.
pub const SEND_TO_FRONT: BaseType_t = 1;
/// `queueOVERWRITE`.
pub const OVERWRITE: BaseType_t = 2;

/// `queueQUEUE_TYPE_*`.
pub const TYPE_BASE: u8 = 0;
pub const TYPE_MUTEX: u8 = 1;
pub const TYPE_COUNTING_SEMAPHORE: u8 = 2;
pub const TYPE_BINARY_SEMAPHORE: u8 = 3;
pub const TYPE_RECURSIVE_MUTEX: u8 = 4;

const DYNAMIC: u8 = 1;

/// A queue, semaphore or mutex.
#[repr(C)]
pub struct Queue {
    lock: Lock,
    /// Messages waiting (futex word of receivers, who wait while it is 0).
    items: AtomicU32,
    /// Free places (futex word of senders, who wait while it is 0).
    spaces: AtomicU32,
    length: u32,
    item_size: u32,
    /// Index of the oldest message.
    read: u32,
    storage: *mut u8,
    kind: u8,
    flags: u8,
    receivers: *mut Task,
    senders: *mut Task,
    /// Mutexes: the holder and its recursion depth.
    holder: *mut Task,
    recursion: u32,
}

/// FreeRTOS `StaticQueue_t` (also `StaticSemaphore_t`): room for a [`Queue`] (checked below).
#[repr(C, align(4))]
pub struct StaticQueue_t([u32; 16]);
const _: () = assert!(core::mem::size_of::<Queue>() <= core::mem::size_of::<StaticQueue_t>());
const _: () = assert!(core::mem::align_of::<Queue>() <= core::mem::align_of::<StaticQueue_t>());

type Handle = *mut Queue;

/// Waiter lists: inserts `t` by priority, FIFO among equals.
///
/// # Safety
/// The object's lock is held; `list` heads a list of live control blocks and `t` is live.
unsafe fn enlist(list: *mut *mut Task, t: *mut Task, prio: u32) {
    // SAFETY: the caller holds the object's lock; list entries are live control blocks.
    unsafe {
        (*t).wait_prio = prio;
        (*t).wait_woken = 0;
        let mut link = list;
        while !(*link).is_null() && (**link).wait_prio >= prio {
            link = &mut (**link).wait_next;
        }
        (*t).wait_next = *link;
        *link = t;
    }
}

/// Removes `t` from the waiter list.
///
/// # Safety
/// As for [`enlist`].
unsafe fn delist(list: *mut *mut Task, t: *mut Task) {
    // SAFETY: as for `enlist`.
    unsafe {
        let mut link = list;
        while !(*link).is_null() {
            if *link == t {
                *link = (*t).wait_next;
                (*t).wait_next = null_mut();
                return;
            }
            link = &mut (**link).wait_next;
        }
    }
}

/// Marks the first waiter not yet chosen; returns its priority.
///
/// # Safety
/// As for [`enlist`].
unsafe fn choose(list: *mut *mut Task) -> Option<u32> {
    // SAFETY: as for `enlist`.
    unsafe {
        let mut t = *list;
        while !t.is_null() {
            if (*t).wait_woken == 0 {
                (*t).wait_woken = 1;
                return Some((*t).wait_prio);
            }
            t = (*t).wait_next;
        }
    }
    None
}

/// Removes a deleted task from the waiter lists of `q`.
///
/// # Safety
/// `q` is the live object `t` waits on; `t` is a live control block.
pub unsafe fn forget_waiter(q: *mut Queue, t: *mut Task) {
    // SAFETY: `q` is the live object `t` waits on.
    let q = unsafe { &mut *q };
    q.lock.lock();
    // SAFETY: lock held.
    unsafe {
        delist(&mut q.receivers, t);
        delist(&mut q.senders, t);
        (*t).waiting_on = null_mut();
    }
    q.lock.unlock();
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Receive,
    Send,
}

impl Queue {
    fn init(&mut self, length: u32, item_size: u32, storage: *mut u8, kind: u8, flags: u8) {
        *self = Queue {
            lock: Lock::new(),
            items: AtomicU32::new(0),
            spaces: AtomicU32::new(length),
            length,
            item_size,
            read: 0,
            storage,
            kind,
            flags,
            receivers: null_mut(),
            senders: null_mut(),
            holder: null_mut(),
            recursion: 0,
        };
    }

    fn set_items(&mut self, n: u32) {
        self.items.store(n, Ordering::Release);
        self.spaces.store(self.length - n, Ordering::Release);
    }

    fn slot(&self, i: u32) -> *mut u8 {
        // SAFETY-free pointer arithmetic: `i < length`, inside `storage`.
        self.storage.wrapping_add((i * self.item_size) as usize)
    }

    /// Copies an item in (lock held, room checked or overwrite of a 1-place queue).
    unsafe fn put(&mut self, item: *const c_void, position: BaseType_t) {
        let n = self.items.load(Ordering::Relaxed);
        if position == OVERWRITE && n == self.length {
            // SAFETY: an item of `item_size` bytes from the caller into our storage.
            unsafe { copy(item, self.slot(self.read), self.item_size) };
            return;
        }
        let at = if position == SEND_TO_FRONT {
            self.read = (self.read + self.length - 1) % self.length;
            self.read
        } else {
            (self.read + n) % self.length
        };
        // SAFETY: as above.
        unsafe { copy(item, self.slot(at), self.item_size) };
        self.set_items(n + 1);
    }

    /// Copies the oldest item out, removing it unless `peek` (lock held, not empty).
    unsafe fn get(&mut self, buf: *mut c_void, peek: bool) {
        // SAFETY: from our storage to the caller's buffer of `item_size` bytes.
        unsafe { copy(self.slot(self.read).cast(), buf.cast(), self.item_size) };
        if !peek {
            self.read = (self.read + 1) % self.length;
            self.set_items(self.items.load(Ordering::Relaxed) - 1);
        }
    }

    fn is_mutex(&self) -> bool {
        self.kind == TYPE_MUTEX || self.kind == TYPE_RECURSIVE_MUTEX
    }

    /// Chooses a waiter of `side` (lock held) and returns the futex word to wake.
    fn choose_waiter(&mut self, side: Side) -> Option<(&AtomicU32, u32)> {
        // SAFETY: lock held by the caller.
        let prio = unsafe {
            match side {
                Side::Receive => choose(&mut self.receivers),
                Side::Send => choose(&mut self.senders),
            }
        }?;
        Some((if side == Side::Receive { &self.items } else { &self.spaces }, prio))
    }
}

unsafe fn copy(from: *const c_void, to: *mut u8, n: u32) {
    if n > 0 && !from.is_null() && !to.is_null() {
        // SAFETY: the caller guarantees both buffers hold `n` bytes.
        unsafe { core::ptr::copy_nonoverlapping(from.cast::<u8>(), to, n as usize) };
    }
}

/// The core of every operation: `attempt` under the lock; on success wake a waiter of the other
/// side; otherwise wait (up to `wait` ticks) on our side and retry. Returns success and the
/// priority of the task woken, if any.
fn operate(
    q: &mut Queue,
    wait: TickType_t,
    side: Side,
    mut attempt: impl FnMut(&mut Queue) -> bool,
) -> (bool, Option<u32>) {
    let start = rtos_sys::ticks();
    loop {
        q.lock.lock();
        if attempt(q) {
            let other = if side == Side::Receive { Side::Send } else { Side::Receive };
            let woken = q.choose_waiter(other).map(|(w, p)| (w as *const AtomicU32, p));
            q.lock.unlock();
            if let Some((word, prio)) = woken {
                // SAFETY: the word is part of the live object.
                rtos_sys::futex_wake(unsafe { &*word }, 1);
                return (true, Some(prio));
            }
            return (true, None);
        }
        let elapsed = rtos_sys::ticks().wrapping_sub(start);
        if wait == 0 || (wait != crate::portMAX_DELAY && elapsed >= wait) {
            q.lock.unlock();
            return (false, None);
        }
        let me = current_task();
        // SAFETY: lock held; `me` is the caller's live control block.
        unsafe {
            let prio = rtos_sys::priority(rtos_sys::current()).map(u32::from).unwrap_or(0);
            match side {
                Side::Receive => enlist(&mut q.receivers, me, prio),
                Side::Send => enlist(&mut q.senders, me, prio),
            }
            (*me).waiting_on = q;
        }
        q.lock.unlock();
        let word = if side == Side::Receive { &q.items } else { &q.spaces };
        let _ = rtos_sys::futex_wait(word, 0, task::timeout(wait).map(|w| w - elapsed));
        q.lock.lock();
        // SAFETY: lock held.
        unsafe {
            match side {
                Side::Receive => delist(&mut q.receivers, me),
                Side::Send => delist(&mut q.senders, me),
            }
            (*me).waiting_on = null_mut();
        }
        q.lock.unlock();
    }
}

fn send(q: &mut Queue, item: *const c_void, wait: TickType_t, position: BaseType_t) -> (bool, Option<u32>) {
    if q.is_mutex() {
        let me = current_task();
        if q.holder != me {
            return (false, None);
        }
        return operate(q, 0, Side::Send, |q| {
            q.holder = null_mut();
            q.recursion = 0;
            q.set_items(1);
            true
        });
    }
    operate(q, wait, Side::Send, |q| {
        if q.spaces.load(Ordering::Relaxed) == 0 && !(position == OVERWRITE && q.length == 1) {
            return false;
        }
        // SAFETY: the caller's item of `item_size` bytes; room checked.
        unsafe { q.put(item, position) };
        true
    })
}

fn receive(q: &mut Queue, buf: *mut c_void, wait: TickType_t, peek: bool) -> (bool, Option<u32>) {
    let mutex = q.is_mutex();
    let me = if mutex { current_task() } else { null_mut() };
    let r = operate(q, wait, Side::Receive, |q| {
        if q.items.load(Ordering::Relaxed) == 0 {
            return false;
        }
        // SAFETY: not empty; the caller's buffer holds `item_size` bytes.
        unsafe { q.get(buf, peek) };
        if mutex {
            q.holder = me;
            q.recursion = 1;
        }
        true
    });
    if peek && r.0 {
        // The data is still there: another receiver may have it too.
        q.lock.lock();
        let w = q.choose_waiter(Side::Receive).map(|(w, _)| w as *const AtomicU32);
        q.lock.unlock();
        if let Some(w) = w {
            // SAFETY: part of the live object.
            rtos_sys::futex_wake(unsafe { &*w }, 1);
        }
    }
    // A peek does not make room: the sender woken by `operate` was not needed, but it only
    // retries and waits again.
    r
}

fn woke_higher(woken: Option<u32>, out: *mut BaseType_t) {
    if let Some(p) = woken {
        if p > isr::interrupted_priority() && !out.is_null() {
            // SAFETY: the caller's `pxHigherPriorityTaskWoken`.
            unsafe { *out = pdTRUE };
        }
    }
}

unsafe fn q<'a>(h: Handle) -> &'a mut Queue {
    // SAFETY: the caller passes a handle from one of the create functions.
    unsafe { &mut *h }
}

fn create_in(mem: *mut Queue, length: u32, item_size: u32, storage: *mut u8, kind: u8, flags: u8) -> Handle {
    if mem.is_null() || length == 0 {
        return null_mut();
    }
    // SAFETY: `mem` has room for a queue (heap block or a `StaticQueue_t`).
    unsafe { (*mem).init(length, item_size, storage, kind, flags) };
    mem
}

/// FreeRTOS `xQueueGenericCreate`: object and storage in one heap block.
#[no_mangle]
pub extern "C" fn xQueueGenericCreate(length: UBaseType_t, item_size: UBaseType_t, kind: u8) -> Handle {
    let Some(bytes) = length.checked_mul(item_size).and_then(|b| b.checked_add(core::mem::size_of::<Queue>() as u32))
    else {
        return null_mut();
    };
    if length == 0 {
        return null_mut();
    }
    let mem = heap::alloc(bytes as usize) as *mut Queue;
    if mem.is_null() {
        return null_mut();
    }
    let storage = (mem as *mut u8).wrapping_add(core::mem::size_of::<Queue>());
    create_in(mem, length, item_size, storage, kind, DYNAMIC)
}

/// FreeRTOS `xQueueGenericCreateStatic`.
#[no_mangle]
pub extern "C" fn xQueueGenericCreateStatic(
    length: UBaseType_t,
    item_size: UBaseType_t,
    storage: *mut u8,
    buf: *mut StaticQueue_t,
    kind: u8,
) -> Handle {
    if item_size > 0 && storage.is_null() {
        return null_mut();
    }
    create_in(buf.cast(), length, item_size, storage, kind, 0)
}

/// FreeRTOS `xQueueCreateCountingSemaphore`.
#[no_mangle]
pub extern "C" fn xQueueCreateCountingSemaphore(max: UBaseType_t, initial: UBaseType_t) -> Handle {
    if initial > max {
        return null_mut();
    }
    let h = xQueueGenericCreate(max, 0, TYPE_COUNTING_SEMAPHORE);
    if !h.is_null() {
        // SAFETY: just created.
        unsafe { q(h).set_items(initial) };
    }
    h
}

/// FreeRTOS `xQueueCreateCountingSemaphoreStatic`.
#[no_mangle]
pub extern "C" fn xQueueCreateCountingSemaphoreStatic(
    max: UBaseType_t,
    initial: UBaseType_t,
    buf: *mut StaticQueue_t,
) -> Handle {
    if initial > max {
        return null_mut();
    }
    let h = xQueueGenericCreateStatic(max, 0, null_mut(), buf, TYPE_COUNTING_SEMAPHORE);
    if !h.is_null() {
        // SAFETY: just created.
        unsafe { q(h).set_items(initial) };
    }
    h
}

/// FreeRTOS `xQueueCreateMutex` (created available).
#[no_mangle]
pub extern "C" fn xQueueCreateMutex(kind: u8) -> Handle {
    let h = xQueueGenericCreate(1, 0, kind);
    if !h.is_null() {
        // SAFETY: just created.
        unsafe { q(h).set_items(1) };
    }
    h
}

/// FreeRTOS `xQueueCreateMutexStatic`.
#[no_mangle]
pub extern "C" fn xQueueCreateMutexStatic(kind: u8, buf: *mut StaticQueue_t) -> Handle {
    let h = xQueueGenericCreateStatic(1, 0, null_mut(), buf, kind);
    if !h.is_null() {
        // SAFETY: just created.
        unsafe { q(h).set_items(1) };
    }
    h
}

/// FreeRTOS `vQueueDelete`.
#[no_mangle]
pub unsafe extern "C" fn vQueueDelete(h: Handle) {
    if h.is_null() {
        return;
    }
    unregister(h);
    // SAFETY: a live object, no longer used by the application.
    if unsafe { q(h).flags } & DYNAMIC != 0 {
        heap::free(h.cast());
    }
}

/// FreeRTOS `xQueueGenericReset`: empties the queue; a blocked sender may proceed.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericReset(h: Handle, _new_queue: BaseType_t) -> BaseType_t {
    // SAFETY: a live object.
    let q = unsafe { q(h) };
    q.lock.lock();
    q.read = 0;
    q.set_items(0);
    let w = q.choose_waiter(Side::Send).map(|(w, _)| w as *const AtomicU32);
    q.lock.unlock();
    if let Some(w) = w {
        // SAFETY: part of the live object.
        rtos_sys::futex_wake(unsafe { &*w }, 1);
    }
    pdTRUE
}

/// FreeRTOS `xQueueGenericSend` (also gives semaphores and mutexes).
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericSend(
    h: Handle,
    item: *const c_void,
    wait: TickType_t,
    position: BaseType_t,
) -> BaseType_t {
    // SAFETY: a live object.
    send(unsafe { q(h) }, item, wait, position).0 as BaseType_t
}

/// FreeRTOS `xQueueGenericSendFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericSendFromISR(
    h: Handle,
    item: *const c_void,
    woken: *mut BaseType_t,
    position: BaseType_t,
) -> BaseType_t {
    // SAFETY: a live object.
    let (ok, w) = send(unsafe { q(h) }, item, 0, position);
    woke_higher(w, woken);
    ok as BaseType_t
}

/// FreeRTOS `xQueueGiveFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueueGiveFromISR(h: Handle, woken: *mut BaseType_t) -> BaseType_t {
    // SAFETY: forwarded.
    unsafe { xQueueGenericSendFromISR(h, core::ptr::null(), woken, SEND_TO_BACK) }
}

/// FreeRTOS `xQueueReceive`.
#[no_mangle]
pub unsafe extern "C" fn xQueueReceive(h: Handle, buf: *mut c_void, wait: TickType_t) -> BaseType_t {
    // SAFETY: a live object.
    receive(unsafe { q(h) }, buf, wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueuePeek`.
#[no_mangle]
pub unsafe extern "C" fn xQueuePeek(h: Handle, buf: *mut c_void, wait: TickType_t) -> BaseType_t {
    // SAFETY: a live object.
    receive(unsafe { q(h) }, buf, wait, true).0 as BaseType_t
}

/// FreeRTOS `xQueueSemaphoreTake`.
#[no_mangle]
pub unsafe extern "C" fn xQueueSemaphoreTake(h: Handle, wait: TickType_t) -> BaseType_t {
    // SAFETY: a live object.
    receive(unsafe { q(h) }, null_mut(), wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueueReceiveFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueueReceiveFromISR(h: Handle, buf: *mut c_void, woken: *mut BaseType_t) -> BaseType_t {
    // SAFETY: a live object.
    let (ok, w) = receive(unsafe { q(h) }, buf, 0, false);
    woke_higher(w, woken);
    ok as BaseType_t
}

/// FreeRTOS `xQueuePeekFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueuePeekFromISR(h: Handle, buf: *mut c_void) -> BaseType_t {
    // SAFETY: a live object.
    receive(unsafe { q(h) }, buf, 0, true).0 as BaseType_t
}

/// FreeRTOS `uxQueueMessagesWaiting` (a semaphore's count).
#[no_mangle]
pub unsafe extern "C" fn uxQueueMessagesWaiting(h: Handle) -> UBaseType_t {
    // SAFETY: a live object.
    unsafe { q(h).items.load(Ordering::Acquire) }
}

/// FreeRTOS `uxQueueMessagesWaitingFromISR`.
#[no_mangle]
pub unsafe extern "C" fn uxQueueMessagesWaitingFromISR(h: Handle) -> UBaseType_t {
    // SAFETY: forwarded.
    unsafe { uxQueueMessagesWaiting(h) }
}

/// FreeRTOS `uxQueueSpacesAvailable`.
#[no_mangle]
pub unsafe extern "C" fn uxQueueSpacesAvailable(h: Handle) -> UBaseType_t {
    // SAFETY: a live object.
    unsafe { q(h).spaces.load(Ordering::Acquire) }
}

/// FreeRTOS `xQueueIsQueueEmptyFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueueIsQueueEmptyFromISR(h: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    (unsafe { uxQueueMessagesWaiting(h) } == 0) as BaseType_t
}

/// FreeRTOS `xQueueIsQueueFullFromISR`.
#[no_mangle]
pub unsafe extern "C" fn xQueueIsQueueFullFromISR(h: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    (unsafe { uxQueueSpacesAvailable(h) } == 0) as BaseType_t
}

/// FreeRTOS `xQueueGetMutexHolder`.
#[no_mangle]
pub unsafe extern "C" fn xQueueGetMutexHolder(h: Handle) -> *mut Task {
    // SAFETY: a live object.
    let q = unsafe { q(h) };
    if q.is_mutex() {
        q.holder
    } else {
        null_mut()
    }
}

/// FreeRTOS `xQueueTakeMutexRecursive`.
#[no_mangle]
pub unsafe extern "C" fn xQueueTakeMutexRecursive(h: Handle, wait: TickType_t) -> BaseType_t {
    // SAFETY: a live object.
    let q = unsafe { q(h) };
    if q.holder == current_task() {
        q.recursion += 1;
        return pdTRUE;
    }
    receive(q, null_mut(), wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueueGiveMutexRecursive`.
#[no_mangle]
pub unsafe extern "C" fn xQueueGiveMutexRecursive(h: Handle) -> BaseType_t {
    // SAFETY: a live object.
    let q = unsafe { q(h) };
    if q.holder != current_task() {
        return pdFALSE;
    }
    if q.recursion > 1 {
        q.recursion -= 1;
        return pdTRUE;
    }
    send(q, core::ptr::null(), 0, SEND_TO_BACK).0 as BaseType_t
}

// ---- The queue registry (names for debugging) ---------------------------------------------

const REGISTRY_SIZE: usize = 8;

struct Names(core::cell::UnsafeCell<[(Handle, *const core::ffi::c_char); REGISTRY_SIZE]>);
// SAFETY: only touched inside the compartment's critical section.
unsafe impl Sync for Names {}
static NAMES: Names = Names(core::cell::UnsafeCell::new([(null_mut(), core::ptr::null()); REGISTRY_SIZE]));

fn with_names<R>(f: impl FnOnce(&mut [(Handle, *const core::ffi::c_char); REGISTRY_SIZE]) -> R) -> R {
    task::CRITICAL.enter();
    // SAFETY: inside the critical section.
    let r = f(unsafe { &mut *NAMES.0.get() });
    let _ = task::CRITICAL.exit();
    r
}

fn unregister(h: Handle) {
    with_names(|n| n.iter_mut().filter(|e| e.0 == h).for_each(|e| *e = (null_mut(), core::ptr::null())));
}

/// FreeRTOS `vQueueAddToRegistry`.
#[no_mangle]
pub extern "C" fn vQueueAddToRegistry(h: Handle, name: *const core::ffi::c_char) {
    with_names(|n| {
        if let Some(e) = n.iter_mut().find(|e| e.0 == h) {
            e.1 = name;
        } else if let Some(e) = n.iter_mut().find(|e| e.0.is_null()) {
            *e = (h, name);
        }
    });
}

/// FreeRTOS `vQueueUnregisterQueue`.
#[no_mangle]
pub extern "C" fn vQueueUnregisterQueue(h: Handle) {
    unregister(h);
}

/// FreeRTOS `pcQueueGetName`.
#[no_mangle]
pub extern "C" fn pcQueueGetName(h: Handle) -> *const core::ffi::c_char {
    with_names(|n| n.iter().find(|e| e.0 == h && !h.is_null()).map_or(core::ptr::null(), |e| e.1))
}
