//! ARMv8-M Mainline port (Cortex-M33, Secure state, no FPU context).
//!
//! Responsibilities: boot the kernel, own the exception handlers, switch contexts, enforce stack
//! limits and turn faults into reports. Invariants (details in `docs/context-switch.md`):
//!
//! 1. **One kernel priority.** SVCall, PendSV and SysTick all run at the lowest exception
//!    priority, so they never preempt one another: the [`Kernel`] is touched by one handler at a
//!    time and needs no lock. Device interrupt lines owned by compartments run at that priority
//!    too (their handler wakes a waiter); no other device interrupt is ever enabled.
//! 2. **Threads run on PSP in Thread mode; handlers run on MSP.** A thread's saved context is its
//!    PSP pointing at 8 callee-saved words (r4–r11) stored just below the hardware exception frame.
//! 3. **PSPLIM = stack base + 32.** The hardware faults (UsageFault STKOF) before a thread's own
//!    frames reach the last 32 bytes, which stay free for the context save in PendSV.
//! 4. **Faults from Thread mode kill the thread, not the system.** They are taken above the kernel
//!    priority, but came from Thread mode, so no kernel handler was active: the kernel state is
//!    consistent and the fault handler may end the thread and pend a switch.

use core::arch::naked_asm;
use core::cell::UnsafeCell;
use core::fmt::Write;

use cortex_m::peripheral::scb::{Exception, SystemHandler};
use cortex_m::peripheral::SCB;
// Linked for its reset handler, memory initialisation and vector table (nothing is called by name).
use cortex_m_rt as _;

use crate::compartment::{self, CompartmentInfo, ExportInfo, GrantKind, Range, SavedRegs, Switcher, View};
use crate::image::{Board, CompartmentSpec, ImageSpec, StaticStack, ThreadEntry, ThreadSpec, MIN_STACK_SIZE};
use crate::kernel::{Context, Kernel, NewThread, NAME_LEN};
use crate::sealing::Owner;
use crate::services::Services;
use crate::sys::{nr, CallDesc, ThreadParams};
use crate::syscall::{self, Port, SysRet};
use crate::Error;

mod mpu;

/// Bytes below PSPLIM reserved for saving r4–r11 at a context switch.
const SAVE_AREA: usize = 32;
/// Words in a basic (no FPU) hardware exception frame.
const HW_FRAME_WORDS: usize = 8;
/// Initial xPSR: Thumb bit set.
const XPSR_THUMB: u32 = 1 << 24;
/// Lowest exception priority (the kernel's).
const KERNEL_PRIORITY: u8 = 0xFF;

/// A cell for state owned by the kernel's exception priority.
struct KernelOwned<T>(UnsafeCell<T>);

// SAFETY: the contents are only accessed from kernel-priority handlers (which never preempt each
// other), from fault handlers entered from Thread mode (when no kernel handler is active), or at
// boot before interrupts are enabled. See the module invariants.
unsafe impl<T> Sync for KernelOwned<T> {}

impl<T> KernelOwned<T> {
    /// # Safety
    /// Caller must be in one of the contexts listed on the `Sync` impl and must not keep the
    /// reference beyond the handler invocation.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self) -> &mut T {
        // SAFETY: exclusive access is guaranteed by the caller (see above).
        unsafe { &mut *self.0.get() }
    }
}

static KERNEL: KernelOwned<Kernel> = KernelOwned(UnsafeCell::new(Kernel::new()));
static SWITCHER: KernelOwned<Switcher> = KernelOwned(UnsafeCell::new(Switcher::new()));
/// Sealing tables and the heap.
static SERVICES: KernelOwned<Services> = KernelOwned(UnsafeCell::new(Services::new()));
/// The image's compartment descriptors (names for reports, init, rights, reboot).
static COMPARTMENTS: KernelOwned<&'static [CompartmentSpec]> = KernelOwned(UnsafeCell::new(&[]));
/// The image's manifest threads (a rebooted compartment's threads restart from these).
static THREADS: KernelOwned<&'static [ThreadSpec]> = KernelOwned(UnsafeCell::new(&[]));

/// Both kernel-owned tables.
///
/// # Safety
/// As for [`KernelOwned::get`].
unsafe fn tables() -> (&'static mut Kernel, &'static mut Switcher) {
    // SAFETY: forwarded to the caller.
    unsafe { (KERNEL.get(), SWITCHER.get()) }
}

fn compartment_name(index: u8) -> &'static str {
    // SAFETY: written once at boot.
    let specs = unsafe { *COMPARTMENTS.get() };
    specs.get(index as usize).map_or("?", |c| c.name)
}

/// Board hooks captured at boot, used by handlers that are not generic over the board.
#[derive(Clone, Copy)]
struct Hooks {
    console: fn(&[u8]),
    exit: fn(i32) -> !,
}

fn no_console(_: &[u8]) {}
fn spin_exit(_: i32) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

static HOOKS: KernelOwned<Hooks> = KernelOwned(UnsafeCell::new(Hooks { console: no_console, exit: spin_exit }));

/// What PendSV must do, filled in by [`rtos_pendsv_switch`] for the assembly that follows.
#[repr(C)]
struct SwitchPlan {
    /// Where to store the outgoing thread's r4–r11 (0: do not save, the thread is gone).
    save_sp: usize,
    /// Incoming thread's saved stack pointer (at its r4–r11).
    next_sp: usize,
    /// Incoming thread's stack limit.
    next_psplim: usize,
}

static PLAN: KernelOwned<SwitchPlan> =
    KernelOwned(UnsafeCell::new(SwitchPlan { save_sp: 0, next_sp: 0, next_psplim: 0 }));

