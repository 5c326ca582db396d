//! Utilities shared by every layer: CRCs, UUIDs, string helpers, CPU sets.
//! SPDK counterparts: `util.h`, `crc32.h`, `crc16.h`, `uuid.h`, `string.h`, `cpuset.h`.

pub mod cpuset;
pub mod histogram;
/// cbindgen:ignore
pub mod json_write;
/// cbindgen:ignore
pub mod crc;
/// cbindgen:ignore
pub mod string;
/// cbindgen:ignore
pub mod uuid;
