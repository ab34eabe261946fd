//! Compartments and cross-compartment calls, independent of the CPU.
//!
//! A compartment is a separately linked unit of code and globals. Threads that belong to a
//! compartment run unprivileged and see only their **view**: the current compartment's code (read,
//! execute), its globals (read, write) and a **window** of their own stack. A call into another
//! compartment *migrates* the thread: it keeps its stack, but
//!
//! - the callee's window ends strictly below the caller's stack pointer (rounded down to the MPU
//!   granule), so the callee cannot reach any of the caller's frames;
//! - the kernel pushes a frame on the thread's **call stack** (kept in kernel memory, out of every
//!   compartment's reach) saying where to resume the caller;
//! - at return (or when the callee faults) the window the callee had is zeroed before the caller
//!   resumes, so the caller never sees the callee's stack data.
//!
//! Only imports declared in the manifest can be called: an import slot indexes the caller's
//! import table, built by the build tool, which names a global export.
//!
//! The port turns a [`View`] into MPU regions and carries out the [`CallPlan`]/[`ReturnPlan`].

use crate::kernel::MAX_THREADS;
use crate::Error;

/// Most compartments in one image.
pub const MAX_COMPARTMENTS: usize = 16;
/// Most exports in one image.
pub const MAX_EXPORTS: usize = 64;
/// Most MMIO regions granted to one compartment (MPU regions 5–7 of its view).
pub const MAX_MMIO: usize = 3;
/// Deepest nesting of cross-compartment calls on one thread.
pub const MAX_CALL_DEPTH: usize = 8;
/// MPU granule: region bases and sizes are multiples of this.
pub const GRANULE: usize = 32;
/// Stack a callee is guaranteed at least, below its entry frame; calls with less fail with
/// `NoStackForCall` rather than letting the callee start on an almost-full stack.
pub const MIN_CALL_STACK: usize = 128;
/// Most kernel-reserved stacks (manifest `thread_stacks`) in one image, all compartments together.
pub const MAX_POOL_STACKS: usize = 16;
/// Bytes at the bottom of every stack kept free for the context save (see the port).
pub const STACK_RESERVE: usize = 32;
/// Size of the exception frame the port builds for a callee's entry.
pub const ENTRY_FRAME: usize = 32;

/// A half-open address range `[start, end)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// First address.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
}

impl Range {
    /// The range `[start, end)`.
    pub const fn new(start: usize, end: usize) -> Range {
        Range { start, end }
    }

    /// Whether `[addr, addr + len)` lies inside this range (`len` may be 0).
    pub fn contains(&self, addr: usize, len: usize) -> bool {
        match addr.checked_add(len) {
            Some(end) => addr >= self.start && end <= self.end,
            None => false,
        }
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both ends are multiples of the MPU granule.
    pub fn is_granular(&self) -> bool {
        self.start.is_multiple_of(GRANULE) && self.end.is_multiple_of(GRANULE)
    }
}

/// A compartment's import table: the global export index of each import slot.
///
/// Kept as raw parts so that an empty table is all zeros: the switcher's tables then start in
/// `.bss` instead of costing flash for an initialiser.
#[derive(Clone, Copy, Debug)]
pub struct Imports {
    ptr: *const u16,
    len: usize,
}

// SAFETY: `Imports` only ever refers to immutable `'static` data (see `Imports::new`).
unsafe impl Send for Imports {}
// SAFETY: as above.
unsafe impl Sync for Imports {}

impl Imports {
    /// No imports.
    pub const NONE: Imports = Imports { ptr: core::ptr::null(), len: 0 };

    /// The table `slots`.
    pub const fn new(slots: &'static [u16]) -> Imports {
        Imports { ptr: slots.as_ptr(), len: slots.len() }
    }

    /// The export index bound to `slot`.
    pub fn get(&self, slot: usize) -> Option<u16> {
        if slot >= self.len {
            return None;
        }
        // SAFETY: built by `new` from a `'static` slice of `len` elements; `slot < len`.
        Some(unsafe { *self.ptr.add(slot) })
    }
}

impl Default for Imports {
    fn default() -> Self {
        Imports::NONE
    }
}

/// What a compartment owns.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompartmentInfo {
    /// Code and read-only data.
    pub code: Range,
    /// Globals (and heap).
    pub data: Range,
    /// Device registers granted in the manifest (empty ranges: none).
    pub mmio: [Range; MAX_MMIO],
    /// Import table.
    pub imports: Imports,
    /// Address of the compartment's call-return trampoline.
    pub return_trampoline: usize,
    /// Address of the compartment's thread-exit trampoline.
    pub thread_exit: usize,
    /// Address of its error handler (manifest `error_handler`; 0: none).
    pub error_handler: usize,
    /// Manifest `on_fault = "reboot"`.
    pub reboot_on_fault: bool,
    /// Manifest `may_shutdown`: its code may end the system.
    pub may_shutdown: bool,
    /// Manifest `may_reboot`: bit `i` set if its code may reboot compartment `i`.
    pub may_reboot: u16,
}

impl CompartmentInfo {
    /// Checks a thread that a thread running in this compartment asks to create in it: `entry` must be in
    /// the compartment's code, and the whole stack `[base, base + size)` in its globals/heap
    /// region (never its caller's stack window or a grant: memory the new thread would keep
    /// after the creating call returns), both ends a multiple of [`GRANULE`] so the stack is
    /// exactly one MPU region.
    pub fn check_new_thread(&self, entry: usize, base: usize, size: usize) -> Result<(), Error> {
        self.check_entry(entry)?;
        if !base.is_multiple_of(GRANULE)
            || !size.is_multiple_of(GRANULE)
            || size == 0
            || !self.data.contains(base, size)
        {
            return Err(Error::BadStack);
        }
        Ok(())
    }
}

impl CompartmentInfo {
    /// Checks that a new thread's `entry` lies in the compartment's code (`InvalidArgument`).
    pub fn check_entry(&self, entry: usize) -> Result<(), Error> {
        if self.code.contains(entry & !1, 2) {
            Ok(())
        } else {
            Err(Error::InvalidArgument)
        }
    }
}

/// An export: which compartment, where to enter it, and the grants its signature declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportInfo {
    /// Exporting compartment.
    pub compartment: u8,
    /// Grant parameters of its signature ([`GrantParams::NONE`]: it takes none).
    pub grants: GrantParams,
    /// Entry address.
    pub entry: usize,
}

/// One grant parameter of an export's signature: the argument register (0–2) that holds the
/// buffer's address — the next register holds its length — and the kind of grant it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantParam {
    /// Argument register of the address (`r0`–`r2`).
    pub register: u8,
    /// The kind the callee declares.
    pub kind: GrantKind,
}

/// The grant parameters of an export, in parameter order, packed in one byte so that the export
/// table stays two words an entry and "no grant parameters" is a single compare: parameter `i`
/// takes bits `4i..4i+4`, the kind's ABI value (1–3; 0: no parameter) in the low two bits and the
/// address register above them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrantParams(u8);

impl GrantParams {
    /// No grant parameters: calls are not checked against a signature.
    pub const NONE: GrantParams = GrantParams(0);

    /// Packs `params` (in parameter order). `InvalidArgument` if there are more than
    /// [`MAX_GRANTS`], or an address register is out of `0..=2` or not after the previous
    /// parameter's length register.
    pub fn new(params: &[GrantParam]) -> Result<GrantParams, Error> {
        if params.len() > MAX_GRANTS {
            return Err(Error::InvalidArgument);
        }
        let mut bits = 0u8;
        let mut first_free = 0u8;
        for (i, p) in params.iter().enumerate() {
            if p.register < first_free || p.register > 2 {
                return Err(Error::InvalidArgument);
            }
            bits |= (p.kind.abi() as u8 | (p.register << 2)) << (4 * i);
            first_free = p.register + 2;
        }
        Ok(GrantParams(bits))
    }

    /// The parameters, in order.
    pub fn iter(self) -> impl Iterator<Item = GrantParam> {
        (0..MAX_GRANTS).map_while(move |i| {
            let nibble = (self.0 >> (4 * i)) & 0xF;
            let kind = GrantKind::from_abi(u32::from(nibble & 3))?;
            Some(GrantParam { register: nibble >> 2, kind })
        })
    }

