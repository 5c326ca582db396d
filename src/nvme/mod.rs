//! The user-space NVMe driver (SPDK's `nvme.h`): polled, asynchronous,
//! lockless in the I/O path, one queue pair per thread.
//!
//! - `vfio`: the IOMMU container, groups, and device access (BAR0, config).
//! - `spec`: the wire structures the driver builds.
//! - `qpair`: submission/completion rings, trackers, PRP lists.
//! - `ctrlr`: controller initialisation, admin commands, namespaces, I/O.
//! - `probe`: finding controllers (PCIe through sysfs).
//! - `tcp`, `fabrics`, `transport`: the NVMe/TCP host transport, fabrics
//!   commands and discovery, and the queue pair of either transport.

pub mod ctrlr;
pub mod fabrics;
pub mod probe;
pub mod qpair;
pub mod spec;
pub mod tcp;
pub mod transport;
pub mod trid;
pub mod vfio;
