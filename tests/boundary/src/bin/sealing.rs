//! Image for the sealed-handle cases: `client` holds handles issued by `vault`; a privileged
//! `supervisor` micro-reboots `vault` in the middle.
#![no_std]
#![no_main]

use rtos::{println, sys, Error};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Manifest order of the compartments.
const VAULT: u32 = 0;
const CLIENT: u32 = 1;

fn supervisor(_: usize) {
    let busy = sys::compartment_reboot(CLIENT);
    println!("supervisor: reboot(client) while its thread lives there -> {:?}", busy);
    if busy != Err(Error::Busy) {
        println!("FAIL: rebooting a compartment in use must be refused");
    }
    sys::sleep(20);
    match sys::compartment_reboot(VAULT) {
        Ok(n) => println!("supervisor: reboot(vault) -> {} handle(s) revoked", n),
        Err(e) => println!("FAIL: reboot(vault) -> {:?}", e),
    }
}
