//! Compartment `alpha`: the prober. Calls into the hostile `beta` with every case, checks that each
//! forbidden attempt came back as an error (and left alpha's memory intact), and prints a table:
//! case, expected, observed.
#![no_std]

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{println, CallError, Error};

rtos_sys::imports!();

static SECRET: AtomicU32 = AtomicU32::new(0x5EC2_E700);
static FAILURES: AtomicU32 = AtomicU32::new(0);

fn case(name: &str, expected: Result<u32, CallError>, observed: Result<u32, CallError>) {
    let verdict = if expected == observed { "ok" } else { "FAIL" };
    if expected != observed {
        FAILURES.fetch_add(1, Ordering::Relaxed);
    }
    println!("| {:<32} | {:<26} | {:<26} | {} |", name, Show(expected), Show(observed), verdict);
}

struct Show(Result<u32, CallError>);

impl core::fmt::Display for Show {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut buf = boundary_support::FmtBuf::<24>::new();
        let s = match self.0 {
            Ok(v) => {
                use core::fmt::Write;
                let _ = if v > 0xFFFF_0000 { write!(buf, "Ok({})", v as i32) } else { write!(buf, "Ok({:#x})", v) };
                buf.as_str()
            }
            Err(Error::CompartmentFault) => "denied (fault, unwound)",
            Err(Error::NotImported) => "denied (not imported)",
            Err(e) => e.as_str(),
        };
        f.pad(s)
    }
}

const DENIED: Result<u32, CallError> = Err(Error::CompartmentFault);

/// The prober thread.
#[no_mangle]
pub extern "C" fn alpha_main(_arg: usize) {
    println!("| {:<32} | {:<26} | {:<26} | {} |", "case", "expected", "observed", "  ");
    case("call-return", Ok(42), beta::add(2, 40));
    case("nested-call alpha>beta>gamma", Ok(43), beta::relay(21));

    let local = black_box(7u32);
    let local_addr = &local as *const u32 as u32;
    case("read-caller-stack", DENIED, beta::peek(local_addr));
    case("write-caller-stack", DENIED, beta::poke(local_addr, 1));
    case("caller-stack-intact", Ok(7), Ok(black_box(local)));

    let secret_addr = SECRET.as_ptr() as u32;
    case("read-other-globals", DENIED, beta::peek(secret_addr));
    case("write-other-globals", DENIED, beta::poke(secret_addr, 0));
    case("globals-intact", Ok(0x5EC2_E700), Ok(SECRET.load(Ordering::Relaxed)));
    case("read-kernel-memory", DENIED, beta::peek(0x3800_0000));
    case("write-other-code", DENIED, beta::poke(alpha_main as *const () as usize as u32 & !3, 0));

    case("callee-stack-residue", Ok(0), residue_after_scribble());
    case("call-not-imported (alpha)", Err(Error::NotImported), rtos_sys::call(99, [0; 4]));
    case("call-not-imported (beta)", Ok(Error::NotImported.code() as u32), beta::call_back());
    case("raise-privilege", DENIED, beta::escalate());
    case("touch-mpu", DENIED, beta::touch_mpu());
    case("mask-interrupts (ignored)", Ok(0), beta::mask_interrupts());
    case("stack-overflow-in-callee", DENIED, beta::recurse(0));
    case("panic-in-callee", DENIED, beta::panic(1));
    case("callee-still-serves", Ok(3), beta::add(1, 2));
    grant_cases();

    let failures = FAILURES.load(Ordering::Relaxed);
    if failures == 0 {
        println!("all isolation cases behaved as expected");
    } else {
        println!("FAIL: {} isolation case(s) did not behave as expected", failures);
        rtos_sys::shutdown(1);
    }
    println!("spin-forever: alpha calls beta.spin, which never returns");
    let _ = gamma::mark();
    let _ = beta::spin();
    println!("FAIL: beta.spin returned");
}

