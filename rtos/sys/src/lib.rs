//! The system-call ABI of the RTOS: the only way thread code — privileged kernel threads and
//! unprivileged compartments alike — enters the kernel.
//!
//! ABI (ARMv8-M): `svc #N` with N from [`nr`], arguments in `r0..r3`, result in `r0` (and `r1` for
//! 64-bit values or a call status). Negative results are [`Error`] codes. The full table is in
//! `docs/syscalls.md`. On the host only the numbers and data types exist (the kernel side is tested
//! there). With feature `compartment`, this crate also provides the runtime a compartment links into
//! its own code (panic handler, return and exit trampolines).
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

mod error;
pub mod time;
pub use error::Error;

/// Error of a cross-compartment call (`NotImported`, `CompartmentFault`, `CallTooDeep`,
/// `NoStackForCall`, or what the callee's stub reports).
pub type CallError = Error;

/// The ABI of a compartment's error handler (manifest `error_handler`): it is entered as
/// `extern "C" fn(cause: u32, pc: u32, addr: u32) -> u32` on the faulting thread, in the faulting
/// compartment, and returns a decision.
pub mod fault {
    /// MPU violation (data or instruction access outside the compartment's view).
    pub const CAUSE_MEMORY: u32 = 1;
    /// Bus error.
    pub const CAUSE_BUS: u32 = 2;
    /// Undefined instruction (a panic in a compartment ends in one), invalid state, division by
    /// zero, unaligned access.
    pub const CAUSE_USAGE: u32 = 3;
    /// Stack overflow (PSPLIM): `pc` is 0 when the exception frame could not be stacked.
    pub const CAUSE_STACK_OVERFLOW: u32 = 4;
    /// Anything else (escalated HardFault, SecureFault).
    pub const CAUSE_OTHER: u32 = 5;
    /// Decision: unwind the faulting call (the caller gets `CompartmentFault`), or end the thread
    /// if the fault happened in its home compartment outside any call. Any unknown value means
    /// this too.
    pub const UNWIND: u32 = 0;
    /// Decision: unwind, then micro-reboot the compartment.
    pub const REBOOT: u32 = 1;
}

/// A handle naming one thread for its whole life: slot index plus a generation number, so a
/// handle to a thread that exited never names the slot's next occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThreadId(u32);

impl ThreadId {
    /// The handle of slot `index` in its `generation`.
    pub fn new(index: usize, generation: u16) -> ThreadId {
        ThreadId((generation as u32) << 8 | (index as u32 & 0xFF))
    }
    /// The slot index.
    pub const fn index(self) -> usize {
        (self.0 & 0xFF) as usize
    }
    /// The slot's generation when this thread was created.
    pub const fn generation(self) -> u16 {
        (self.0 >> 8) as u16
    }
    /// The ABI encoding (never zero for a real thread).
    pub const fn to_raw(self) -> u32 {
        self.0
    }
    /// Decodes an ABI value; validity is checked when the kernel looks it up.
    pub const fn from_raw(raw: u32) -> ThreadId {
        ThreadId(raw)
    }
}