static IDLE_STACK: StaticStack<MIN_STACK_SIZE> = StaticStack::new();

/// SysTick clock frequency and reload period (cycles per tick), set at boot.
static CLOCK: KernelOwned<(u32, u32)> = KernelOwned(UnsafeCell::new((0, 0)));

fn hooks() -> Hooks {
    // SAFETY: written once at boot before interrupts are enabled; read-only afterwards.
    unsafe { *HOOKS.get() }
}

/// Writes formatted text straight to the board console (kernel context only).
struct KernelConsole;

impl Write for KernelConsole {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        (hooks().console)(s.as_bytes());
        Ok(())
    }
}

macro_rules! kprintln {
    ($($arg:tt)*) => {{
        let _ = writeln!(KernelConsole, $($arg)*);
    }};
}

mod fault;
mod switcher;
use switcher::{
    cross_call, finish_return, handler_decision, init_finished, read_call_desc, reboot_request, start_compartment,
    start_thread, zero_granules, Rebooted,
};

/// Boots the kernel: board init, threads from the image, exception set-up, first context switch.
pub fn start<B: Board>(image: &'static ImageSpec) -> ! {
    B::init();
    // SAFETY: boot context, interrupts still disabled (reset state) — nothing else runs.
    unsafe {
        *HOOKS.get() = Hooks { console: B::console_write, exit: B::exit };
    }
    kprintln!(
        "rtos: booting image '{}' on {} ({} thread(s), {} Hz tick)",
        image.name,
        B::NAME,
        image.threads.len(),
        image.kernel.tick_hz
    );

    // SAFETY: boot context as above.
    let k = unsafe { KERNEL.get() };
    k.configure(image.kernel);
    let idle = IDLE_STACK.region();
    let idle_ctx = init_frame(
        idle.base as usize,
        idle.size,
        idle_entry as *const () as usize,
        0,
        0,
        thread_return as *const () as usize,
    );
    // SAFETY: boot context as above.
    let sw = unsafe { SWITCHER.get() };
    for d in image.compartments.iter().flat_map(|c| c.mmio) {
        B::allow_unprivileged(d);
    }
    if let Err(e) = load_compartments(sw, image) {
        boot_failure("<compartments>", e);
    }
    if let Err(e) = claim_irqs(image) {
        boot_failure("<interrupts>", e);
    }
    // Handle tags only need to be unguessable by compartments: mix the image name with the tick
    // timer's free-running value. (A board with a TRNG should seed from it.)
    let seed = image.name.bytes().fold(0x811C_9DC5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193));
    // SAFETY: boot context as above; SYST_CVR is a read-only-effect register.
    unsafe { SERVICES.get().sealer.seed(seed ^ (0xE000_E018 as *const u32).read_volatile()) };
    // SAFETY: boot context as above.
    if let Err(e) = unsafe { SERVICES.get() }.issue_allocation_caps(image.compartments.len()) {
        boot_failure("<heap>", e);
    }
    // SAFETY: boot context as above.
    let services = unsafe { SERVICES.get() };
    if let Err(e) = services.clock.issue_caps(&mut services.sealer, image.compartments.iter().map(|c| c.may_set_clock))
    {
        boot_failure("<clock>", e);
    }
    let statics = services
        .configure_static(image.sealed_objects, image.compartments.iter().map(|c| (c.sealing_keys, c.sealed_imports)))
        .and_then(|()| (0..image.compartments.len()).try_for_each(|c| services.issue_static(c as u8)));
    if let Err(e) = statics {
        boot_failure("<static sealed objects>", e);
    }
    if let Err(e) = idle_ctx.and_then(|ctx| k.create_idle(ctx)) {
        boot_failure("idle", e);
    }
    // SAFETY: boot context as above.
    unsafe { *THREADS.get() = image.threads };
    for t in image.threads {
        // A compartment with `init` starts its threads when its init returns (below).
        if let ThreadEntry::Compartment { compartment, .. } = t.entry {
            if image.compartments.get(compartment as usize).is_some_and(|c| c.init.is_some()) {
                continue;
            }
        }
        if let Err(e) = start_thread(k, sw, t) {
            boot_failure(t.name, e);
        }
    }
    for (c, spec) in image.compartments.iter().enumerate() {
        if spec.init.is_some() {
            if let Err(e) = start_compartment(k, sw, c as u8) {
                boot_failure(spec.name, e);
            }
        }
    }

    // SAFETY: boot context; we are the only user of the core peripherals here.
    let mut p = unsafe { cortex_m::Peripherals::steal() };
    // SAFETY: changing exception priorities before interrupts are enabled cannot break any
    // priority-based critical section; these priorities implement module invariant 1.
    unsafe {
        p.SCB.set_priority(SystemHandler::SVCall, KERNEL_PRIORITY);
        p.SCB.set_priority(SystemHandler::PendSV, KERNEL_PRIORITY);
        p.SCB.set_priority(SystemHandler::SysTick, KERNEL_PRIORITY);
        p.SCB.set_priority(SystemHandler::MemoryManagement, 0);
        p.SCB.set_priority(SystemHandler::BusFault, 0);
        p.SCB.set_priority(SystemHandler::UsageFault, 0);
    }
    p.SCB.enable(Exception::MemoryManagement);
    p.SCB.enable(Exception::BusFault);
    p.SCB.enable(Exception::UsageFault);
    // Trap integer division by zero instead of silently yielding 0.
    // SAFETY: read-modify-write of CCR to set DIV_0_TRP only.
    unsafe { p.SCB.ccr.modify(|v| v | (1 << 4)) };
    mpu::init();

    let reload = B::CPU_HZ / image.kernel.tick_hz.max(1) - 1;
    // SAFETY: boot context.
    unsafe { *CLOCK.get() = (B::CPU_HZ, reload + 1) };
    p.SYST.set_clock_source(cortex_m::peripheral::syst::SystClkSource::Core);
    p.SYST.set_reload(reload);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();

    SCB::set_pendsv();
    // SAFETY: everything the handlers need is initialised; the first PendSV switches to the first
    // thread and this boot context (on MSP) is never resumed.
    unsafe { cortex_m::interrupt::enable() };
    loop {
        cortex_m::asm::wfi();
    }
}

