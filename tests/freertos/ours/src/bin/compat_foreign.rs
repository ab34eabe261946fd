//! Threads of another compartment inside a FreeRTOS compartment (images/compat_foreign.toml).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
