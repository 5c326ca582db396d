//! NVMe over Fabrics: the wire layouts of the fabrics specification
//! (`spec`) and the NVMe/TCP transport pieces shared by the target and the
//! host (`tcp`).

pub mod spec;
pub mod tcp;