/// Registers the image's compartments and exports with the switcher and initialises each
/// compartment's globals from its image (copy initialised data, zero the rest).
fn load_compartments(sw: &mut Switcher, image: &'static ImageSpec) -> Result<(), Error> {
    // SAFETY: boot context.
    unsafe { *COMPARTMENTS.get() = image.compartments };
    // SAFETY: boot context.
    let heap = unsafe { &mut SERVICES.get().heap };
    let mut map = image.heap_map;
    for (i, c) in image.compartments.iter().enumerate() {
        let arena = Range::new(c.heap.start as usize, c.heap.end as usize);
        if !arena.is_empty() {
            let granules = arena.len() / compartment::GRANULE;
            if !arena.is_granular() || granules > map.len || arena.end != c.data.end as usize {
                return Err(Error::InvalidArgument);
            }
            // SAFETY: `heap_map` is kernel memory reserved by the generated image file for exactly
            // these maps (one byte per granule of every heap); each compartment takes a disjoint
            // part, handed over once here.
            let part = unsafe { core::slice::from_raw_parts_mut(map.base, granules) };
            // SAFETY: as above; the rest of the region stays with the following compartments.
            map = crate::image::HeapMapRegion { base: unsafe { map.base.add(granules) }, len: map.len - granules };
            heap.add_arena(i as u8, arena.start, part, c.heap_quota as usize)?;
        } else if c.heap_quota > 0 {
            // A quota without an arena of its own: the compartment can only allocate through
            // callees (in their heaps).
            heap.add_arena(i as u8, 0, &mut [], c.heap_quota as usize)?;
        }
    }
    for c in image.compartments {
        if c.mmio.len() > compartment::MAX_MMIO {
            return Err(Error::InvalidArgument);
        }
        let mut mmio = [Range::default(); compartment::MAX_MMIO];
        for (slot, d) in mmio.iter_mut().zip(c.mmio) {
            *slot = Range::new(d.base, d.base + d.size);
        }
        let info = CompartmentInfo {
            code: Range::new(c.code.start as usize, c.code.end as usize),
            data: Range::new(c.data.start as usize, c.data.end as usize),
            mmio,
            imports: compartment::Imports::new(c.imports),
            return_trampoline: c.return_trampoline as usize,
            thread_exit: c.thread_exit as usize,
            error_handler: c.error_handler.map_or(0, |f| f as usize),
            reboot_on_fault: c.reboot_on_fault,
            may_shutdown: c.may_shutdown,
            may_reboot: c.may_reboot,
        };
        sw.add_compartment(info)?;
        reset_globals(c);
    }
    // After every compartment: a pool stack must lie outside all of their globals.
    for (i, c) in image.compartments.iter().enumerate() {
        for (base, size) in c.thread_stacks.stacks() {
            sw.add_pool_stack(i as u8, Range::new(base, base + size))?;
        }
    }
    for e in image.exports {
        let grants = compartment::GrantParams::new(e.grants)?;
        sw.add_export(ExportInfo { compartment: e.compartment, grants, entry: e.entry as usize })?;
    }
    if !image.compartments.is_empty() {
        kprintln!("rtos: {} compartment(s), {} export(s)", image.compartments.len(), image.exports.len());
    }
    Ok(())
}

/// Records which compartment owns each device interrupt line (the one its device is granted to)
/// and prepares the lines: kernel priority (the handler touches kernel state, module invariant 1),
/// masked until the owner unmasks them with `IRQ_ACK`.
fn claim_irqs(image: &'static ImageSpec) -> Result<(), Error> {
    // SAFETY: boot context, interrupts disabled.
    let irqs = unsafe { &mut SERVICES.get().irqs };
    for (c, spec) in image.compartments.iter().enumerate() {
        for irq in spec.mmio.iter().filter_map(|d| d.irq) {
            irqs.add(irq, c as u8)?;
            nvic::mask(irq);
            nvic::set_kernel_priority(irq);
        }
    }
    Ok(())
}

/// The NVIC registers the kernel uses for device interrupt lines (System Control Space; only the
/// kernel reaches them: no view ever covers the SCS).
mod nvic {
    const ISER: usize = 0xE000_E100;
    const ICER: usize = 0xE000_E180;
    const IPR: usize = 0xE000_E400;

    fn bank(base: usize, irq: u16) -> (*mut u32, u32) {
        ((base + 4 * (irq as usize / 32)) as *mut u32, 1 << (irq % 32))
    }

    /// Stops line `irq` from interrupting; an event on it stays pending in the NVIC.
    pub(super) fn mask(irq: u16) {
        let (reg, bit) = bank(ICER, irq);
        // SAFETY: ICERn is write-one-to-clear: only this line's enable bit changes. `irq` is a line
        // the kernel registered (at most 479, so the register exists on ARMv8-M).
        unsafe { reg.write_volatile(bit) };
        // The line must be off before the caller proceeds (e.g. returns from its handler).
        cortex_m::asm::dsb();
        cortex_m::asm::isb();
    }

