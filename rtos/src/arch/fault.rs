//! Faults: the fault handlers' assembly entries, fault reports, unwinding a fault inside a
//! cross-compartment call, ending a faulting thread, and the kernel's panic handler.

use super::switcher::{reboot, start_handler, unwind_or_end};
use super::*;
use crate::sys::fault as cause;

/// Fault kinds passed from the assembly trampolines.
#[derive(Clone, Copy)]
#[repr(u32)]
enum FaultKind {
    HardFault = 0,
    MemManage = 1,
    BusFault = 2,
    UsageFault = 3,
    SecureFault = 4,
}

macro_rules! fault_trampoline {
    ($name:ident, $kind:expr) => {
        /// Fault entry: hands a [`FaultEntry`] (stack pointers, kind, r4–r11, EXC_RETURN) to `rtos_fault`.
        ///
        /// # Safety
        /// Only the CPU calls this, as a fault exception handler.
        #[unsafe(naked)]
        #[no_mangle]
        pub unsafe extern "C" fn $name() {
            naked_asm!(
                "mrs r1, msp",
                "mrs r2, psp",
                "movs r3, #{kind}",
                "push {{r1-r11, lr}}", // a FaultEntry on the main stack (12 words, aligned)
                "mov r0, sp",
                "bl {handler}",
                "pop {{r1-r11, lr}}",  // r4-r11 possibly replaced (unwinding to a caller)
                "bx lr",
                kind = const $kind as u32,
                handler = sym rtos_fault,
            )
        }
    };
}

fault_trampoline!(HardFault, FaultKind::HardFault);
fault_trampoline!(MemoryManagement, FaultKind::MemManage);
fault_trampoline!(BusFault, FaultKind::BusFault);
fault_trampoline!(UsageFault, FaultKind::UsageFault);
fault_trampoline!(SecureFault, FaultKind::SecureFault);

const CFSR: *mut u32 = 0xE000_ED28 as *mut u32;
const HFSR: *mut u32 = 0xE000_ED2C as *mut u32;
const MMFAR: *const u32 = 0xE000_ED34 as *const u32;
const BFAR: *const u32 = 0xE000_ED38 as *const u32;
const SFSR: *mut u32 = 0xE000_EDE4 as *mut u32;
const SFAR: *const u32 = 0xE000_EDE8 as *const u32;

const CFSR_MMARVALID: u32 = 1 << 7;
const CFSR_BFARVALID: u32 = 1 << 15;
const CFSR_STKOF: u32 = 1 << 20;
const CFSR_MSTKERR: u32 = 1 << 4;
const CFSR_STKERR: u32 = 1 << 12;

/// What the fault trampolines save on the main stack.
#[repr(C)]
struct FaultEntry {
    /// MSP at exception entry (the hardware frame, if the fault came from Handler mode).
    msp: u32,
    /// PSP at exception entry (the hardware frame, if the fault came from Thread mode).
    psp: u32,
    /// [`FaultKind`].
    kind: u32,
    /// The interrupted context's r4–r11; reloaded on exit.
    regs: SavedRegs,
    /// EXC_RETURN.
    exc_return: u32,
}

