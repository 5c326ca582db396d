//! Connections of transports plugged in through the C API
//! (`nvmf_transport.h`, `crate::capi::nvmf_transport`): the generic target
//! runs their commands as it runs its own TCP connections' (a
//! [`crate::nvmf::tcp::qpair::TcpQpair`] without a socket) and gives each
//! answer back to the transport through this interface.

use crate::nvme::spec::Cpl;

pub trait ExtConn {
    /// Request `token` is answered with `cpl`; C2H data is in its buffers.
    /// `qid` and `ctrlr` (an `Arc<Ctrlr>` pointer, 0 before Connect) are the
    /// connection's after the command.
    fn answer(&mut self, token: usize, cpl: &Cpl, qid: u16, ctrlr: usize);
    /// Request `token` goes back without an answer (the connection closed).
    fn drop_req(&mut self, token: usize);
    /// Zero-copy request `token` started: `iovs` are the bdev's buffers and
    /// `bdev_io` its I/O, both the transport's to use until it ends the
    /// request; `cpl` (success) is its status meanwhile. Sets the request
    /// up without telling the transport ([`ExtConn::notify`] does); false,
    /// changing nothing, when the request cannot describe so many buffers.
    fn lent(&mut self, token: usize, cpl: &Cpl, iovs: &[libc::iovec], bdev_io: usize, qid: u16, ctrlr: usize) -> bool;
    /// Tells the transport that request `token`, set up by `lent`, has its
    /// buffers (it may end the request from inside this call).
    fn notify(&mut self, token: usize);
    /// The connection closed and nothing of it is outstanding: the
    /// transport finishes it.
    fn fini(&mut self);
    /// The Identify Controller data for subsystem `subnqn` as the generic
    /// target made it (4096 bytes): the transport may set its part.
    fn cdata(&mut self, _subnqn: &str, _page: &mut [u8]) {}
    /// The transport took the connection out of its poll group
    /// (`spdk_nvmf_poll_group_remove`); the target closes it next.
    fn leave_group(&mut self) {}
    /// An Abort (`abort_token`, a request of the same transport, or 0 when
    /// the Abort came on another transport's queue) names a command the
    /// target does not have on this connection: the transport may still
    /// hold it. Returns false when the transport cannot be asked; otherwise
    /// `done(cdw0)` runs once the transport answered (bit 0 clear: aborted).
    fn abort_request(&mut self, _abort_token: usize, _done: Box<dyn FnOnce(u32) + Send>) -> bool {
        false
    }
    /// The connection's `nvmf_subsystem_get_qpairs` entry: the transport
    /// sets its addresses (and what its listen_dump_opts writes) in `o`.
    fn describe(&self, _o: &mut serde_json::Map<String, serde_json::Value>) {}
}