    /// Lets line `irq` interrupt again.
    pub(super) fn unmask(irq: u16) {
        let (reg, bit) = bank(ISER, irq);
        // SAFETY: ISERn is write-one-to-set: only this line's enable bit changes.
        unsafe { reg.write_volatile(bit) };
    }

    /// Gives line `irq` the kernel's (lowest) exception priority.
    pub(super) fn set_kernel_priority(irq: u16) {
        // SAFETY: IPRn is byte-accessible, one byte per line; boot context, line masked.
        unsafe { ((IPR + irq as usize) as *mut u8).write_volatile(super::KERNEL_PRIORITY) };
    }
}

/// A device interrupt (the CPU enters `DefaultHandler` for every line; it calls this). Masks the
/// line and wakes its owner's waiter. Returns `false` for a line no compartment owns.
pub(super) fn device_interrupt(irq: u16) -> bool {
    // SAFETY: owned lines run at the kernel priority (`claim_irqs`), so this handler never
    // preempts another kernel handler (module invariant 1); unowned lines are never unmasked.
    let (k, services) = unsafe { (KERNEL.get(), SERVICES.get()) };
    nvic::mask(irq);
    if !services.irqs.fired(k, irq) {
        return false;
    }
    if k.need_switch() {
        SCB::set_pendsv();
    }
    true
}

/// Sets a compartment's globals to their initial values from the image.
fn reset_globals(c: &CompartmentSpec) {
    let start = c.data.start as usize;
    let init_end = c.data_init_end as usize;
    let end = c.data.end as usize;
    let mut load = c.data_load as usize;
    let mut a = start;
    while a < end {
        let v = if a < init_end {
            // SAFETY: `data_load` holds `init_end - start` bytes of initial values (linker script).
            let v = unsafe { (load as *const u32).read_volatile() };
            load += 4;
            v
        } else {
            0
        };
        // SAFETY: `[start, end)` is the compartment's globals region, word-aligned, not in use by
        // anyone at this point (no thread runs in the compartment yet).
        unsafe { (a as *mut u32).write_volatile(v) };
        a += 4;
    }
}

fn boot_failure(name: &str, e: Error) -> ! {
    kprintln!("rtos: cannot start thread '{}': {}", name, e);
    (hooks().exit)(1)
}

/// Validates a stack and writes a thread's first frame so that the first switch to it "returns"
/// into `pc(r0, r1)` with `lr` = a thread-exit trampoline.
fn init_frame(base: usize, size: usize, pc: usize, r0: usize, r1: usize, lr: usize) -> Result<Context, Error> {
    if size < MIN_STACK_SIZE || base == 0 {
        return Err(Error::BadStack);
    }
    let end = base.checked_add(size).ok_or(Error::BadStack)?;
    // Granule-aligned so that a compartment thread's stack is exactly one MPU region.
    let top = end & !(compartment::GRANULE - 1);
    let frame_words = 8 + HW_FRAME_WORDS;
    let sp = top - frame_words * 4;
    let frame = sp as *mut u32;
    let mut words = [0u32; 16];
    words[8] = r0 as u32; // hardware frame: r0
    words[9] = r1 as u32; // r1
    words[13] = lr as u32; // lr
    words[14] = (pc as u32) & !1; // pc (Thumb bit lives in xPSR)
    words[15] = XPSR_THUMB;
    for (i, w) in words.iter().enumerate() {
        // SAFETY: `sp..top` lies inside the caller-provided stack (size >= MIN_STACK_SIZE > 64),
        // which is owned by the new thread and not yet in use.
        unsafe { frame.add(i).write_volatile(*w) };
    }
    Ok(Context { sp, stack_base: base, stack_size: size })
}

fn psplim_of(ctx: &Context) -> usize {
    ((ctx.stack_base + 7) & !7) + SAVE_AREA
}

/// Start of every manifest kernel thread: runs the Rust entry `fn(usize)`.
///
/// # Safety
/// Only reached as the first frame of a thread built by `start`, with `entry` a `fn(usize)`.
unsafe extern "C" fn rust_thread_entry(entry: usize, arg: usize) {
    // SAFETY: `start` stores a `fn(usize)` from the image spec in `entry`.
    let f = unsafe { core::mem::transmute::<usize, fn(usize)>(entry) };
    f(arg);
}

/// Where a thread's entry function returns to: ends the thread.
extern "C" fn thread_return() -> ! {
    crate::sys::thread_exit()
}

/// Cycles of the tick timer's clock the idle thread has spent inside WFI since boot
/// (`IDLE_CYCLES`).
struct IdleCycles(UnsafeCell<u64>);

// SAFETY: written only by the idle thread with PRIMASK set, so no handler (and, on this single
// core, nothing else) runs during the update; read only by kernel-priority handlers, which
// therefore never see a half-written value.
unsafe impl Sync for IdleCycles {}

static IDLE_CYCLES: IdleCycles = IdleCycles(UnsafeCell::new(0));

