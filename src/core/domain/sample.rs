//! Sampling for `report --sample N`: a uniform random choice of N versions over a listing of
//! unknown length (reservoir sampling), and the proportions measured on it with their
//! confidence intervals. Pure: the caller gives the seed.

use serde::{Deserialize, Serialize};

/// A small, seedable generator (SplitMix64): the same seed over the same listing chooses the
/// same versions, so a sampled report can be reproduced. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), without the bias of a plain modulo.
    pub fn below(&mut self, n: u64) -> u64 {
        let n = n.max(1);
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Keeps `size` items chosen uniformly at random among all those offered (Algorithm R): each
/// of the `seen` items is in the sample with the same probability, whatever the listing's
/// length, with memory for `size` items only.
#[derive(Debug, Clone)]
pub struct Reservoir<T> {
    size: usize,
    seen: u64,
    items: Vec<(u64, T)>,
    rng: Rng,
}

impl<T> Reservoir<T> {
    pub fn new(size: usize, seed: u64) -> Reservoir<T> {
        Reservoir {
            size,
            seen: 0,
            items: Vec::with_capacity(size.min(1 << 16)),
            rng: Rng::new(seed),
        }
    }

    pub fn offer(&mut self, item: T) {
        let position = self.seen;
        self.seen += 1;
        if self.items.len() < self.size {
            self.items.push((position, item));
        } else if self.size > 0 {
            let j = self.rng.below(self.seen);
            if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.items.get_mut(j)) {
                *slot = (position, item);
            }
        }
    }

    /// How many items were offered.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The chosen items in the order they were offered (the listing's order).
    pub fn into_sorted(self) -> Vec<T> {
        let mut items = self.items;
        items.sort_by_key(|(position, _)| *position);
        items.into_iter().map(|(_, item)| item).collect()
    }
}

/// The normal quantile for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A proportion measured on a sample, with its 95% confidence interval, and what it means for
/// the whole listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Sampled versions with the property.
    pub sampled: u64,
    pub proportion: f64,
    pub low: f64,
    pub high: f64,
    /// The interval applied to every listed version: at least and at most this many.
    pub versions_low: u64,
    pub versions_high: u64,
}

/// The Wilson score interval of `successes` out of `n` draws from a population of
/// `population`. With the finite-population correction, so that a sample of every version
/// gives the exact proportion (an interval of width zero).
pub fn estimate(successes: u64, n: u64, population: u64) -> Estimate {
    let successes = successes.min(n);
    if n == 0 {
        return Estimate {
            sampled: 0,
            proportion: 0.0,
            low: 0.0,
            high: 1.0,
            versions_low: 0,
            versions_high: population,
        };
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let population = population.max(n);
    // Finite population: the variance shrinks by (N - n) / (N - 1); the Wilson interval
    // takes it as a smaller z.
    let fpc = if population > 1 {
        ((population - n) as f64 / (population - 1) as f64).max(0.0)
    } else {
        0.0
    };
    let z = Z95 * fpc.sqrt();
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let (low, high) = ((centre - half).max(0.0), (centre + half).min(1.0));
    let pop = population as f64;
    // Never fewer than were seen with the property, never more than could have it.
    let versions_low = ((low * pop).floor() as u64).max(successes);
    let versions_high = ((high * pop).ceil() as u64).min(population - (n - successes));
    Estimate {
        sampled: successes,
        proportion: p,
        low,
        high,
        versions_low,
        versions_high: versions_high.max(versions_low),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_keeps_everything_when_the_listing_is_short() {
        let mut r = Reservoir::new(10, 1);
        for i in 0..7 {
            r.offer(i);
        }
        assert_eq!(r.seen(), 7);
        assert_eq!(r.into_sorted(), (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn the_reservoir_chooses_uniformly() {
        // 100 items, samples of 10, 20,000 seeds: each item is chosen about 2,000 times.
        let mut counts = [0u32; 100];
        for seed in 0..20_000 {
            let mut r = Reservoir::new(10, seed);
            for i in 0..100usize {
                r.offer(i);
            }
            let chosen = r.into_sorted();
            assert_eq!(chosen.len(), 10);
            assert!(chosen.windows(2).all(|w| w[0] < w[1]), "in listing order");
            for i in chosen {
                counts[i] += 1;
            }
        }
        let (min, max) = (counts.iter().min(), counts.iter().max());
        // Binomial(20000, 0.1): sd 42; ±6 sd.
        assert!(
            min.is_some_and(|m| *m > 1_750) && max.is_some_and(|m| *m < 2_250),
            "{min:?} {max:?}"
        );
    }

    #[test]
    fn a_full_sample_is_exact_and_small_samples_are_wide() {
        let e = estimate(40, 100, 100);
        assert_eq!((e.low, e.high), (0.4, 0.4));
        assert_eq!((e.versions_low, e.versions_high), (40, 40));
        // 40 of 100 from a million: about 0.31–0.50 (Wilson).
        let e = estimate(40, 100, 1_000_000);
        assert!((e.low - 0.3094).abs() < 0.001, "{e:?}");
        assert!((e.high - 0.4980).abs() < 0.001, "{e:?}");
        // None seen: zero is possible, and so is a few percent.
        let e = estimate(0, 1000, 10_000_000);
        assert_eq!(e.low, 0.0);
        assert!(e.high > 0.003 && e.high < 0.005, "{e:?}");
        assert_eq!(e.versions_low, 0);
        assert!(e.versions_high > 30_000, "{e:?}");
    }

    #[test]
    fn the_interval_covers_the_truth_about_95_percent_of_the_time() {
        // 30% of 20,000 versions have the property; 1,000 samples of 400.
        let population: Vec<bool> = (0..20_000).map(|i| i % 10 < 3).collect();
        let mut covered = 0;
        for seed in 0..1_000 {
            let mut r = Reservoir::new(400, seed);
            for v in &population {
                r.offer(*v);
            }
            let hits = r.into_sorted().iter().filter(|v| **v).count() as u64;
            let e = estimate(hits, 400, 20_000);
            if e.low <= 0.3 && 0.3 <= e.high {
                covered += 1;
            }
        }
        // Binomial(1000, 0.95): sd 7.
        assert!((920..=975).contains(&covered), "covered {covered} of 1000");
    }
}
