//! Image for the heap cases: `tenant` allocates and lends its allocation capability to `store`;
//! a privileged `supervisor` micro-reboots `store` in the middle.
#![no_std]
#![no_main]

use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Manifest order of the compartments.
const STORE: u32 = 1;

fn supervisor(_: usize) {
    println!("supervisor: heap_cap from a kernel thread -> {:?}", sys::heap_cap());
    sys::sleep(10);
    if let Err(e) = sys::compartment_reboot(STORE) {
        println!("FAIL: reboot(store) -> {:?}", e);
    }
}