    /// Whether a call with argument registers `args` lending `requests` passes exactly the
    /// declared grants: request `i` is parameter `i`'s buffer — its base in the parameter's
    /// address register, its length in the next one — of exactly the declared kind, and there are
    /// no other requests. Otherwise `GrantMismatch` (a plain `CALL` lends none, so it is refused
    /// too): the callee can trust that a buffer its signature declares is one the caller lent.
    pub fn check(self, args: &[u32; 4], requests: &[(Range, GrantKind)]) -> Result<(), Error> {
        let mut n = 0;
        for (i, p) in self.iter().enumerate() {
            let Some(&(range, kind)) = requests.get(i) else {
                return Err(Error::GrantMismatch);
            };
            let r = p.register as usize;
            if kind != p.kind || range.start != args[r] as usize || range.len() != args[r + 1] as usize {
                return Err(Error::GrantMismatch);
            }
            n += 1;
        }
        if requests.len() != n {
            return Err(Error::GrantMismatch);
        }
        Ok(())
    }
}

/// Capability arguments one call can carry.
pub const MAX_GRANTS: usize = 2;

/// What a capability argument lets the callee do with a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// Load only.
    ReadOnly,
    /// Load and store.
    ReadWrite,
    /// Store, and load back only what it stored: the kernel zeroes the buffer before the callee
    /// gets it (PMSAv8 has no write-only permission), so its previous contents are never visible.
    StoreOnly,
}

impl GrantKind {
    /// Decodes the ABI value (1, 2, 3).
    pub fn from_abi(v: u32) -> Option<GrantKind> {
        match v {
            1 => Some(GrantKind::ReadOnly),
            2 => Some(GrantKind::ReadWrite),
            3 => Some(GrantKind::StoreOnly),
            _ => None,
        }
    }

    /// The ABI value (1, 2, 3).
    pub fn abi(self) -> u32 {
        match self {
            GrantKind::ReadOnly => 1,
            GrantKind::ReadWrite => 2,
            GrantKind::StoreOnly => 3,
        }
    }

    /// Whether the callee may store.
    pub fn writable(self) -> bool {
        self != GrantKind::ReadOnly
    }
}

/// A buffer granted to a callee for the duration of one call (non-global: revoked at return).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    /// The buffer (empty: no grant).
    pub range: Range,
    /// Whether stores are allowed.
    pub writable: bool,
}

/// The memory an unprivileged thread may touch right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// Current compartment's code: read and execute.
    pub code: Range,
    /// Current compartment's globals: read and write.
    pub data: Range,
    /// The thread's stack window: read and write.
    pub stack: Range,
    /// Buffers granted by the caller of the current call (empty ranges: none).
    pub grants: [Grant; MAX_GRANTS],
    /// The current compartment's device registers: read and write, device memory. Never valid
    /// as a system-call pointer argument or a capability argument (the `can_*` checks ignore them).
    pub mmio: [Range; MAX_MMIO],
}

impl View {
    /// Whether the thread may read `[addr, addr + len)`.
    pub fn can_read(&self, addr: usize, len: usize) -> bool {
        self.code.contains(addr, len)
            || self.data.contains(addr, len)
            || self.stack.contains(addr, len)
            || self.grants.iter().any(|g| g.range.contains(addr, len))
    }

    /// Whether the thread may write `[addr, addr + len)`.
    pub fn can_write(&self, addr: usize, len: usize) -> bool {
        self.data.contains(addr, len)
            || self.stack.contains(addr, len)
            || self.grants.iter().any(|g| g.writable && g.range.contains(addr, len))
    }
}

/// Whether a compartment takes calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Status {
    /// Serving calls.
    #[default]
    Serving,
    /// Its `init` runs on thread `init_thread` (after boot or a reboot): calls are refused with
    /// `Busy` until it returns.
    Starting {
        /// Slot of the init thread.
        init_thread: u8,
    },
    /// Its `init` failed (faulted, or returned non-zero): calls are refused with
    /// `CompartmentFault` until a reboot succeeds.
    Down,
}

/// Where and how the port must start a compartment's error handler on a faulting thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerPlan {
    /// Handler entry address.
    pub entry: usize,
    /// Its return address (the compartment's return trampoline: `svc RETURN` carries the decision).
    pub return_to: usize,
    /// Stack pointer at which to build the handler's entry frame ([`ENTRY_FRAME`] bytes): the top
    /// of the faulting compartment's window, whose frames are abandoned.
    pub sp: usize,
}

/// The callee-saved registers r4–r11 of a thread.
pub type SavedRegs = [u32; 8];

#[derive(Clone, Copy, Debug, Default)]
struct Frame {
    caller: u8,
    caller_sp: usize,
    caller_window_top: usize,
    /// The caller's r4–r11 at the call: restored at return or unwind, whatever the callee did.
    regs: SavedRegs,
    /// The caller's own grants (from its caller), restored at return.
    caller_grants: [Grant; MAX_GRANTS],
}

/// Per-thread compartment state.
#[derive(Clone, Copy, Debug)]
struct ThreadCalls {
    /// `None`: a privileged kernel thread (no view, no calls).
    home: Option<u8>,
    current: u8,
    stack: Range,
    window_top: usize,
    depth: u8,
    /// Call depth at which the current compartment's error handler runs on this thread (a fault
    /// at that depth is not handled again), or `NO_HANDLER`.
    handler_depth: u8,
    grants: [Grant; MAX_GRANTS],
    frames: [Frame; MAX_CALL_DEPTH],
}

const NO_HANDLER: u8 = u8::MAX;

impl ThreadCalls {
    const KERNEL: ThreadCalls = ThreadCalls {
        home: None,
        current: 0,
        stack: Range::new(0, 0),
        window_top: 0,
        depth: 0,
        handler_depth: NO_HANDLER,
        grants: [Grant { range: Range::new(0, 0), writable: false }; MAX_GRANTS],
        frames: [Frame {
            caller: 0,
            caller_sp: 0,
            caller_window_top: 0,
            regs: [0; 8],
            caller_grants: [Grant { range: Range::new(0, 0), writable: false }; MAX_GRANTS],
        }; MAX_CALL_DEPTH],
    };
}

/// The part of a thread's record a call needs.
struct Caller {
    home: Option<u8>,
    current: u8,
    depth: u8,
    stack: Range,
    window_top: usize,
    grants: [Grant; MAX_GRANTS],
}

/// Where and how the port must start a callee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallPlan {
    /// Callee compartment.
    pub callee: u8,
    /// Export entry address.
    pub entry: usize,
    /// Return address for the callee (its compartment's return trampoline).
    pub return_to: usize,
    /// Stack pointer at which to build the callee's entry frame ([`ENTRY_FRAME`] bytes).
    pub sp: usize,
}

/// How the port must resume a caller after a return or an unwound fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnPlan {
    /// The compartment being left.
    pub callee: u8,
    /// The compartment resumed.
    pub caller: u8,
    /// The caller's stack pointer at its call (its exception frame).
    pub caller_sp: usize,
    /// The callee's stack window, to be zeroed before the caller resumes.
    pub scrub: Range,
    /// The caller's r4–r11, to be restored.
    pub regs: SavedRegs,
}

/// A kernel-reserved stack a compartment hands to threads it creates (manifest `thread_stacks`).
#[derive(Clone, Copy, Debug, Default)]
struct PoolStack {
    compartment: u8,
    range: Range,
    /// Raw handle of the thread last given the stack; the stack is free once that thread is gone.
    user: Option<u32>,
}

/// The pool stacks one compartment could hand out right now (see [`Switcher::free_pool_stacks`]).
#[derive(Clone, Copy, Debug)]
pub struct FreeStacks {
    stacks: [(u8, Range); MAX_POOL_STACKS],
    n: usize,
}

impl FreeStacks {
    /// The smallest free stack of at least `size` bytes, with its pool index.
    pub fn best(&self, size: usize) -> Option<(u8, Range)> {
        self.stacks[..self.n].iter().filter(|(_, r)| r.len() >= size).min_by_key(|(_, r)| r.len()).copied()
    }
}

