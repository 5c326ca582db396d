//! The passthru virtual bdev (SPDK's `bdev_passthru`): a new name over a
//! whole base bdev, every I/O forwarded unchanged; the base is claimed.

use super::{vbdev, BdevError};
use crate::capi::bdev_types::spdk_bdev_module;

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| vbdev::new_module(c"passthru") as usize);
    *MODULE as *mut spdk_bdev_module
}

/// Creates passthru bdev `name` on `base_name` (needs an spdk_thread).
pub fn create(base_name: &str, name: &str, uuid: Option<[u8; 16]>) -> Result<(), BdevError> {
    if super::get_by_name(name).is_some() {
        return Err(BdevError::Exists(name.into()));
    }
    let base = vbdev::open_base(module(), base_name)?;
    let (_, blocks) = vbdev::base_geometry(base);
    if let Err(e) = vbdev::add_part(base, name, 0, blocks, c"passthru", uuid, None) {
        vbdev::abandon(base);
        return Err(e);
    }
    Ok(())
}

/// Removes passthru bdev `name`; its base is released when it is gone.
pub fn delete(name: &str) -> Result<(), BdevError> {
    vbdev::remove_part(module(), name)
}
