//! Image for `cargo xtask bench compartment-call`: one unprivileged thread in `bench_caller` calls
//! `bench_callee` through the switcher.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
