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
//!
//! Mutexes add priority inheritance (priority.rs): a task about to wait raises the holder, a
//! holder giving its last mutex drops back, a waiter that times out lowers the holder again.
//!
//! A queue set is a queue of member handles: a member that receives an item (or a semaphore
//! that is given) posts its handle to the set under its own lock, so members are selected in
//! the order their events arrived.
//!
//! Misuse the reference kernel rejects with `configASSERT` (a NULL handle, a NULL buffer for a
//! non-zero item size, overwriting a queue longer than 1, giving a mutex one does not hold,
//! blocking inside a critical section, ...) calls the application's `configASSERT` (`config::check`), which runs
//! the application's `configASSERT`; the function then fails instead of corrupting memory.

use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::config::check;
use crate::lock::Lock;
use crate::task::Task;
use crate::{heap, isr, pdFALSE, pdTRUE, priority, task, BaseType_t, TickType_t, UBaseType_t};

/// `queueSEND_TO_BACK`.
pub const SEND_TO_BACK: BaseType_t = 0;
/// `queueSEND_TO_FRONT`.
pub const SEND_TO_FRONT: BaseType_t = 1;
/// `queueOVERWRITE`.
pub const OVERWRITE: BaseType_t = 2;

/// `queueQUEUE_TYPE_*`.
pub const TYPE_BASE: u8 = 0;
/// `queueQUEUE_TYPE_SET` (a set is a queue of handles).
pub const TYPE_SET: u8 = 0;
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
    /// The queue set this object is a member of (null: none).
    set: *mut Queue,
}

/// FreeRTOS `StaticQueue_t` (also `StaticSemaphore_t`): room for a [`Queue`] (checked below).
#[repr(C, align(4))]
pub struct StaticQueue_t([u32; 16]);
const _: () = assert!(core::mem::size_of::<Queue>() <= core::mem::size_of::<StaticQueue_t>());
const _: () = assert!(core::mem::align_of::<Queue>() <= core::mem::align_of::<StaticQueue_t>());

type Handle = *mut Queue;

