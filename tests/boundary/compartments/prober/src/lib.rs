//! Compartment `prober` (Rust): attacks through the hostile C compartment `hostile`. Each case
//! calls one export of `hostile`; forbidden attempts must come back as errors (a fault unwound to
//! the call boundary, or an error status the C code reports), with the prober's memory intact
//! and the system still working afterwards (checked after every case). Prints a table: case,
//! expected, observed.
#![no_std]

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{println, CallError, Cap, Error, Granule, ReadOnly, ReadWrite, Sealed, StoreOnly};

rtos_sys::imports!();

static SECRET: AtomicU32 = AtomicU32::new(0x5EC2_E700);
static FAILURES: AtomicU32 = AtomicU32::new(0);

fn fail() {
    FAILURES.fetch_add(1, Ordering::Relaxed);
}

/// Prints one row and then checks that the system still works: `hostile` still answers, and
/// ticks still advance.
fn case(name: &str, expected: Result<u32, CallError>, observed: Result<u32, CallError>) {
    let verdict = if expected == observed { "ok" } else { "FAIL" };
    if expected != observed {
        fail();
    }
    println!("| {:<38} | {:<26} | {:<26} | {} |", name, Show(expected), Show(observed), verdict);
    let t0 = rtos_sys::ticks();
    let healthy = hostile::add(20, 22);
    rtos_sys::sleep(1);
    if healthy != Ok(42) || rtos_sys::ticks() == t0 {
        println!("unexpected: the system is not healthy after case {} (hostile.add gave {})", name, Show(healthy));
        fail();
    }
}

/// A status the C code returns as `(uint32_t)RTOS_E_*`.
fn status(e: Error) -> Result<u32, CallError> {
    Ok(e.code() as u32)
}

struct Show(Result<u32, CallError>);

impl core::fmt::Display for Show {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut buf = boundary_support::FmtBuf::<26>::new();
        let s = match self.0 {
            Ok(v) => {
                use core::fmt::Write;
                let _ = match Error::from_code(v as i32) {
                    Some(e) => write!(buf, "status {:?}", e),
                    None => write!(buf, "Ok({:#x})", v),
                };
                buf.as_str()
            }
            Err(Error::CompartmentFault) => "denied (fault, unwound)",
            Err(Error::NotImported) => "denied (not imported)",
            Err(e) => {
                use core::fmt::Write;
                let _ = write!(buf, "Err({:?})", e);
                buf.as_str()
            }
        };
        f.pad(s)
    }
}

const DENIED: Result<u32, CallError> = Err(Error::CompartmentFault);

/// The prober thread.
#[no_mangle]
pub extern "C" fn prober_main(_arg: usize) {
    println!("| {:<38} | {:<26} | {:<26} | {} |", "case (hostile is C)", "expected", "observed", "  ");
    case("call-return (Rust > C)", Ok(42), hostile::add(2, 40));
    case("c-globals-initialised (.data, .bss)", Ok(42), hostile::globals_check());
    case("c-calls-rust (prober>hostile>gamma)", Ok(43), hostile::relay(21));

    let local = black_box(7u32);
    let local_addr = &local as *const u32 as u32;
    case("read-caller-stack", DENIED, hostile::peek(local_addr));
    case("write-caller-stack", DENIED, hostile::poke(local_addr, 1));
    case("caller-stack-intact", Ok(7), Ok(black_box(local)));

    let secret_addr = SECRET.as_ptr() as u32;
    case("read-other-globals", DENIED, hostile::peek(secret_addr));
    case("write-other-globals", DENIED, hostile::poke(secret_addr, 0));
    case("globals-intact", Ok(0x5EC2_E700), Ok(SECRET.load(Ordering::Relaxed)));
    case("read-kernel-memory", DENIED, hostile::peek(0x3800_0000));
    case("write-other-code", DENIED, hostile::poke(prober_main as *const () as usize as u32 & !3, 0));
    case("null-deref", DENIED, hostile::null_deref());
    case("callee-stack-residue", Ok(0), residue_after_scribble());
    case("console-write-of-foreign-memory", status(Error::InvalidArgument), hostile::console_foreign(secret_addr));

    case("mmio-uart0-data-write (no grant)", DENIED, hostile::touch_uart());
    case("mmio-systick-read (no grant)", DENIED, hostile::read_systick());
    case("raise-privilege (msr control)", DENIED, hostile::escalate());
    case("touch-mpu (MPU_CTRL = 0)", DENIED, hostile::touch_mpu());
    case("write-scb (VTOR)", DENIED, hostile::write_vtor(0x3800_0000));
    case("mask-interrupts (cpsid i ignored)", Ok(0), hostile::mask_interrupts());

    case("call-not-imported (C uses slot 7)", status(Error::NotImported), hostile::call_unimported());
    case("call-not-imported (prober slot 99)", Err(Error::NotImported), rtos_sys::call(99, [0; 4]));
    case("stack-overflow-in-c (recursion)", DENIED, hostile::recurse(0));
    case("trap-in-c (__builtin_trap)", DENIED, hostile::trap());

    grant_cases();
    sealing_cases();

    case("callee-still-serves", Ok(3), hostile::add(1, 2));
    let failures = FAILURES.load(Ordering::Relaxed);
    if failures == 0 {
        println!("all C isolation cases behaved as expected");
    } else {
        println!("FAIL: {} C isolation case(s) did not behave as expected", failures);
        rtos_sys::shutdown(1);
    }
    println!("spin-forever: prober calls hostile.spin, which never returns");
    let _ = gamma::mark();
    let _ = hostile::spin();
    println!("FAIL: hostile.spin returned");
}

