//! Stream, message and batching buffers with FreeRTOS's semantics: a ring of `length` bytes of
//! which `length - 1` are usable (a dynamic buffer asks for one byte more than its capacity, a
//! static one uses its storage as given), trigger levels, one blocked reader and one blocked
//! writer at a time (as FreeRTOS asserts), and messages framed by a length field of
//! `sizeof( configMESSAGE_BUFFER_LENGTH_TYPE )` bytes.
//!
//! The changing state (a [`Ring`]) is only reached with the buffer's [`Lock`] held (a
//! compare-and-swap when uncontended); what never changes after creation is outside it. Where
//! FreeRTOS blocks a reader or writer on its task notification, this layer blocks it on a futex
//! word of the buffer (`rx_event`, `tx_event`): a completed send bumps `rx_event` and wakes the
//! reader, a completed receive bumps `tx_event` and wakes the writer. Nothing enters the kernel
//! unless a task has to wait or be woken, and a task's notification value is left alone.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::lock::Lock;
use crate::{config, heap, isr, pdFALSE, pdTRUE, portMAX_DELAY, task, BaseType_t, TickType_t, UBaseType_t};

/// `sbTYPE_*`.
pub const TYPE_STREAM: BaseType_t = 0;
pub const TYPE_MESSAGE: BaseType_t = 1;
pub const TYPE_BATCHING: BaseType_t = 2;

const MESSAGE: u32 = 1;
const STATIC: u32 = 2;
const BATCHING: u32 = 4;
/// The flags' second byte holds the width of a message's length field.
const LB_SHIFT: u32 = 8;

/// FreeRTOS `StreamBufferCallbackFunction_t`.
pub type Callback = Option<unsafe extern "C" fn(*mut StreamBuffer, BaseType_t, *mut BaseType_t)>;

/// A stream or message buffer.
#[repr(C)]
pub struct StreamBuffer {
    lock: Lock,
    /// Guarded by `lock`.
    ring: UnsafeCell<Ring>,
    /// Futex words of the blocked reader and writer (bumped to wake them).
    rx_event: AtomicU32,
    tx_event: AtomicU32,
    // Fixed at creation.
    flags: u32,
    length: u32,
    storage: *mut u8,
    send_completed: Callback,
    receive_completed: Callback,
    /// `uxStreamBufferGetStreamBufferNumber` (trace facility) and the notification index the
    /// API lets one choose (kept, unused: we do not block on notifications).
    number: AtomicU32,
    notification_index: AtomicU32,
}

/// The state that changes, under the buffer's lock.
#[repr(C)]
struct Ring {
    /// Next byte to read and next byte to write, `0..length`.
    tail: u32,
    head: u32,
    trigger: u32,
    /// Priority + 1 of the blocked reader / writer, 0 if none, and its thread (raw handle).
    rx_waiting: u32,
    tx_waiting: u32,
    rx_thread: u32,
    tx_thread: u32,
    /// Copies of the buffer's fixed fields, for the ring arithmetic.
    length: u32,
    storage: *mut u8,
    flags: u32,
}

/// FreeRTOS `StaticStreamBuffer_t` (also `StaticMessageBuffer_t`): room for a [`StreamBuffer`]
/// (checked below).
#[repr(C, align(4))]
pub struct StaticStreamBuffer_t([u32; 20]);
const _: () = assert!(core::mem::size_of::<StreamBuffer>() <= core::mem::size_of::<StaticStreamBuffer_t>());
const _: () = assert!(core::mem::align_of::<StreamBuffer>() <= core::mem::align_of::<StaticStreamBuffer_t>());

type Handle = *mut StreamBuffer;

/// Bytes of a message's length field.
fn length_bytes() -> u32 {
    config::get().message_length_bytes.clamp(1, 8)
}

impl StreamBuffer {
    fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Runs `f` on the ring with the lock held.
    fn locked<R>(&self, f: impl FnOnce(&mut Ring) -> R) -> R {
        self.lock.lock();
        // SAFETY: the lock is held: no other reference to the ring exists meanwhile.
        let r = f(unsafe { &mut *self.ring.get() });
        self.lock.unlock();
        r
    }
}