/// The calling task's control block: found by its stack pointer without a call (whoami.rs),
/// else asked from the task registry.
#[inline(always)]
fn me() -> *mut Task {
    let t = crate::whoami::lookup();
    if t.is_null() {
        crate::task::current_task()
    } else {
        t
    }
}

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
            set: null_mut(),
        };
    }

    fn set_items(&mut self, n: u32) {
        self.items.store(n, Ordering::Release);
        self.spaces.store(self.length - n, Ordering::Release);
    }

    fn slot(&self, i: u32) -> *mut u8 {
        // Plain pointer arithmetic (no dereference): `i < length`, so inside `storage`.
        self.storage.wrapping_add((i * self.item_size) as usize)
    }

    /// Copies an item in (lock held, room checked or overwrite of a 1-place queue).
    ///
    /// # Safety
    /// The lock is held; `item` holds `item_size` bytes (or the size is 0).
    #[inline]
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
    ///
    /// # Safety
    /// The lock is held, the queue is not empty; `buf` holds `item_size` bytes (or the size is 0).
    #[inline]
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

    /// The priority of the most urgent task waiting to receive (0: none); lock held.
    fn highest_receiver(&self) -> u32 {
        if self.receivers.is_null() {
            0
        } else {
            // SAFETY: lock held by the caller; the list is ordered, most urgent first.
            unsafe { (*self.receivers).wait_prio }
        }
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

/// Copies `n` bytes (nothing if either pointer is null).
///
/// # Safety
/// Non-null pointers are valid for `n` bytes and do not overlap.
#[inline(always)]
unsafe fn copy(from: *const c_void, to: *mut u8, n: u32) {
    if n == 0 || from.is_null() || to.is_null() {
        return;
    }
    let from = from.cast::<u8>();
    // SAFETY: the caller guarantees both buffers hold `n` bytes. Items of 1, 2, 4 or 8 bytes
    // (most queues carry a word or a pointer) are one load and one store each, at any
    // alignment (the Cortex-M33 allows unaligned word accesses to RAM): a call to the generic
    // `memcpy` costs ~30 instructions per item.
    unsafe {
        match n {
            1 => *to = *from,
            2 => to.cast::<u16>().write_unaligned(from.cast::<u16>().read_unaligned()),
            4 => to.cast::<u32>().write_unaligned(from.cast::<u32>().read_unaligned()),
            8 => to.cast::<u64>().write_unaligned(from.cast::<u64>().read_unaligned()),
            _ => core::ptr::copy_nonoverlapping(from, to, n as usize),
        }
    }
}

/// A futex word to wake after the object's lock is released, and the priority of the waiter
/// chosen for it.
type Wake = Option<(*const AtomicU32, u32)>;

fn wake(w: Wake) -> Option<u32> {
    let (word, prio) = w?;
    // SAFETY: the word belongs to a live object (the one just operated on, or its set).
    rtos_sys::futex_wake(unsafe { &*word }, 1);
    Some(prio)
}

fn more_urgent(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Posts `member` to its queue set (the member's lock held): returns the set's waiter to wake.
///
/// # Safety
/// `set` is a live queue set; the caller holds the member's lock (sets are locked after members).
unsafe fn post_to_set(set: *mut Queue, member: *mut Queue) -> Wake {
    // SAFETY: the caller passes a live set.
    let set = unsafe { &mut *set };
    set.lock.lock();
    let mut w = None;
    // A set has room for every member's items (configASSERT in the reference otherwise).
    if check(set.spaces.load(Ordering::Relaxed) > 0) {
        let h = member;
        // SAFETY: lock held, room checked; the item is a handle of `item_size` (4) bytes.
        unsafe { set.put((&h as *const *mut Queue).cast(), SEND_TO_BACK) };
        w = set.choose_waiter(Side::Receive).map(|(w, p)| (w as *const AtomicU32, p));
    }
    set.lock.unlock();
    w
}

/// The core of every operation: `attempt` under the lock; on success wake a waiter of the other
/// side; otherwise wait (up to `wait` ticks) on our side and retry. Returns success and the
/// priority of the task woken, if any. Nothing here enters the kernel unless the caller must
/// wait or wakes a waiter.
fn operate(
    q: &mut Queue,
    wait: TickType_t,
    side: Side,
    mut attempt: impl FnMut(&mut Queue) -> bool,
) -> (bool, Option<u32>) {
    // Tick of the first failed attempt (the block time counts from there).
    let mut start: Option<u32> = None;
    // Whether waiting for this mutex raised its holder (xInheritanceOccurred).
    let mut inherited = false;
    loop {
        q.lock.lock();
        if attempt(q) {
            let other = if side == Side::Receive { Side::Send } else { Side::Receive };
            let woken = q.choose_waiter(other).map(|(w, p)| (w as *const AtomicU32, p));
            q.lock.unlock();
            return (true, wake(woken));
        }
        if wait == 0 {
            q.lock.unlock();
            return (false, None);
        }
        if !check(task::CRITICAL.depth_of_caller() == 0) {
            // Blocking with the scheduler suspended (the reference asserts): it would deadlock
            // every task that enters a critical section.
            q.lock.unlock();
            return (false, None);
        }
        let now = rtos_sys::ticks();
        let elapsed = now.wrapping_sub(*start.get_or_insert(now));
        if wait != crate::portMAX_DELAY && elapsed >= wait {
            if inherited && !q.holder.is_null() {
                // This waiter raised the holder and gives up: lower the holder to what the
                // remaining waiters need.
                // SAFETY: the holder of a mutex is a live control block (lock held).
                unsafe { priority::disinherit_after_timeout(q.holder, q.highest_receiver()) };
            }
            q.lock.unlock();
            return (false, None);
        }
        let me = me();
        // SAFETY: lock held; `me` is the caller's live control block.
        unsafe {
            let prio = priority::effective(me);
            match side {
                Side::Receive => enlist(&mut q.receivers, me, prio),
                Side::Send => enlist(&mut q.senders, me, prio),
            }
            (*me).waiting_on = q;
            if side == Side::Receive && q.is_mutex() && !q.holder.is_null() {
                // Under the lock, so the holder cannot give the mutex back meanwhile.
                inherited |= priority::inherit(q.holder, prio);
            }
        }
        q.lock.unlock();
        let word = if side == Side::Receive { &q.items } else { &q.spaces };
        let waited = rtos_sys::futex_wait(word, 0, task::timeout(wait).map(|w| w - elapsed));
        // `xTaskAbortDelay` ends the wait as if its block time had expired (a suspension also
        // ends it `Interrupted`, but then the task goes on waiting, as on FreeRTOS).
        let aborted = waited == Err(rtos_sys::Error::Interrupted) && task::take_delay_aborted();
        q.lock.lock();
        // SAFETY: lock held.
        unsafe {
            match side {
                Side::Receive => delist(&mut q.receivers, me),
                Side::Send => delist(&mut q.senders, me),
            }
            (*me).waiting_on = null_mut();
        }
        if aborted {
            if inherited && !q.holder.is_null() {
                // SAFETY: as for a timeout above (lock held).
                unsafe { priority::disinherit_after_timeout(q.holder, q.highest_receiver()) };
            }
            q.lock.unlock();
            return (false, None);
        }
        q.lock.unlock();
    }
}

/// The common case of a send, inlined into the API functions: room, no set, nobody waiting to
/// receive (so nobody to wake). Returns false, having changed nothing, if any of that is not so.
#[inline(always)]
fn try_send_fast(q: &mut Queue, item: *const c_void, position: BaseType_t) -> bool {
    if q.is_mutex() || position == OVERWRITE || (item.is_null() && q.item_size != 0) {
        return false;
    }
    q.lock.lock();
    let ok = q.spaces.load(Ordering::Relaxed) != 0 && q.set.is_null() && q.receivers.is_null();
    if ok {
        // SAFETY: lock held, room checked; the caller's item holds `item_size` bytes.
        unsafe { q.put(item, position) };
    }
    q.lock.unlock();
    ok
}

/// The common case of a receive (not a mutex, nobody waiting to send): as [`try_send_fast`].
#[inline(always)]
fn try_receive_fast(q: &mut Queue, buf: *mut c_void) -> bool {
    if q.is_mutex() || (buf.is_null() && q.item_size != 0) {
        return false;
    }
    q.lock.lock();
    let ok = q.items.load(Ordering::Relaxed) != 0 && q.senders.is_null();
    if ok {
        // SAFETY: lock held, not empty; the caller's buffer holds `item_size` bytes.
        unsafe { q.get(buf, false) };
    }
    q.lock.unlock();
    ok
}

/// The common case of taking a mutex: free, nobody else involved.
#[inline(always)]
fn try_take_mutex_fast(q: &mut Queue, me: *mut Task) -> bool {
    q.lock.lock();
    let ok = q.items.load(Ordering::Relaxed) != 0 && q.set.is_null();
    if ok {
        q.set_items(0);
        q.holder = me;
        q.recursion = 1;
        // SAFETY: our own control block.
        unsafe { priority::mutex_taken(me) };
    }
    q.lock.unlock();
    ok
}

/// The common case of giving a mutex back: held by the caller, nobody waiting for it, no set.
#[inline(always)]
fn try_give_mutex_fast(q: &mut Queue, me: *mut Task) -> bool {
    q.lock.lock();
    let ok = q.holder == me && !me.is_null() && q.receivers.is_null() && q.set.is_null();
    if ok {
        q.holder = null_mut();
        q.recursion = 0;
        q.set_items(1);
    }
    q.lock.unlock();
    if ok {
        // SAFETY: our own control block.
        unsafe { priority::mutex_given(me) };
    }
    ok
}

fn send(q: &mut Queue, item: *const c_void, wait: TickType_t, position: BaseType_t) -> (bool, Option<u32>) {
    let handle: *mut Queue = q;
    if q.is_mutex() {
        // Giving a mutex: only its holder may (the reference asserts when a task other than
        // the holder gives a held mutex); a mutex nobody holds is "full".
        if q.holder.is_null() {
            return (false, None);
        }
        let me = me();
        if !check(q.holder == me) {
            return (false, None);
        }
        let mut set_wake: Wake = None;
        let r = operate(q, 0, Side::Send, |q| {
            q.holder = null_mut();
            q.recursion = 0;
            q.set_items(1);
            if !q.set.is_null() {
                // SAFETY: a member's set is live; our lock is held.
                set_wake = unsafe { post_to_set(q.set, handle) };
            }
            true
        });
        let r = (r.0, more_urgent(r.1, wake(set_wake)));
        // After the wake, so that the waiter runs, not a task of a priority in between.
        // SAFETY: our own control block.
        unsafe { priority::mutex_given(me) };
        return r;
    }
    if !check(!(item.is_null() && q.item_size != 0)) || !check(!(position == OVERWRITE && q.length != 1)) {
        return (false, None);
    }
    let mut set_wake: Wake = None;
    let r = operate(q, wait, Side::Send, |q| {
        let had = q.items.load(Ordering::Relaxed);
        if q.spaces.load(Ordering::Relaxed) == 0 && position != OVERWRITE {
            return false;
        }
        // SAFETY: the caller's item of `item_size` bytes; room checked (or a 1-place overwrite).
        unsafe { q.put(item, position) };
        // An overwrite that replaced an item is no new event for the set.
        let replaced = position == OVERWRITE && had != 0;
        if !q.set.is_null() && !replaced {
            // SAFETY: a member's set is live; our lock is held.
            set_wake = unsafe { post_to_set(q.set, handle) };
        }
        true
    });
    (r.0, more_urgent(r.1, wake(set_wake)))
}

fn receive(q: &mut Queue, buf: *mut c_void, wait: TickType_t, peek: bool) -> (bool, Option<u32>) {
    if !check(!(buf.is_null() && q.item_size != 0)) {
        return (false, None);
    }
    let mutex = q.is_mutex();
    let me = if mutex { me() } else { null_mut() };
    let r = operate(q, wait, Side::Receive, |q| {
        if q.items.load(Ordering::Relaxed) == 0 {
            return false;
        }
        // SAFETY: not empty; the caller's buffer holds `item_size` bytes.
        unsafe { q.get(buf, peek) };
        if mutex {
            q.holder = me;
            q.recursion = 1;
            // SAFETY: our own control block.
            unsafe { priority::mutex_taken(me) };
        }
        true
    });
    if peek && r.0 {
        // The data is still there: another receiver may have it too.
        q.lock.lock();
        let w = q.choose_waiter(Side::Receive).map(|(w, p)| (w as *const AtomicU32, p));
        q.lock.unlock();
        wake(w);
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

/// The object behind a handle, or `None` (after `configASSERT`) for a NULL handle.
///
/// # Safety
/// `h` is null or a handle from one of the create functions whose object is still alive.
unsafe fn q<'a>(h: Handle) -> Option<&'a mut Queue> {
    if !check(!h.is_null()) {
        return None;
    }
    // SAFETY: the caller passes a live handle.
    Some(unsafe { &mut *h })
}

fn create_in(mem: *mut Queue, length: u32, item_size: u32, storage: *mut u8, kind: u8, flags: u8) -> Handle {
    if !check(!mem.is_null() && length > 0) {
        return null_mut();
    }
    // SAFETY: `mem` has room for a queue (heap block or a `StaticQueue_t`).
    unsafe { (*mem).init(length, item_size, storage, kind, flags) };
    mem
}

/// FreeRTOS `xQueueGenericCreate`: object and storage in one heap block.
#[no_mangle]
pub extern "C" fn xQueueGenericCreate(length: UBaseType_t, item_size: UBaseType_t, kind: u8) -> Handle {
    // Zero length or a size that overflows: the reference asserts.
    let bytes = length.checked_mul(item_size).and_then(|b| b.checked_add(core::mem::size_of::<Queue>() as u32));
    let Some(bytes) = bytes.filter(|_| length > 0) else {
        check(false);
        return null_mut();
    };
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
    // The reference asserts that storage is given exactly when items have a size.
    if !check(!buf.is_null() && (item_size == 0) == storage.is_null()) {
        return null_mut();
    }
    create_in(buf.cast(), length, item_size, storage, kind, 0)
}

/// Sets a fresh semaphore's count.
fn with_count(h: Handle, count: u32) -> Handle {
    if !h.is_null() {
        // SAFETY: just created, not shared yet.
        unsafe { (*h).set_items(count) };
    }
    h
}

/// FreeRTOS `xQueueCreateCountingSemaphore`.
#[no_mangle]
pub extern "C" fn xQueueCreateCountingSemaphore(max: UBaseType_t, initial: UBaseType_t) -> Handle {
    if !check(max != 0 && initial <= max) {
        return null_mut();
    }
    with_count(xQueueGenericCreate(max, 0, TYPE_COUNTING_SEMAPHORE), initial)
}

/// FreeRTOS `xQueueCreateCountingSemaphoreStatic`.
#[no_mangle]
pub extern "C" fn xQueueCreateCountingSemaphoreStatic(
    max: UBaseType_t,
    initial: UBaseType_t,
    buf: *mut StaticQueue_t,
) -> Handle {
    if !check(max != 0 && initial <= max) {
        return null_mut();
    }
    with_count(xQueueGenericCreateStatic(max, 0, null_mut(), buf, TYPE_COUNTING_SEMAPHORE), initial)
}

/// FreeRTOS `xQueueCreateMutex` (created available).
#[no_mangle]
pub extern "C" fn xQueueCreateMutex(kind: u8) -> Handle {
    with_count(xQueueGenericCreate(1, 0, kind), 1)
}

/// FreeRTOS `xQueueCreateMutexStatic`.
#[no_mangle]
pub extern "C" fn xQueueCreateMutexStatic(kind: u8, buf: *mut StaticQueue_t) -> Handle {
    with_count(xQueueGenericCreateStatic(1, 0, null_mut(), buf, kind), 1)
}

/// FreeRTOS `vQueueDelete`. As in the reference, a held mutex is deleted without touching its
/// holder, and tasks must not wait on a deleted object.
///
/// # Safety
/// `h` is a live handle no task uses any more.
#[no_mangle]
pub unsafe extern "C" fn vQueueDelete(h: Handle) {
    // SAFETY: forwarded.
    let Some(queue) = (unsafe { q(h) }) else { return };
    unregister(h);
    if queue.flags & DYNAMIC != 0 {
        heap::free(h.cast());
    }
}

/// FreeRTOS `xQueueGenericReset`: empties the queue; a blocked sender may proceed.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericReset(h: Handle, _new_queue: BaseType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    q.lock.lock();
    q.read = 0;
    q.set_items(0);
    let w = q.choose_waiter(Side::Send).map(|(w, p)| (w as *const AtomicU32, p));
    q.lock.unlock();
    wake(w);
    pdTRUE
}

/// FreeRTOS `xQueueGenericSend` (also gives semaphores and mutexes).
///
/// # Safety
/// `h` is a live handle; `item` holds the queue's item size.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericSend(
    h: Handle,
    item: *const c_void,
    wait: TickType_t,
    position: BaseType_t,
) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    let fast = if q.is_mutex() { try_give_mutex_fast(q, me()) } else { try_send_fast(q, item, position) };
    if fast {
        return pdTRUE;
    }
    send(q, item, wait, position).0 as BaseType_t
}

/// FreeRTOS `xQueueGenericSendFromISR`.
///
/// # Safety
/// As for [`xQueueGenericSend`]; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericSendFromISR(
    h: Handle,
    item: *const c_void,
    woken: *mut BaseType_t,
    position: BaseType_t,
) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    let (ok, w) = send(q, item, 0, position);
    woke_higher(w, woken);
    ok as BaseType_t
}

