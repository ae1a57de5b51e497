//! Reconnect delays: exponential backoff with full jitter, so that many clients
//! cut off at once (a server restart) do not all come back in the same instant.

/// Ceiling of the first retry's delay.
pub const BASE_MS: u32 = 500;
/// No delay is ever longer than this.
pub const CAP_MS: u32 = 30_000;

/// Delay before reconnect attempt `attempt` (1 for the first retry), given
/// `jitter` drawn uniformly from [0, 1): a uniform pick between 0 and
/// min(CAP_MS, BASE_MS * 2^(attempt-1)). There is no attempt limit.
pub fn reconnect_delay_ms(attempt: u32, jitter: f64) -> u32 {
    let doublings = attempt.saturating_sub(1).min(16);
    let ceiling = BASE_MS.saturating_mul(1 << doublings).min(CAP_MS);
    (f64::from(ceiling) * jitter.clamp(0.0, 1.0)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_half_a_second_up_to_the_cap() {
        let ceilings: Vec<u32> = (1..=9).map(|a| reconnect_delay_ms(a, 1.0)).collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(reconnect_delay_ms(u32::MAX, 1.0), CAP_MS);
    }

    #[test]
    fn jitter_spreads_the_delay_over_the_whole_range() {
        assert_eq!(reconnect_delay_ms(4, 0.0), 0);
        assert_eq!(reconnect_delay_ms(4, 0.25), 1000);
        assert_eq!(reconnect_delay_ms(4, 7.0), 4000);
        assert_eq!(reconnect_delay_ms(4, -1.0), 0);
    }
}