impl Ring {
    /// Bytes of a message's length field (kept in the flags' second byte).
    fn lb(&self) -> u32 {
        self.flags >> LB_SHIFT
    }

    fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether a reader (`rx`) or writer is blocked. A task deleted while blocked
    /// leaves its mark behind; its thread no longer exists, so the mark is dropped here (the
    /// check costs a system call only while a mark is set).
    fn waiting(&mut self, rx: bool) -> bool {
        let (mark, thread) =
            if rx { (&mut self.rx_waiting, self.rx_thread) } else { (&mut self.tx_waiting, self.tx_thread) };
        if *mark != 0 && rtos_sys::priority(rtos_sys::ThreadId::from_raw(thread)).is_err() {
            *mark = 0;
        }
        *mark != 0
    }

    /// Takes the mark of the blocked reader (`rx`) or writer; returns its priority.
    fn take_waiter(&mut self, rx: bool) -> Option<u32> {
        core::mem::take(if rx { &mut self.rx_waiting } else { &mut self.tx_waiting }).checked_sub(1)
    }

    /// Marks the caller as the blocked reader (`rx`) or writer.
    fn mark_waiting(&mut self, rx: bool) {
        let me = rtos_sys::current();
        let prio = rtos_sys::priority(me).map_or(0, u32::from) + 1;
        if rx {
            (self.rx_waiting, self.rx_thread) = (prio, me.to_raw());
        } else {
            (self.tx_waiting, self.tx_thread) = (prio, me.to_raw());
        }
    }

    fn bytes(&self) -> u32 {
        let n = self.length + self.head - self.tail;
        if n >= self.length {
            n - self.length
        } else {
            n
        }
    }

    fn spaces(&self) -> u32 {
        let n = self.length + self.tail - self.head - 1;
        if n >= self.length {
            n - self.length
        } else {
            n
        }
    }

    /// Bytes a reader must find before it reads: a message's length field, a batching
    /// buffer's trigger level, nothing for a stream.
    fn reserved(&self, from_isr: bool) -> u32 {
        if self.is(MESSAGE) {
            self.lb()
        } else if self.is(BATCHING) && !from_isr {
            self.trigger
        } else {
            0
        }
    }

    /// Copies `n` bytes in at `at`; returns the index after them.
    ///
    /// # Safety
    /// `data` holds `n <= length` readable bytes.
    unsafe fn write_at(&mut self, data: *const u8, n: u32, at: u32) -> u32 {
        let first = (self.length - at).min(n);
        // SAFETY: `at + first <= length` and `n - first < length` stay inside the storage.
        unsafe {
            core::ptr::copy_nonoverlapping(data, self.storage.add(at as usize), first as usize);
            if n > first {
                core::ptr::copy_nonoverlapping(data.add(first as usize), self.storage, (n - first) as usize);
            }
        }
        let end = at + n;
        if end >= self.length {
            end - self.length
        } else {
            end
        }
    }

    /// Copies `n` bytes out from `at`; returns the index after them.
    ///
    /// # Safety
    /// `out` has room for `n <= length` bytes.
    unsafe fn read_at(&self, out: *mut u8, n: u32, at: u32) -> u32 {
        let first = (self.length - at).min(n);
        // SAFETY: as in `write_at`.
        unsafe {
            core::ptr::copy_nonoverlapping(self.storage.add(at as usize), out, first as usize);
            if n > first {
                core::ptr::copy_nonoverlapping(self.storage, out.add(first as usize), (n - first) as usize);
            }
        }
        let end = at + n;
        if end >= self.length {
            end - self.length
        } else {
            end
        }
    }

    /// The length field of the message at the tail (a whole field present).
    fn peek_length(&self) -> u32 {
        let mut field = [0u8; 8];
        // SAFETY: the field fits `field` and lies in the storage.
        unsafe { self.read_at(field.as_mut_ptr(), self.lb(), self.tail) };
        u64::from_le_bytes(field) as u32
    }