/// FreeRTOS `xQueueGiveFromISR`.
///
/// # Safety
/// `h` is a live handle; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xQueueGiveFromISR(h: Handle, woken: *mut BaseType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(queue) = (unsafe { q(h) }) else { return pdFALSE };
    // A held mutex cannot be given from an interrupt (reference: configASSERT).
    let held_mutex = queue.is_mutex() && !queue.holder.is_null();
    if !check(queue.item_size == 0 && !held_mutex) {
        return pdFALSE;
    }
    // SAFETY: forwarded.
    unsafe { xQueueGenericSendFromISR(h, core::ptr::null(), woken, SEND_TO_BACK) }
}

/// FreeRTOS `xQueueReceive`.
///
/// # Safety
/// `h` is a live handle; `buf` holds the queue's item size.
#[no_mangle]
pub unsafe extern "C" fn xQueueReceive(h: Handle, buf: *mut c_void, wait: TickType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    if try_receive_fast(q, buf) {
        return pdTRUE;
    }
    receive(q, buf, wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueuePeek`.
///
/// # Safety
/// As for [`xQueueReceive`].
#[no_mangle]
pub unsafe extern "C" fn xQueuePeek(h: Handle, buf: *mut c_void, wait: TickType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    receive(q, buf, wait, true).0 as BaseType_t
}

/// FreeRTOS `xQueueSemaphoreTake` (semaphores and mutexes).
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueSemaphoreTake(h: Handle, wait: TickType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    if !check(q.item_size == 0) {
        return pdFALSE;
    }
    let fast = if q.is_mutex() { try_take_mutex_fast(q, me()) } else { try_receive_fast(q, null_mut()) };
    if fast {
        return pdTRUE;
    }
    receive(q, null_mut(), wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueueReceiveFromISR`.
///
/// # Safety
/// As for [`xQueueReceive`]; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xQueueReceiveFromISR(h: Handle, buf: *mut c_void, woken: *mut BaseType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    let (ok, w) = receive(q, buf, 0, false);
    woke_higher(w, woken);
    ok as BaseType_t
}

/// FreeRTOS `xQueuePeekFromISR` (not for semaphores, as in the reference).
///
/// # Safety
/// As for [`xQueueReceive`].
#[no_mangle]
pub unsafe extern "C" fn xQueuePeekFromISR(h: Handle, buf: *mut c_void) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    if !check(q.item_size != 0) {
        return pdFALSE;
    }
    receive(q, buf, 0, true).0 as BaseType_t
}