/// System-call numbers (the `svc` immediate). Part of the ABI: never renumber.
pub mod nr {
    /// Let equal-priority threads run. `() -> 0`
    pub const YIELD: u8 = 0;
    /// Block for `r0` ticks (0 = yield). `-> 0`
    pub const SLEEP: u8 = 1;
    /// Block until the 32-bit tick count reaches `r0` (no-op if not in the future). `-> 0`
    pub const SLEEP_UNTIL: u8 = 2;
    /// Block on the futex word at `r0` while it equals `r1`; timeout `r2` ticks (`u32::MAX` =
    /// forever). `-> 0` when woken, `TimedOut`, `WouldBlock` (value differed), `InvalidArgument`.
    pub const FUTEX_WAIT: u8 = 3;
    /// Wake up to `r1` waiters (`u32::MAX` = all) of the futex at `r0`. `-> number woken`
    pub const FUTEX_WAKE: u8 = 4;
    /// `-> 32-bit tick count` (wraps).
    pub const TICKS: u8 = 5;
    /// `-> 64-bit monotonic tick count in r0 (low), r1 (high)`.
    pub const NOW: u8 = 6;
    /// Create a thread from the [`ThreadParams`](super::ThreadParams) at `r0`. `-> thread handle`
    pub const THREAD_CREATE: u8 = 7;
    /// End the calling thread. Does not return.
    pub const THREAD_EXIT: u8 = 8;
    /// `-> handle of the calling thread`
    pub const THREAD_SELF: u8 = 9;
    /// End the thread `r0` (may be the caller). `-> 0`
    pub const THREAD_KILL: u8 = 10;
    /// Set thread `r0`'s priority to `r1`. `-> 0`
    pub const SET_PRIORITY: u8 = 11;
    /// `-> priority of thread r0`
    pub const GET_PRIORITY: u8 = 12;
    /// Write `r1` bytes at `r0` to the console. `-> 0`
    pub const CONSOLE_WRITE: u8 = 13;
    /// End the whole system with exit code `r0`. Does not return, except with `NotPermitted` to
    /// a compartment without the manifest right `may_shutdown`.
    pub const SHUTDOWN: u8 = 14;
    /// `-> tick rate in Hz`
    pub const TICK_HZ: u8 = 15;
    /// `-> 64-bit count of tick-timer clock cycles since boot, r0 (low), r1 (high)`: a
    /// fine-grained monotonic clock (see [`CLOCK_HZ`]).
    pub const CYCLES: u8 = 16;
    /// `-> frequency of the CYCLES clock in Hz`.
    pub const CLOCK_HZ: u8 = 17;
    /// Cross-compartment call through import slot `r12` with arguments `r0..r3`.
    /// `-> r0 = callee's result, r1 = 0`, or `r1 = error` (`NotImported`, `CompartmentFault`, …).
    pub const CALL: u8 = 18;
    /// Return from a cross-compartment call with result `r0` (issued by the compartment's return
    /// trampoline, never called directly). Does not return to the caller of `svc`.
    pub const RETURN: u8 = 19;
    /// Create a sealing key owned by the calling compartment. `-> key`
    pub const SEAL_KEY_CREATE: u8 = 20;
    /// Seal payload `r1` under key `r0`. `-> handle`
    pub const SEAL: u8 = 21;
    /// Open handle `r1` with key `r0`. `-> payload`, `InvalidHandle`, `WrongType`, `NotPermitted`
    pub const UNSEAL: u8 = 22;
    /// Destroy the object behind handle `r1` (key `r0`). `-> payload`
    pub const SEAL_DESTROY: u8 = 23;
    /// Cross-compartment call with capability arguments, described by the [`CallDesc`](super::CallDesc)
    /// at `r0`. `-> r0 = callee's result, r1 = 0`, or `r1 = error` (also `GrantNotExact`,
    /// `GrantOverlap`, `NotPermitted` for a grant the caller does not hold).
    pub const CALL_GRANTS: u8 = 24;
    /// Micro-reboot compartment `r0` (its index in the manifest): unwind threads that are inside it
    /// through calls (their callers get `CompartmentFault`), end its own threads, reset its
    /// globals from the image, free its heap, make every sealed handle it issued stale, rerun its
    /// `init` and restart its manifest threads. Privileged (kernel) threads, and compartments whose
    /// manifest `may_reboot` lists it (`NotPermitted` otherwise); `Busy` for the compartment the
    /// caller is running in. `-> number of handles revoked`
    pub const COMPARTMENT_REBOOT: u8 = 25;
    /// `-> r0 = the calling compartment's own allocation capability` (a sealed handle naming its
    /// heap quota), `NotPermitted` for kernel threads.
    pub const HEAP_CAP: u8 = 26;
    /// Allocate `r1` bytes in the calling compartment's heap, charged to the quota of allocation
    /// capability `r0`. `-> r0 = address` (32-byte aligned, zeroed, a whole number of 32-byte
    /// granules), or `QuotaExceeded`, `OutOfMemory`, `InvalidHandle`, `WrongType`.
    pub const HEAP_ALLOC: u8 = 27;
    /// Free the allocation at `r1` (in the calling compartment's heap, charged to capability `r0`).
    /// `-> r0 = bytes freed`, `InvalidArgument` if `r1` is not such an allocation.
    pub const HEAP_FREE: u8 = 28;
    /// Free every allocation charged to capability `r0`, in every compartment. `-> r0 = bytes freed`
    pub const HEAP_FREE_ALL: u8 = 29;
    /// `-> r0 = bytes in use, r1 = limit` of capability `r0`'s quota; on error `r0 = error code,
    /// r1 = u32::MAX`.
    pub const HEAP_QUOTA: u8 = 30;
    /// `-> r0 = the calling compartment's static sealing key r0` (manifest `sealing_keys`, by
    /// position), `InvalidArgument` for an index it does not have.
    pub const STATIC_KEY: u8 = 31;
    /// `-> r0 = handle of the static sealed object the calling compartment imports in slot r0`
    /// (manifest `sealed_imports`, by position), `InvalidArgument` for a slot it does not have.
    pub const STATIC_SEALED: u8 = 32;
    /// Copy the contents of static sealed object `r1` (opened with key `r0`, which the caller must
    /// own) into the caller's buffer at `r2` of [`SEALED_CONTENTS_MAX`](super::SEALED_CONTENTS_MAX)
    /// bytes. `-> r0 = length`, or `InvalidHandle`, `WrongType`, `NotPermitted`,
    /// `InvalidArgument` (not a static object, or an unwritable buffer).
    pub const SEALED_CONTENTS: u8 = 33;
    /// Free-space figures of the calling compartment's heap arena, written as four words at `r0`
    /// (free bytes, largest and smallest free block, number of free blocks; a block is a run of
    /// free granules). `-> 0`, or `NotPermitted` (a kernel thread), `InvalidArgument` (the buffer
    /// is not writable by the caller).
    pub const HEAP_STATS: u8 = 38;
    /// Suspend thread `r0` (the caller included) until [`THREAD_RESUME`]; a sleep or futex wait
    /// it is in ends with `Interrupted` (returned when it runs again). `-> 0`
    pub const THREAD_SUSPEND: u8 = 34;
    /// Make suspended thread `r0` ready again. `-> 1` if it was suspended, `0` otherwise.
    pub const THREAD_RESUME: u8 = 35;
    /// End the sleep or futex wait of thread `r0` now: its call returns `Interrupted`.
    /// `-> 1` if it was blocked, `0` otherwise.
    pub const THREAD_ABORT_WAIT: u8 = 36;
    /// `-> state of thread r0`: 0 running (the caller), 1 ready, 2 blocked, 3 suspended;
    /// `NoSuchThread` once it has ended.
    pub const THREAD_STATE: u8 = 37;
    /// Wait for interrupt line `r0`, which the caller's current compartment must own (a device
    /// with that line granted in the manifest), for up to `r1` ticks (`FOREVER`: no limit, 0:
    /// poll). `-> 0` when it fired (the line is then masked until [`IRQ_ACK`]), `TimedOut`,
    /// `NotPermitted` (not the owner, or a kernel thread).
    pub const IRQ_WAIT: u8 = 42;
    /// Unmask interrupt line `r0` (owner only) after the driver has cleared the device's cause.
    /// An event latched while the line was masked is delivered at once (a wake-up means "look at
    /// the device", never "exactly one event"). `-> 0`, or `NotPermitted`.
    pub const IRQ_ACK: u8 = 43;
    /// `-> r0 = manifest index of the compartment that made the innermost active
    /// cross-compartment call on this thread` (who called the code now running), or
    /// `NotPermitted` when the thread is not inside a call (its home compartment, or a kernel
    /// thread). Read from the kernel's call stack: a compartment cannot forge it.
    pub const CALLER: u8 = 39;
    /// `-> r0:r1 = wall-clock time in microseconds since the Unix epoch (low, high), r2 = status`:
    /// 0, or `ClockNotSet` before the first [`WALL_CLOCK_SET`] (r0:r1 are then 0). Any thread.
    pub const WALL_CLOCK: u8 = 40;
    /// Step the wall clock to `r1 | r2 << 32` microseconds since the Unix epoch, presenting clock
    /// capability `r0`. `-> 0`, `InvalidHandle` (forged or revoked), `WrongType` (a handle of
    /// another type), `InvalidArgument` (later than
    /// [`WALL_CLOCK_MAX_US`](super::time::WALL_CLOCK_MAX_US)).
    pub const WALL_CLOCK_SET: u8 = 41;
    /// `-> r0 = the clock capability of the code now running, r1 = status`: compartments whose
    /// manifest has `may_set_clock = true`, and kernel threads; `NotPermitted` otherwise.
    pub const CLOCK_CAP: u8 = 44;
    /// `-> 64-bit count of CYCLES clock cycles the idle thread has spent waiting for an
    /// interrupt since boot, r0 (low), r1 (high)`. Elapsed [`CYCLES`] minus elapsed idle cycles
    /// is the busy time of the system: threads, compartments and every interrupt handler
    /// (including those taken while the idle thread was current).
    pub const IDLE_CYCLES: u8 = 45;
}