/// Compartment table, per-thread call stacks and the compartments' pools of thread stacks.
pub struct Switcher {
    compartments: [CompartmentInfo; MAX_COMPARTMENTS],
    n_compartments: usize,
    exports: [ExportInfo; MAX_EXPORTS],
    n_exports: usize,
    status: [Status; MAX_COMPARTMENTS],
    threads: [ThreadCalls; MAX_THREADS],
    pool: [PoolStack; MAX_POOL_STACKS],
    n_pool: usize,
}

impl Default for Switcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Switcher {
    /// No compartments, every thread a kernel thread.
    pub const fn new() -> Switcher {
        Switcher {
            compartments: [CompartmentInfo {
                code: Range::new(0, 0),
                data: Range::new(0, 0),
                mmio: [Range::new(0, 0); MAX_MMIO],
                imports: Imports::NONE,
                return_trampoline: 0,
                thread_exit: 0,
                error_handler: 0,
                reboot_on_fault: false,
                may_shutdown: false,
                may_reboot: 0,
            }; MAX_COMPARTMENTS],
            n_compartments: 0,
            exports: [ExportInfo { compartment: 0, grants: GrantParams::NONE, entry: 0 }; MAX_EXPORTS],
            n_exports: 0,
            status: [Status::Serving; MAX_COMPARTMENTS],
            threads: [ThreadCalls::KERNEL; MAX_THREADS],
            pool: [PoolStack { compartment: 0, range: Range::new(0, 0), user: None }; MAX_POOL_STACKS],
            n_pool: 0,
        }
    }

    /// Adds a kernel-reserved stack to compartment `c`'s pool (at boot). It must be whole MPU
    /// granules, large enough for a thread that calls out, and outside every compartment's
    /// globals: its threads get it as a stack window of their own, which the compartment's other
    /// threads cannot reach.
    pub fn add_pool_stack(&mut self, c: u8, range: Range) -> Result<(), Error> {
        let outside = |r: &Range| range.end <= r.start || r.end <= range.start;
        if self.n_pool == MAX_POOL_STACKS
            || c as usize >= self.n_compartments
            || !range.is_granular()
            || range.len() < crate::image::MIN_STACK_SIZE
            || !self.compartments[..self.n_compartments].iter().all(|info| outside(&info.data))
            || !self.pool[..self.n_pool].iter().all(|p| outside(&p.range))
        {
            return Err(Error::InvalidArgument);
        }
        self.pool[self.n_pool] = PoolStack { compartment: c, range, user: None };
        self.n_pool += 1;
        Ok(())
    }

    /// Compartment `c`'s pool stacks that no live thread uses (`live(raw handle)`).
    pub fn free_pool_stacks(&self, c: u8, live: impl Fn(u32) -> bool) -> FreeStacks {
        let mut free = FreeStacks { stacks: [(0, Range::default()); MAX_POOL_STACKS], n: 0 };
        for (i, p) in self.pool[..self.n_pool].iter().enumerate() {
            if p.compartment == c && !p.user.is_some_and(&live) {
                free.stacks[free.n] = (i as u8, p.range);
                free.n += 1;
            }
        }
        free
    }

    /// Records that pool stack `index` now belongs to thread `user` (raw handle) until it ends.
    pub fn claim_pool_stack(&mut self, index: u8, user: u32) {
        if let Some(p) = self.pool[..self.n_pool].get_mut(index as usize) {
            p.user = Some(user);
        }
    }

    /// Registers a compartment; its regions must be granule-aligned.
    pub fn add_compartment(&mut self, info: CompartmentInfo) -> Result<u8, Error> {
        if self.n_compartments == MAX_COMPARTMENTS
            || !info.code.is_granular()
            || !info.data.is_granular()
            || !info.mmio.iter().all(Range::is_granular)
        {
            return Err(Error::InvalidArgument);
        }
        self.compartments[self.n_compartments] = info;
        self.n_compartments += 1;
        Ok((self.n_compartments - 1) as u8)
    }

    /// Registers an export (in global export order).
    pub fn add_export(&mut self, info: ExportInfo) -> Result<(), Error> {
        if self.n_exports == MAX_EXPORTS || info.compartment as usize >= self.n_compartments {
            return Err(Error::InvalidArgument);
        }
        self.exports[self.n_exports] = info;
        self.n_exports += 1;
        Ok(())
    }

    /// A registered compartment.
    pub fn compartment(&self, index: u8) -> Option<&CompartmentInfo> {
        self.compartments[..self.n_compartments].get(index as usize)
    }

    /// Records a new thread: `home = None` for a privileged kernel thread, else the compartment it
    /// runs in, with its whole stack `[base, base + size)` as its first window.
    pub fn bind_thread(&mut self, thread: usize, home: Option<u8>, base: usize, size: usize) -> Result<(), Error> {
        let mut t = ThreadCalls::KERNEL;
        if let Some(c) = home {
            if c as usize >= self.n_compartments {
                return Err(Error::InvalidArgument);
            }
            let start = base.checked_next_multiple_of(GRANULE).ok_or(Error::BadStack)?;
            let end = base.checked_add(size).ok_or(Error::BadStack)? & !(GRANULE - 1);
            if end <= start || end - start < STACK_RESERVE + MIN_CALL_STACK {
                return Err(Error::BadStack);
            }
            t.home = Some(c);
            t.current = c;
            t.stack = Range::new(start, end);
            t.window_top = end;
        }
        self.threads[thread] = t;
        Ok(())
    }

    /// The compartment thread `thread` is executing in (`None` for kernel threads).
    pub fn current(&self, thread: usize) -> Option<u8> {
        let t = &self.threads[thread];
        t.home.map(|_| t.current)
    }

    /// The compartment a thread belongs to (`None` for kernel threads).
    pub fn home(&self, thread: usize) -> Option<u8> {
        self.threads[thread].home
    }

    /// How many cross-compartment calls are active on the thread.
    pub fn depth(&self, thread: usize) -> usize {
        self.threads[thread].depth as usize
    }

    /// The compartment that made the innermost active call on `thread`: who called the code now
    /// running (system call `CALLER`). `NotPermitted` when no call is active — the thread runs in
    /// its home compartment, or it is a kernel thread (which never calls). Compartments cannot
    /// write the call stack this comes from, so the answer cannot be forged.
    pub fn caller(&self, thread: usize) -> Result<u8, Error> {
        let t = &self.threads[thread];
        match t.depth {
            0 => Err(Error::NotPermitted),
            d => Ok(t.frames[d as usize - 1].caller),
        }
    }

    /// The thread's current view (`None` for kernel threads, which run privileged).
    pub fn view(&self, thread: usize) -> Option<View> {
        let t = &self.threads[thread];
        t.home?;
        let c = &self.compartments[t.current as usize];
        let window = Range::new(t.stack.start, t.window_top);
        Some(View {
            code: c.code,
            data: c.data,
            // A stack inside the compartment's own globals (a thread it created) needs no region
            // of its own, and must not get one: overlapping MPU regions fault.
            stack: if c.data.contains(window.start, window.len()) { Range::default() } else { window },
            grants: t.grants,
            mmio: c.mmio,
        })
    }

    /// Starts a call from the thread's current compartment through its import `slot`. `caller_sp`
    /// is the caller's stack pointer (its exception frame), `regs` its r4–r11, kept here so that
    /// neither a faulting nor a malicious callee can change them. On success the thread is in the
    /// callee; the port builds the entry frame at `plan.sp`, clears r4–r11 (so nothing of the
    /// caller leaks) and applies the new view.
    pub fn call(&mut self, thread: usize, slot: u32, caller_sp: usize, regs: SavedRegs) -> Result<CallPlan, Error> {
        self.call_with(thread, slot, caller_sp, regs, &[0; 4], &[])
    }