/// FreeRTOS `uxQueueMessagesWaiting` (a semaphore's count).
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn uxQueueMessagesWaiting(h: Handle) -> UBaseType_t {
    // SAFETY: forwarded.
    unsafe { q(h) }.map_or(0, |q| q.items.load(Ordering::Relaxed))
}

/// FreeRTOS `uxQueueMessagesWaitingFromISR`.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn uxQueueMessagesWaitingFromISR(h: Handle) -> UBaseType_t {
    // SAFETY: forwarded.
    unsafe { uxQueueMessagesWaiting(h) }
}

/// FreeRTOS `uxQueueSpacesAvailable`.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn uxQueueSpacesAvailable(h: Handle) -> UBaseType_t {
    // SAFETY: forwarded.
    unsafe { q(h) }.map_or(0, |q| q.spaces.load(Ordering::Relaxed))
}

/// FreeRTOS `xQueueIsQueueEmptyFromISR`.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueIsQueueEmptyFromISR(h: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    unsafe { q(h) }.map_or(pdFALSE, |q| (q.items.load(Ordering::Relaxed) == 0) as BaseType_t)
}

/// FreeRTOS `xQueueIsQueueFullFromISR`.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueIsQueueFullFromISR(h: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    unsafe { q(h) }.map_or(pdFALSE, |q| (q.spaces.load(Ordering::Relaxed) == 0) as BaseType_t)
}

