//! Image for the sealed-handle cases: `client` holds handles issued by `vault`; a privileged
//! `supervisor` micro-reboots `vault` in the middle.
#![no_std]
#![no_main]

use rtos::{println, sys, Error};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Manifest order of the compartments.
const VAULT: u32 = 0;

fn supervisor(_: usize) {
    let bad = sys::compartment_reboot(40);
    println!("supervisor: reboot(no such compartment) -> {:?}", bad);
    if bad != Err(Error::InvalidArgument) {
        println!("FAIL: rebooting an unknown compartment must be refused");
    }
    sys::sleep(20);
    match sys::compartment_reboot(VAULT) {
        Ok(n) => println!("supervisor: reboot(vault) -> {} handle(s) revoked", n),
        Err(e) => println!("FAIL: reboot(vault) -> {:?}", e),
    }
}