    /// Writes a message or as much of a stream as fits; returns the bytes written.
    ///
    /// # Safety
    /// `data` holds `len` readable bytes.
    unsafe fn put(&mut self, data: *const u8, len: u32, required: u32) -> u32 {
        let space = self.spaces();
        let mut at = self.head;
        let n = if self.is(MESSAGE) {
            // The length must fit configMESSAGE_BUFFER_LENGTH_TYPE (FreeRTOS asserts).
            let fits = self.lb() >= 4 || (len as u64) < 1u64 << (8 * self.lb());
            if !config::check(fits) || space < required {
                return 0;
            }
            let field = (len as u64).to_le_bytes();
            // SAFETY: the field's bytes, room checked.
            at = unsafe { self.write_at(field.as_ptr(), self.lb(), at) };
            len
        } else {
            len.min(space)
        };
        if n > 0 {
            // SAFETY: `n` bytes of the caller's data, room checked.
            self.head = unsafe { self.write_at(data, n, at) };
        }
        n
    }

    /// Reads the next message (or up to `max` bytes of a stream) when more than `reserved`
    /// bytes are there; returns the bytes read. A message longer than `max` stays.
    ///
    /// # Safety
    /// `out` has room for `max` bytes.
    unsafe fn take(&mut self, out: *mut u8, max: u32, reserved: u32) -> u32 {
        let mut available = self.bytes();
        if available <= reserved {
            return 0;
        }
        let mut at = self.tail;
        let wanted = if self.is(MESSAGE) {
            let len = self.peek_length();
            available -= self.lb();
            at = if at + self.lb() >= self.length { at + self.lb() - self.length } else { at + self.lb() };
            if len > max {
                0
            } else {
                len
            }
        } else {
            max
        };
        let n = wanted.min(available);
        if n > 0 {
            // SAFETY: `n <= max` bytes into the caller's buffer.
            self.tail = unsafe { self.read_at(out, n, at) };
        }
        n
    }
}

/// The buffer behind a handle; a null handle fails `configASSERT`.
fn buffer<'a>(h: Handle) -> Option<&'a StreamBuffer> {
    if !config::check(!h.is_null()) {
        return None;
    }
    // SAFETY: a handle from a create function that has not been deleted.
    Some(unsafe { &*h })
}

/// Wakes the blocked reader (`rx`) or writer whose mark the caller took (`prio`, from
/// [`Ring::take_waiter`]). Bumping the event after the lock is released is enough: the waiter
/// read the old count under the lock, so its futex wait either sees the new count or is woken.
fn wake(b: &StreamBuffer, rx: bool, prio: Option<u32>) {
    if prio.is_some() {
        let event = if rx { &b.rx_event } else { &b.tx_event };
        event.fetch_add(1, Ordering::Release);
        rtos_sys::futex_wake(event, 1);
    }
}

/// Wakes the blocked reader (`rx`) or writer; returns its priority if there was one.
fn notify(b: &StreamBuffer, rx: bool) -> Option<u32> {
    let prio = b.locked(|r| r.take_waiter(rx));
    wake(b, rx, prio);
    prio
}

fn report_woken(prio: Option<u32>, woken: *mut BaseType_t) {
    if let Some(p) = prio {
        if p > isr::interrupted_priority() && !woken.is_null() {
            // SAFETY: the caller's pxHigherPriorityTaskWoken.
            unsafe { *woken = pdTRUE };
        }
    }
}

/// "Send completed" (`rx`: wake the reader) or "receive completed" (wake the writer): the
/// application's callback if it gave one, else wake the task whose mark the caller took in the
/// same critical section as the transfer (`prio`).
fn completed(h: Handle, b: &StreamBuffer, rx: bool, prio: Option<u32>, from_isr: bool, woken: *mut BaseType_t) {
    match if rx { b.send_completed } else { b.receive_completed } {
        // SAFETY: the application's callback with its buffer.
        Some(f) => unsafe { f(h, from_isr as BaseType_t, woken) },
        None => {
            wake(b, rx, prio);
            report_woken(prio, woken);
        }
    }
}