/// A thread's state, from [`nr::THREAD_STATE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// The calling thread.
    Running,
    /// Ready to run.
    Ready,
    /// Sleeping or waiting on a futex.
    Blocked,
    /// Suspended.
    Suspended,
}

impl ThreadState {
    /// Decodes the ABI value of [`nr::THREAD_STATE`].
    pub const fn from_raw(raw: u32) -> Option<ThreadState> {
        match raw {
            0 => Some(ThreadState::Running),
            1 => Some(ThreadState::Ready),
            2 => Some(ThreadState::Blocked),
            3 => Some(ThreadState::Suspended),
            _ => None,
        }
    }
}

/// Largest contents of a static sealed object, in bytes.
pub const SEALED_CONTENTS_MAX: usize = 64;

/// One capability argument of [`nr::CALL_GRANTS`]: `kind` 1 read-only, 2 read-write, 3 store-only.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GrantDesc {
    /// First byte (32-byte aligned).
    pub base: u32,
    /// Length in bytes (a multiple of 32).
    pub len: u32,
    /// Permission.
    pub kind: u32,
}

/// Most capability arguments in one call.
pub const MAX_GRANTS: usize = 2;

/// Argument block of [`nr::CALL_GRANTS`] (C layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CallDesc {
    /// Import slot.
    pub slot: u32,
    /// Register arguments r0–r3 of the callee.
    pub args: [u32; 4],
    /// Number of valid entries in `grants`.
    pub ngrants: u32,
    /// The capability arguments.
    pub grants: [GrantDesc; MAX_GRANTS],
}

/// One MPU granule (32 bytes, 32-byte aligned). Buffers passed as capabilities are slices of
/// granules, so a buffer whose bounds the MPU could not enforce exactly cannot even be expressed.
#[repr(C, align(32))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Granule(pub [u8; 32]);

impl Granule {
    /// A zeroed granule.
    pub const ZERO: Granule = Granule([0; 32]);

    /// The granule as eight 32-bit words.
    pub fn words(&self) -> &[u32; 8] {
        // SAFETY: same size (32 bytes); the granule's 32-byte alignment satisfies u32's; every
        // bit pattern is a valid u32.
        unsafe { &*(self as *const Granule as *const [u32; 8]) }
    }

    /// The granule as eight mutable 32-bit words.
    pub fn words_mut(&mut self) -> &mut [u32; 8] {
        // SAFETY: as in `words`, and every bit pattern written is a valid byte array.
        unsafe { &mut *(self as *mut Granule as *mut [u32; 8]) }
    }
}

/// A capability argument, borrowing its buffer for the duration of the call: the caller cannot
/// touch the buffer while the callee has it, and the callee's right ends when the call returns.
pub enum Cap<'a> {
    /// The callee may read the buffer.
    ReadOnly(&'a [Granule]),
    /// The callee may read and write the buffer.
    ReadWrite(&'a mut [Granule]),
    /// The callee may write the buffer and read back only what it wrote (the kernel zeroes it).
    StoreOnly(&'a mut [Granule]),
}

impl Cap<'_> {
    /// The ABI description of this capability.
    pub fn desc(&self) -> GrantDesc {
        let (ptr, len, kind) = match self {
            Cap::ReadOnly(b) => (b.as_ptr(), b.len(), 1),
            Cap::ReadWrite(b) => (b.as_ptr(), b.len(), 2),
            Cap::StoreOnly(b) => (b.as_ptr(), b.len(), 3),
        };
        GrantDesc { base: ptr as usize as u32, len: (len * 32) as u32, kind }
    }
}

/// Generates one typed capability argument: what a typed import stub takes for a grant parameter
/// and what the exporting function declares (both sides name the same type, so a grant of
/// another kind does not compile). Two words, `#[repr(C)]`: passed by value it occupies two
/// argument registers (base, then length in bytes), as the typed call ABI says.
macro_rules! grant_type {
    ($(#[$doc:meta])* $name:ident, $borrow:ty, $kind:expr, $ptr:ty) => {
        $(#[$doc])*
        #[repr(C)]
        #[derive(Debug)]
        pub struct $name<'a> {
            base: $ptr,
            len: u32,
            _borrow: core::marker::PhantomData<$borrow>,
        }

        impl<'a> $name<'a> {
            /// The first byte's address (a register of the call).
            #[inline(always)]
            pub fn base(&self) -> u32 {
                self.base as usize as u32
            }
            /// The length in bytes (a register of the call).
            #[inline(always)]
            #[allow(clippy::len_without_is_empty)]
            pub fn len(&self) -> u32 {
                self.len
            }
            /// The kernel's description of this grant ([`nr::CALL_GRANTS`]).
            #[inline(always)]
            pub fn grant(&self) -> GrantDesc {
                GrantDesc { base: self.base(), len: self.len, kind: $kind }
            }
            /// Whether base and length are whole granules (what the kernel grants).
            fn is_exact(&self) -> bool {
                !self.base.is_null() && self.base as usize % 32 == 0 && self.len % 32 == 0
            }
        }
    };
}

grant_type!(
    /// A buffer lent read-only for one call. A caller makes one from `&[Granule]` (exact bounds by
    /// construction); an export declares a parameter of this type to accept only read-only grants.
    ReadOnly, &'a [Granule], 1, *const Granule
);
grant_type!(
    /// A buffer lent read-write for one call; borrows the caller's buffer mutably for the call.
    ReadWrite, &'a mut [Granule], 2, *mut Granule
);
grant_type!(
    /// A buffer lent store-only for one call: the kernel zeroes it before the callee runs, so the
    /// callee can write it and read back only what it wrote.
    StoreOnly, &'a mut [Granule], 3, *mut Granule
);

impl<'a> ReadOnly<'a> {
    /// Lends `buf` read-only.
    #[inline(always)]
    pub fn new(buf: &'a [Granule]) -> Self {
        ReadOnly { base: buf.as_ptr(), len: (buf.len() * 32) as u32, _borrow: core::marker::PhantomData }
    }
    /// The granted buffer, as the callee sees it; `None` if the registers do not describe whole
    /// granules.
    ///
    /// # Safety
    /// The registers are a kernel-checked, mapped grant when this is a parameter of an export
    /// called across compartments: the kernel refuses calls into an export that declares grant
    /// parameters unless they lend exactly those grants, base and length in these registers
    /// (`GrantMismatch`). Use this only in such exports (not on a value from a direct call that
    /// bypassed the kernel), and never keep the slice beyond the call.
    pub unsafe fn granules(&self) -> Option<&'a [Granule]> {
        // SAFETY: exact bounds checked here; validity and lifetime per the caller's contract.
        self.is_exact().then(|| unsafe { core::slice::from_raw_parts(self.base, self.len as usize / 32) })
    }
}

impl Clone for ReadOnly<'_> {
    fn clone(&self) -> Self {
        *self
    }
}
// A read-only loan may be passed on (to a further callee) and copied like a shared borrow.
impl Copy for ReadOnly<'_> {}

