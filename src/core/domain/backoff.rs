//! How long to wait before asking a server again after it said it is overloaded: used by the
//! listings and by the report's HEADs alike (one rule, in neither of them).

use std::time::Duration;

/// The wait before asking again the `tries`-th time: 200 ms doubling to 20 s, with jitter
/// from `spread` (0..1000).
pub fn back_off(tries: u32, spread: u64) -> Duration {
    let base = 200u64.saturating_mul(1 << tries.min(7)).min(20_000);
    Duration::from_millis(base / 2 + base * (spread % 1000) / 2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_is_bounded() {
        assert!(back_off(0, 0) >= Duration::from_millis(100));
        assert!(back_off(1, 999) > back_off(0, 999));
        assert!(back_off(40, 999) <= Duration::from_secs(20));
    }
}
