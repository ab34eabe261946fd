//! Image for the heap cases from a C compartment (`ctenant`) against the Rust service `store`.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