impl<'a> From<&'a [Granule]> for ReadOnly<'a> {
    fn from(buf: &'a [Granule]) -> Self {
        ReadOnly::new(buf)
    }
}

macro_rules! grant_mut_impl {
    ($name:ident) => {
        impl<'a> $name<'a> {
            /// Lends `buf` for one call.
            #[inline(always)]
            pub fn new(buf: &'a mut [Granule]) -> Self {
                $name { base: buf.as_mut_ptr(), len: (buf.len() * 32) as u32, _borrow: core::marker::PhantomData }
            }
            /// Re-lends the same buffer with the same rights for a nested call (the original stays
            /// borrowed until that call returns).
            #[inline(always)]
            pub fn reborrow(&mut self) -> $name<'_> {
                $name { base: self.base, len: self.len, _borrow: core::marker::PhantomData }
            }
            /// The granted buffer, as the callee sees it; `None` if the registers do not describe
            /// whole granules.
            ///
            /// # Safety
            /// As [`ReadOnly::granules`]: the registers are the kernel-checked grant only if the
            /// caller used `CALL_GRANTS`; never keep the slice beyond the call.
            pub unsafe fn granules_mut(&mut self) -> Option<&mut [Granule]> {
                // SAFETY: exact bounds checked here; validity and lifetime per the caller's contract.
                self.is_exact().then(|| unsafe { core::slice::from_raw_parts_mut(self.base, self.len as usize / 32) })
            }
        }

        impl<'a> From<&'a mut [Granule]> for $name<'a> {
            fn from(buf: &'a mut [Granule]) -> Self {
                $name::new(buf)
            }
        }
    };
}
grant_mut_impl!(ReadWrite);
grant_mut_impl!(StoreOnly);

/// A sealing key: lets its owner compartment seal and open handles of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealKey(pub u32);

/// A sealed handle: opaque to everyone but the holder of the key it was sealed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sealed(pub u32);

/// An allocation capability: a sealed handle naming a heap quota. Whoever holds it can allocate
/// (in its own compartment's heap) and free memory charged to that quota; pass it to a callee to
/// let it allocate on your behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocCap(pub u32);

/// A clock capability: a sealed handle under a key only the kernel's clock owns. Whoever holds
/// it may set the wall clock ([`wall_clock_set`]); lend it (pass its value) to let another
/// compartment do so. A compartment obtains its own with [`clock_cap`] if its manifest has
/// `may_set_clock = true`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockCap(pub u32);

/// A quota's state, from [`heap_quota`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaInfo {
    /// Bytes allocated against the quota (in all compartments' heaps).
    pub used: u32,
    /// Bytes the quota allows.
    pub limit: u32,
}

/// Free space of the calling compartment's heap arena, from [`heap_stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Free bytes in all.
    pub free: u32,
    /// The largest free block (run of free granules), in bytes.
    pub largest: u32,
    /// The smallest free block, in bytes.
    pub smallest: u32,
    /// How many free blocks there are.
    pub blocks: u32,
}

/// Timeout value meaning "wait forever" in [`nr::FUTEX_WAIT`].
pub const FOREVER: u32 = u32::MAX;

