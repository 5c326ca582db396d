//! NVMe/TCP: the PDU codec shared by the target and the host (`pdu`), and
//! the target's transport (`transport`: options, listeners, acceptor) and
//! connections (`qpair`).

pub mod pdu;
pub mod qpair;
pub mod transport;
pub mod txq;