/// Rust half of every fault handler. Reports the fault; inside a cross-compartment call it unwinds
/// the call; otherwise, if it came from a thread, it ends that thread and lets the rest of the
/// system run; a kernel fault stops the system.
extern "C" fn rtos_fault(entry: &mut FaultEntry) {
    let (exc_return, msp, psp, kind) = (entry.exc_return, entry.msp, entry.psp, entry.kind);
    // SAFETY: reading fault status registers has no side effects.
    let (cfsr, hfsr, mmfar, bfar, sfsr, sfar) = unsafe {
        (CFSR.read_volatile(), HFSR.read_volatile(), MMFAR.read(), BFAR.read(), SFSR.read_volatile(), SFAR.read())
    };
    let from_thread = exc_return & (1 << 3) != 0;
    let frame = if exc_return & (1 << 2) != 0 { psp } else { msp };
    let kind_name = match kind {
        0 => "HardFault",
        1 => "MemManage fault",
        2 => "BusFault",
        3 => "UsageFault",
        _ => "SecureFault",
    };
    let cause = describe(cfsr, hfsr, sfsr);
    let stack_overflow = cfsr & (CFSR_STKOF | CFSR_MSTKERR | CFSR_STKERR) != 0;

    // SAFETY: if the fault came from Thread mode no kernel handler was active (module invariant 4);
    // otherwise we only read the kernel for the report and then stop the system.
    let (k, sw) = unsafe { tables() };
    let thread = k.current_index().filter(|_| from_thread);
    let name = thread.map_or("<kernel>", |i| k.tcb(i).name());
    match thread.and_then(|i| sw.current(i)) {
        Some(c) => kprintln!(
            "\n*** FAULT: {} ({}) in compartment '{}' (thread '{}')",
            kind_name,
            cause,
            compartment_name(c),
            name
        ),
        None => kprintln!("\n*** FAULT: {} ({}) in thread '{}'", kind_name, cause, name),
    }
    // With a stack overflow the frame may be only partly stacked: do not trust its PC below PSPLIM.
    let frame_ok =
        !(stack_overflow && from_thread) || thread.is_some_and(|i| frame as usize > psplim_of(&k.tcb(i).ctx));
    let mut pc = 0;
    if frame_ok {
        // SAFETY: `frame` is the hardware exception frame of the faulting context (8 words).
        let lr;
        (pc, lr) =
            unsafe { (((frame + 24) as *const u32).read_volatile(), ((frame + 20) as *const u32).read_volatile()) };
        kprintln!("    PC {:#010x}  LR {:#010x}  SP {:#010x}", pc, lr, frame);
    } else {
        kprintln!("    PC unknown (exception frame not stacked)  SP {:#010x}", frame);
    }
    let addr = if cfsr & CFSR_MMARVALID != 0 {
        Some(mmfar)
    } else if cfsr & CFSR_BFARVALID != 0 {
        Some(bfar)
    } else if sfsr & (1 << 6) != 0 {
        Some(sfar)
    } else {
        None
    };
    match addr {
        Some(a) => kprintln!("    fault address {:#010x}", a),
        None => kprintln!("    fault address: none"),
    }
    kprintln!("    CFSR {:#010x}  HFSR {:#010x}  SFSR {:#010x}  EXC_RETURN {:#010x}", cfsr, hfsr, sfsr, exc_return);
    if let Some(i) = thread {
        if stack_overflow {
            let c = k.tcb(i).ctx;
            kprintln!(
                "    stack overflow: thread '{}' stack {:#010x}..{:#010x} ({} bytes)",
                name,
                c.stack_base,
                c.stack_base + c.stack_size,
                c.stack_size
            );
        }
    }

    // SAFETY: writing 1s clears the sticky status bits so the next fault reports only itself.
    unsafe {
        CFSR.write_volatile(cfsr);
        HFSR.write_volatile(hfsr);
        SFSR.write_volatile(sfsr);
    }

    match thread.and_then(|i| sw.current(i).map(|c| (i, c))) {
        // A fault in a compartment: its error handler decides, else its `on_fault` policy: unwind
        // the call (the caller gets CompartmentFault) or end the thread in its home compartment,
        // and with "reboot" then reboot the compartment.
        Some((i, c)) => {
            if sw.depth(i) == 0 && sw.init_of(i) == Some(c) {
                // A fault in `init` itself: the compartment stays down. Neither its error handler
                // nor a reboot apply: both would run the same init again, in a loop.
                unwind_or_end(k, sw, i, &mut entry.regs);
            } else if sw.in_handler(i) {
                sw.end_handler(i);
                kprintln!("    fault inside the error handler of '{}': unwinding", compartment_name(c));
                unwind_or_end(k, sw, i, &mut entry.regs);
            } else if let Some(plan) = sw.begin_handler(i) {
                kprintln!("    running the error handler of '{}'", compartment_name(c));
                let code = if stack_overflow {
                    cause::CAUSE_STACK_OVERFLOW
                } else if cfsr & 0xFF != 0 {
                    cause::CAUSE_MEMORY
                } else if cfsr & 0xFF00 != 0 {
                    cause::CAUSE_BUS
                } else if cfsr & 0xFFFF_0000 != 0 {
                    cause::CAUSE_USAGE
                } else {
                    cause::CAUSE_OTHER
                };
                start_handler(plan, code, pc, addr.unwrap_or(0), &mut entry.regs);
            } else if sw.compartment(c).is_some_and(|info| info.reboot_on_fault) {
                kprintln!("    on_fault = reboot: rebooting '{}'", compartment_name(c));
                let _ = reboot(k, sw, i, c, &mut entry.regs);
            } else {
                unwind_or_end(k, sw, i, &mut entry.regs);
            }
        }
        // A privileged kernel thread: it ends.
        None if thread.is_some() && thread != k.idle_index() => {
            kprintln!("    thread '{}' terminated; the rest of the system continues", name);
            k.exit_current();
            SCB::set_pendsv();
            // A thread that masked interrupts must not keep them masked for everyone else.
            // SAFETY: re-enabling interrupts in a fault handler only affects priority masking.
            unsafe { cortex_m::interrupt::enable() };
        }
        _ => {
            kprintln!("    kernel fault: system halted");
            (hooks().exit)(3);
        }
    }
}