/// One idle wait: with interrupts masked, reads SysTick, waits for an interrupt to become pending
/// (WFI wakes on a pending interrupt even while PRIMASK masks it), reads SysTick again and
/// returns the cycles spent waiting. The interrupt is taken only after the caller unmasks, so
/// handler time is never counted as idle. Returns 0 without waiting if a tick is already due.
///
/// Privileged Thread mode with PRIMASK set (the idle thread).
fn idle_wait() -> u64 {
    // SAFETY: written once at boot.
    let (_, period) = unsafe { *CLOCK.get() };
    const SYST_CVR: *const u32 = 0xE000_E018 as *const u32;
    const ICSR: *const u32 = 0xE000_ED04 as *const u32;
    const PENDSTSET: u32 = 1 << 26;
    // SAFETY: reading SysTick's current value and ICSR has no side effects.
    let (v0, due) = unsafe { (SYST_CVR.read_volatile(), ICSR.read_volatile() & PENDSTSET != 0) };
    if due {
        // The counter may have wrapped before `v0` was read: take the tick first.
        return 0;
    }
    cortex_m::asm::wfi();
    // SAFETY: as above.
    let (v1, wrapped, v2) =
        unsafe { (SYST_CVR.read_volatile(), ICSR.read_volatile() & PENDSTSET != 0, SYST_CVR.read_volatile()) };
    // The counter counts down. Reaching zero pends SysTick (which also ends the WFI, so this
    // happens at most once here) and the counter reads 0 for one more cycle, the period's last,
    // before it reloads. So with SysTick pending, `v2` (read after seeing it) is either that 0 or
    // in the next period; without, no wrap had happened when `v1` was read.
    let waited = match (wrapped, v2) {
        (true, 0) => v0,
        (true, _) => v0.wrapping_add(period).wrapping_sub(v2),
        (false, _) => v0.wrapping_sub(v1),
    };
    // A value above two periods can only come from a misread counter: count nothing then.
    let waited = u64::from(waited);
    if waited > 2 * u64::from(period) {
        0
    } else {
        waited
    }
}

/// The idle thread: sleeps until the next interrupt, forever, counting the cycles it waits.
///
/// # Safety
/// Only reached as the idle thread's first frame (it is `unsafe` only to match the entry ABI).
unsafe extern "C" fn idle_entry(_: usize, _: usize) {
    loop {
        // The idle thread runs privileged (it has no compartment view), so CPSID takes effect.
        cortex_m::interrupt::disable();
        let waited = idle_wait();
        // SAFETY: PRIMASK is set, so no handler runs during this update (see `IdleCycles`).
        unsafe { *IDLE_CYCLES.0.get() += waited };
        // SAFETY: the idle thread holds no lock and no critical section beyond the update above;
        // unmasking lets the pending interrupt that ended the wait be taken now.
        unsafe { cortex_m::interrupt::enable() };
    }
}

// ----- context switch ---------------------------------------------------------------------------

/// PendSV: the context switch. Saves r4–r11 of the outgoing thread below its hardware frame (if
/// it still exists), then restores the incoming thread's r4–r11, PSP and PSPLIM and returns to
/// Thread mode on PSP (EXC_RETURN 0xFFFFFFFD: Secure, Thread, PSP, basic frame).
///
/// # Safety
/// Only the CPU calls this, as the PendSV exception handler.
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn PendSV() {
    naked_asm!(
        "mrs r0, psp",
        "bl {switch}",          // r0 = &SwitchPlan; r4-r11 are callee-saved, still the old thread's
        "ldr r1, [r0, #0]",
        "cbz r1, 1f",
        "stmia r1, {{r4-r11}}",
        "1:",
        "ldr r1, [r0, #4]",
        "ldr r2, [r0, #8]",
        "movs r3, #0",
        "msr psplim, r3",       // lift the limit so the PSP write below can never trip it
        "ldmia r1!, {{r4-r11}}",
        "msr psp, r1",
        "msr psplim, r2",
        "mvn lr, #2",           // EXC_RETURN = 0xFFFFFFFD
        "bx lr",
        switch = sym rtos_pendsv_switch,
    )
}

/// Rust half of PendSV. Kernel priority.
extern "C" fn rtos_pendsv_switch(psp: usize) -> *const SwitchPlan {
    // SAFETY: PendSV runs at the kernel priority (module invariant 1).
    let (k, plan) = unsafe { (KERNEL.get(), PLAN.get()) };
    plan.save_sp = 0;
    if let Some(cur) = k.current_index() {
        if k.is_alive(cur) {
            let sp = psp - SAVE_AREA;
            k.context_mut(cur).sp = sp;
            plan.save_sp = sp;
        }
    }
    let next = k.switch_to_next();
    let ctx = k.tcb(next).ctx;
    if let Some(result) = k.take_pending_result(next) {
        // SAFETY: `ctx.sp` points at the thread's saved r4–r11, followed by its hardware frame
        // whose first word is the stacked r0: the blocked system call's return value.
        unsafe { ((ctx.sp + SAVE_AREA) as *mut i32).write_volatile(result) };
    }
    plan.next_sp = ctx.sp;
    plan.next_psplim = psplim_of(&ctx);
    // SAFETY: PendSV runs at the kernel priority (module invariant 1).
    let view = unsafe { SWITCHER.get() }.view(next);
    set_thread_privileged(view.is_none());
    mpu::apply(view.as_ref());
    plan
}

/// Sets whether Thread mode runs privileged (CONTROL.nPRIV), for the thread about to resume.
fn set_thread_privileged(privileged: bool) {
    let control: u32;
    // SAFETY: reading CONTROL has no side effects.
    unsafe { core::arch::asm!("mrs {}, control", out(reg) control, options(nomem, nostack, preserves_flags)) };
    let new = if privileged { control & !1 } else { control | 1 };
    if new != control {
        // SAFETY: in Handler mode only nPRIV takes effect here; it changes the privilege of the
        // Thread-mode code we return to, which is the point. The ISB makes it visible.
        unsafe { core::arch::asm!("msr control, {}", "isb", in(reg) new, options(nostack, preserves_flags)) };
    }
}

// ----- system calls and tick ---------------------------------------------------------------------

