//! The user-space NVMe driver (SPDK's `nvme.h`): polled, asynchronous,
//! lockless in the I/O path, one queue pair per thread.
//!
//! - `vfio`: the IOMMU container, groups, and device access (BAR0, config).
//! - `spec`: the wire structures the driver builds.
//! - `qpair`: submission/completion rings, trackers, PRP lists.
//! - `ctrlr`: controller initialisation, admin commands, namespaces, I/O.
//! - `probe`: finding controllers (PCIe through sysfs).

pub mod ctrlr;
pub mod probe;
pub mod qpair;
pub mod spec;
pub mod trid;
pub mod vfio;