/// FreeRTOS `xQueueGenericGetStaticBuffers`: the buffers of a statically created object
/// (`pdFALSE` for one created from the heap).
///
/// # Safety
/// `h` is a live handle; `storage` is null or writable; `buf` is writable.
#[no_mangle]
pub unsafe extern "C" fn xQueueGenericGetStaticBuffers(
    h: Handle,
    storage: *mut *mut u8,
    buf: *mut *mut StaticQueue_t,
) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    if !check(!buf.is_null()) || q.flags & DYNAMIC != 0 {
        return pdFALSE;
    }
    // SAFETY: the caller's output pointers (`storage` may be null).
    unsafe {
        if !storage.is_null() {
            *storage = q.storage;
        }
        *buf = h.cast();
    }
    pdTRUE
}

/// FreeRTOS `ucQueueGetQueueType` (`queueQUEUE_TYPE_*`; a set reports the base type, as there).
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn ucQueueGetQueueType(h: Handle) -> u8 {
    // SAFETY: forwarded.
    unsafe { q(h) }.map_or(TYPE_BASE, |q| q.kind)
}

/// FreeRTOS `xQueueGetMutexHolder` (NULL for other objects and free mutexes).
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueGetMutexHolder(h: Handle) -> *mut Task {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return null_mut() };
    if q.is_mutex() {
        q.holder
    } else {
        null_mut()
    }
}

