//! Kernel error codes.
//!
//! Every system call returns either a non-negative value or one of these codes, negated, in `r0`.
//! The numbering is part of the system-call ABI (see `docs/syscalls.md`): never renumber a variant.

/// Why a kernel operation did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    /// A blocking operation reached its timeout before it was woken.
    TimedOut = -1,
    /// `futex_wait`: the futex word no longer held the expected value, so the caller did not block.
    WouldBlock = -2,
    /// An argument is malformed (null pointer, bad length, reserved bits set, …).
    InvalidArgument = -3,
    /// The thread handle does not name a live thread (never existed, exited or was killed).
    NoSuchThread = -4,
    /// All thread slots are in use.
    NoFreeThreadSlot = -5,
    /// The priority is outside `0..=MAX_PRIORITY`.
    BadPriority = -6,
    /// The stack is too small, misaligned or does not fit in the address space.
    BadStack = -7,
    /// The system-call number is unknown to this kernel.
    UnknownSyscall = -8,
    /// The operation is not allowed on this thread (e.g. killing the idle thread).
    NotPermitted = -9,
    /// Cross-compartment call: the caller has no such import slot.
    NotImported = -10,
    /// Cross-compartment call: the callee faulted; it was unwound to the compartment boundary.
    CompartmentFault = -11,
    /// Cross-compartment call: the thread's call stack is at its maximum depth.
    CallTooDeep = -12,
    /// Cross-compartment call: too little stack left below the caller for the callee.
    NoStackForCall = -13,
    /// A sealed handle or key that the kernel did not issue, or that was destroyed.
    InvalidHandle = -14,
    /// A sealed handle opened with a key of another type.
    WrongType = -15,
    /// The kernel's table of sealed objects or keys is full.
    OutOfObjects = -16,
    /// A capability argument's bounds cannot be enforced exactly by the MPU (32-byte granules).
    GrantNotExact = -17,
    /// A capability argument partly overlaps memory the callee already has.
    GrantOverlap = -18,
    /// The compartment is in use (a thread runs in it or lives there), so it cannot be rebooted now.
    Busy = -19,
    /// Allocation: the allocation capability's quota has too little left.
    QuotaExceeded = -20,
    /// Allocation: the compartment's heap arena has no free block that large.
    OutOfMemory = -21,
    /// A sleep or futex wait was ended early by another thread (`THREAD_ABORT_WAIT`, or
    /// `THREAD_SUSPEND` of the waiter, delivered when it is resumed).
    Interrupted = -22,
    /// A call into an export whose signature declares grant parameters did not lend exactly
    /// those grants (each: base and length in the parameter's registers, the declared kind).
    GrantMismatch = -23,
    /// The wall clock has not been set since boot (`WALL_CLOCK`): nobody holding the clock
    /// capability has told the kernel what time it is yet.
    ClockNotSet = -24,
}

impl Error {
    /// All variants, in ABI order; used to decode return values.
    pub const ALL: [Error; 24] = [
        Error::TimedOut,
        Error::WouldBlock,
        Error::InvalidArgument,
        Error::NoSuchThread,
        Error::NoFreeThreadSlot,
        Error::BadPriority,
        Error::BadStack,
        Error::UnknownSyscall,
        Error::NotPermitted,
        Error::NotImported,
        Error::CompartmentFault,
        Error::CallTooDeep,
        Error::NoStackForCall,
        Error::InvalidHandle,
        Error::WrongType,
        Error::OutOfObjects,
        Error::GrantNotExact,
        Error::GrantOverlap,
        Error::Busy,
        Error::QuotaExceeded,
        Error::OutOfMemory,
        Error::Interrupted,
        Error::GrantMismatch,
        Error::ClockNotSet,
    ];

    /// The (negative) ABI value of this error.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// Decodes an ABI value; `None` for values that are not error codes.
    pub fn from_code(code: i32) -> Option<Error> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// Decodes a raw system-call return value: non-negative values are successes.
    pub fn check(raw: i32) -> Result<u32, Error> {
        if raw >= 0 {
            Ok(raw as u32)
        } else {
            Err(Error::from_code(raw).unwrap_or(Error::InvalidArgument))
        }
    }

    /// A short human-readable description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::TimedOut => "timed out",
            Error::WouldBlock => "futex value changed (would block)",
            Error::InvalidArgument => "invalid argument",
            Error::NoSuchThread => "no such thread",
            Error::NoFreeThreadSlot => "no free thread slot",
            Error::BadPriority => "priority out of range",
            Error::BadStack => "bad stack",
            Error::UnknownSyscall => "unknown system call",
            Error::NotPermitted => "not permitted",
            Error::NotImported => "export not imported by the caller",
            Error::CompartmentFault => "callee compartment faulted",
            Error::CallTooDeep => "cross-compartment call nesting too deep",
            Error::NoStackForCall => "not enough stack for the call",
            Error::InvalidHandle => "invalid or stale handle",
            Error::WrongType => "handle sealed with another key",
            Error::OutOfObjects => "out of sealed-object slots",
            Error::GrantNotExact => "grant bounds not MPU-exact",
            Error::GrantOverlap => "grant overlaps callee memory",
            Error::Busy => "compartment in use",
            Error::QuotaExceeded => "heap quota exceeded",
            Error::OutOfMemory => "heap arena full",
            Error::Interrupted => "wait ended by another thread",
            Error::GrantMismatch => "grant/signature mismatch",
            Error::ClockNotSet => "wall clock not set",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_negative() {
        for e in Error::ALL {
            assert!(e.code() < 0);
            assert_eq!(Error::from_code(e.code()), Some(e));
            assert_eq!(Error::check(e.code()), Err(e));
        }
        assert_eq!(Error::check(7), Ok(7));
        assert_eq!(Error::from_code(-1000), None);
    }
}