    /// As [`Switcher::call`], also granting buffers to the callee for the duration of the call.
    ///
    /// Each grant must be exact for the MPU (32-byte aligned base and length, else
    /// `GrantNotExact`: never rounded outward), held by the caller with at least the requested
    /// rights (monotonic: a compartment can pass on what it was granted, never more; else
    /// `NotPermitted`), and either disjoint from the callee's own regions or wholly inside one that
    /// already gives the callee those rights (then it needs no MPU region; partial overlap is
    /// `GrantOverlap`, as PMSAv8 faults on overlapping regions). The port zeroes store-only buffers.
    ///
    /// `args` are the argument registers r0–r3 the callee will get. If the export's signature
    /// declares grant parameters ([`ExportInfo::grants`]), the call must lend exactly those, each
    /// with its base and length in the parameter's registers and of the declared kind, else
    /// `GrantMismatch` ([`GrantParams::check`]; a plain call lends none). Exports without grant
    /// parameters skip this check.
    pub fn call_with(
        &mut self,
        thread: usize,
        slot: u32,
        caller_sp: usize,
        regs: SavedRegs,
        args: &[u32; 4],
        requests: &[(Range, GrantKind)],
    ) -> Result<CallPlan, Error> {
        // Copy only the scalars: the whole per-thread record (call frames included) is large.
        let t = &self.threads[thread];
        let t = Caller {
            home: t.home,
            current: t.current,
            depth: t.depth,
            stack: t.stack,
            window_top: t.window_top,
            grants: t.grants,
        };
        let Some(home) = t.home else {
            return Err(Error::NotImported);
        };
        if self.compartments[home as usize].data.contains(t.stack.start, t.stack.len()) {
            // A thread a compartment created on its own memory: a callee's frames would sit where
            // the home compartment's other threads can read and write them. Such threads cannot
            // call out until they get a stack per (thread, compartment).
            return Err(Error::NotPermitted);
        }
        let caller = &self.compartments[t.current as usize];
        let export_index = caller.imports.get(slot as usize).ok_or(Error::NotImported)? as usize;
        let export = *self.exports[..self.n_exports].get(export_index).ok_or(Error::NotImported)?;
        if t.depth as usize == MAX_CALL_DEPTH {
            return Err(Error::CallTooDeep);
        }
        if !(t.stack.start..=t.window_top).contains(&caller_sp) {
            return Err(Error::InvalidArgument);
        }
        let window_top = caller_sp & !(GRANULE - 1);
        let floor = t.stack.start + STACK_RESERVE + MIN_CALL_STACK + ENTRY_FRAME;
        if window_top < floor {
            return Err(Error::NoStackForCall);
        }
        let callee = export.compartment;
        match self.status[callee as usize] {
            Status::Serving => {}
            Status::Starting { .. } => return Err(Error::Busy),
            Status::Down => return Err(Error::CompartmentFault),
        }
        let grants = self.check_grants(thread, callee, window_top, requests)?;
        if export.grants != GrantParams::NONE {
            // After the grants' own checks, so that a grant the caller may not lend is still
            // `NotPermitted`/`GrantNotExact`/`GrantOverlap` whatever the signature says.
            export.grants.check(args, requests)?;
        }
        let tm = &mut self.threads[thread];
        tm.frames[t.depth as usize] =
            Frame { caller: t.current, caller_sp, caller_window_top: t.window_top, regs, caller_grants: t.grants };
        tm.depth += 1;
        tm.current = callee;
        tm.window_top = window_top;
        tm.grants = grants;
        Ok(CallPlan {
            callee,
            entry: export.entry,
            return_to: self.compartments[callee as usize].return_trampoline,
            sp: window_top - ENTRY_FRAME,
        })
    }

    fn check_grants(
        &self,
        thread: usize,
        callee: u8,
        callee_window_top: usize,
        requests: &[(Range, GrantKind)],
    ) -> Result<[Grant; MAX_GRANTS], Error> {
        if requests.len() > MAX_GRANTS {
            return Err(Error::InvalidArgument);
        }
        let caller_view = self.view(thread).ok_or(Error::NotPermitted)?;
        let c = &self.compartments[callee as usize];
        let callee_stack = Range::new(self.threads[thread].stack.start, callee_window_top);
        let mut grants = [Grant::default(); MAX_GRANTS];
        let mut n = 0;
        for &(range, kind) in requests {
            if range.is_empty() || !range.is_granular() {
                return Err(Error::GrantNotExact);
            }
            let held = if kind.writable() {
                caller_view.can_write(range.start, range.len())
            } else {
                caller_view.can_read(range.start, range.len())
            };
            if !held {
                return Err(Error::NotPermitted);
            }
            // Already reachable by the callee with enough rights: no region needed.
            let covered = c.data.contains(range.start, range.len())
                || callee_stack.contains(range.start, range.len())
                || (!kind.writable() && c.code.contains(range.start, range.len()));
            if covered {
                continue;
            }
            let overlaps = |r: &Range| !r.is_empty() && range.start < r.end && r.start < range.end;
            if overlaps(&c.code)
                || overlaps(&c.data)
                || overlaps(&callee_stack)
                || grants.iter().any(|g| overlaps(&g.range))
            {
                return Err(Error::GrantOverlap);
            }
            grants[n] = Grant { range, writable: kind.writable() };
            n += 1;
        }
        Ok(grants)
    }

    /// Ends the innermost call on the thread (a return, or an unwind after the callee faulted).
    /// `NotPermitted` if no call is active (a forged return).
    pub fn ret(&mut self, thread: usize) -> Result<ReturnPlan, Error> {
        let t = &mut self.threads[thread];
        if t.home.is_none() || t.depth == 0 {
            return Err(Error::NotPermitted);
        }
        if t.handler_depth >= t.depth {
            // Leaving the compartment whose error handler ran (the handler's own unwind).
            t.handler_depth = NO_HANDLER;
        }
        t.depth -= 1;
        let f = t.frames[t.depth as usize];
        let plan = ReturnPlan {
            callee: t.current,
            caller: f.caller,
            caller_sp: f.caller_sp,
            scrub: Range::new(t.stack.start, t.window_top),
            regs: f.regs,
        };
        t.frames[t.depth as usize] = Frame::default();
        t.current = f.caller;
        t.window_top = f.caller_window_top;
        t.grants = f.caller_grants;
        Ok(plan)
    }

    /// Whether any live thread (`alive(i)`) belongs to compartment `c`.
    pub fn has_residents(&self, c: u8, alive: impl Fn(usize) -> bool) -> bool {
        self.threads.iter().enumerate().any(|(i, t)| alive(i) && t.home == Some(c))
    }

    /// If compartment `c` is on `thread`'s call stack (running, or called out of), pops every
    /// call down to the outermost call *into* `c` and returns how to resume that call's caller —
    /// as if the callee had faulted. `None` if the thread is not inside `c` through a call.
    pub fn unwind_out_of(&mut self, thread: usize, c: u8) -> Option<ReturnPlan> {
        let t = &mut self.threads[thread];
        t.home?;
        let depth = t.depth as usize;
        let j = (0..depth).find(|&j| {
            let callee = if j + 1 < depth { t.frames[j + 1].caller } else { t.current };
            callee == c
        })?;
        let f = t.frames[j];
        let plan = ReturnPlan {
            callee: c,
            caller: f.caller,
            caller_sp: f.caller_sp,
            scrub: Range::new(t.stack.start, f.caller_sp & !(GRANULE - 1)),
            regs: f.regs,
        };
        for frame in &mut t.frames[j..depth] {
            *frame = Frame::default();
        }
        if t.handler_depth != NO_HANDLER && t.handler_depth as usize > j {
            t.handler_depth = NO_HANDLER;
        }
        t.depth = j as u8;
        t.current = f.caller;
        t.window_top = f.caller_window_top;
        t.grants = f.caller_grants;
        Some(plan)
    }

    /// Whether compartment `c` takes calls.
    pub fn status(&self, c: u8) -> Status {
        self.status[c as usize]
    }

    /// Sets whether compartment `c` takes calls (the port's boot and reboot sequence).
    pub fn set_status(&mut self, c: u8, status: Status) {
        self.status[c as usize] = status;
    }

    /// The compartment whose `init` runs on `thread`, if any.
    pub fn init_of(&self, thread: usize) -> Option<u8> {
        (0..self.n_compartments as u8)
            .find(|&c| self.status[c as usize] == Status::Starting { init_thread: thread as u8 })
    }

    /// Whether the code `thread` is running may end the system: privileged kernel threads always,
    /// compartment code if its compartment has the manifest right `may_shutdown`.
    pub fn may_shutdown(&self, thread: usize) -> bool {
        self.current(thread).is_none_or(|c| self.compartments[c as usize].may_shutdown)
    }