/// FreeRTOS `xQueueGetMutexHolderFromISR`.
///
/// # Safety
/// `h` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xQueueGetMutexHolderFromISR(h: Handle) -> *mut Task {
    // SAFETY: forwarded.
    unsafe { xQueueGetMutexHolder(h) }
}

/// FreeRTOS `xQueueTakeMutexRecursive`.
///
/// # Safety
/// `h` is a live recursive mutex.
#[no_mangle]
pub unsafe extern "C" fn xQueueTakeMutexRecursive(h: Handle, wait: TickType_t) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    // Only the holder itself sets the holder to itself, so this read needs no lock.
    if q.holder == me() {
        q.recursion += 1;
        return pdTRUE;
    }
    receive(q, null_mut(), wait, false).0 as BaseType_t
}

/// FreeRTOS `xQueueGiveMutexRecursive`: fails for a task that does not hold it.
///
/// # Safety
/// `h` is a live recursive mutex.
#[no_mangle]
pub unsafe extern "C" fn xQueueGiveMutexRecursive(h: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    let Some(q) = (unsafe { q(h) }) else { return pdFALSE };
    if q.holder != me() {
        return pdFALSE;
    }
    if q.recursion > 1 {
        q.recursion -= 1;
        return pdTRUE;
    }
    send(q, core::ptr::null(), 0, SEND_TO_BACK).0 as BaseType_t
}

