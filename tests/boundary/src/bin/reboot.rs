//! Image for the micro-reboot cases: init, resident threads, on_fault = "reboot", error handlers
//! and the manifest rights SHUTDOWN / COMPARTMENT_REBOOT (all driven by compartment `rebooter`).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