/// The flags of a buffer type (any other value makes a stream buffer, as in FreeRTOS).
fn flags_of(kind: BaseType_t) -> u32 {
    match kind {
        TYPE_MESSAGE => MESSAGE,
        TYPE_BATCHING => BATCHING,
        _ => 0,
    }
}

/// Checks creation arguments as FreeRTOS does; returns the flags and the trigger level.
fn check_create(size: usize, trigger: usize, kind: BaseType_t) -> Option<(u32, u32)> {
    let flags = flags_of(kind);
    let min = if flags & MESSAGE != 0 { length_bytes() as usize } else { 0 };
    // A length that does not fit our 32-bit indexes (with the extra byte) is refused too.
    if !config::check(size > min && size < u32::MAX as usize / 2) || !config::check(trigger <= size) {
        return None;
    }
    Some((flags | length_bytes() << LB_SHIFT, trigger.max(1) as u32))
}

fn init(
    b: *mut StreamBuffer,
    storage: *mut u8,
    length: u32,
    trigger: u32,
    flags: u32,
    send: Callback,
    receive: Callback,
) {
    let ring = Ring {
        tail: 0,
        head: 0,
        trigger,
        rx_waiting: 0,
        tx_waiting: 0,
        rx_thread: 0,
        tx_thread: 0,
        length,
        storage,
        flags,
    };
    // SAFETY: memory for a buffer owned by the caller.
    unsafe {
        b.write(StreamBuffer {
            lock: Lock::new(),
            ring: UnsafeCell::new(ring),
            rx_event: AtomicU32::new(0),
            tx_event: AtomicU32::new(0),
            flags,
            length,
            storage,
            send_completed: send,
            receive_completed: receive,
            number: AtomicU32::new(0),
            notification_index: AtomicU32::new(0),
        })
    };
}

/// FreeRTOS `xStreamBufferGenericCreate` (behind `xStreamBufferCreate`, `xMessageBufferCreate`,
/// `xStreamBatchingBufferCreate`): buffer and storage in one heap block.
#[no_mangle]
pub extern "C" fn xStreamBufferGenericCreate(
    size: usize,
    trigger: usize,
    kind: BaseType_t,
    send: Callback,
    receive: Callback,
) -> Handle {
    let Some((flags, trigger)) = check_create(size, trigger, kind) else { return null_mut() };
    let length = size as u32 + 1;
    let b = heap::alloc(core::mem::size_of::<StreamBuffer>() + length as usize) as Handle;
    if !b.is_null() {
        let storage = (b as *mut u8).wrapping_add(core::mem::size_of::<StreamBuffer>());
        init(b, storage, length, trigger, flags, send, receive);
    }
    b
}

/// FreeRTOS `xStreamBufferGenericCreateStatic`: `storage` holds `size` bytes, of which
/// `size - 1` are usable.
#[no_mangle]
pub extern "C" fn xStreamBufferGenericCreateStatic(
    size: usize,
    trigger: usize,
    kind: BaseType_t,
    storage: *mut u8,
    buf: *mut StaticStreamBuffer_t,
    send: Callback,
    receive: Callback,
) -> Handle {
    if !config::check(!storage.is_null())
        || !config::check(!buf.is_null())
        || !config::static_fits::<StreamBuffer>(config::get().static_stream_buffer_size)
    {
        return null_mut();
    }
    let Some((flags, trigger)) = check_create(size, trigger, kind) else { return null_mut() };
    let b = buf.cast::<StreamBuffer>();
    init(b, storage, size as u32, trigger, flags | STATIC, send, receive);
    b
}

/// FreeRTOS `xStreamBufferGetStaticBuffers`.
///
/// # Safety
/// The output pointers are null (refused through `configASSERT`) or writable; `h` is any value (checked).
#[no_mangle]
pub unsafe extern "C" fn xStreamBufferGetStaticBuffers(
    h: Handle,
    storage: *mut *mut u8,
    buf: *mut *mut StaticStreamBuffer_t,
) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    if !config::check(!storage.is_null()) || !config::check(!buf.is_null()) || !b.is(STATIC) {
        return pdFALSE;
    }
    // SAFETY: the caller's output pointers, checked non-null.
    unsafe {
        *storage = b.storage;
        *buf = h.cast();
    }
    pdTRUE
}