    /// Whether the code `thread` is running may reboot compartment `target`: privileged kernel
    /// threads always, compartment code if its manifest `may_reboot` lists `target`.
    pub fn may_reboot(&self, thread: usize, target: u8) -> bool {
        self.current(thread)
            .is_none_or(|c| (target as usize) < 16 && self.compartments[c as usize].may_reboot & (1 << target) != 0)
    }

    /// After a fault on `thread` in its current compartment: if that compartment has an error
    /// handler that is not already running at this depth, and the window has room for it, marks
    /// the handler as running and says where to start it. `None`: apply the default action.
    pub fn begin_handler(&mut self, thread: usize) -> Option<HandlerPlan> {
        let t = &self.threads[thread];
        t.home?;
        let c = &self.compartments[t.current as usize];
        if c.error_handler == 0 || t.handler_depth == t.depth {
            return None;
        }
        if t.window_top < t.stack.start + STACK_RESERVE + MIN_CALL_STACK + ENTRY_FRAME {
            return None;
        }
        let plan =
            HandlerPlan { entry: c.error_handler, return_to: c.return_trampoline, sp: t.window_top - ENTRY_FRAME };
        self.threads[thread].handler_depth = t.depth;
        Some(plan)
    }

    /// Whether `thread` is running its current compartment's error handler (a `RETURN` at this
    /// depth is the handler's decision, a fault at this depth is a fault in the handler).
    pub fn in_handler(&self, thread: usize) -> bool {
        let t = &self.threads[thread];
        t.home.is_some() && t.handler_depth == t.depth
    }

    /// The handler on `thread` has returned its decision.
    pub fn end_handler(&mut self, thread: usize) {
        self.threads[thread].handler_depth = NO_HANDLER;
    }

