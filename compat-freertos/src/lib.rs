//! `compat-freertos`: the FreeRTOS API for C compartments, on the kernel's threads and futex.
//!
//! A C compartment declared with `runtime = "compat-freertos"` links this archive (which carries
//! `rtos-c`, and so the compartment runtime, once) and compiles against the headers in
//! `compat-freertos/include/` (`FreeRTOS.h`, `task.h`, `queue.h`, `semphr.h`, ...), which are our
//! own and declare the standard names, types and values.
//!
//! Everything runs unprivileged in the calling compartment and every object lives in its memory
//! (static `Static*_t` buffers or `pvPortMalloc`, which draws on the compartment's heap):
//!
//! - a task is a kernel thread of the compartment (created with `THREAD_CREATE`) plus a
//!   [`task::Task`] control block; priorities are the kernel's (0..=31, higher is more urgent);
//! - a queue, semaphore or mutex is a [`queue::Queue`]: a small lock word (compare-and-swap when
//!   uncontended, futex when contended), a ring buffer and two futex words (messages waiting,
//!   spaces available) that blocked receivers and senders wait on; operations that need not wait
//!   never enter the kernel;
//! - critical sections and scheduler suspension are one recursive futex lock per compartment:
//!   they exclude each other, but (unlike FreeRTOS) they neither mask interrupts nor stop other
//!   tasks from running (see docs/porting.md).
//! - software timers are run by a timer task of the compartment fed through a command queue, as
//!   in FreeRTOS ([`timers`]); event groups ([`event_groups`]) and stream/message buffers
//!   ([`stream_buffer`]) have lock words and futex words of their own, so they too enter the
//!   kernel only to block or wake;
//! - what the runtime must know of the application's `FreeRTOSConfig.h` comes from a record the
//!   headers define in every C file ([`config`]).
#![no_std]
// The C names are the API.
#![allow(non_snake_case, non_camel_case_types, non_upper_case_globals)]
#![allow(clippy::missing_safety_doc)]
// `c_char` is `u8` on this target but `i8` on others: the casts to `u8` are needed there.
#![allow(clippy::unnecessary_cast)]

// The C API and compartment runtime (panic handler, trampolines) go into this archive once.
use rtos_c as _;

pub mod config;
pub mod event_groups;
pub mod heap;
pub mod hooks;
pub mod isr;
pub mod lock;
pub mod notify;
pub mod priority;
pub mod queue;
pub mod stream_buffer;
pub mod task;
pub mod timers;
pub mod whoami;

/// FreeRTOS `BaseType_t` (`long` on this ABI).
pub type BaseType_t = i32;
/// FreeRTOS `UBaseType_t`.
pub type UBaseType_t = u32;
/// FreeRTOS `TickType_t` (32 bits).
pub type TickType_t = u32;

/// `pdTRUE` / `pdPASS`.
pub const pdTRUE: BaseType_t = 1;
/// `pdFALSE` / `pdFAIL` / `errQUEUE_FULL` / `errQUEUE_EMPTY`.
pub const pdFALSE: BaseType_t = 0;
/// `errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY`.
pub const errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY: BaseType_t = -1;
/// `portMAX_DELAY`: block without a timeout.
pub const portMAX_DELAY: TickType_t = u32::MAX;