/// Parameters of [`nr::THREAD_CREATE`]; C-compatible layout.
///
/// The new thread starts at `entry(arg0, arg1)` with the C calling convention; returning from
/// `entry` ends the thread. The stack must be at least [`MIN_STACK_SIZE`](crate::image::MIN_STACK_SIZE)
/// bytes, owned by the new thread for its whole life.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ThreadParams {
    /// Entry point.
    pub entry: unsafe extern "C" fn(usize, usize),
    /// First argument (`r0`).
    pub arg0: usize,
    /// Second argument (`r1`).
    pub arg1: usize,
    /// Priority `0..=31`.
    pub priority: u32,
    /// Lowest address of the stack. Null from a compartment thread: a stack of at least
    /// `stack_size` bytes from the compartment's pool (manifest `thread_stacks`); the kernel then
    /// stores the stack it chose here and in `stack_size`, if the caller can write them.
    pub stack_base: *mut u8,
    /// Stack size in bytes.
    pub stack_size: usize,
    /// Name (UTF-8, not NUL-terminated; truncated to 15 bytes).
    pub name: *const u8,
    /// Length of `name`.
    pub name_len: usize,
}

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use self::user::*;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod user {
    //! Thread-side system-call wrappers.
    use super::*;
    use core::arch::asm;
    use core::sync::atomic::AtomicU32;

    macro_rules! svc {
        ($n:expr) => { svc!($n; 0, 0, 0) };
        ($n:expr; $a0:expr) => { svc!($n; $a0, 0, 0) };
        ($n:expr; $a0:expr, $a1:expr) => { svc!($n; $a0, $a1, 0) };
        ($n:expr; $a0:expr, $a1:expr, $a2:expr) => {{
            let r0: u32;
            // SAFETY: `svc` enters the kernel, which reads r0..r2 and writes r0/r1 only; it
            // preserves every other register (the exception frame restores them).
            unsafe {
                asm!("svc #{n}", n = const $n,
                     inlateout("r0") $a0 as u32 => r0,
                     inlateout("r1") $a1 as u32 => _,
                     in("r2") $a2 as u32,
                     options(nostack));
            }
            r0 as i32
        }};
    }

    /// Lets other ready threads of the same priority run.
    pub fn yield_now() {
        svc!(nr::YIELD);
    }

    /// Blocks for `ticks` ticks (0 = yield).
    pub fn sleep(ticks: u32) {
        svc!(nr::SLEEP; ticks);
    }

    /// Blocks for at least `ms` milliseconds (rounded up to whole ticks).
    pub fn sleep_ms(ms: u32) {
        sleep(crate::time::ms_to_ticks(ms, tick_hz()));
    }

    /// Blocks until the 32-bit tick count reaches `wake` (returns at once if it is not ahead).
    pub fn sleep_until(wake: u32) {
        svc!(nr::SLEEP_UNTIL; wake);
    }

    /// Periodic delay with FreeRTOS `xTaskDelayUntil` semantics: wakes at `*prev + increment`,
    /// stores that as the new `*prev`, and returns whether the thread had to wait.
    pub fn delay_until(prev: &mut u32, increment: u32) -> bool {
        let d = crate::time::delay_until(*prev, increment, ticks());
        *prev = d.wake;
        if d.must_wait {
            sleep_until(d.wake);
        }
        d.must_wait
    }

    /// Blocks while `*word == expected`, until woken or `timeout` ticks pass (`None` = forever).
    pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<u32>) -> Result<(), Error> {
        let t = timeout.map_or(FOREVER, |t| t.min(FOREVER - 1));
        Error::check(svc!(nr::FUTEX_WAIT; word.as_ptr() as usize, expected, t)).map(drop)
    }

    /// Waits until interrupt line `irq` (owned by the calling compartment) fires, for at most
    /// `timeout` ticks (`None`: forever). The line stays masked until [`irq_ack`].
    pub fn irq_wait(irq: u32, timeout: Option<u32>) -> Result<(), Error> {
        let t = timeout.map_or(FOREVER, |t| t.min(FOREVER - 1));
        Error::check(svc!(nr::IRQ_WAIT; irq, t)).map(drop)
    }

    /// Unmasks interrupt line `irq` (owned by the calling compartment): call it once the device
    /// is set up, and after each [`irq_wait`] once the device's interrupt cause is cleared.
    pub fn irq_ack(irq: u32) -> Result<(), Error> {
        Error::check(svc!(nr::IRQ_ACK; irq)).map(drop)
    }

    /// Wakes up to `count` waiters of `word` (`u32::MAX` = all); returns how many woke.
    pub fn futex_wake(word: &AtomicU32, count: u32) -> u32 {
        Error::check(svc!(nr::FUTEX_WAKE; word.as_ptr() as usize, count)).unwrap_or(0)
    }

    /// The 32-bit tick count (wraps).
    pub fn ticks() -> u32 {
        svc!(nr::TICKS) as u32
    }

    /// A system call returning a 64-bit value: low word in r0, high word in r1.
    macro_rules! svc_wide {
        ($n:expr) => {{
            let lo: u32;
            let hi: u32;
            // SAFETY: as in `svc!`; the kernel writes the low word to r0 and the high word to r1.
            unsafe {
                asm!("svc #{n}", n = const $n, lateout("r0") lo, lateout("r1") hi, out("r2") _,
                     options(nostack));
            }
            (hi as u64) << 32 | lo as u64
        }};
    }

    /// The 64-bit monotonic tick count.
    pub fn now() -> u64 {
        svc_wide!(nr::NOW)
    }

    /// Clock cycles since boot (frequency: [`clock_hz`]); finer than ticks, for measurements.
    pub fn cycles() -> u64 {
        svc_wide!(nr::CYCLES)
    }

    /// Cycles of the [`cycles`] clock the idle thread has spent waiting for an interrupt since
    /// boot. `cycles()` minus `idle_cycles()`, each taken as a difference over an interval, is
    /// the busy time in that interval (threads, compartments and all interrupt handlers).
    pub fn idle_cycles() -> u64 {
        svc_wide!(nr::IDLE_CYCLES)
    }

    /// Frequency of [`cycles`] in Hz.
    pub fn clock_hz() -> u32 {
        svc!(nr::CLOCK_HZ) as u32
    }

    /// Tick rate in Hz.
    pub fn tick_hz() -> u32 {
        svc!(nr::TICK_HZ) as u32
    }

    /// Creates a thread from raw parameters.
    ///
    /// # Safety
    /// `params.entry` must be a function that is sound to run on its own thread with the given
    /// arguments, and the stack must be memory no one else uses while the thread lives.
    pub unsafe fn thread_create(params: &ThreadParams) -> Result<ThreadId, Error> {
        Error::check(svc!(nr::THREAD_CREATE; params as *const ThreadParams as usize)).map(ThreadId::from_raw)
    }

    ///
    /// # Safety
    /// Only the kernel calls it, as the entry of a thread `spawn` created: `entry` is a `fn(usize)`.
    unsafe extern "C" fn rust_entry(entry: usize, arg: usize) {
        // SAFETY: `spawn` passes a `fn(usize)` pointer as `entry`.
        let f: fn(usize) = unsafe { core::mem::transmute::<usize, fn(usize)>(entry) };
        f(arg);
    }

    /// Starts `entry(arg)` on a new thread with its own `stack`, at `priority` (0..=31).
    pub fn spawn(
        name: &str,
        priority: u8,
        stack: &'static mut [u8],
        entry: fn(usize),
        arg: usize,
    ) -> Result<ThreadId, Error> {
        let params = ThreadParams {
            entry: rust_entry,
            arg0: entry as usize,
            arg1: arg,
            priority: priority as u32,
            stack_base: stack.as_mut_ptr(),
            stack_size: stack.len(),
            name: name.as_ptr(),
            name_len: name.len(),
        };
        // SAFETY: `rust_entry` runs a safe `fn(usize)`; the stack is exclusively borrowed forever.
        unsafe { thread_create(&params) }
    }

    /// Ends the calling thread.
    pub fn thread_exit() -> ! {
        svc!(nr::THREAD_EXIT);
        unreachable!("the kernel never resumes an exited thread")
    }

    /// Handle of the calling thread.
    pub fn current() -> ThreadId {
        ThreadId::from_raw(svc!(nr::THREAD_SELF) as u32)
    }

    /// Ends thread `id` (the caller included).
    pub fn kill(id: ThreadId) -> Result<(), Error> {
        Error::check(svc!(nr::THREAD_KILL; id.to_raw())).map(drop)
    }

    /// Changes a thread's priority.
    pub fn set_priority(id: ThreadId, priority: u8) -> Result<(), Error> {
        Error::check(svc!(nr::SET_PRIORITY; id.to_raw(), priority)).map(drop)
    }

    /// A thread's current priority.
    pub fn priority(id: ThreadId) -> Result<u8, Error> {
        Error::check(svc!(nr::GET_PRIORITY; id.to_raw())).map(|p| p as u8)
    }

    /// Suspends a thread (the caller too: then it returns once resumed).
    pub fn suspend(id: ThreadId) -> Result<(), Error> {
        Error::check(svc!(nr::THREAD_SUSPEND; id.to_raw())).map(drop)
    }

    /// Resumes a suspended thread; returns whether it was suspended.
    pub fn resume(id: ThreadId) -> Result<bool, Error> {
        Error::check(svc!(nr::THREAD_RESUME; id.to_raw())).map(|r| r != 0)
    }

    /// Ends a thread's sleep or futex wait with `Interrupted`; returns whether it was waiting.
    pub fn abort_wait(id: ThreadId) -> Result<bool, Error> {
        Error::check(svc!(nr::THREAD_ABORT_WAIT; id.to_raw())).map(|r| r != 0)
    }

    /// A thread's state (`NoSuchThread` once it has ended).
    pub fn thread_state(id: ThreadId) -> Result<ThreadState, Error> {
        Error::check(svc!(nr::THREAD_STATE; id.to_raw()))
            .and_then(|r| ThreadState::from_raw(r).ok_or(Error::InvalidArgument))
    }

    /// Blocks for `ticks` ticks like [`sleep`], but reports `Err(Interrupted)` if another thread
    /// ended the sleep early ([`abort_wait`], or a suspension).
    pub fn sleep_checked(ticks: u32) -> Result<(), Error> {
        Error::check(svc!(nr::SLEEP; ticks)).map(drop)
    }

    /// [`sleep_until`] reporting `Err(Interrupted)` like [`sleep_checked`].
    pub fn sleep_until_checked(wake: u32) -> Result<(), Error> {
        Error::check(svc!(nr::SLEEP_UNTIL; wake)).map(drop)
    }

    /// Writes bytes to the console.
    pub fn console_write(bytes: &[u8]) {
        svc!(nr::CONSOLE_WRITE; bytes.as_ptr() as usize, bytes.len());
    }

    /// Calls the export bound to import slot `slot` of the calling compartment. Generated import
    /// stubs (`imports!()`) call this; the slot numbers come from the image manifest.
    pub fn call(slot: u32, args: [u32; 4]) -> Result<u32, CallError> {
        let r0: u32;
        let r1: u32;
        // SAFETY: CALL runs the callee on this thread and returns here with the result in r0 and
        // the status in r1; every other register is restored from the exception frame.
        unsafe {
            asm!("svc #{n}", n = const nr::CALL,
                 inlateout("r0") args[0] => r0, inlateout("r1") args[1] => r1,
                 in("r2") args[2], in("r3") args[3], in("r12") slot,
                 options(nostack));
        }
        if r1 == 0 {
            Ok(r0)
        } else {
            Err(Error::from_code(r1 as i32).unwrap_or(Error::CompartmentFault))
        }
    }

    fn status(r0: u32, r1: u32) -> Result<u32, Error> {
        if r1 == 0 {
            Ok(r0)
        } else {
            Err(Error::from_code(r1 as i32).unwrap_or(Error::InvalidArgument))
        }
    }

    /// A system call returning a 32-bit value in r0 and a status (0 or an error code) in r1.
    macro_rules! svc_status {
        ($n:expr; $a0:expr, $a1:expr) => {{
            let r0: u32;
            let r1: u32;
            // SAFETY: as in `svc!`; the kernel writes the value to r0 and the status to r1.
            unsafe {
                asm!("svc #{n}", n = const $n, inlateout("r0") $a0 => r0, inlateout("r1") $a1 => r1,
                     out("r2") _, options(nostack));
            }
            status(r0, r1)
        }};
    }

    /// Calls import `slot` passing `caps` as capability arguments: the callee finds the buffers'
    /// addresses in its first argument registers, followed by `args` (at most 4 in total).
    pub fn call_with(slot: u32, caps: &mut [Cap<'_>], args: &[u32]) -> Result<u32, CallError> {
        if caps.len() > MAX_GRANTS || caps.len() + args.len() > 4 {
            return Err(Error::InvalidArgument);
        }
        let mut desc = CallDesc { slot, ngrants: caps.len() as u32, ..CallDesc::default() };
        for (i, c) in caps.iter().enumerate() {
            desc.grants[i] = c.desc();
            desc.args[i] = desc.grants[i].base;
        }
        desc.args[caps.len()..caps.len() + args.len()].copy_from_slice(args);
        svc_status!(nr::CALL_GRANTS; &desc as *const CallDesc as u32, 0u32)
    }

    /// Calls import `slot` with the register values `args` and the capability arguments `grants`
    /// (at most [`MAX_GRANTS`]; more are ignored, the typed stubs never pass more). Typed import
    /// stubs call this: they place each grant's base and length in `args` at its parameter's
    /// position.
    #[inline(always)]
    pub fn call_granted(slot: u32, args: [u32; 4], grants: &[GrantDesc]) -> Result<u32, CallError> {
        let mut desc = CallDesc { slot, args, ngrants: 0, grants: [GrantDesc::default(); MAX_GRANTS] };
        for (d, g) in desc.grants.iter_mut().zip(grants) {
            *d = *g;
            desc.ngrants += 1;
        }
        svc_status!(nr::CALL_GRANTS; &desc as *const CallDesc as u32, 0u32)
    }

    /// Issues [`nr::CALL_GRANTS`] with a hand-made descriptor. Only for tests of the kernel's
    /// checks: [`call_with`] cannot express a grant the MPU could not enforce exactly.
    pub fn call_raw(desc: &CallDesc) -> Result<u32, CallError> {
        svc_status!(nr::CALL_GRANTS; desc as *const CallDesc as u32, 0u32)
    }

    /// Micro-reboots compartment `index` (manifest order); see [`nr::COMPARTMENT_REBOOT`].
    pub fn compartment_reboot(index: u32) -> Result<u32, Error> {
        Error::check(svc!(nr::COMPARTMENT_REBOOT; index))
    }

    /// Creates a sealing key (a type) owned by the calling compartment.
    pub fn seal_key_create() -> Result<SealKey, Error> {
        svc_status!(nr::SEAL_KEY_CREATE; 0u32, 0u32).map(SealKey)
    }

    /// Seals `payload` under `key`; the handle can be given to anyone, opened only with `key`.
    pub fn seal(key: SealKey, payload: u32) -> Result<Sealed, Error> {
        svc_status!(nr::SEAL; key.0, payload).map(Sealed)
    }

    /// Opens a sealed handle with `key`.
    pub fn unseal(key: SealKey, handle: Sealed) -> Result<u32, Error> {
        svc_status!(nr::UNSEAL; key.0, handle.0)
    }

    /// Destroys the object behind `handle`; all copies of the handle become stale.
    pub fn seal_destroy(key: SealKey, handle: Sealed) -> Result<u32, Error> {
        svc_status!(nr::SEAL_DESTROY; key.0, handle.0)
    }

    /// The calling compartment's static sealing key number `index` (manifest `sealing_keys`).
    pub fn static_key(index: u32) -> Result<SealKey, Error> {
        svc_status!(nr::STATIC_KEY; index, 0u32).map(SealKey)
    }

    /// The static sealed object in import slot `slot` (manifest `sealed_imports`).
    pub fn static_sealed(slot: u32) -> Result<Sealed, Error> {
        svc_status!(nr::STATIC_SEALED; slot, 0u32).map(Sealed)
    }

    /// Opens a static sealed object with its key and copies its contents into `buf`; returns the
    /// contents' length.
    pub fn sealed_contents(key: SealKey, handle: Sealed, buf: &mut [u8; SEALED_CONTENTS_MAX]) -> Result<usize, Error> {
        let r0: u32;
        let r1: u32;
        // SAFETY: SEALED_CONTENTS writes at most SEALED_CONTENTS_MAX bytes into `buf` (the kernel
        // checks it is writable by us) and r0/r1; every other register is restored.
        unsafe {
            asm!("svc #{n}", n = const nr::SEALED_CONTENTS, inlateout("r0") key.0 => r0,
                 inlateout("r1") handle.0 => r1, in("r2") buf.as_mut_ptr(), options(nostack));
        }
        status(r0, r1).map(|n| n as usize)
    }

    /// The calling compartment's own allocation capability.
    pub fn heap_cap() -> Result<AllocCap, Error> {
        svc_status!(nr::HEAP_CAP; 0u32, 0u32).map(AllocCap)
    }

    /// Allocates `size` bytes (rounded up to 32-byte granules, zeroed) in the calling compartment's
    /// heap, charged to `cap`'s quota. The block is 32-byte aligned, so it can be passed on exactly
    /// as a capability argument.
    pub fn heap_alloc(cap: AllocCap, size: usize) -> Result<*mut u8, Error> {
        svc_status!(nr::HEAP_ALLOC; cap.0, size as u32).map(|a| a as usize as *mut u8)
    }

    /// Frees a block returned by [`heap_alloc`] with the same capability; returns its size.
    pub fn heap_free(cap: AllocCap, ptr: *mut u8) -> Result<u32, Error> {
        svc_status!(nr::HEAP_FREE; cap.0, ptr as usize as u32)
    }

    /// Frees everything charged to `cap`'s quota, in every compartment; returns the bytes freed.
    pub fn heap_free_all(cap: AllocCap) -> Result<u32, Error> {
        svc_status!(nr::HEAP_FREE_ALL; cap.0, 0u32)
    }

    /// Free-space figures of the calling compartment's own heap arena.
    pub fn heap_stats() -> Result<HeapStats, Error> {
        let mut w = [0u32; 4];
        Error::check(svc!(nr::HEAP_STATS; w.as_mut_ptr() as usize))?;
        Ok(HeapStats { free: w[0], largest: w[1], smallest: w[2], blocks: w[3] })
    }

    /// Usage and limit of `cap`'s quota.
    pub fn heap_quota(cap: AllocCap) -> Result<QuotaInfo, Error> {
        let r0: u32;
        let r1: u32;
        // SAFETY: HEAP_QUOTA reads r0 and writes r0/r1 only; every other register is restored.
        unsafe {
            asm!("svc #{n}", n = const nr::HEAP_QUOTA, inlateout("r0") cap.0 => r0,
                 inlateout("r1") 0u32 => r1, in("r2") 0u32, options(nostack));
        }
        // A failure comes back as (error code, u32::MAX): no quota has 4 GiB.
        if r1 == u32::MAX {
            return Err(Error::from_code(r0 as i32).unwrap_or(Error::InvalidArgument));
        }
        Ok(QuotaInfo { used: r0, limit: r1 })
    }

    /// The manifest index of the compartment that called the code now running (the innermost
    /// active cross-compartment call on this thread); `NotPermitted` outside any call.
    pub fn caller() -> Result<u32, Error> {
        Error::check(svc!(nr::CALLER))
    }

    /// The wall clock: microseconds since the Unix epoch (UTC, leap seconds not counted; see
    /// [`time::CivilTime`](crate::time::CivilTime) to print it). `ClockNotSet` until someone
    /// holding a clock capability has set it.
    pub fn wall_clock() -> Result<u64, Error> {
        let (lo, hi, status): (u32, u32, u32);
        // SAFETY: WALL_CLOCK reads no argument and writes r0, r1 (the time) and r2 (the status);
        // every other register is restored from the exception frame.
        unsafe {
            asm!("svc #{n}", n = const nr::WALL_CLOCK, lateout("r0") lo, lateout("r1") hi, lateout("r2") status,
                 options(nostack));
        }
        match status {
            0 => Ok((hi as u64) << 32 | lo as u64),
            e => Err(Error::from_code(e as i32).unwrap_or(Error::InvalidArgument)),
        }
    }

    /// The clock capability of the calling compartment (manifest `may_set_clock = true`; kernel
    /// threads get the kernel's); `NotPermitted` without the right.
    pub fn clock_cap() -> Result<ClockCap, Error> {
        svc_status!(nr::CLOCK_CAP; 0u32, 0u32).map(ClockCap)
    }

    /// Steps the wall clock to `unix_us` microseconds since the Unix epoch (no slewing: readers
    /// see the new time at once). `InvalidHandle` for a forged or revoked capability,
    /// `WrongType` for another kind of handle, `InvalidArgument` after
    /// [`WALL_CLOCK_MAX_US`](crate::time::WALL_CLOCK_MAX_US).
    pub fn wall_clock_set(cap: ClockCap, unix_us: u64) -> Result<(), Error> {
        Error::check(svc!(nr::WALL_CLOCK_SET; cap.0, unix_us as u32, (unix_us >> 32) as u32)).map(drop)
    }

    /// Ends the whole system with `code` (the QEMU exit status under test).
    pub fn shutdown(code: i32) -> ! {
        let refused = try_shutdown(code);
        panic!("shutdown refused ({:?}): the manifest must grant this compartment `may_shutdown = true`", refused)
    }

    /// Ends the system with exit `code`; returns only if the kernel refuses (`NotPermitted`: a
    /// compartment without the manifest right `may_shutdown`).
    pub fn try_shutdown(code: i32) -> Error {
        let r = svc!(nr::SHUTDOWN; code);
        Error::from_code(r).unwrap_or(Error::NotPermitted)
    }
}

