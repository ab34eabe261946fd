//! Demo compartment `app`: an unprivileged thread that calls into `sensor` like a library,
//! lends it a buffer, and survives `sensor` crashing.
#![no_std]

use rtos_sys::{println, Granule, StoreOnly};

rtos_sys::imports!();

/// The application thread.
#[no_mangle]
pub extern "C" fn app_main(_arg: usize) {
    for seq in 0..3 {
        match sensor::sample(seq) {
            Ok(v) => {
                println!("[{:>4}] app (unprivileged): sensor.sample() = {}.{} C", rtos_sys::ticks(), v / 10, v % 10)
            }
            Err(e) => println!("app: sensor.sample failed: {}", e),
        }
        rtos_sys::sleep(60);
    }
    let mut block = [Granule::ZERO; 1];
    match sensor::read_block(StoreOnly::new(&mut block)) {
        Ok(n) => {
            let first = block[0].words()[0];
            println!(
                "[{:>4}] app: sensor filled {} words of a lent store-only buffer (first = {})",
                rtos_sys::ticks(),
                n,
                first
            );
        }
        Err(e) => println!("app: read_block failed: {}", e),
    }
    println!("[{:>4}] app: calling sensor.parse with a corrupt pointer...", rtos_sys::ticks());
    match sensor::parse(0x3800_0000) {
        Ok(v) => println!("app: parse returned {} (isolation broken!)", v),
        Err(e) => println!(
            "[{:>4}] app: sensor.parse -> Err({}); the fault stayed in 'sensor', app carries on",
            rtos_sys::ticks(),
            e
        ),
    }
    match sensor::sample(9) {
        Ok(v) => println!("[{:>4}] app: sensor still serves: sample() = {}.{} C", rtos_sys::ticks(), v / 10, v % 10),
        Err(e) => println!("app: sensor.sample failed: {}", e),
    }
}
