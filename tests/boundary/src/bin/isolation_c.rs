//! Image for the isolation cases of C compartments: the Rust prober `prober` attacks through the
//! hostile C compartment `hostile`; `gamma` (Rust) is a callee of the C code and the bystander.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
