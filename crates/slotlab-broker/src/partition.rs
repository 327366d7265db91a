//! Which partition a series goes to: a stable hash of its key (FNV-1a,
//! 64-bit), the same in every process and every version, so a series is
//! always read in order by the one consumer of its partition.

/// The partition of series `key` among `partitions`.
pub fn of(key: &str, partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % u64::from(partitions.max(1))) as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_and_spread() {
        // Fixed values: a change here would re-route every stored series.
        assert_eq!(super::of("", 8), (0xcbf2_9ce4_8422_2325u64 % 8) as u32);
        assert_eq!(super::of("sensor-000", 1), 0);
        let mut counts = [0u32; 8];
        for i in 0..1000 {
            counts[super::of(&format!("sensor-{i:03}"), 8) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (80..=170).contains(&c)),
            "{counts:?}"
        );
    }
}