/// FreeRTOS `vStreamBufferDelete` (also `vMessageBufferDelete`).
#[no_mangle]
pub extern "C" fn vStreamBufferDelete(h: Handle) {
    let Some(b) = buffer(h) else { return };
    if b.is(STATIC) {
        let p = b as *const StreamBuffer as *mut StreamBuffer;
        // SAFETY: the application's buffer, no longer in use: cleared as FreeRTOS does.
        unsafe { p.write_bytes(0, 1) };
    } else {
        heap::free(h.cast());
    }
}

/// FreeRTOS `xStreamBufferReset`: empties the buffer unless a task is blocked on it.
#[no_mangle]
pub extern "C" fn xStreamBufferReset(h: Handle) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    b.locked(|r| {
        let idle = !r.waiting(true) && !r.waiting(false);
        if idle {
            r.head = 0;
            r.tail = 0;
        }
        idle as BaseType_t
    })
}

/// FreeRTOS `xStreamBufferResetFromISR`.
#[no_mangle]
pub extern "C" fn xStreamBufferResetFromISR(h: Handle) -> BaseType_t {
    xStreamBufferReset(h)
}

/// FreeRTOS `xStreamBufferSetTriggerLevel`: 0 means 1; must be below the storage length.
#[no_mangle]
pub extern "C" fn xStreamBufferSetTriggerLevel(h: Handle, level: usize) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    let level = level.max(1);
    if level < b.length as usize {
        b.locked(|r| r.trigger = level as u32);
        pdTRUE
    } else {
        pdFALSE
    }
}

/// FreeRTOS `xStreamBufferSpacesAvailable`.
#[no_mangle]
pub extern "C" fn xStreamBufferSpacesAvailable(h: Handle) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    b.locked(|r| r.spaces()) as usize
}

/// FreeRTOS `xStreamBufferBytesAvailable`.
#[no_mangle]
pub extern "C" fn xStreamBufferBytesAvailable(h: Handle) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    b.locked(|r| r.bytes()) as usize
}

/// FreeRTOS `xStreamBufferIsEmpty`.
#[no_mangle]
pub extern "C" fn xStreamBufferIsEmpty(h: Handle) -> BaseType_t {
    (xStreamBufferBytesAvailable(h) == 0) as BaseType_t
}

/// FreeRTOS `xStreamBufferIsFull`: no room for another byte (or another message header).
#[no_mangle]
pub extern "C" fn xStreamBufferIsFull(h: Handle) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    let reserved = if b.is(MESSAGE) { b.flags >> LB_SHIFT } else { 0 };
    (xStreamBufferSpacesAvailable(h) <= reserved as usize) as BaseType_t
}

/// FreeRTOS `xStreamBufferNextMessageLengthBytes` (`xMessageBufferNextLengthBytes`): the
/// length of the next message, 0 if none (or for a stream).
#[no_mangle]
pub extern "C" fn xStreamBufferNextMessageLengthBytes(h: Handle) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    if !b.is(MESSAGE) {
        return 0;
    }
    b.locked(|r| if r.bytes() > r.lb() { r.peek_length() } else { 0 }) as usize
}

