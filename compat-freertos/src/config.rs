//! The application's configuration, as far as the runtime needs it: the record `xCompatConfig`
//! that every C file including `FreeRTOS.h` defines as a weak constant (see
//! `include/compat_config.h`), plus `configASSERT` reached from Rust.

use core::ffi::c_char;

/// Mirror of `CompatConfig_t` in `include/compat_config.h` (same field order and types).
#[repr(C)]
pub struct Config {
    /// `configUSE_TIMERS`.
    pub use_timers: u32,
    /// `configTIMER_TASK_PRIORITY`.
    pub timer_task_priority: u32,
    /// `configTIMER_TASK_STACK_DEPTH` (words).
    pub timer_task_stack_depth: u32,
    /// `configTIMER_QUEUE_LENGTH`.
    pub timer_queue_length: u32,
    /// `configTIMER_SERVICE_TASK_NAME`.
    pub timer_task_name: *const c_char,
    /// `vApplicationDaemonTaskStartupHook` when `configUSE_DAEMON_TASK_STARTUP_HOOK` is 1.
    pub daemon_startup_hook: Option<unsafe extern "C" fn()>,
    /// Runs the application's `configASSERT( 0 )`.
    pub assert_failed: Option<unsafe extern "C" fn()>,
    /// `sizeof( configMESSAGE_BUFFER_LENGTH_TYPE )`.
    pub message_length_bytes: u32,
    /// `sizeof( StaticTimer_t )`, `sizeof( StaticEventGroup_t )`, `sizeof( StaticStreamBuffer_t )`
    /// as the application was compiled.
    pub static_timer_size: u32,
    pub static_event_group_size: u32,
    pub static_stream_buffer_size: u32,
    /// `configTASK_NOTIFICATION_ARRAY_ENTRIES`.
    pub notify_entries: u32,
    /// `configNUM_THREAD_LOCAL_STORAGE_POINTERS`.
    pub tls_pointers: u32,
    /// `configMINIMAL_STACK_SIZE` (words): the idle task's stack.
    pub idle_stack_depth: u32,
    /// `configCHECK_FOR_STACK_OVERFLOW`.
    pub check_stack_overflow: u32,
    /// `vApplicationIdleHook`.
    pub idle_hook: Option<unsafe extern "C" fn()>,
    /// `vApplicationTickHook`.
    pub tick_hook: Option<unsafe extern "C" fn()>,
    /// `vApplicationMallocFailedHook`.
    pub malloc_failed_hook: Option<unsafe extern "C" fn()>,
    /// `vApplicationStackOverflowHook`.
    pub stack_overflow_hook: Option<unsafe extern "C" fn(*mut crate::task::Task, *mut c_char)>,
}

// The C compiler lays the record out for the same 32-bit target: nineteen 4-byte fields.
const _: () = assert!(core::mem::size_of::<Config>() == 76);

/// Whether the application's static buffer type (of `c_size` bytes) can hold an object of type
/// `T`; a failed `configASSERT` otherwise (headers and runtime out of step).
pub fn static_fits<T>(c_size: u32) -> bool {
    check(c_size as usize >= core::mem::size_of::<T>())
}

extern "C" {
    /// Defined (weakly, identically) by every C file of the compartment that includes FreeRTOS.h.
    static xCompatConfig: Config;
}

/// The application's configuration.
pub fn get() -> &'static Config {
    // SAFETY: a constant defined by the application's C code, never written.
    unsafe { &xCompatConfig }
}

/// Where the FreeRTOS kernel fails a `configASSERT` on bad input: runs the application's
/// `configASSERT( 0 )` (which normally does not return). If it returns (assertions disabled),
/// the caller reports an error instead of going on.
pub fn assert_failed() {
    if let Some(f) = get().assert_failed {
        // SAFETY: `vCompatAssertFailed` of compat_config.h, a C function without arguments.
        unsafe { f() };
    }
}

/// `configASSERT( cond )`: returns `cond` after reporting a failure.
pub fn check(cond: bool) -> bool {
    if !cond {
        assert_failed();
    }
    cond
}
