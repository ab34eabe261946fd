//! Caller of the compartment-call benchmark. Run under QEMU `-icount shift=0` (1 instruction =
//! 1 ns of guest time); `rtos_sys::cycles()` runs at `clock_hz()`, so cycles convert to
//! instructions. Prints `BENCH <name>: <value> instructions` per call, loop overhead included.
#![no_std]

use core::hint::black_box;
use rtos_sys::{println, ReadOnly};

rtos_sys::imports!();

const N: u32 = 2000;

fn report(name: &str, cycles: u64) {
    let ns_per_cycle_x1000 = 1_000_000_000_000u64 / rtos_sys::clock_hz() as u64;
    let tenths = cycles * ns_per_cycle_x1000 / 100 / N as u64;
    println!("BENCH {}: {}.{} instructions", name, tenths / 10, tenths % 10);
}

#[inline(never)]
fn plain(a: u32, b: u32, c: u32, d: u32) -> u32 {
    a.wrapping_add(b).wrapping_add(c).wrapping_add(d)
}

/// The benchmark thread.
#[no_mangle]
pub extern "C" fn bench_main(_arg: usize) {
    let t0 = rtos_sys::cycles();
    for i in 0..N {
        black_box(plain(black_box(i), 1, 2, 3));
    }
    report("plain-function-call", rtos_sys::cycles() - t0);

    let t0 = rtos_sys::cycles();
    for _ in 0..N {
        black_box(bench_callee::nop().unwrap_or(0));
    }
    report("compartment-call-0-args", rtos_sys::cycles() - t0);

    let t0 = rtos_sys::cycles();
    for i in 0..N {
        black_box(bench_callee::sum4(black_box(i), 1, 2, 3).unwrap_or(0));
    }
    report("compartment-call-4-args", rtos_sys::cycles() - t0);

    // The untyped stub of before typed signatures (what `bench_callee::sum4` was): slot 1.
    let t0 = rtos_sys::cycles();
    for i in 0..N {
        black_box(rtos_sys::call(1, [black_box(i), 1, 2, 3]).unwrap_or(0));
    }
    report("compartment-call-4-args-untyped", rtos_sys::cycles() - t0);

    let a = [rtos_sys::Granule([1; 32]); 1];
    let b = [rtos_sys::Granule([2; 32]); 1];
    let t0 = rtos_sys::cycles();
    for _ in 0..N {
        black_box(bench_callee::first2(ReadOnly::new(&a), ReadOnly::new(&b)).unwrap_or(0));
    }
    report("compartment-call-2-caps", rtos_sys::cycles() - t0);

    // The same buffers through the untyped path (`Cap` slices, `call_with`).
    let t0 = rtos_sys::cycles();
    for _ in 0..N {
        let mut caps = [rtos_sys::Cap::ReadOnly(&a), rtos_sys::Cap::ReadOnly(&b)];
        black_box(bench_callee::caps::first2_untyped(&mut caps, &[]).unwrap_or(0));
    }
    report("compartment-call-2-caps-untyped", rtos_sys::cycles() - t0);
    println!("bench done");
    rtos_sys::shutdown(0);
}
