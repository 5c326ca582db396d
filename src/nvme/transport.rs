//! A queue pair of either transport: the PCIe rings (`qpair::Qpair`) or an
//! NVMe/TCP connection (`tcp::TcpQpair`). The controller and its I/O queue
//! pairs hold one of these; every call is a match on two variants.

use super::qpair::{CmdCb, Done, Payload, Qpair, SubmitError};
use super::spec::Cmd;
use super::tcp::TcpQpair;
use std::ffi::c_void;

pub enum Queue {
    Pcie(Qpair),
    Tcp(Box<TcpQpair>),
}

impl Queue {
    #[inline]
    pub fn submit(&mut self, cmd: Cmd, payload: &Payload, cb: Option<CmdCb>, arg: *mut c_void) -> Result<u16, SubmitError> {
        match self {
            Queue::Pcie(q) => q.submit(cmd, payload, cb, arg),
            Queue::Tcp(q) => q.submit(cmd, payload, cb, arg),
        }
    }

    #[inline]
    pub fn reap(&mut self, max: u32, out: &mut Vec<Done>) -> usize {
        match self {
            Queue::Pcie(q) => q.reap(max, out),
            Queue::Tcp(q) => q.reap(max, out),
        }
    }

    /// Whether polling may find something (always for TCP: the socket must be read).
    #[inline]
    pub fn has_completion(&self) -> bool {
        match self {
            Queue::Pcie(q) => q.has_completion(),
            Queue::Tcp(_) => true,
        }
    }

    pub fn abort_all(&mut self, sct: u8, sc: u8, out: &mut Vec<Done>) {
        match self {
            Queue::Pcie(q) => q.abort_all(sct, sc, out),
            Queue::Tcp(q) => q.abort_all(sct, sc, out),
        }
    }

    pub fn older_than(&self, tsc: u64) -> Vec<(u16, Cmd)> {
        match self {
            Queue::Pcie(q) => q.older_than(tsc),
            Queue::Tcp(q) => q.older_than(tsc),
        }
    }

    pub fn expired(&mut self, deadline: u64, exempt: impl Fn(&Cmd) -> bool) -> Vec<u16> {
        match self {
            Queue::Pcie(q) => q.expired(deadline, exempt),
            Queue::Tcp(q) => q.expired(deadline, exempt),
        }
    }

    pub fn command(&self, cid: u16) -> Option<Cmd> {
        match self {
            Queue::Pcie(q) => q.command(cid),
            Queue::Tcp(q) => q.command(cid),
        }
    }

    pub fn free_trackers(&self) -> usize {
        match self {
            Queue::Pcie(q) => q.free_trackers(),
            Queue::Tcp(q) => q.free_trackers(),
        }
    }

    pub fn capacity(&self) -> usize {
        match self {
            Queue::Pcie(q) => q.capacity(),
            Queue::Tcp(q) => q.capacity(),
        }
    }

    pub fn entries(&self) -> u16 {
        match self {
            Queue::Pcie(q) => q.entries(),
            Queue::Tcp(q) => q.entries(),
        }
    }

    pub fn id(&self) -> u16 {
        match self {
            Queue::Pcie(q) => q.id,
            Queue::Tcp(q) => q.id,
        }
    }

    pub fn outstanding(&self) -> usize {
        match self {
            Queue::Pcie(q) => q.outstanding,
            Queue::Tcp(q) => q.outstanding(),
        }
    }

    pub fn failed(&self) -> bool {
        match self {
            Queue::Pcie(q) => q.failed,
            Queue::Tcp(q) => q.failed(),
        }
    }

    /// No more submissions (controller failed or removed); a TCP connection is closed.
    pub fn set_failed(&mut self) {
        match self {
            Queue::Pcie(q) => q.failed = true,
            Queue::Tcp(q) => q.close(),
        }
    }

    pub fn pcie(&self) -> Option<&Qpair> {
        match self {
            Queue::Pcie(q) => Some(q),
            Queue::Tcp(_) => None,
        }
    }

    pub fn pcie_mut(&mut self) -> Option<&mut Qpair> {
        match self {
            Queue::Pcie(q) => Some(q),
            Queue::Tcp(_) => None,
        }
    }
}
