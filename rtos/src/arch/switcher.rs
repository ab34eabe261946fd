//! The switcher: carrying out cross-compartment calls, returns, unwinding and micro-reboots on
//! the CPU (stack frames, PSP, saved registers, scrubbing, MPU views). The decisions — import
//! checks, windows, grants, call stacks — are made by the host-tested [`Switcher`].

use super::*;

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
    match sw.call_with(me, slot, frame as usize, *regs, requests) {
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

/// Micro-reboot of compartment `index` on behalf of thread `me` (which must be a privileged kernel
/// thread): refused while threads live in the compartment; threads that are inside it through
/// calls are unwound to the caller of their outermost call into it (which gets
/// `CompartmentFault`, as after a fault); then its globals are reset from the image and the sealed
/// handles it issued go stale. Returns how many handles were revoked.
pub(super) fn reboot(k: &mut Kernel, sw: &mut Switcher, me: usize, index: u32) -> Result<u32, Error> {
    if sw.home(me).is_some() {
        return Err(Error::NotPermitted);
    }
    let c = u8::try_from(index).map_err(|_| Error::InvalidArgument)?;
    // SAFETY: written once at boot.
    let spec = unsafe { *COMPARTMENTS.get() }.get(c as usize).ok_or(Error::InvalidArgument)?;
    if sw.has_residents(c, |i| k.is_alive(i)) {
        return Err(Error::Busy);
    }
    for i in 0..crate::kernel::MAX_THREADS {
        if i == me || !k.is_alive(i) {
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
    // SAFETY: SVCall runs at the kernel priority (module invariant 1).
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
    // Its static keys and sealed objects come back with new handles (the old ones stay stale).
    services.issue_static(c)?;
    kprintln!(
        "rtos: compartment '{}' rebooted ({} sealed handle(s) revoked, {} heap bytes freed)",
        spec.name,
        revoked,
        freed
    );
    Ok(revoked as u32)
}
