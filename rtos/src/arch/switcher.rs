//! The switcher: carrying out cross-compartment calls, returns, unwinding and micro-reboots on
//! the CPU (stack frames, PSP, saved registers, scrubbing, MPU views). The decisions — import
//! checks, windows, grants, call stacks — are made by the host-tested [`Switcher`].

use super::*;
use crate::compartment::{HandlerPlan, Status};
use crate::image::StackRegion;

/// Moves the process stack pointer (the exception return unstacks from its new value).
fn set_psp(sp: usize) {
    // SAFETY: called from Handler mode with the address of a complete exception frame that the
    // thread's view covers.
    unsafe { core::arch::asm!("msr psp, {}", in(reg) sp, options(nomem, nostack, preserves_flags)) };
}

/// Starts a cross-compartment call: builds the callee's entry frame below the caller's, moves PSP
/// to it and switches the MPU to the callee's view. On refusal the caller gets `r1 = error`.
pub(super) fn cross_call(
    sw: &mut Switcher,
    me: usize,
    frame: *mut u32,
    args: [u32; 4],
    slot: u32,
    regs: &mut SavedRegs,
    requests: &[(Range, GrantKind)],
) {
    match sw.call_with(me, slot, frame as usize, *regs, &args, requests) {
        Err(e) => {
            // SAFETY: `frame` is the caller's hardware exception frame (8 words at PSP).
            unsafe {
                frame.write(0);
                frame.add(1).write(e.code() as u32);
            }
        }
        Ok(plan) => {
            for (range, kind) in requests {
                if *kind == GrantKind::StoreOnly {
                    // SAFETY: the caller holds write rights to `range` (checked by `call_with`), it is
                    // granule-aligned, and the callee has not started: zeroing it is what makes the
                    // grant store-only.
                    unsafe { core::ptr::write_bytes(range.start as *mut u8, 0, range.len()) };
                }
            }
            let entry = plan.sp as *mut u32;
            let words =
                [args[0], args[1], args[2], args[3], 0, plan.return_to as u32, plan.entry as u32 & !1, XPSR_THUMB];
            for (i, w) in words.iter().enumerate() {
                // SAFETY: `plan.sp` lies in the thread's own stack, below the caller's frame, with at
                // least MIN_CALL_STACK bytes beneath (checked by `Switcher::call`).
                unsafe { entry.add(i).write_volatile(*w) };
            }
            // The callee starts with r4-r11 cleared: nothing of the caller's registers leaks.
            *regs = [0; 8];
            set_psp(plan.sp);
            mpu::apply(sw.view(me).as_ref());
        }
    }
}

/// Zeroes a granule-aligned range, 16 bytes per store instruction (this bounds the cost of a
/// cross-compartment return, which scrubs the callee's whole stack window).
///
/// Callers pass only memory no one else uses at that moment: a returning callee's stack window, a
/// heap block the allocator has just reserved, or a pool stack about to be given to a new thread.
pub(super) fn zero_granules(range: Range) {
    if range.is_empty() || !range.is_granular() {
        return;
    }
    // SAFETY: `range` is RAM reserved for the caller's purpose (see above), non-empty and a whole
    // number of 32-byte granules, so the loop writes exactly `[start, end)`.
    unsafe {
        core::arch::asm!(
            "movs r1, #0",
            "movs r2, #0",
            "movs r3, #0",
            "mov r12, #0",
            "2:",
            "stmia r0!, {{r1, r2, r3, r12}}",
            "stmia r0!, {{r1, r2, r3, r12}}",
            "cmp r0, {end}",
            "bne 2b",
            end = in(reg) range.end,
            inout("r0") range.start => _,
            out("r1") _, out("r2") _, out("r3") _, out("r12") _,
            options(nostack),
        );
    }
}

/// Decoded capability arguments of one call: the requests and how many are valid.
type GrantRequests = ([(Range, GrantKind); crate::sys::MAX_GRANTS], usize);