/// FreeRTOS `xStreamBufferSend` (also `xMessageBufferSend`): a stream writes what fits after
/// waiting up to `wait` ticks for room for all of it; a message is written whole or not at all.
///
/// # Safety
/// `data` is null (refused through `configASSERT`) or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn xStreamBufferSend(h: Handle, data: *const c_void, len: usize, mut wait: TickType_t) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    if !config::check(!data.is_null()) {
        return 0;
    }
    let max = b.length - 1;
    let len = len.min(u32::MAX as usize / 2) as u32;
    let mut required = len;
    if b.is(MESSAGE) {
        required += b.flags >> LB_SHIFT;
        if required > max {
            wait = 0;
        }
    } else {
        required = required.min(max);
    }
    if wait != 0 {
        // The clock is read only once we must wait: a send with room never enters the kernel.
        let mut started: Option<u32> = None;
        loop {
            // Room, or the writer's mark set and the event count it will wait on.
            let state = b.locked(|r| {
                if r.spaces() >= required {
                    return Ok(None);
                }
                if r.waiting(false) {
                    return Err(());
                }
                r.mark_waiting(false);
                Ok(Some(b.tx_event.load(Ordering::Relaxed)))
            });
            let seen = match state {
                Ok(None) => break,
                Ok(Some(seen)) => seen,
                Err(()) => {
                    // Another task is already blocked writing (FreeRTOS asserts).
                    config::assert_failed();
                    return 0;
                }
            };
            let start = *started.get_or_insert_with(rtos_sys::ticks);
            let elapsed = rtos_sys::ticks().wrapping_sub(start);
            let _ = rtos_sys::futex_wait(&b.tx_event, seen, task::timeout(wait).map(|w| w.saturating_sub(elapsed)));
            b.locked(|r| r.tx_waiting = 0);
            if wait != portMAX_DELAY && rtos_sys::ticks().wrapping_sub(start) >= wait {
                break;
            }
        }
    }
    let (n, reached, prio) = b.locked(|r| {
        // SAFETY: the caller's `len` bytes at `data`.
        let n = unsafe { r.put(data.cast(), len, required) };
        let reached = n > 0 && r.bytes() >= r.trigger;
        let prio = if reached && b.send_completed.is_none() { r.take_waiter(true) } else { None };
        (n, reached, prio)
    });
    if reached {
        completed(h, b, true, prio, false, null_mut());
    }
    n as usize
}

/// FreeRTOS `xStreamBufferSendFromISR` (also `xMessageBufferSendFromISR`).
///
/// # Safety
/// `data` is null (refused) or points to `len` readable bytes; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xStreamBufferSendFromISR(
    h: Handle,
    data: *const c_void,
    len: usize,
    woken: *mut BaseType_t,
) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    if !config::check(!data.is_null()) {
        return 0;
    }
    let len = len.min(u32::MAX as usize / 2) as u32;
    let required = if b.is(MESSAGE) { len + (b.flags >> LB_SHIFT) } else { len };
    let (n, reached, prio) = b.locked(|r| {
        // SAFETY: the caller's `len` bytes at `data`.
        let n = unsafe { r.put(data.cast(), len, required) };
        let reached = n > 0 && r.bytes() >= r.trigger;
        let prio = if reached && b.send_completed.is_none() { r.take_waiter(true) } else { None };
        (n, reached, prio)
    });
    if reached {
        completed(h, b, true, prio, true, woken);
    }
    n as usize
}

/// FreeRTOS `xStreamBufferReceive` (also `xMessageBufferReceive`): waits up to `wait` ticks
/// while the buffer is empty (a batching buffer: at or below its trigger level); a writer's
/// send wakes the reader only once the trigger level is reached.
///
/// # Safety
/// `out` is null (refused through `configASSERT`) or points to `max` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn xStreamBufferReceive(h: Handle, out: *mut c_void, max: usize, wait: TickType_t) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    if !config::check(!out.is_null()) {
        return 0;
    }
    let max = max.min(u32::MAX as usize / 2) as u32;
    if wait != 0 {
        // Nothing to read: the reader's mark set and the event count it will wait on.
        let state = b.locked(|r| {
            if r.bytes() > r.reserved(false) {
                return Ok(None);
            }
            if r.waiting(true) {
                return Err(());
            }
            r.mark_waiting(true);
            Ok(Some(b.rx_event.load(Ordering::Relaxed)))
        });
        match state {
            Ok(None) => {}
            Ok(Some(seen)) => {
                // One wait, as FreeRTOS's one notification wait: woken by a send that reached
                // the trigger level, or out of time.
                let _ = rtos_sys::futex_wait(&b.rx_event, seen, task::timeout(wait));
                b.locked(|r| r.rx_waiting = 0);
            }
            Err(()) => {
                // Another task is already blocked reading (FreeRTOS asserts).
                config::assert_failed();
                return 0;
            }
        }
    }
    let (n, prio) = b.locked(|r| {
        // SAFETY: the caller's buffer of `max` bytes.
        let n = unsafe { r.take(out.cast(), max, r.reserved(false)) };
        let prio = if n > 0 && b.receive_completed.is_none() { r.take_waiter(false) } else { None };
        (n, prio)
    });
    if n > 0 {
        completed(h, b, false, prio, false, null_mut());
    }
    n as usize
}