fn word_sum(buf: &[Granule]) -> u32 {
    buf.iter()
        .flat_map(|g| g.0.chunks(4))
        .fold(0u32, |acc, w| acc.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
}

/// Capability arguments lent to C: read-only, read-write, store-only, exact bounds, non-global,
/// passing on (Rust → C → Rust) and amplification; and C lending its own buffers.
fn grant_cases() {
    let mut buf = [Granule([1; 32]); 2];
    let len = 64u32;
    let sum = word_sum(&buf);
    case("grant-ro-read (typed Rust>C)", Ok(sum), hostile::sum_ro(ReadOnly::new(&buf)));
    case("grant-ro-write", DENIED, hostile::caps::write_ro(&mut [Cap::ReadOnly(&buf)], &[]));
    case("grant-ro-buffer-intact", Ok(1), Ok(buf[0].0[0] as u32));
    case("grant-rw-fill (typed Rust>C)", Ok(0), hostile::fill(ReadWrite::new(&mut buf), 0x0202_0202));
    case("grant-rw-caller-sees-it", Ok(2), Ok(buf[1].0[31] as u32));
    case("grant-write-one-past-end", DENIED, hostile::caps::write_past(&mut [Cap::ReadWrite(&mut buf[..1])], &[32]));
    case("grant-past-end-intact", Ok(2), Ok(buf[1].0[0] as u32));

    let mut secret = [Granule([0x5E; 32]); 1];
    case("store-only-old-contents (typed)", Ok(0), hostile::store_probe(StoreOnly::new(&mut secret)));
    case("store-only-stores-arrive", Ok(0xAB), Ok(secret[0].0[0] as u32));

    case("grant-kept-after-return (keep)", Ok(0), hostile::caps::keep(&mut [Cap::ReadOnly(&buf)], &[]));
    case("grant-kept-after-return (use)", DENIED, hostile::use_kept());

    let sum = word_sum(&buf);
    case("nested Rust>C>Rust, grant passed on", Ok(sum), hostile::pass_on(ReadOnly::new(&buf)));
    case(
        "grant-pass-on-amplified (ro>rw)",
        status(Error::NotPermitted),
        hostile::caps::pass_on_rw(&mut [Cap::ReadOnly(&buf)], &[len]),
    );
    case("c-lends-own-globals (typed C>Rust ro)", Ok(136), hostile::caps_own_buffer());
    case("typed C>Rust rw + store-only", Ok(0), hostile::typed_c_to_rust());
    case("c-lends-inexact-buffer", status(Error::GrantNotExact), hostile::caps_not_exact());
    // The C compartment tries the raw path on gamma: gamma's own globals in the registers of
    // sum_ro's read-only grant (a confused deputy), and a store-only grant for fill's read-write.
    case("c-deputy-callee-globals (C>Rust raw)", status(Error::GrantMismatch), hostile::deputy_callee_memory());
    case("c-deputy-so-for-rw (C>Rust raw)", status(Error::GrantMismatch), hostile::deputy_wrong_kind());
}

/// Sealed handles: the C compartment owns a key and issues handles the prober holds, and the
/// prober owns a key whose handle (and leaked key value) the C compartment holds.
fn sealing_cases() {
    case("c-seal-key-create", Ok(0), hostile::seal_init());
    let h = match hostile::seal_issue(0x1234) {
        Ok(h) if h != 0 => h,
        other => {
            case("c-seal-issue", Ok(1), other);
            return;
        }
    };
    case("c-handle-opened-by-owner", Ok(0x1234), hostile::seal_open(h));
    case("forged-handle (tag flipped)", status(Error::InvalidHandle), hostile::seal_open(h ^ 0x0001_0000));
    case("forged-handle (made up)", status(Error::InvalidHandle), hostile::seal_open(0xDEAD_BEEF));

    let Ok(key) = rtos_sys::seal_key_create() else {
        case("prober-seal-key-create", Ok(0), Ok(1));
        return;
    };
    let Ok(mine) = rtos_sys::seal(key, 0xAAAA) else {
        case("prober-seal", Ok(0), Ok(1));
        return;
    };
    case("type-confusion (prober handle to C)", status(Error::WrongType), hostile::seal_open(mine.0));
    case("type-confusion (C handle, prober key)", Err(Error::WrongType), rtos_sys::unseal(key, Sealed(h)));
    case("unseal-with-stolen-key (by C)", status(Error::NotPermitted), hostile::seal_steal(key.0, mine.0));
    case("seal-with-stolen-key (by C)", status(Error::NotPermitted), hostile::seal_with_stolen(key.0));
    case("replay-after-destroy (within C)", status(Error::InvalidHandle), hostile::seal_replay());
    case("c-destroys-its-handle", Ok(0), hostile::seal_destroy(h));
    case("replay-after-destroy (prober's copy)", status(Error::InvalidHandle), hostile::seal_open(h));
    case("prober-handle-still-valid", Ok(0xAAAA), rtos_sys::unseal(key, mine));
}

/// Lets `hostile` leave a pattern on the stack, then looks for it below our own stack pointer.
#[inline(never)]
fn residue_after_scribble() -> Result<u32, CallError> {
    const PATTERN: u32 = 0xDEAD_BEEF;
    hostile::scribble(!PATTERN)?;
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
