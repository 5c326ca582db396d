//! concat: the members end to end, each cut down to whole strips.

/// The part of raid blocks [offset, offset + num) on the member whose data
/// is raid blocks [start, start + size), as (member offset, blocks).
pub(super) fn map((start, size): (u64, u64), offset: u64, num: u64) -> Option<(u64, u64)> {
    let a = offset.max(start);
    let z = (offset + num).min(start + size);
    (a < z).then(|| (a - start, z - a))
}

/// (raid blocks, per-member extents (raid start, blocks)).
pub(super) fn layout(strip: u64, geo: &[(u32, u64)]) -> (u64, Vec<(u64, u64)>) {
    let mut at = 0;
    let extents = geo
        .iter()
        .map(|g| {
            let size = g.1 / strip * strip;
            let e = (at, size);
            at += size;
            e
        })
        .collect();
    (at, extents)
}

#[cfg(test)]
mod tests {
    #[test]
    fn members_end_to_end() {
        let (total, ext) = super::layout(4, &[(512, 10), (512, 8), (512, 13)]);
        assert_eq!(ext, [(0, 8), (8, 8), (16, 12)]);
        assert_eq!(total, 28);
        assert_eq!(super::map(ext[0], 6, 4), Some((6, 2)));
        assert_eq!(super::map(ext[1], 6, 4), Some((0, 2)));
        assert_eq!(super::map(ext[2], 6, 4), None);
        assert_eq!(super::map(ext[2], 0, 28), Some((0, 12)));
    }
}