// ---- Queue sets ---------------------------------------------------------------------------

/// FreeRTOS `xQueueCreateSet`: a queue of member handles, room for `length` events.
#[no_mangle]
pub extern "C" fn xQueueCreateSet(length: UBaseType_t) -> Handle {
    xQueueGenericCreate(length, core::mem::size_of::<Handle>() as u32, TYPE_SET)
}

/// FreeRTOS `xQueueCreateSetStatic`: room for `length` events in `storage` (one handle each).
#[no_mangle]
pub extern "C" fn xQueueCreateSetStatic(length: UBaseType_t, storage: *mut u8, buf: *mut StaticQueue_t) -> Handle {
    xQueueGenericCreateStatic(length, core::mem::size_of::<Handle>() as u32, storage, buf, TYPE_SET)
}

/// FreeRTOS `xQueueAddToSet`: fails if the member is in a set already or is not empty.
///
/// # Safety
/// Both handles are live; `set` was created by [`xQueueCreateSet`].
#[no_mangle]
pub unsafe extern "C" fn xQueueAddToSet(member: Handle, set: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    let (Some(m), Some(_)) = (unsafe { q(member) }, unsafe { q(set) }) else { return pdFALSE };
    m.lock.lock();
    let ok = m.set.is_null() && m.items.load(Ordering::Relaxed) == 0;
    if ok {
        m.set = set;
    }
    m.lock.unlock();
    ok as BaseType_t
}

