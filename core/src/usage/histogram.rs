//! A latency histogram with log-spaced buckets: constant memory, mergeable across
//! shards, percentiles within a few percent.

/// Upper edge of bucket 0, in milliseconds; anything faster is counted there.
const MIN_MS: f64 = 0.01;
/// Ratio between consecutive bucket edges. The estimate for a bucket is its geometric
/// midpoint, so the relative error is at most `sqrt(GROWTH) - 1`, about 2.5%.
const GROWTH: f64 = 1.05;
/// Number of buckets: up to `MIN_MS * GROWTH^(BUCKETS-1)`, about 7.6 days, far past any timeout.
const BUCKETS: usize = 512;

/// Counts of latencies per log-spaced bucket. Stored sparsely (only buckets that were
/// hit), so an idle or narrow distribution costs a few dozen bytes and the worst case is
/// bounded by `BUCKETS`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LatencyHistogram {
    /// `(bucket, count)`, sorted by bucket.
    buckets: Vec<(u16, u64)>,
    count: u64,
    min: f64,
    max: f64,
}

impl LatencyHistogram {
    fn bucket_of(ms: f64) -> u16 {
        if ms.is_nan() || ms <= MIN_MS {
            return 0;
        }
        let i = 1.0 + ((ms / MIN_MS).ln() / GROWTH.ln()).floor();
        i.min((BUCKETS - 1) as f64) as u16
    }

    /// Representative value of a bucket: the geometric midpoint of its edges.
    fn value_of(bucket: u16) -> f64 {
        if bucket == 0 {
            return MIN_MS;
        }
        MIN_MS * GROWTH.powf(f64::from(bucket) - 1.0) * GROWTH.sqrt()
    }

    pub(crate) fn record(&mut self, ms: f64) {
        let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
        if self.count == 0 {
            self.min = ms;
            self.max = ms;
        } else {
            self.min = self.min.min(ms);
            self.max = self.max.max(ms);
        }
        self.count += 1;
        let b = Self::bucket_of(ms);
        match self.buckets.binary_search_by_key(&b, |&(k, _)| k) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (b, 1)),
        }
    }

    pub(crate) fn merge(&mut self, other: &LatencyHistogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.count += other.count;
        for &(b, n) in &other.buckets {
            match self.buckets.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => self.buckets[i].1 += n,
                Err(i) => self.buckets.insert(i, (b, n)),
            }
        }
    }

    /// The `q`-quantile (`0.0..=1.0`), or 0.0 when nothing was recorded. Clamped to the
    /// exact minimum and maximum, so a constant latency reads back exactly.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Self::value_of(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_percentiles_within_a_few_percent() {
        let mut h = LatencyHistogram::default();
        for i in 1..=10_000 {
            h.record(i as f64 / 10.0); // 0.1 .. 1000 ms
        }
        for (q, want) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = h.quantile(q);
            assert!((got - want).abs() / want < 0.03, "q{q}: got {got}, want {want}");
        }
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        let mut all = LatencyHistogram::default();
        for i in 0..1000 {
            let ms = 1.0 + (i * 37 % 1000) as f64;
            if i % 3 == 0 {
                a.record(ms);
            } else {
                b.record(ms);
            }
            all.record(ms);
        }
        a.merge(&b);
        assert_eq!(a.buckets, all.buckets);
        assert_eq!(a.quantile(0.9), all.quantile(0.9));
    }

    #[test]
    fn constant_and_empty() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), 0.0);
        for _ in 0..10 {
            h.record(123.0);
        }
        assert_eq!(h.quantile(0.5), 123.0);
        assert_eq!(h.quantile(0.99), 123.0);
        h.record(f64::NAN);
        h.record(1e12);
        assert!(h.quantile(1.0) > 1e6);
    }
}