/// SVCall: saves the caller's r4–r11 on the main stack (cross-compartment calls must read and
/// replace them), runs [`rtos_svc`], and reloads r4–r11 from that save area. Kernel priority.
///
/// # Safety
/// Only the CPU calls this, as the SVCall exception handler taken from Thread mode.
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn SVCall() {
    naked_asm!(
        "push {{r3-r11, lr}}", // 10 words keep MSP 8-byte aligned; r4-r11 at sp+4
        "add r0, sp, #4",
        "bl {svc}",
        "pop {{r3-r11, lr}}",
        "bx lr",
        svc = sym rtos_svc,
    )
}

/// Rust half of SVCall: decodes `svc #N` from the caller's stacked PC and dispatches it. `regs` is
/// the thread's r4–r11 as saved by the assembly; what is stored there on return is what the
/// thread resumes with.
extern "C" fn rtos_svc(regs: &mut SavedRegs) {
    let frame = cortex_m::register::psp::read() as *mut u32;
    // SAFETY: SVC is only issued from Thread mode, whose hardware frame (8 words) is at PSP.
    let (args, r12, pc) = unsafe {
        (
            [frame.read(), frame.add(1).read(), frame.add(2).read(), frame.add(3).read()],
            frame.add(4).read(),
            frame.add(6).read(),
        )
    };
    // SAFETY: the stacked PC follows the 2-byte `svc #imm8` instruction, which is readable code.
    let number = unsafe { ((pc - 2) as *const u16).read() } as u8;
    // SAFETY: SVCall runs at the kernel priority (module invariant 1).
    let (k, sw) = unsafe { tables() };
    let Some(me) = k.current_index() else { return };
    let view = sw.view(me);
    let refused = match number {
        nr::CALL => {
            cross_call(sw, me, frame, args, r12, regs, &[]);
            return;
        }
        nr::CALL_GRANTS => {
            match read_call_desc(view.as_ref(), args[0] as usize) {
                Ok((desc, (requests, n))) => cross_call(sw, me, frame, desc.args, desc.slot, regs, &requests[..n]),
                // SAFETY: `frame` is the caller's exception frame: r0 = 0, r1 = error.
                Err(e) => unsafe {
                    frame.write(0);
                    frame.add(1).write(e.code() as u32);
                },
            }
            return;
        }
        nr::COMPARTMENT_REBOOT => {
            let value = match reboot_request(k, sw, me, args[0], regs) {
                Ok(Rebooted::Done(revoked)) => Some(revoked),
                Err(e) => Some(e.code() as u32),
                // The caller was unwound (its caller's frame already holds the result) or ended.
                Ok(Rebooted::CallerUnwound | Rebooted::CallerEnded) => None,
            };
            if let Some(v) = value {
                // SAFETY: `frame` is the caller's exception frame.
                unsafe { frame.write(v) };
            }
            if k.need_switch() {
                SCB::set_pendsv();
            }
            return;
        }
        nr::THREAD_CREATE => {
            let r = thread_create(k, sw, me, view.as_ref(), args);
            // SAFETY: writing the stacked r0 of the caller's frame sets the return value.
            unsafe { frame.write(r.unwrap_or_else(|e| e.code()) as u32) };
            if k.need_switch() {
                SCB::set_pendsv();
            }
            return;
        }
        nr::RETURN => {
            // SAFETY: `frame` is the callee's exception frame; r0 holds its result.
            let value = unsafe { frame.read() };
            if sw.in_handler(me) {
                // The compartment's error handler returned its decision.
                handler_decision(k, sw, me, value, regs);
                return;
            }
            match sw.ret(me) {
                Ok(plan) => finish_return(sw, me, plan, value, 0, regs),
                // A return without a call: refuse it to the issuer.
                // SAFETY: as above.
                Err(e) => unsafe { frame.write(e.code() as u32) },
            }
            return;
        }
        nr::CALLER => {
            // Who called the code now running: from the kernel's call stack, never from anything
            // a compartment can write.
            let r = sw.caller(me).map_or_else(Error::code, i32::from);
            // SAFETY: writing the stacked r0 of the caller's frame sets the return value.
            unsafe { frame.write(r as u32) };
            return;
        }
        // Ending the system is a manifest right of compartments (`may_shutdown`).
        nr::SHUTDOWN => !sw.may_shutdown(me),
        nr::THREAD_EXIT => {
            // The end of a compartment's init thread: `init` returned r0 — unless the thread
            // exits from inside a callee, whose r0 says nothing about init.
            if let Some(c) = sw.init_of(me) {
                init_finished(k, sw, c, (sw.depth(me) == 0).then_some(args[0]));
            }
            false
        }
        // A compartment may only manage its own threads.
        nr::THREAD_KILL
        | nr::SET_PRIORITY
        | nr::THREAD_SUSPEND
        | nr::THREAD_RESUME
        | nr::THREAD_ABORT_WAIT
        | nr::THREAD_STATE => match (sw.home(me), k.lookup(crate::ThreadId::from_raw(args[0]))) {
            (Some(mine), Ok(target)) => sw.home(target) != Some(mine),
            _ => false,
        },
        _ => false,
    };
    let ret = if refused {
        SysRet::Value(Error::NotPermitted.code())
    } else {
        let owner = sw.current(me).map_or(Owner::Kernel, Owner::Compartment);
        // SAFETY: SVCall runs at the kernel priority (module invariant 1).
        let services = unsafe { SERVICES.get() };
        let killed_init = match number {
            nr::THREAD_KILL => {
                k.lookup(crate::ThreadId::from_raw(args[0])).ok().and_then(|t| sw.init_of(t).map(|c| (t, c)))
            }
            _ => None,
        };
        let ret =
            syscall::dispatch(k, services, owner, &mut ArmPort { view: view.as_ref(), spawn: None }, number, args);
        if let Some((t, c)) = killed_init {
            // An init thread killed before it returned: the compartment did not initialise.
            if !k.is_alive(t) {
                init_finished(k, sw, c, None);
            }
        }
        ret
    };
    match ret {
        SysRet::Value(v) => {
            // SAFETY: writing the stacked r0 of the caller's frame sets the return value.
            unsafe { frame.write(v as u32) }
        }
        // SAFETY: as above, r0 and r1.
        SysRet::Wide(v) => unsafe {
            frame.write(v as u32);
            frame.add(1).write((v >> 32) as u32);
        },
        // SAFETY: as above, r0 and r1.
        SysRet::Status(r) => unsafe {
            let (value, status) = match r {
                Ok(v) => (v, 0),
                Err(e) => (0, e.code() as u32),
            };
            frame.write(value);
            frame.add(1).write(status);
        },
        // SAFETY: as above, r0, r1 and r2.
        SysRet::WideStatus(r) => unsafe {
            frame.write(r.value as u32);
            frame.add(1).write((r.value >> 32) as u32);
            frame.add(2).write(r.status as u32);
        },
        SysRet::Blocked | SysRet::Gone => {}
    }
    if k.need_switch() {
        SCB::set_pendsv();
    }
}

