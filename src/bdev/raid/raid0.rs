//! raid0: strips dealt round robin over the members.

/// The part of raid blocks [offset, offset + num) that member `slot` of `n`
/// holds, as (member offset, blocks). A member's strips follow each other on
/// it, so any raid range is one contiguous range on each member.
pub(super) fn map(strip: u64, n: u64, offset: u64, num: u64, slot: u64) -> Option<(u64, u64)> {
    if num == 0 || strip == 0 || slot >= n {
        return None;
    }
    let end = offset + num;
    let (first, last) = (offset / strip, (end - 1) / strip);
    // This member's first and last strips inside [first, last].
    let i = first + (slot + n - first % n) % n;
    if i > last {
        return None;
    }
    let j = last - (last % n + n - slot) % n;
    let start = (i / n) * strip + if i == first { offset % strip } else { 0 };
    let stop = (j / n) * strip + if j == last { (end - 1) % strip + 1 } else { strip };
    Some((start, stop - start))
}

/// (raid blocks, per-member extents): every member gives as many whole
/// strips as the smallest one has.
pub(super) fn layout(strip: u64, geo: &[(u32, u64)]) -> (u64, Vec<(u64, u64)>) {
    let per = geo.iter().map(|g| g.1).min().unwrap_or(0) / strip * strip;
    (per * geo.len() as u64, vec![(0, per); geo.len()])
}

#[cfg(test)]
mod tests {
    use super::map;

    /// Maps block by block, the slow and obvious way.
    fn by_block(strip: u64, n: u64, offset: u64, num: u64, slot: u64) -> Option<(u64, u64)> {
        let blocks: Vec<u64> = (offset..offset + num).filter(|b| (b / strip) % n == slot).map(|b| (b / strip / n) * strip + b % strip).collect();
        let (&a, &z) = (blocks.first()?, blocks.last()?);
        assert_eq!(z - a + 1, blocks.len() as u64, "contiguous on the member");
        Some((a, z - a + 1))
    }

    #[test]
    fn ranges_map_like_single_blocks() {
        for (strip, n) in [(1, 1), (4, 3), (8, 2), (16, 5)] {
            for offset in 0..70 {
                for num in [1, 2, 3, 7, 8, 9, 17, 40, 64] {
                    for slot in 0..n {
                        assert_eq!(map(strip, n, offset, num, slot), by_block(strip, n, offset, num, slot), "strip {strip} n {n} off {offset} num {num} slot {slot}");
                    }
                }
            }
        }
        assert_eq!(map(8, 2, 0, 0, 0), None);
    }
}
