//! NVMe over Fabrics: the wire layouts of the fabrics specification
//! (`spec`), the NVMe/TCP pieces shared by the target and the host (`tcp`),
//! and the target's configuration model (`subsystem`, `tgt`).

pub mod features;
pub mod identify;
pub mod logpage;
pub mod reservation;
pub mod spec;
pub mod subsystem;
pub mod tcp;
pub mod tgt;
mod wire;
pub use wire::{st, status, status_parts};