/// Includes a compartment crate's generated import stubs: one module per imported compartment,
/// one `fn(a0, a1, a2, a3) -> Result<u32, CallError>` per imported export.
#[macro_export]
macro_rules! imports {
    () => {
        include!(concat!(env!("RTOS_GEN_DIR"), "/compartments/", env!("CARGO_CRATE_NAME"), ".rs"));
    };
}

#[cfg(all(feature = "compartment", target_arch = "arm", target_os = "none"))]
mod compartment_rt {
    //! Runtime linked into every compartment's own code.
    use core::arch::naked_asm;

    /// Where a cross-compartment call's callee returns to (its `lr`): hands the result in r0 to
    /// the kernel, which resumes the caller.
    ///
    /// # Safety
    /// Only reached as a return address set up by the kernel.
    #[unsafe(naked)]
    #[no_mangle]
    pub unsafe extern "C" fn __rtos_compartment_return() -> ! {
        naked_asm!("svc #{n}", "udf #0", n = const super::nr::RETURN)
    }

    /// Where a compartment thread's entry function returns to: ends the thread.
    ///
    /// # Safety
    /// Only reached as a return address set up by the kernel.
    #[unsafe(naked)]
    #[no_mangle]
    pub unsafe extern "C" fn __rtos_thread_exit() -> ! {
        naked_asm!("svc #{n}", "udf #0", n = const super::nr::THREAD_EXIT)
    }

