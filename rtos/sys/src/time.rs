//! Tick arithmetic.
//!
//! The kernel counts ticks in a 64-bit monotonic counter that never wraps in practice
//! (584 million years at 1 kHz). The 32-bit tick count that applications see (FreeRTOS's
//! `TickType_t`) is its low half and wraps; everything that takes a 32-bit absolute tick
//! interprets it relative to "now" with wrapping arithmetic, so code keeps working across the wrap.

/// A point on the kernel's monotonic tick timeline.
pub type Ticks64 = u64;

/// Resolves a 32-bit absolute tick `wake` against the 64-bit clock `now`.
///
/// `wake` is taken to be the nearest instant within half the 32-bit range: deadlines up to
/// 2^31 - 1 ticks ahead are in the future, anything else is in the past (the caller is late).
/// Returns the number of ticks to wait, or `None` when the instant is not in the future.
pub fn ticks_until(now: Ticks64, wake: u32) -> Option<u32> {
    let delta = wake.wrapping_sub(now as u32);
    if delta == 0 || delta > i32::MAX as u32 {
        None
    } else {
        Some(delta)
    }
}

/// The decision of a periodic delay (`delay_until`), computed from a 32-bit tick snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayUntil {
    /// The new reference point the caller stores for its next period (`prev + increment`).
    pub wake: u32,
    /// Whether the wake time is still ahead of `now` (so the caller must block until `wake`).
    pub must_wait: bool,
}

/// Periodic-delay arithmetic with FreeRTOS `xTaskDelayUntil` semantics.
///
/// `prev` is the previous wake time, `increment` the period, `now` the current 32-bit tick count.
/// Correct across the 32-bit wrap: if the tick count wrapped since `prev`, the wake time is ahead
/// only if it also wrapped and is still beyond `now`; otherwise it is ahead if it wrapped or lies
/// beyond `now`.
pub fn delay_until(prev: u32, increment: u32, now: u32) -> DelayUntil {
    let wake = prev.wrapping_add(increment);
    let must_wait = if now < prev { wake < prev && wake > now } else { wake < prev || wake > now };
    DelayUntil { wake, must_wait }
}

/// Converts milliseconds to ticks at `tick_hz`, rounding up so a delay never ends early.
pub fn ms_to_ticks(ms: u32, tick_hz: u32) -> u32 {
    let t = (ms as u64 * tick_hz as u64).div_ceil(1000);
    t.min(u32::MAX as u64) as u32
}

/// Converts ticks to microseconds at `tick_hz`.
pub fn ticks_to_us(ticks: Ticks64, tick_hz: u32) -> u64 {
    ticks.saturating_mul(1_000_000) / tick_hz.max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_until_handles_wrap() {
        assert_eq!(ticks_until(100, 150), Some(50));
        assert_eq!(ticks_until(100, 100), None);
        assert_eq!(ticks_until(100, 99), None);
        // `now` just before the 32-bit wrap, deadline just after it.
        let now = 0x1_FFFF_FFF0u64;
        assert_eq!(ticks_until(now, 0x10), Some(0x20));
        // Deadline just before `now` across the wrap is in the past.
        assert_eq!(ticks_until(0x2_0000_0005, 0xFFFF_FFFF), None);
        // Exactly half the range is treated as the past (ambiguous), one less is the future.
        assert_eq!(ticks_until(0, 0x8000_0000), None);
        assert_eq!(ticks_until(0, 0x7FFF_FFFF), Some(0x7FFF_FFFF));
    }

    #[test]
    fn delay_until_without_wrap() {
        assert_eq!(delay_until(100, 10, 105), DelayUntil { wake: 110, must_wait: true });
        // Late: the period already elapsed.
        assert_eq!(delay_until(100, 10, 120), DelayUntil { wake: 110, must_wait: false });
        // Exactly on time does not wait.
        assert_eq!(delay_until(100, 10, 110), DelayUntil { wake: 110, must_wait: false });
    }

    #[test]
    fn delay_until_when_wake_time_wraps() {
        // prev near the top, wake wraps, now has not wrapped yet.
        let r = delay_until(0xFFFF_FFF0, 0x20, 0xFFFF_FFF8);
        assert_eq!(r, DelayUntil { wake: 0x10, must_wait: true });
    }

    #[test]
    fn delay_until_when_tick_count_wrapped() {
        // Both the tick count and the wake time wrapped; wake still ahead.
        assert_eq!(delay_until(0xFFFF_FFF0, 0x20, 0x05), DelayUntil { wake: 0x10, must_wait: true });
        // Both wrapped, wake already passed.
        assert_eq!(delay_until(0xFFFF_FFF0, 0x20, 0x15), DelayUntil { wake: 0x10, must_wait: false });
        // Tick count wrapped but wake did not: we are late.
        assert_eq!(delay_until(0xFFFF_FF00, 0x10, 0x05), DelayUntil { wake: 0xFFFF_FF10, must_wait: false });
    }

    #[test]
    fn conversions_round_up() {
        assert_eq!(ms_to_ticks(1, 1000), 1);
        assert_eq!(ms_to_ticks(1, 100), 1);
        assert_eq!(ms_to_ticks(15, 100), 2);
        assert_eq!(ms_to_ticks(u32::MAX, 10_000), u32::MAX);
        assert_eq!(ticks_to_us(3, 1000), 3000);
    }
}