/// FreeRTOS `xQueueRemoveFromSet`: fails if the member is not in `set` or is not empty.
///
/// # Safety
/// Both handles are live.
#[no_mangle]
pub unsafe extern "C" fn xQueueRemoveFromSet(member: Handle, set: Handle) -> BaseType_t {
    // SAFETY: forwarded.
    let (Some(m), Some(_)) = (unsafe { q(member) }, unsafe { q(set) }) else { return pdFALSE };
    m.lock.lock();
    let ok = m.set == set && m.items.load(Ordering::Relaxed) == 0;
    if ok {
        m.set = null_mut();
    }
    m.lock.unlock();
    ok as BaseType_t
}

/// FreeRTOS `xQueueSelectFromSet`: the member whose event came first, waiting up to `wait`
/// ticks; NULL on timeout. The caller then receives from (or takes) that member.
///
/// # Safety
/// `set` is a live queue set.
#[no_mangle]
pub unsafe extern "C" fn xQueueSelectFromSet(set: Handle, wait: TickType_t) -> Handle {
    let mut member: Handle = null_mut();
    // SAFETY: forwarded; the buffer holds one handle (the set's item size).
    unsafe { xQueueReceive(set, (&mut member as *mut Handle).cast(), wait) };
    member
}

/// FreeRTOS `xQueueSelectFromSetFromISR`.
///
/// # Safety
/// `set` is a live queue set.
#[no_mangle]
pub unsafe extern "C" fn xQueueSelectFromSetFromISR(set: Handle) -> Handle {
    let mut member: Handle = null_mut();
    // SAFETY: forwarded; the buffer holds one handle.
    unsafe { xQueueReceiveFromISR(set, (&mut member as *mut Handle).cast(), null_mut()) };
    member
}

// ---- The queue registry (names for debugging) ---------------------------------------------

/// Most entries any configuration may ask for (queue.h passes `configQUEUE_REGISTRY_SIZE` and
/// refuses larger values at compile time).
pub const REGISTRY_MAX: usize = 32;

type Name = *const core::ffi::c_char;

struct Names {
    lock: Lock,
    entries: core::cell::UnsafeCell<[(Handle, Name); REGISTRY_MAX]>,
}
// SAFETY: the entries are only touched with `lock` held.
unsafe impl Sync for Names {}
static NAMES: Names =
    Names { lock: Lock::new(), entries: core::cell::UnsafeCell::new([(null_mut(), core::ptr::null()); REGISTRY_MAX]) };

fn with_names<R>(f: impl FnOnce(&mut [(Handle, Name); REGISTRY_MAX]) -> R) -> R {
    NAMES.lock.lock();
    // SAFETY: lock held.
    let r = f(unsafe { &mut *NAMES.entries.get() });
    NAMES.lock.unlock();
    r
}

fn unregister(h: Handle) {
    with_names(|n| n.iter_mut().filter(|e| e.0 == h).for_each(|e| *e = (null_mut(), core::ptr::null())));
}

/// `vQueueAddToRegistry` with the application's `configQUEUE_REGISTRY_SIZE` (queue.h): names
/// `h`, renaming it if it is registered already; nothing if the name is NULL or the registry full.
#[no_mangle]
pub extern "C" fn vCompatQueueAddToRegistry(h: Handle, name: Name, size: UBaseType_t) {
    if name.is_null() || h.is_null() {
        return;
    }
    let size = (size as usize).min(REGISTRY_MAX);
    with_names(|n| {
        let n = &mut n[..size];
        let at = n.iter().position(|e| e.0 == h).or_else(|| n.iter().position(|e| e.0.is_null()));
        if let Some(i) = at {
            n[i] = (h, name);
        }
    });
}

/// FreeRTOS `vQueueUnregisterQueue`.
#[no_mangle]
pub extern "C" fn vQueueUnregisterQueue(h: Handle) {
    if check(!h.is_null()) {
        unregister(h);
    }
}

/// FreeRTOS `pcQueueGetName`: the registered name, or NULL.
#[no_mangle]
pub extern "C" fn pcQueueGetName(h: Handle) -> Name {
    if !check(!h.is_null()) {
        return core::ptr::null();
    }
    with_names(|n| n.iter().find(|e| e.0 == h).map_or(core::ptr::null(), |e| e.1))
}