    /// A panic inside a compartment: report it, then fault so the kernel unwinds the call to the
    /// compartment boundary (or ends the thread in its home compartment).
    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        crate::println!("*** PANIC in compartment: {}", info);
        // SAFETY: a permanently undefined instruction raises a UsageFault by design.
        unsafe { core::arch::asm!("udf #1", options(noreturn)) }
    }
}

/// Formats into a fixed buffer and writes it with one system call per line (or per 128 bytes), so
/// lines from different threads do not interleave.
pub struct LineWriter {
    buf: [u8; 128],
    len: usize,
    sink: fn(&[u8]),
}

impl LineWriter {
    /// A writer that flushes to `sink`.
    pub const fn new(sink: fn(&[u8])) -> Self {
        LineWriter { buf: [0; 128], len: 0, sink }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        if self.len > 0 {
            (self.sink)(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl LineWriter {
    /// Appends one byte (any byte: text from C need not be UTF-8); a newline or a full buffer
    /// flushes.
    pub fn push(&mut self, b: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = b;
        self.len += 1;
        if b == b'\n' {
            self.flush();
        }
    }
}

impl core::fmt::Write for LineWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            self.push(b);
        }
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Prints to the console through the system-call interface.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let mut w = $crate::LineWriter::new($crate::console_write);
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
    }};
}

/// Prints a line to the console through the system-call interface.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        let mut w = $crate::LineWriter::new($crate::console_write);
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        let _ = core::fmt::Write::write_str(&mut w, "\n");
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;
    use std::cell::RefCell;

    thread_local! { static OUT: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) }; }
    fn sink(b: &[u8]) {
        OUT.with(|o| o.borrow_mut().push(b.to_vec()));
    }

    #[test]
    fn line_writer_flushes_per_line_and_when_full() {
        {
            let mut w = LineWriter::new(sink);
            write!(w, "ab\ncd").unwrap();
            write!(w, "{}", "x".repeat(130)).unwrap();
        }
        let out = OUT.with(|o| o.borrow().clone());
        assert_eq!(out[0], b"ab\n");
        assert_eq!(out[1].len(), 128);
        assert_eq!(out[2].len(), 4);
        assert_eq!(out.concat().len(), 3 + 2 + 130);
    }
}