    /// The compartment whose thread-exit trampoline a new thread of `home` returns to.
    pub fn thread_exit_of(&self, home: u8) -> Option<usize> {
        self.compartment(home).map(|c| c.thread_exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: usize = 0x3800_1000;
    const STACK_SIZE: usize = 1024;

    fn setup() -> Switcher {
        setup_with(GrantParams::NONE)
    }

    /// As [`setup`], export 1 (`b.y`, alpha's import slot 0) declaring the grant parameters `y`.
    fn setup_with(y: GrantParams) -> Switcher {
        let mut s = Switcher::new();
        let imports_a: &'static [u16] = Box::leak(vec![1u16, 2].into_boxed_slice());
        let imports_b: &'static [u16] = Box::leak(vec![2u16].into_boxed_slice());
        let a = CompartmentInfo {
            code: Range::new(0x1001_0000, 0x1001_0400),
            data: Range::new(0x3810_0000, 0x3810_0100),
            mmio: Default::default(),
            imports: Imports::new(imports_a),
            return_trampoline: 0x1001_0101,
            thread_exit: 0x1001_0111,
            ..Default::default()
        };
        let b = CompartmentInfo {
            code: Range::new(0x1002_0000, 0x1002_0400),
            data: Range::new(0x3811_0000, 0x3811_0100),
            mmio: Default::default(),
            imports: Imports::new(imports_b),
            return_trampoline: 0x1002_0101,
            thread_exit: 0x1002_0111,
            ..Default::default()
        };
        let c = CompartmentInfo {
            code: Range::new(0x1003_0000, 0x1003_0400),
            data: Range::new(0x3812_0000, 0x3812_0100),
            mmio: Default::default(),
            imports: Imports::NONE,
            return_trampoline: 0x1003_0101,
            thread_exit: 0x1003_0111,
            ..Default::default()
        };
        for info in [a, b, c] {
            s.add_compartment(info).unwrap();
        }
        // Export 0: a.x, 1: b.y, 2: c.z
        s.add_export(ExportInfo { compartment: 0, grants: GrantParams::NONE, entry: 0x1001_0201 }).unwrap();
        s.add_export(ExportInfo { compartment: 1, grants: y, entry: 0x1002_0201 }).unwrap();
        s.add_export(ExportInfo { compartment: 2, grants: GrantParams::NONE, entry: 0x1003_0201 }).unwrap();
        s.bind_thread(3, Some(0), STACK, STACK_SIZE).unwrap();
        s
    }

    fn params(p: &[(u8, GrantKind)]) -> GrantParams {
        let p: Vec<GrantParam> = p.iter().map(|&(register, kind)| GrantParam { register, kind }).collect();
        GrantParams::new(&p).unwrap()
    }

    #[test]
    fn grant_params_pack_in_order_and_reject_impossible_layouts() {
        let two = params(&[(0, GrantKind::ReadOnly), (2, GrantKind::StoreOnly)]);
        let got: Vec<(u8, GrantKind)> = two.iter().map(|p| (p.register, p.kind)).collect();
        assert_eq!(got, [(0, GrantKind::ReadOnly), (2, GrantKind::StoreOnly)]);
        let one = params(&[(1, GrantKind::ReadWrite)]);
        assert_eq!(one.iter().map(|p| (p.register, p.kind)).collect::<Vec<_>>(), [(1, GrantKind::ReadWrite)]);
        assert_eq!(params(&[]), GrantParams::NONE);
        assert_eq!(GrantParams::NONE.iter().count(), 0);
        let bad = |p: &[(u8, GrantKind)]| {
            let p: Vec<GrantParam> = p.iter().map(|&(register, kind)| GrantParam { register, kind }).collect();
            GrantParams::new(&p)
        };
        assert_eq!(bad(&[(3, GrantKind::ReadOnly)]), Err(Error::InvalidArgument), "no length register");
        assert_eq!(bad(&[(0, GrantKind::ReadOnly), (1, GrantKind::ReadOnly)]), Err(Error::InvalidArgument), "overlap");
        assert_eq!(bad(&[(2, GrantKind::ReadOnly), (0, GrantKind::ReadOnly)]), Err(Error::InvalidArgument), "order");
        assert_eq!(
            bad(&[(0, GrantKind::ReadOnly), (2, GrantKind::ReadOnly), (2, GrantKind::ReadOnly)]),
            Err(Error::InvalidArgument),
            "more than MAX_GRANTS"
        );
    }

    #[test]
    fn exports_with_grant_parameters_take_exactly_the_declared_grants() {
        // b.y(src: read-only, dst: read-write): src in r0/r1, dst in r2/r3.
        let y = params(&[(0, GrantKind::ReadOnly), (2, GrantKind::ReadWrite)]);
        let src = Range::new(0x3810_0020, 0x3810_0060); // alpha's globals
        let dst = Range::new(0x3810_0080, 0x3810_00a0);
        let args = [src.start as u32, 0x40, dst.start as u32, 0x20];
        let lent = [(src, GrantKind::ReadOnly), (dst, GrantKind::ReadWrite)];
        let sp = STACK + 0x300;
        let refused = |args: [u32; 4], requests: &[(Range, GrantKind)], why: &str| {
            let mut s = setup_with(y);
            assert_eq!(s.call_with(3, 0, sp, [0; 8], &args, requests).unwrap_err(), Error::GrantMismatch, "{why}");
            assert_eq!(s.depth(3), 0, "{why}: a refused call changes nothing");
            assert_eq!(s.view(3).unwrap().grants, [Grant::default(); MAX_GRANTS], "{why}");
        };

        let mut s = setup_with(y);
        let plan = s.call_with(3, 0, sp, [0; 8], &args, &lent).unwrap();
        assert_eq!(plan.callee, 1);
        let v = s.view(3).unwrap();
        assert!(v.can_read(src.start, 0x40) && !v.can_write(src.start, 4), "src lent read-only");
        assert!(v.can_write(dst.start, 0x20), "dst lent read-write");

        refused(args, &[], "plain call (no grants)");
        assert_eq!(setup_with(y).call(3, 0, sp, [0; 8]).unwrap_err(), Error::GrantMismatch, "Switcher::call");
        refused(args, &lent[..1], "second grant missing");
        refused(args, &[lent[1], lent[0]], "grants in another order than the parameters");
        let mut extra = [0x3811_0000, 0x40, dst.start as u32, 0x20]; // b's own globals in src's register
        refused(extra, &lent, "wrong base: the callee's own memory");
        extra = [src.start as u32 + 0x20, 0x20, dst.start as u32, 0x20];
        refused(extra, &lent, "wrong base: inside the grant");
        extra = [src.start as u32, 0x20, dst.start as u32, 0x20];
        refused(extra, &lent, "wrong length: shorter");
        extra = [src.start as u32, 0x40, dst.start as u32, 0x40];
        refused(extra, &lent, "wrong length: longer");
        refused(args, &[(src, GrantKind::ReadWrite), lent[1]], "wrong kind: read-write for read-only");
        refused(args, &[lent[0], (dst, GrantKind::ReadOnly)], "wrong kind: read-only for read-write");
        refused(args, &[lent[0], (dst, GrantKind::StoreOnly)], "wrong kind: store-only for read-write");

        // One store-only parameter at r1 (r0 an integer): a read-write grant does not do, and
        // neither does an extra grant.
        let so = params(&[(1, GrantKind::StoreOnly)]);
        let args = [7, dst.start as u32, 0x20, 0];
        let mut s = setup_with(so);
        s.call_with(3, 0, sp, [0; 8], &args, &[(dst, GrantKind::StoreOnly)]).unwrap();
        let mut s = setup_with(so);
        assert_eq!(
            s.call_with(3, 0, sp, [0; 8], &args, &[(dst, GrantKind::ReadWrite)]),
            Err(Error::GrantMismatch),
            "read-write for store-only"
        );
        assert_eq!(
            s.call_with(3, 0, sp, [0; 8], &args, &[(dst, GrantKind::StoreOnly), (src, GrantKind::ReadOnly)]),
            Err(Error::GrantMismatch),
            "an undeclared extra grant"
        );
        assert_eq!(s.call_with(3, 0, sp, [0; 8], &[7, 0x3811_0000, 0x20, 0], &[]), Err(Error::GrantMismatch));

        // The grants' own checks come first: a grant the caller does not hold is `NotPermitted`
        // even when it matches the registers.
        let mut s = setup_with(so);
        let foreign = Range::new(0x3811_0000, 0x3811_0020);
        assert_eq!(
            s.call_with(3, 0, sp, [0; 8], &[7, foreign.start as u32, 0x20, 0], &[(foreign, GrantKind::StoreOnly)]),
            Err(Error::NotPermitted)
        );
        // Exports without grant parameters keep taking any registers and grants.
        let mut s = setup();
        s.call_with(3, 0, sp, [0; 8], &[0x3811_0000, 0, 0, 0], &[(src, GrantKind::ReadWrite)]).unwrap();
    }

    #[test]
    fn new_threads_need_own_code_and_a_granular_stack_in_own_globals() {
        let s = setup();
        let a = *s.compartment(0).unwrap();
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0040, 0x80), Ok(()));
        // The whole data region is fine; one byte past it is not.
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0000, 0x100), Ok(()));
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0020, 0x100), Err(Error::BadStack));
        // Another compartment's memory, the caller's stack, kernel memory: refused.
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3811_0000, 0x80), Err(Error::BadStack));
        assert_eq!(a.check_new_thread(0x1001_0201, STACK, 0x100), Err(Error::BadStack));
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3800_0000, 0x100), Err(Error::BadStack));
        // Not granule-aligned, empty, wrapping.
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0044, 0x80), Err(Error::BadStack));
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0040, 0x70), Err(Error::BadStack));
        assert_eq!(a.check_new_thread(0x1001_0201, 0x3810_0040, 0), Err(Error::BadStack));
        assert_eq!(a.check_new_thread(0x1001_0201, usize::MAX & !31, 0x40), Err(Error::BadStack));
        // Entry outside the compartment's code (another compartment's, or its data).
        assert_eq!(a.check_new_thread(0x1002_0201, 0x3810_0040, 0x80), Err(Error::InvalidArgument));
        assert_eq!(a.check_new_thread(0x3810_0001, 0x3810_0040, 0x80), Err(Error::InvalidArgument));
        assert_eq!(a.check_new_thread(0x1001_0401, 0x3810_0040, 0x80), Err(Error::InvalidArgument));
    }

    #[test]
    fn pool_stacks_are_handed_out_per_compartment_and_come_back_when_the_thread_ends() {
        let mut s = setup();
        let (p0, p1, p2) = (
            Range::new(0x3802_0000, 0x3802_0800),
            Range::new(0x3802_0800, 0x3802_0C00),
            Range::new(0x3802_0C00, 0x3802_1000),
        );
        s.add_pool_stack(0, p0).unwrap();
        s.add_pool_stack(0, p1).unwrap();
        s.add_pool_stack(1, p2).unwrap();
        // Refused: overlapping another pool stack or a compartment's globals, not granular, too
        // small, an unknown compartment.
        assert_eq!(s.add_pool_stack(0, Range::new(0x3802_0400, 0x3802_0500)), Err(Error::InvalidArgument));
        assert_eq!(s.add_pool_stack(0, Range::new(0x3810_0000, 0x3810_0100)), Err(Error::InvalidArgument));
        assert_eq!(s.add_pool_stack(0, Range::new(0x3803_0010, 0x3803_0410)), Err(Error::InvalidArgument));
        assert_eq!(s.add_pool_stack(0, Range::new(0x3803_0000, 0x3803_0020)), Err(Error::InvalidArgument));
        assert_eq!(s.add_pool_stack(9, Range::new(0x3803_0000, 0x3803_0400)), Err(Error::InvalidArgument));
        let none_live = |_: u32| false;
        // Best fit among the compartment's own stacks only.
        assert_eq!(s.free_pool_stacks(0, none_live).best(0), Some((1, p1)));
        assert_eq!(s.free_pool_stacks(0, none_live).best(0x500), Some((0, p0)));
        assert_eq!(s.free_pool_stacks(0, none_live).best(0x1000), None);
        assert_eq!(s.free_pool_stacks(1, none_live).best(0), Some((2, p2)));
        assert_eq!(s.free_pool_stacks(2, none_live).best(0), None);
        // In use while its thread lives; free again once it is gone (or its slot reused).
        s.claim_pool_stack(1, 0x0001_0004);
        let live = |raw: u32| raw == 0x0001_0004;
        assert_eq!(s.free_pool_stacks(0, live).best(0), Some((0, p0)));
        s.claim_pool_stack(0, 0x0002_0005);
        assert_eq!(s.free_pool_stacks(0, |raw| raw == 0x0001_0004 || raw == 0x0002_0005).best(0), None);
        assert_eq!(s.free_pool_stacks(0, |raw| raw == 0x0002_0005).best(0), Some((1, p1)));
    }

    #[test]
    fn threads_on_pool_stacks_get_a_window_and_may_call_out() {
        let mut s = setup();
        let pool = Range::new(0x3802_0000, 0x3802_0800);
        s.add_pool_stack(0, pool).unwrap();
        s.bind_thread(5, Some(0), pool.start, pool.len()).unwrap();
        assert_eq!(s.view(5).unwrap().stack, pool, "its own MPU region, like a manifest thread's");
        let plan = s.call(5, 0, pool.end - 64, [0; 8]).unwrap();
        assert_eq!(plan.callee, 1);
        let v = s.view(5).unwrap();
        assert_eq!(v.stack, Range::new(pool.start, (pool.end - 64) & !31), "callee window below the caller");
        assert_eq!(v.data, s.compartment(1).unwrap().data);
        let ret = s.ret(5).unwrap();
        assert_eq!(ret.scrub.start, pool.start);
        assert_eq!(s.view(5).unwrap().stack, pool);
    }

    #[test]
    fn threads_on_own_memory_have_no_stack_region_and_cannot_call_out() {
        let mut s = setup();
        s.bind_thread(4, Some(0), 0x3810_0000, 0x100).unwrap();
        let v = s.view(4).unwrap();
        assert!(v.stack.is_empty(), "{v:?}");
        assert!(v.can_write(0x3810_0000, 0x100));
        assert_eq!(s.call(4, 0, 0x3810_0080, [0; 8]).unwrap_err(), Error::NotPermitted);
        // A manifest thread still calls out.
        assert!(s.call(3, 0, STACK + STACK_SIZE - 64, [0; 8]).is_ok());
    }

    #[test]
    fn home_view_is_own_code_data_and_whole_stack() {
        let s = setup();
        let v = s.view(3).unwrap();
        assert_eq!(v.code, Range::new(0x1001_0000, 0x1001_0400));
        assert_eq!(v.stack, Range::new(STACK, STACK + STACK_SIZE));
        assert!(v.can_read(0x1001_0000, 4) && !v.can_write(0x1001_0000, 4), "code is read-only");
        assert!(v.can_write(0x3810_00fc, 4) && !v.can_write(0x3810_00fd, 4), "exact data bounds");
        assert!(!v.can_read(0x3811_0000, 4), "another compartment's globals");
        assert!(!v.can_read(usize::MAX - 1, 4), "no wrap-around");
        assert_eq!(s.view(4), None, "kernel threads have no view");
    }

    #[test]
    fn call_moves_the_window_below_the_caller_and_return_restores() {
        let mut s = setup();
        let caller_sp = STACK + 0x2e8; // not granule-aligned
        let plan = s.call(3, 0, caller_sp, [4, 5, 6, 7, 8, 9, 10, 11]).unwrap();
        assert_eq!(plan, CallPlan { callee: 1, entry: 0x1002_0201, return_to: 0x1002_0101, sp: STACK + 0x2e0 - 32 });
        let v = s.view(3).unwrap();
        assert_eq!(v.code.start, 0x1002_0000);
        assert_eq!(v.stack, Range::new(STACK, STACK + 0x2e0));
        assert!(!v.can_read(caller_sp, 4), "the caller's frame is out of reach");
        assert_eq!(s.depth(3), 1);
        let r = s.ret(3).unwrap();
        let regs = [4, 5, 6, 7, 8, 9, 10, 11];
        assert_eq!(r, ReturnPlan { callee: 1, caller: 0, caller_sp, scrub: Range::new(STACK, STACK + 0x2e0), regs });
        assert_eq!(s.view(3).unwrap().stack, Range::new(STACK, STACK + STACK_SIZE));
        assert_eq!(s.current(3), Some(0));
        assert_eq!(s.ret(3), Err(Error::NotPermitted), "a return without a call is refused");
    }

    #[test]
    fn nested_returns_restore_each_callers_registers() {
        let mut s = setup();
        s.call(3, 0, STACK + 0x300, [1; 8]).unwrap();
        s.call(3, 0, STACK + 0x200, [2; 8]).unwrap();
        assert_eq!(s.ret(3).unwrap().regs, [2; 8]);
        assert_eq!(s.ret(3).unwrap().regs, [1; 8]);
    }

    #[test]
    fn nested_calls_use_the_callee_imports() {
        let mut s = setup();
        s.call(3, 0, STACK + 0x300, [0; 8]).unwrap(); // a -> b
        assert_eq!(s.call(3, 1, STACK + 0x200, [0; 8]), Err(Error::NotImported), "b has only slot 0");
        let p = s.call(3, 0, STACK + 0x200, [0; 8]).unwrap(); // b -> c
        assert_eq!(p.callee, 2);
        assert_eq!(s.depth(3), 2);
        assert_eq!(s.ret(3).unwrap().caller, 1);
        assert_eq!(s.ret(3).unwrap().caller, 0);
    }

    #[test]
    fn caller_is_the_innermost_calls_caller() {
        let mut s = setup();
        assert_eq!(s.caller(3), Err(Error::NotPermitted), "home compartment, no call");
        assert_eq!(s.caller(4), Err(Error::NotPermitted), "a kernel thread");
        s.call(3, 0, STACK + 0x300, [0; 8]).unwrap(); // a -> b
        assert_eq!(s.caller(3), Ok(0));
        s.call(3, 0, STACK + 0x200, [0; 8]).unwrap(); // b -> c
        assert_eq!(s.caller(3), Ok(1), "in c: b called");
        s.ret(3).unwrap();
        assert_eq!(s.caller(3), Ok(0), "back in b: a called it");
        s.call(3, 0, STACK + 0x200, [0; 8]).unwrap(); // b -> c again
        assert_eq!(s.unwind_out_of(3, 2).unwrap().caller, 1);
        assert_eq!(s.caller(3), Ok(0), "an unwound call is gone from the answer");
        s.ret(3).unwrap();
        assert_eq!(s.caller(3), Err(Error::NotPermitted));
    }

    #[test]
    fn calls_are_refused_without_import_stack_or_depth() {
        let mut s = setup();
        assert_eq!(s.call(3, 7, STACK + 0x300, [0; 8]), Err(Error::NotImported));
        assert_eq!(s.call(4, 0, STACK + 0x300, [0; 8]), Err(Error::NotImported), "kernel thread");
        assert_eq!(s.call(3, 0, STACK + 0x40, [0; 8]), Err(Error::NoStackForCall));
        assert_eq!(s.call(3, 0, STACK + STACK_SIZE + 64, [0; 8]), Err(Error::InvalidArgument), "sp outside the window");
        // a <-> b ping-pong via a.imports[0] = b.y and b has no import of a: build depth with c.
        let mut s2 = Switcher::new();
        let loop_imports: &'static [u16] = Box::leak(vec![0u16].into_boxed_slice());
        s2.add_compartment(CompartmentInfo {
            code: Range::new(0x1000_0000, 0x1000_0100),
            data: Range::new(0x3800_0000, 0x3800_0100),
            mmio: Default::default(),
            imports: Imports::new(loop_imports),
            ..Default::default()
        })
        .unwrap();
        s2.add_export(ExportInfo { compartment: 0, grants: GrantParams::NONE, entry: 0x1000_0001 }).unwrap();
        s2.bind_thread(0, Some(0), 0x3900_0000, 8192).unwrap();
        let mut sp = 0x3900_0000 + 8192;
        for _ in 0..MAX_CALL_DEPTH {
            sp -= 256;
            s2.call(0, 0, sp, [0; 8]).unwrap();
        }
        assert_eq!(s2.call(0, 0, sp - 256, [0; 8]), Err(Error::CallTooDeep));
    }

    #[test]
    fn grants_are_exact_held_monotonic_and_revoked_at_return() {
        let mut s = setup();
        let a_buf = Range::new(0x3810_0020, 0x3810_0060); // inside alpha's globals
        let ro = [(a_buf, GrantKind::ReadOnly)];
        s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &ro).unwrap();
        let v = s.view(3).unwrap();
        assert!(v.can_read(0x3810_0020, 0x40) && !v.can_write(0x3810_0020, 4), "read-only grant");
        assert!(!v.can_read(0x3810_0060, 4), "one byte past the grant is out");
        // beta passes it on to gamma (its import slot 0 = c.z): same or narrower rights only.
        let narrower = [(Range::new(0x3810_0020, 0x3810_0040), GrantKind::ReadOnly)];
        assert_eq!(
            s.call_with(3, 0, STACK + 0x200, [0; 8], &[0; 4], &[(a_buf, GrantKind::ReadWrite)]),
            Err(Error::NotPermitted)
        );
        let wider = [(Range::new(0x3810_0000, 0x3810_0060), GrantKind::ReadOnly)];
        assert_eq!(s.call_with(3, 0, STACK + 0x200, [0; 8], &[0; 4], &wider), Err(Error::NotPermitted));
        s.call_with(3, 0, STACK + 0x200, [0; 8], &[0; 4], &narrower).unwrap();
        assert!(s.view(3).unwrap().can_read(0x3810_0020, 0x20));
        assert!(!s.view(3).unwrap().can_read(0x3810_0040, 4));
        s.ret(3).unwrap();
        assert!(s.view(3).unwrap().can_read(0x3810_0020, 0x40), "beta's grant is back after gamma returns");
        s.ret(3).unwrap();
        let v = s.view(3).unwrap();
        assert_eq!(v.grants, [Grant::default(); MAX_GRANTS], "no grant survives the call");
    }

    #[test]
    fn grants_that_cannot_be_enforced_exactly_are_refused() {
        let mut s = setup();
        let g = |start, end, k| [(Range::new(start, end), k)];
        assert_eq!(
            s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(0x3810_0004, 0x3810_0024, GrantKind::ReadOnly)),
            Err(Error::GrantNotExact)
        );
        assert_eq!(
            s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(0x3810_0020, 0x3810_0030, GrantKind::ReadOnly)),
            Err(Error::GrantNotExact)
        );
        assert_eq!(
            s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(0x1001_0000, 0x1001_0020, GrantKind::ReadWrite)),
            Err(Error::NotPermitted),
            "code is not writable by the caller"
        );
        assert_eq!(
            s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(0x3811_0000, 0x3811_0020, GrantKind::ReadOnly)),
            Err(Error::NotPermitted),
            "not the caller's"
        );
        // Straddling the callee's future stack window (the caller's free stack) partly overlaps it.
        assert_eq!(
            s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(STACK + 0x2e0, STACK + 0x320, GrantKind::ReadWrite)),
            Err(Error::GrantOverlap)
        );
        // Wholly inside the callee's window: needs no region.
        s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &g(STACK + 0x100, STACK + 0x120, GrantKind::StoreOnly))
            .unwrap();
        assert_eq!(s.view(3).unwrap().grants, [Grant::default(); MAX_GRANTS]);
        s.ret(3).unwrap();
        let three = [(Range::new(0x3810_0000, 0x3810_0020), GrantKind::ReadOnly); 3];
        assert_eq!(s.call_with(3, 0, STACK + 0x300, [0; 8], &[0; 4], &three), Err(Error::InvalidArgument));
        assert_eq!(s.depth(3), 0, "refused calls leave no frame");
    }

    #[test]
    fn residents_and_unwinding_out_of_a_compartment() {
        let mut s = setup();
        let all = |_| true;
        assert!(s.has_residents(0, all), "thread 3 lives in a");
        assert!(!s.has_residents(1, all));
        assert!(!s.has_residents(0, |i| i != 3), "dead threads do not count");
        assert_eq!(s.unwind_out_of(3, 1), None, "not inside b");
        s.call(3, 0, STACK + 0x300, [1; 8]).unwrap(); // a -> b
        s.call(3, 0, STACK + 0x200, [2; 8]).unwrap(); // b -> c
                                                      // Rebooting b unwinds both calls: back to a's call into b.
        let p = s.unwind_out_of(3, 1).unwrap();
        let scrub = Range::new(STACK, STACK + 0x300);
        assert_eq!(p, ReturnPlan { callee: 1, caller: 0, caller_sp: STACK + 0x300, scrub, regs: [1; 8] });
        assert_eq!((s.depth(3), s.current(3)), (0, Some(0)));
        assert_eq!(s.view(3).unwrap().stack, Range::new(STACK, STACK + STACK_SIZE));
        // Rebooting c (innermost) unwinds only the call into c.
        s.call(3, 0, STACK + 0x300, [1; 8]).unwrap();
        s.call(3, 0, STACK + 0x200, [2; 8]).unwrap();
        assert_eq!(s.unwind_out_of(3, 2).unwrap().caller, 1);
        assert_eq!((s.depth(3), s.current(3)), (1, Some(1)));
    }

    #[test]
    fn calls_into_a_starting_or_down_compartment_are_refused() {
        let mut s = setup();
        s.set_status(1, Status::Starting { init_thread: 5 });
        assert_eq!(s.init_of(5), Some(1));
        assert_eq!(s.init_of(3), None);
        assert_eq!(s.call(3, 0, STACK + 0x300, [0; 8]), Err(Error::Busy), "init still running");
        s.set_status(1, Status::Down);
        assert_eq!(s.call(3, 0, STACK + 0x300, [0; 8]), Err(Error::CompartmentFault), "init failed");
        assert_eq!(s.depth(3), 0, "refused calls leave no frame");
        s.set_status(1, Status::Serving);
        assert_eq!(s.call(3, 0, STACK + 0x300, [0; 8]).unwrap().callee, 1);
    }

    #[test]
    fn shutdown_and_reboot_rights_follow_the_running_code() {
        let mut s = Switcher::new();
        let imports: &'static [u16] = Box::leak(vec![0u16].into_boxed_slice());
        // 0: may shut down and reboot 1; 1: no rights, imports nothing.
        s.add_compartment(CompartmentInfo {
            code: Range::new(0x1000_0000, 0x1000_0100),
            imports: Imports::new(imports),
            may_shutdown: true,
            may_reboot: 1 << 1,
            ..Default::default()
        })
        .unwrap();
        s.add_compartment(CompartmentInfo { code: Range::new(0x1000_0100, 0x1000_0200), ..Default::default() })
            .unwrap();
        s.add_export(ExportInfo { compartment: 1, grants: GrantParams::NONE, entry: 0x1000_0101 }).unwrap();
        s.bind_thread(0, Some(0), 0x3900_0000, 2048).unwrap();
        s.bind_thread(1, None, 0, 0).unwrap();
        assert!(s.may_shutdown(0) && s.may_reboot(0, 1));
        assert!(!s.may_reboot(0, 0), "not listed: not even itself");
        assert!(!s.may_reboot(0, 200), "out of range");
        assert!(s.may_shutdown(1) && s.may_reboot(1, 0), "kernel threads keep both");
        // Inside a call into 1, the thread runs 1's code: 1's rights apply.
        s.call(0, 0, 0x3900_0700, [0; 8]).unwrap();
        assert!(!s.may_shutdown(0) && !s.may_reboot(0, 1));
        s.ret(0).unwrap();
        assert!(s.may_shutdown(0));
    }

    #[test]
    fn error_handler_runs_once_per_depth_on_a_fresh_window() {
        let mut s = setup();
        assert_eq!(s.begin_handler(3), None, "a has no handler");
        s.compartments[1].error_handler = 0x1002_0301;
        s.call(3, 0, STACK + 0x2e8, [0; 8]).unwrap(); // a -> b
        let plan = s.begin_handler(3).unwrap();
        assert_eq!(plan, HandlerPlan { entry: 0x1002_0301, return_to: 0x1002_0101, sp: STACK + 0x2e0 - 32 });
        assert!(s.in_handler(3));
        assert_eq!(s.begin_handler(3), None, "a fault in the handler is not handled again");
        // The handler may call out; that callee is not "in the handler".
        s.call(3, 0, STACK + 0x200, [0; 8]).unwrap(); // b -> c
        assert!(!s.in_handler(3));
        s.ret(3).unwrap();
        assert!(s.in_handler(3));
        // Its unwind (the decision) leaves the compartment and ends the handler.
        assert_eq!(s.ret(3).unwrap().caller, 0);
        assert!(!s.in_handler(3));
        s.call(3, 0, STACK + 0x2e8, [0; 8]).unwrap();
        assert!(s.begin_handler(3).is_some(), "a later fault is handled again");
        assert_eq!(s.unwind_out_of(3, 1).unwrap().caller, 0);
        assert!(!s.in_handler(3), "a reboot's unwind ends it too");
        // Even the smallest window a call leaves has room for the handler's entry frame.
        let plan = s.call(3, 0, STACK + 0xc0, [0; 8]).unwrap();
        assert_eq!(s.begin_handler(3).unwrap().sp, plan.sp);
    }

    #[test]
    fn registration_checks() {
        let mut s = Switcher::new();
        let bad = CompartmentInfo { code: Range::new(0x1000_0004, 0x1000_0100), ..Default::default() };
        assert_eq!(s.add_compartment(bad), Err(Error::InvalidArgument));
        assert_eq!(
            s.add_export(ExportInfo { compartment: 0, grants: GrantParams::NONE, entry: 1 }),
            Err(Error::InvalidArgument)
        );
        assert_eq!(s.bind_thread(0, Some(0), 0x3800_0000, 1024), Err(Error::InvalidArgument));
        s.add_compartment(CompartmentInfo::default()).unwrap();
        assert_eq!(s.bind_thread(0, Some(0), 0x3800_0000, 64), Err(Error::BadStack));
        // Unaligned stacks shrink to whole granules.
        s.bind_thread(1, Some(0), 0x3800_0008, 1024).unwrap();
        assert_eq!(s.view(1).unwrap().stack, Range::new(0x3800_0020, 0x3800_0400));
    }
}