/// THREAD_CREATE, out of line so that the other system calls do not pay for what only thread
/// creation needs: the spawner's compartment and its free pool stacks. Returns the new thread's
/// handle; `Err` also if the new thread cannot be bound to its compartment (it is then killed
/// before it ever runs).
#[inline(never)]
fn thread_create(
    k: &mut Kernel,
    sw: &mut Switcher,
    me: usize,
    view: Option<&View>,
    args: [u32; 4],
) -> Result<i32, Error> {
    let owner = sw.current(me).map_or(Owner::Kernel, Owner::Compartment);
    // A compartment thread creates threads in its current compartment only (checked in
    // `ArmPort::init_thread`), on its own memory or on one of its pool stacks whose last user has
    // ended.
    let mut spawn = sw.current(me).and_then(|c| sw.compartment(c).map(|info| (c, *info))).map(|(c, info)| Spawn {
        compartment: c,
        info,
        pool: sw.free_pool_stacks(c, |raw| k.lookup(crate::ThreadId::from_raw(raw)).is_ok()),
        stack: Range::default(),
        pool_taken: None,
    });
    // SAFETY: SVCall runs at the kernel priority (module invariant 1).
    let services = unsafe { SERVICES.get() };
    let ret =
        syscall::dispatch(k, services, owner, &mut ArmPort { view, spawn: spawn.as_mut() }, nr::THREAD_CREATE, args);
    let SysRet::Value(v) = ret else { return Err(Error::InvalidArgument) };
    if v < 0 {
        return Ok(v);
    }
    // A new thread: a kernel thread's slot loses whatever compartment state it had; a
    // compartment's new thread gets its home and its whole stack as first window.
    let id = crate::ThreadId::from_raw(v as u32);
    let bound = match &spawn {
        None => sw.bind_thread(id.index(), None, 0, 0),
        Some(s) => sw.bind_thread(id.index(), Some(s.compartment), s.stack.start, s.stack.len()),
    };
    if let Err(e) = bound {
        // Cannot happen after `check_new_thread`; never let the thread run unbound.
        let _ = k.kill(id);
        return Err(e);
    }
    if let Some((i, stack)) = spawn.and_then(|s| s.pool_taken.map(|i| (i, s.stack))) {
        sw.claim_pool_stack(i, v as u32);
        // Tell the creator where its new thread's stack is: `stack_base` and `stack_size` of its
        // parameters, if it can write them (a runtime that finds its threads by stack pointer needs
        // the range). `ThreadParams` is `repr(C)`: six words, then those two.
        let at = args[0] as usize + core::mem::offset_of!(crate::sys::ThreadParams, stack_base);
        if view.is_some_and(|v| v.can_write(at, 8)) {
            // SAFETY: the caller's view allows writing these 8 bytes (checked just above), and
            // the kernel may access all of RAM.
            unsafe {
                (at as *mut u32).write_volatile(stack.start as u32);
                ((at + 4) as *mut u32).write_volatile(stack.len() as u32);
            }
        }
    }
    Ok(v)
}

/// SysTick: advances kernel time. Kernel priority.
///
/// # Safety
/// Only the CPU calls this, as the SysTick exception handler.
#[no_mangle]
pub unsafe extern "C" fn SysTick() {
    // SAFETY: SysTick runs at the kernel priority (module invariant 1).
    let k = unsafe { KERNEL.get() };
    k.tick();
    if k.need_switch() {
        SCB::set_pendsv();
    }
}

/// The port's side of system calls. Pointer arguments of an unprivileged (compartment) caller must
/// lie inside its current view; a privileged kernel thread's are checked for null/alignment only.
/// Holds the caller's view by reference: building the port must stay free on the hot system-call
/// path (copying a whole view there cost ~35 instructions per call).
struct ArmPort<'a> {
    view: Option<&'a View>,
    /// THREAD_CREATE from a compartment thread only: where its new thread would live.
    spawn: Option<&'a mut Spawn>,
}

/// What a compartment thread's THREAD_CREATE needs, and what `init_thread` decided.
struct Spawn {
    /// The compartment the caller runs in: the new thread's home.
    compartment: u8,
    info: CompartmentInfo,
    /// Its pool stacks no live thread uses.
    pool: compartment::FreeStacks,
    /// The stack `init_thread` prepared.
    stack: Range,
    /// The pool stack it took, if the caller asked for one.
    pool_taken: Option<u8>,
}

