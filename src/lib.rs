//! rspdk: the Storage Performance Development Kit rebuilt in Rust.
//!
//! The crate is layered as SPDK is (see `../shared/DESIGN.md`): `env` (memory,
//! cores, PCI), `thread` (lightweight threads, pollers, I/O channels), `event`
//! (reactors and the application framework), `log` and `util`. The C ABI, a
//! thin layer over these, lives in `capi` and is described by the generated
//! header `include/rspdk.h`.

/// cbindgen:ignore
pub mod bdev;
pub mod capi;
/// cbindgen:ignore
pub mod env;
/// cbindgen:ignore
pub mod event;
/// cbindgen:ignore
pub mod nvme;
/// cbindgen:ignore
pub mod nvmf;
/// cbindgen:ignore
pub mod rpc;
pub mod log;
/// cbindgen:ignore
pub mod sock;
/// cbindgen:ignore
pub mod thread;
pub mod util;