/// Reads and decodes a [`CallDesc`] that the calling compartment passed by address.
pub(super) fn read_call_desc(view: Option<&View>, addr: usize) -> Result<(CallDesc, GrantRequests), Error> {
    let size = core::mem::size_of::<CallDesc>();
    let readable = view.is_some_and(|v| v.can_read(addr, size));
    if addr == 0 || !addr.is_multiple_of(4) || !readable {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: aligned and inside the caller's view (checked above); plain-old-data.
    let desc = unsafe { (addr as *const CallDesc).read_volatile() };
    let n = desc.ngrants as usize;
    if n > crate::sys::MAX_GRANTS {
        return Err(Error::InvalidArgument);
    }
    let mut requests = [(Range::default(), GrantKind::ReadOnly); crate::sys::MAX_GRANTS];
    for (req, g) in requests.iter_mut().zip(&desc.grants).take(n) {
        let kind = GrantKind::from_abi(g.kind).ok_or(Error::InvalidArgument)?;
        let end = (g.base as usize).checked_add(g.len as usize).ok_or(Error::InvalidArgument)?;
        *req = (Range::new(g.base as usize, end), kind);
    }
    Ok((desc, (requests, n)))
}

/// Resumes the caller of the innermost call with `(r0, r1) = (value, status)` and its own r4–r11
/// (stored into `regs`, which the exception exit reloads) after zeroing the stack window the
/// callee had. r2, r3, r12, lr and xPSR come back from the caller's own exception frame.
pub(super) fn finish_return(
    sw: &Switcher,
    me: usize,
    plan: compartment::ReturnPlan,
    value: u32,
    status: u32,
    regs: &mut SavedRegs,
) {
    *regs = plan.regs;
    zero_granules(plan.scrub);
    let frame = plan.caller_sp as *mut u32;
    // SAFETY: `caller_sp` is the caller's exception frame saved at its CALL.
    unsafe {
        frame.write(value);
        frame.add(1).write(status);
    }
    set_psp(plan.caller_sp);
    mpu::apply(sw.view(me).as_ref());
}

/// Priority of a compartment's init thread: the most urgent, so that at boot every `init` runs
/// before any manifest thread (unless it blocks), and after a reboot the compartment is back in
/// service as soon as possible.
const INIT_PRIORITY: u8 = crate::kernel::MAX_PRIORITY;

/// Creates manifest thread `t` (kernel or compartment thread) from its manifest entry.
pub(super) fn start_thread(k: &mut Kernel, sw: &mut Switcher, t: &ThreadSpec) -> Result<(), Error> {
    let (base, size) = (t.stack.base as usize, t.stack.size);
    match t.entry {
        ThreadEntry::Kernel(f) => init_frame(
            base,
            size,
            rust_thread_entry as *const () as usize,
            f as usize,
            t.arg,
            thread_return as *const () as usize,
        )
        .and_then(|ctx| k.create_thread(NewThread { name: t.name.as_bytes(), priority: t.priority, ctx }))
        .and_then(|id| sw.bind_thread(id.index(), None, base, size)),
        ThreadEntry::Compartment { compartment, entry } => {
            let exit = sw.thread_exit_of(compartment).ok_or(Error::InvalidArgument)?;
            let ctx = init_frame(base, size, entry as usize, t.arg, 0, exit)?;
            let id = k.create_thread(NewThread { name: t.name.as_bytes(), priority: t.priority, ctx })?;
            sw.bind_thread(id.index(), Some(compartment), base, size)
        }
    }
}

/// Zeroes a stack the kernel is about to start a thread on.
fn scrub_stack(stack: &StackRegion) {
    if stack.size > 0 {
        // SAFETY: a manifest or init stack (static memory given to the kernel once) whose thread
        // is not alive: nothing else uses it. Nothing of a previous incarnation survives.
        unsafe { core::ptr::write_bytes(stack.base, 0, stack.size) };
    }
}

/// Brings compartment `c` into service: with an `init`, starts its init thread (calls are refused
/// with `Busy` until init returns, see [`init_finished`]); without one, starts its manifest threads
/// at once.
pub(super) fn start_compartment(k: &mut Kernel, sw: &mut Switcher, c: u8) -> Result<(), Error> {
    // SAFETY: written once at boot.
    let spec = unsafe { *COMPARTMENTS.get() }.get(c as usize).ok_or(Error::InvalidArgument)?;
    let Some(init) = spec.init else {
        sw.set_status(c, Status::Serving);
        return start_threads_of(k, sw, c);
    };
    let stack = spec.init_stack;
    scrub_stack(&stack);
    let (base, size) = (stack.base as usize, stack.size);
    let ctx = init_frame(base, size, init as usize, 0, 0, spec.thread_exit as usize)?;
    // "<compartment>/init", cut to the kernel's name length.
    let mut name = [0u8; NAME_LEN];
    let n = spec.name.len().min(NAME_LEN - 5);
    name[..n].copy_from_slice(&spec.name.as_bytes()[..n]);
    name[n..n + 5].copy_from_slice(b"/init");
    let id = k.create_thread(NewThread { name: &name[..n + 5], priority: INIT_PRIORITY, ctx })?;
    if let Err(e) = sw.bind_thread(id.index(), Some(c), base, size) {
        let _ = k.kill(id);
        return Err(e);
    }
    sw.set_status(c, Status::Starting { init_thread: id.index() as u8 });
    Ok(())
}

/// Starts the manifest threads whose home is `c`, on zeroed stacks.
fn start_threads_of(k: &mut Kernel, sw: &mut Switcher, c: u8) -> Result<(), Error> {
    // SAFETY: written once at boot.
    let threads = unsafe { *THREADS.get() };
    for t in threads {
        if matches!(t.entry, ThreadEntry::Compartment { compartment, .. } if compartment == c) {
            scrub_stack(&t.stack);
            if let Err(e) = start_thread(k, sw, t) {
                kprintln!("rtos: cannot start thread '{}' of '{}': {}", t.name, compartment_name(c), e);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// The init thread of `c` ended: `result` is what `init` returned (`None`: it faulted or was
/// killed). 0 puts the compartment in service and starts its manifest threads; anything else
/// leaves it down (calls get `CompartmentFault`) until a reboot.
pub(super) fn init_finished(k: &mut Kernel, sw: &mut Switcher, c: u8, result: Option<u32>) {
    match result {
        Some(0) => {
            sw.set_status(c, Status::Serving);
            kprintln!("rtos: compartment '{}' initialised", compartment_name(c));
            let _ = start_threads_of(k, sw, c);
        }
        Some(code) => {
            sw.set_status(c, Status::Down);
            kprintln!(
                "rtos: init of compartment '{}' returned {}: it stays down until rebooted",
                compartment_name(c),
                code
            );
        }
        None => {
            sw.set_status(c, Status::Down);
            kprintln!(
                "rtos: init of compartment '{}' did not return: it stays down until rebooted",
                compartment_name(c)
            );
        }
    }
}

/// What a micro-reboot did to the thread that asked for it.
pub(super) enum Rebooted {
    /// The caller was not involved; `n` sealed handles were revoked.
    Done(u32),
    /// The caller was inside the compartment through a call: it was unwound (its caller's frame
    /// now holds `CompartmentFault`).
    CallerUnwound,
    /// The caller was one of the compartment's own threads: it ended (and restarted, if it is a
    /// manifest thread).
    CallerEnded,
}

/// `COMPARTMENT_REBOOT` from thread `me`: checks the index and the caller's right (privileged
/// kernel threads always have it, compartments through their manifest `may_reboot`).
pub(super) fn reboot_request(
    k: &mut Kernel,
    sw: &mut Switcher,
    me: usize,
    index: u32,
    regs: &mut SavedRegs,
) -> Result<Rebooted, Error> {
    let c = u8::try_from(index).map_err(|_| Error::InvalidArgument)?;
    if sw.compartment(c).is_none() {
        return Err(Error::InvalidArgument);
    }
    if !sw.may_reboot(me, c) {
        return Err(Error::NotPermitted);
    }
    reboot(k, sw, me, c, regs)
}

/// Micro-reboot of compartment `c`, on thread `me` (whose live registers are `regs`), all inside
/// the kernel so that no call can start while it runs:
///
/// 1. threads whose home is `c` are ended, wherever they are (a thread of `c` that is inside
///    another compartment through a call is not unwound first: its call stack is dropped, like
///    `THREAD_KILL`); threads `c` created at run time are not restarted;
/// 2. every other thread that is inside `c` through calls is unwound to the caller of its
///    outermost call into `c`, which gets `CompartmentFault` (as after a fault);
/// 3. its heap is freed (quotas refunded), its globals reset from the image, the sealed handles
///    it issued revoked and its static ones issued afresh;
/// 4. its `init` runs again on its init thread (calls get `Busy` meanwhile), then its manifest
///    threads restart from their manifest entries on zeroed stacks (new thread handles).
pub(super) fn reboot(
    k: &mut Kernel,
    sw: &mut Switcher,
    me: usize,
    c: u8,
    regs: &mut SavedRegs,
) -> Result<Rebooted, Error> {
    // SAFETY: written once at boot.
    let spec = unsafe { *COMPARTMENTS.get() }.get(c as usize).ok_or(Error::InvalidArgument)?;
    for i in 0..crate::kernel::MAX_THREADS {
        if i == me || !k.is_alive(i) || Some(i) == k.idle_index() {
            continue;
        }
        if sw.home(i) == Some(c) {
            kprintln!("rtos: thread '{}' of '{}' ended for its reboot", k.tcb(i).name(), spec.name);
            let _ = k.kill(k.id_of(i));
            continue;
        }
        let Some(plan) = sw.unwind_out_of(i, c) else { continue };
        // The thread is not running (only `me` runs): rewrite its saved context so that it resumes
        // after its call with (r0, r1) = (0, CompartmentFault) and its own r4-r11.
        zero_granules(plan.scrub);
        let sp = plan.caller_sp - SAVE_AREA;
        let saved = sp as *mut u32;
        for (n, r) in plan.regs.iter().enumerate() {
            // SAFETY: `sp..caller_sp` lies just below the caller's exception frame, in the thread's
            // own stack, in the part the callee had (now scrubbed and unused).
            unsafe { saved.add(n).write_volatile(*r) };
        }
        let frame = plan.caller_sp as *mut u32;
        // SAFETY: `caller_sp` is the caller's exception frame saved at its CALL.
        unsafe {
            frame.write(0);
            frame.add(1).write(Error::CompartmentFault.code() as u32);
        }
        k.context_mut(i).sp = sp;
        k.cancel_wait(i);
        kprintln!("rtos: thread '{}' unwound out of '{}' for its reboot", k.tcb(i).name(), spec.name);
    }
    let outcome = if sw.home(me) == Some(c) {
        Rebooted::CallerEnded
    } else if let Some(plan) = sw.unwind_out_of(me, c) {
        kprintln!("rtos: thread '{}' unwound out of '{}' for its reboot", k.tcb(me).name(), spec.name);
        finish_return(sw, me, plan, 0, Error::CompartmentFault.code() as u32, regs);
        Rebooted::CallerUnwound
    } else {
        Rebooted::Done(0)
    };
    // SAFETY: kernel priority, or a fault from Thread mode (module invariants 1 and 4).
    let services = unsafe { SERVICES.get() };
    // Every block in its heap is freed (and returned to whichever quota paid for it); the memory
    // itself is zeroed with the globals, whose region the heap ends.
    let freed = services.heap.reset_arena(c);
    reset_globals(spec);
    let revoked = services.sealer.revoke_all(Owner::Compartment(c));
    // Its interrupt lines go back to their boot state (masked, no event remembered); waiters
    // were threads inside it, unwound above.
    for irq in services.irqs.reset_owner(c) {
        nvic::mask(irq);
    }
    // Its static keys and sealed objects come back with new handles (the old ones stay stale);
    // so does its clock capability (copies it lent out go stale with it), while the time runs on.
    services.issue_static(c)?;
    let revoked = revoked + services.clock.reissue(&mut services.sealer, c)? as usize;
    kprintln!(
        "rtos: compartment '{}' rebooted ({} sealed handle(s) revoked, {} heap bytes freed)",
        spec.name,
        revoked,
        freed
    );
    if matches!(outcome, Rebooted::CallerEnded) {
        kprintln!("rtos: thread '{}' of '{}' ended for its reboot", k.tcb(me).name(), spec.name);
        k.exit_current();
    }
    if let Err(e) = start_compartment(k, sw, c) {
        sw.set_status(c, Status::Down);
        kprintln!("rtos: compartment '{}' cannot restart ({}): it stays down", spec.name, e);
    }
    if k.need_switch() {
        SCB::set_pendsv();
    }
    Ok(match outcome {
        Rebooted::Done(_) => Rebooted::Done(revoked as u32),
        other => other,
    })
}

/// The default outcome of a fault on thread `me` in its current compartment: inside a call, the
/// call is unwound (its caller gets `CompartmentFault`); in its home compartment outside any call,
/// the thread ends.
pub(super) fn unwind_or_end(k: &mut Kernel, sw: &mut Switcher, me: usize, regs: &mut SavedRegs) {
    if sw.depth(me) > 0 {
        if let Ok(plan) = sw.ret(me) {
            kprintln!(
                "    call into '{}' unwound; '{}' gets CompartmentFault",
                compartment_name(plan.callee),
                compartment_name(plan.caller)
            );
            finish_return(sw, me, plan, 0, Error::CompartmentFault.code() as u32, regs);
        }
        return;
    }
    kprintln!("    thread '{}' terminated; the rest of the system continues", k.tcb(me).name());
    if let Some(c) = sw.init_of(me) {
        init_finished(k, sw, c, None);
    }
    k.exit_current();
    SCB::set_pendsv();
}

/// Starts the current compartment's error handler on the faulting thread `me`: an entry frame at
/// the top of its window (the faulting frames below are abandoned), `(cause, pc, addr)` in r0–r2,
/// cleared r4–r11, return into the compartment's return trampoline (whose `RETURN` carries the
/// decision, see [`handler_decision`]).
pub(super) fn start_handler(plan: HandlerPlan, cause: u32, pc: u32, addr: u32, regs: &mut SavedRegs) {
    let entry = plan.sp as *mut u32;
    let words = [cause, pc, addr, 0, 0, plan.return_to as u32, plan.entry as u32 & !1, XPSR_THUMB];
    for (i, w) in words.iter().enumerate() {
        // SAFETY: `plan.sp` is inside the thread's current stack window, at its top, with at least
        // MIN_CALL_STACK bytes below (checked by `Switcher::begin_handler`); the frames there
        // belong to the faulting code of the same compartment and are abandoned.
        unsafe { entry.add(i).write_volatile(*w) };
    }
    *regs = [0; 8];
    set_psp(plan.sp);
}

/// The error handler on `me` returned `decision` ([`crate::sys::fault`]): reboot the compartment
/// (which unwinds or ends `me`), or unwind / end as after a fault without a handler.
pub(super) fn handler_decision(k: &mut Kernel, sw: &mut Switcher, me: usize, decision: u32, regs: &mut SavedRegs) {
    sw.end_handler(me);
    let Some(c) = sw.current(me) else { return };
    if decision == crate::sys::fault::REBOOT {
        kprintln!("rtos: error handler of '{}' decided: reboot", compartment_name(c));
        let _ = reboot(k, sw, me, c, regs);
    } else {
        kprintln!("rtos: error handler of '{}' decided: unwind", compartment_name(c));
        unwind_or_end(k, sw, me, regs);
    }
    if k.need_switch() {
        SCB::set_pendsv();
    }
}