/// FreeRTOS `xStreamBufferReceiveFromISR` (also `xMessageBufferReceiveFromISR`).
///
/// # Safety
/// `out` is null (refused) or points to `max` writable bytes; `woken` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn xStreamBufferReceiveFromISR(
    h: Handle,
    out: *mut c_void,
    max: usize,
    woken: *mut BaseType_t,
) -> usize {
    let Some(b) = buffer(h) else { return 0 };
    if !config::check(!out.is_null()) {
        return 0;
    }
    let max = max.min(u32::MAX as usize / 2) as u32;
    let (n, prio) = b.locked(|r| {
        // SAFETY: the caller's buffer of `max` bytes.
        let n = unsafe { r.take(out.cast(), max, r.reserved(true)) };
        let prio = if n > 0 && b.receive_completed.is_none() { r.take_waiter(false) } else { None };
        (n, prio)
    });
    if n > 0 {
        completed(h, b, false, prio, true, woken);
    }
    n as usize
}

/// FreeRTOS `xStreamBufferSendCompletedFromISR`: wakes a blocked reader; returns whether there
/// was one.
#[no_mangle]
pub extern "C" fn xStreamBufferSendCompletedFromISR(h: Handle, woken: *mut BaseType_t) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    let p = notify(b, true);
    report_woken(p, woken);
    p.is_some() as BaseType_t
}

/// FreeRTOS `xStreamBufferReceiveCompletedFromISR`: wakes a blocked writer; returns whether
/// there was one.
#[no_mangle]
pub extern "C" fn xStreamBufferReceiveCompletedFromISR(h: Handle, woken: *mut BaseType_t) -> BaseType_t {
    let Some(b) = buffer(h) else { return pdFALSE };
    let p = notify(b, false);
    report_woken(p, woken);
    p.is_some() as BaseType_t
}

/// FreeRTOS `uxStreamBufferGetStreamBufferNotificationIndex`.
#[no_mangle]
pub extern "C" fn uxStreamBufferGetStreamBufferNotificationIndex(h: Handle) -> UBaseType_t {
    buffer(h).map_or(0, |b| b.notification_index.load(Ordering::Relaxed))
}

/// FreeRTOS `vStreamBufferSetStreamBufferNotificationIndex` (recorded only: blocking uses the
/// buffer's own futex words, not notifications).
#[no_mangle]
pub extern "C" fn vStreamBufferSetStreamBufferNotificationIndex(h: Handle, index: UBaseType_t) {
    if let Some(b) = buffer(h) {
        let idle = b.locked(|r| !r.waiting(true) && !r.waiting(false));
        if config::check(idle) {
            b.notification_index.store(index, Ordering::Relaxed);
        }
    }
}

/// FreeRTOS `uxStreamBufferGetStreamBufferNumber` (trace facility).
#[no_mangle]
pub extern "C" fn uxStreamBufferGetStreamBufferNumber(h: Handle) -> UBaseType_t {
    buffer(h).map_or(0, |b| b.number.load(Ordering::Relaxed))
}

/// FreeRTOS `vStreamBufferSetStreamBufferNumber` (trace facility).
#[no_mangle]
pub extern "C" fn vStreamBufferSetStreamBufferNumber(h: Handle, n: UBaseType_t) {
    if let Some(b) = buffer(h) {
        b.number.store(n, Ordering::Relaxed);
    }
}

/// FreeRTOS `ucStreamBufferGetStreamBufferType` (trace facility): 1 for a message buffer.
#[no_mangle]
pub extern "C" fn ucStreamBufferGetStreamBufferType(h: Handle) -> u8 {
    buffer(h).map_or(0, |b| b.is(MESSAGE) as u8)
}
