//! The split virtual bdev (SPDK's `bdev_split`): a base bdev cut into equal
//! parts named `<base>p0`, `<base>p1`, …; each part forwards its I/O to the
//! base at its own offset.

use super::{vbdev, BdevError};
use crate::capi::bdev_types::spdk_bdev_module;

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| vbdev::new_module(c"split") as usize);
    *MODULE as *mut spdk_bdev_module
}

/// Splits `base_name` into `count` parts of `size_mb` MiB each (or equal
/// shares of the whole base); returns the parts' names. Needs an spdk_thread.
pub fn create(base_name: &str, count: u64, size_mb: Option<u64>) -> Result<Vec<String>, BdevError> {
    if vbdev::is_stacked(module(), base_name) {
        return Err(BdevError::Invalid(format!("{base_name} is already split")));
    }
    let b = super::get_by_name(base_name).ok_or_else(|| BdevError::NotFound(base_name.into()))?;
    let bd = super::bdev_ref(b);
    if count == 0 || count > 1024 {
        return Err(BdevError::Invalid(format!("split_count {count} is not in 1..=1024")));
    }
    let part_blocks = match size_mb {
        Some(0) => return Err(BdevError::Invalid("split_size_mb must be positive".into())),
        Some(mb) => {
            let blocks = mb.checked_mul(1 << 20).map(|b| b / bd.blocklen as u64).unwrap_or(u64::MAX);
            if blocks.checked_mul(count).map_or(true, |total| total > bd.blockcnt) {
                return Err(BdevError::Invalid(format!(
                    "{count} parts of {mb} MiB do not fit in {base_name} ({} MiB)",
                    (bd.blockcnt * bd.blocklen as u64) >> 20
                )));
            }
            blocks
        }
        None => bd.blockcnt / count,
    };
    if part_blocks == 0 {
        return Err(BdevError::Invalid(format!("{base_name} is too small for {count} parts")));
    }
    let names: Vec<String> = (0..count).map(|i| format!("{base_name}p{i}")).collect();
    if let Some(n) = names.iter().find(|n| super::get_by_name(n).is_some()) {
        return Err(BdevError::Exists(n.clone()));
    }
    let base = vbdev::open_base(module(), base_name)?;
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = vbdev::add_part(base, name, i as u64 * part_blocks, part_blocks, c"Split Disk", None, None) {
            vbdev::abandon(base);
            return Err(e);
        }
    }
    Ok(names)
}

/// Removes the parts of `base_name` (`bdev_split_delete`); the base is
/// released once the last part is gone.
pub fn delete(base_name: &str) -> Result<(), BdevError> {
    vbdev::remove_base(module(), base_name).map_err(|e| match e {
        BdevError::NotFound(_) => BdevError::Invalid(format!("{base_name} is not split")),
        BdevError::Removing(_) => BdevError::Invalid(format!("the split of {base_name} is being removed")),
        e => e,
    })
}
