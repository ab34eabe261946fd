//! Image for the compartment isolation cases: all threads run unprivileged in the compartments
//! `alpha` (the prober), `beta` (the hostile callee) and `gamma` (a bystander and nested callee).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