impl ArmPort<'_> {
    fn readable(&self, addr: usize, len: usize) -> bool {
        self.view.is_none_or(|v| v.can_read(addr, len))
    }
}

impl Port for ArmPort<'_> {
    fn read_u32(&self, addr: usize) -> Result<u32, Error> {
        if addr == 0 || !addr.is_multiple_of(4) || !self.readable(addr, 4) {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: non-null, aligned, and the caller (privileged thread) could read it itself.
        Ok(unsafe { (addr as *const u32).read_volatile() })
    }

    fn read_thread_params(&self, addr: usize) -> Result<ThreadParams, Error> {
        let size = core::mem::size_of::<ThreadParams>();
        if addr == 0 || !addr.is_multiple_of(core::mem::align_of::<ThreadParams>()) || !self.readable(addr, size) {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: non-null and aligned; the caller passed a reference to a `ThreadParams`.
        Ok(unsafe { (addr as *const ThreadParams).read() })
    }

    fn read_name(&self, addr: usize, len: usize, out: &mut [u8; NAME_LEN]) -> Result<usize, Error> {
        let n = len.min(NAME_LEN);
        if n > 0 && (addr == 0 || !self.readable(addr, n)) {
            return Err(Error::InvalidArgument);
        }
        for (i, slot) in out.iter_mut().enumerate().take(n) {
            // SAFETY: `addr..addr+len` is the caller's name buffer; we read at most `len` bytes.
            *slot = unsafe { ((addr + i) as *const u8).read() };
        }
        Ok(n)
    }

    fn console_write(&mut self, addr: usize, len: usize) -> Result<(), Error> {
        if len == 0 {
            return Ok(());
        }
        if addr == 0 || addr.checked_add(len).is_none() || !self.readable(addr, len) {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: the caller passed a byte slice of `len` bytes at `addr`.
        let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len) };
        (hooks().console)(bytes);
        Ok(())
    }

    fn init_thread(&mut self, p: &ThreadParams) -> Result<Context, Error> {
        let (base, size, entry) = (p.stack_base as usize, p.stack_size, p.entry as *const () as usize);
        match self.spawn.as_deref_mut() {
            None => init_frame(base, size, entry, p.arg0, p.arg1, thread_return as *const () as usize),
            // Unprivileged, in the caller's compartment, returning into its thread-exit
            // trampoline, exactly like the manifest's compartment threads at boot.
            // `stack_base` 0: a stack of at least `stack_size` bytes from the compartment's pool,
            // zeroed so that nothing of its previous thread is left.
            Some(spawn) if base == 0 => {
                spawn.info.check_entry(entry)?;
                let (i, stack) = spawn.pool.best(size).ok_or(Error::OutOfMemory)?;
                zero_granules(stack);
                let ctx = init_frame(stack.start, stack.len(), entry, p.arg0, p.arg1, spawn.info.thread_exit)?;
                (spawn.stack, spawn.pool_taken) = (stack, Some(i));
                Ok(ctx)
            }
            Some(spawn) => {
                spawn.info.check_new_thread(entry, base, size)?;
                spawn.stack = Range::new(base, base + size);
                init_frame(base, size, entry, p.arg0, p.arg1, spawn.info.thread_exit)
            }
        }
    }

    fn shutdown(&mut self, code: i32) -> ! {
        (hooks().exit)(code)
    }

    fn cycles(&self, ticks: u64) -> u64 {
        // SAFETY: written once at boot.
        let (_, period) = unsafe { *CLOCK.get() };
        const SYST_CVR: *const u32 = 0xE000_E018 as *const u32;
        const ICSR: *const u32 = 0xE000_ED04 as *const u32;
        const PENDSTSET: u32 = 1 << 26;
        // SAFETY: reading SysTick's current value and ICSR has no side effects.
        let (v1, pending, v2) =
            unsafe { (SYST_CVR.read_volatile(), ICSR.read_volatile() & PENDSTSET != 0, SYST_CVR.read_volatile()) };
        // We run at the tick's priority, so the counter reaching zero since the last tick shows as
        // a pending SysTick. It then reads 0 for one more cycle (the period's last) before it
        // reloads: `v2` (read after seeing the pending bit) is that 0 or in the next period.
        // Otherwise no wrap had happened when `v1` was read.
        let (ticks, value) = match (pending, v2) {
            (true, 0) => (ticks, 0),
            (true, _) => (ticks + 1, v2),
            (false, _) => (ticks, v1),
        };
        ticks * period as u64 + (period - 1 - value) as u64
    }

    fn clock_hz(&self) -> u32 {
        // SAFETY: written once at boot.
        unsafe { CLOCK.get().0 }
    }

    fn idle_cycles(&self) -> u64 {
        // SAFETY: system calls run at the kernel priority, never while the idle thread updates the
        // count with interrupts masked (see `IdleCycles`).
        unsafe { *IDLE_CYCLES.0.get() }
    }

    fn zero(&mut self, block: Range) {
        zero_granules(block);
    }

    fn irq_unmask(&mut self, irq: u16) {
        nvic::unmask(irq);
    }

    fn write_bytes(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Error> {
        let writable = self.view.is_none_or(|v| v.can_write(addr, bytes.len()));
        if addr == 0 || addr.checked_add(bytes.len()).is_none() || !writable {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: the caller may write `[addr, addr + len)` itself (checked against its view, or
        // it is a privileged kernel thread); no Rust reference to that memory exists here.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        Ok(())
    }
}
