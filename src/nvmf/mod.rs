//! The NVMe-oF target (SPDK's `nvmf.h`): subsystems, namespaces, hosts and
//! listeners (`subsystem.rs`); the TCP transport comes next.

pub mod subsystem;
pub mod tgt;