/// Capability arguments: read-only, read-write and store-only grants, exactness, non-global
/// revocation and monotonic passing on.
fn grant_cases() {
    use rtos_sys::{CallDesc, Cap, GrantDesc, Granule, ReadOnly, ReadWrite, StoreOnly};
    let mut buf = [Granule([1; 32]); 2]; // 64 bytes, 16 words of 0x01010101
    let len = 64u32;
    let sum = 16u32.wrapping_mul(0x0101_0101);
    case("grant-ro-read", Ok(sum), beta::sum_ro(ReadOnly::new(&buf)));
    case("grant-ro-write", DENIED, beta::caps::write_ro(&mut [Cap::ReadOnly(&buf)], &[]));
    case("grant-ro-buffer-intact", Ok(1), Ok(buf[0].0[0] as u32));
    case("grant-rw-fill", Ok(0), beta::fill(ReadWrite::new(&mut buf), 0x0202_0202));
    case("grant-rw-caller-sees-it", Ok(2), Ok(buf[1].0[31] as u32));
    case("grant-write-one-past-end", DENIED, beta::caps::write_past(&mut [Cap::ReadWrite(&mut buf[..1])], &[32]));
    case("grant-rw-past-end-intact", Ok(2), Ok(buf[1].0[0] as u32));

    let mut secret = [Granule([0x5E; 32]); 1];
    case("store-only-old-contents", Ok(0), beta::store_probe(StoreOnly::new(&mut secret)));
    case("store-only-stores-arrive", Ok(0xAB), Ok(secret[0].0[0] as u32));

    case("grant-kept-after-return (keep)", Ok(0), beta::caps::keep(&mut [Cap::ReadOnly(&buf)], &[]));
    case("grant-kept-after-return (use)", DENIED, beta::use_kept());

    case("grant-pass-on-same-rights", Ok(sum.wrapping_mul(2)), beta::pass_on(ReadOnly::new(&buf)));
    case(
        "grant-pass-on-amplified (ro>rw)",
        Ok(Error::NotPermitted.code() as u32),
        beta::caps::pass_on_rw(&mut [Cap::ReadOnly(&buf)], &[len]),
    );

    let base = buf.as_ptr() as u32;
    let raw = |base: u32, len: u32, kind: u32| CallDesc {
        slot: 13, // beta.sum_ro (its position in alpha's imports)
        args: [base, len, 0, 0],
        ngrants: 1,
        grants: [GrantDesc { base, len, kind }, GrantDesc::default()],
    };
    case("grant-not-mpu-exact (base)", Err(Error::GrantNotExact), rtos_sys::call_raw(&raw(base + 4, 32, 1)));
    case("grant-not-mpu-exact (length)", Err(Error::GrantNotExact), rtos_sys::call_raw(&raw(base, 40, 1)));
    case("grant-not-held (kernel RAM)", Err(Error::NotPermitted), rtos_sys::call_raw(&raw(0x3800_0000, 32, 2)));
    case(
        "grant-not-held (own code as rw)",
        Err(Error::NotPermitted),
        rtos_sys::call_raw(&raw(alpha_main as *const () as u32 & !31, 32, 2)),
    );

    // The kernel checks the grants against the export's signature: beta.sum_ro(buf: read-only)
    // takes exactly one read-only grant whose base and length are in r0 and r1.
    let mismatch = Err(Error::GrantMismatch);
    case("grant-kind-mismatch (rw for ro, raw)", mismatch, rtos_sys::call_raw(&raw(base, len, 2)));
    let mut other_base = raw(base, 32, 1);
    other_base.args[0] = base + 32; // lends buf[0], points at buf[1]
    case("grant-base-not-in-register (raw)", mismatch, rtos_sys::call_raw(&other_base));
    let mut other_len = raw(base, 32, 1);
    other_len.args[1] = 64;
    case("grant-length-not-in-register (raw)", mismatch, rtos_sys::call_raw(&other_len));
    case("grant-missing (plain call)", mismatch, rtos_sys::call(13, [base, len, 0, 0]));
    // beta, hostile, tries the raw path on gamma.sum_ro: gamma's own globals in its grant
    // registers (a confused deputy), and grants of the wrong kind.
    let gm = Ok(Error::GrantMismatch.code() as u32);
    case("deputy-callee-globals (beta>gamma)", gm, beta::deputy_callee_memory());
    case("deputy-rw-for-ro (beta>gamma)", gm, beta::deputy_wrong_kind(2));
    case("deputy-store-only-for-ro (beta>gamma)", gm, beta::deputy_wrong_kind(3));
}

/// Lets beta leave a pattern on the stack, then looks for it below our own stack pointer.
#[inline(never)]
fn residue_after_scribble() -> Result<u32, CallError> {
    const PATTERN: u32 = 0xDEAD_BEEF;
    beta::scribble(!PATTERN)?;
    let marker = black_box(0u32);
    let sp = &marker as *const u32 as usize;
    let mut found = 0;
    let mut a = sp - 1024;
    while a < sp {
        // SAFETY: our own stack window, below our stack pointer (the thread has 4 KiB and uses far
        // less), readable by us.
        if unsafe { (a as *const u32).read_volatile() } == PATTERN {
            found += 1;
        }
        a += 4;
    }
    Ok(found)
}