fn describe(cfsr: u32, hfsr: u32, sfsr: u32) -> &'static str {
    const CAUSES: [(u32, &str); 16] = [
        (1 << 20, "stack overflow: PSPLIM/MSPLIM violation"),
        (1 << 0, "instruction access violation"),
        (1 << 1, "data access violation"),
        (1 << 3, "MPU fault on exception return unstacking"),
        (1 << 4, "MPU fault on exception entry stacking"),
        (1 << 8, "instruction bus error"),
        (1 << 9, "precise data bus error"),
        (1 << 10, "imprecise data bus error"),
        (1 << 11, "bus fault on exception return unstacking"),
        (1 << 12, "bus fault on exception entry stacking"),
        (1 << 16, "undefined instruction"),
        (1 << 17, "invalid state (Thumb bit clear)"),
        (1 << 18, "invalid exception return"),
        (1 << 19, "coprocessor not available"),
        (1 << 24, "unaligned access"),
        (1 << 25, "division by zero"),
    ];
    if let Some((_, s)) = CAUSES.iter().find(|(bit, _)| cfsr & bit != 0) {
        return s;
    }
    if sfsr != 0 {
        return "security violation";
    }
    if hfsr & (1 << 30) != 0 {
        return "escalated to HardFault";
    }
    if hfsr & (1 << 1) != 0 {
        return "vector table read error";
    }
    "unknown cause"
}

/// Every device interrupt, and any exception without a handler: a line a compartment owns is
/// delivered to it ([`device_interrupt`](super::device_interrupt)); anything else is reported and
/// stops the system.
///
/// # Safety
/// Only the CPU calls this, as an exception handler.
#[no_mangle]
pub unsafe extern "C" fn DefaultHandler() {
    let ipsr: u32;
    // SAFETY: reading IPSR has no side effects.
    unsafe { core::arch::asm!("mrs {}, ipsr", out(reg) ipsr, options(nomem, nostack, preserves_flags)) };
    let exception = ipsr & 0x1FF;
    if exception >= 16 && super::device_interrupt((exception - 16) as u16) {
        return;
    }
    kprintln!(
        "\n*** unexpected exception {} (IRQ {}): no handler installed; system halted",
        ipsr & 0x1FF,
        (ipsr & 0x1FF) as i32 - 16
    );
    (hooks().exit)(4)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    kprintln!("\n*** PANIC: {}", info);
    (hooks().exit)(101)
}
