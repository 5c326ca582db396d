//! NVMe/TCP transport pieces shared by the target and the host.

pub mod pdu;
