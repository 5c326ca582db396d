//! One NVMe/TCP connection of the target (a queue pair): the PDU state
//! machine (ICReq/ICResp, capsules with in-capsule data, R2T and H2CData
//! for writes, C2HData for reads, CapsuleResp), its requests, and its
//! teardown. Runs on its poll group's thread only.

use super::pdu::{self, Pdu, PduError, PduReader, Role, TxOpts};
use super::transport::TcpOpts;
use super::txq::TxQueue;
use crate::nvme::spec::{Cmd, Cpl};
use crate::nvmf::ctrlr::{self, Ctrlr};
use crate::nvmf::group::{NsTable, PollGroup};
use crate::nvmf::io;
use crate::nvmf::spec::*;
use crate::sock::group::Group as SockGroup;
use crate::sock::Sock;
use std::collections::VecDeque;
use std::sync::Arc;

/// MAXH2CDATA announced in ICResp.
pub const MAX_H2C_DATA: u32 = 128 * 1024;
/// In-capsule data accepted on the admin queue (the Linux host sends up to
/// its 8 KiB admin capsule inline).
pub const ADMIN_ICD: u32 = 8192;
/// Largest C2HData PDU sent.
const MAX_C2H_DATA: usize = 128 * 1024;
/// C2HData payloads from this size up are sent from the request's buffers;
/// smaller ones are copied into the send queue (cheaper than an iovec and
/// holding the request until sent).
const ZERO_COPY_MIN: usize = 16 * 1024;
/// H2CData payloads from this size up are read from the socket straight
/// into their request's buffers; smaller ones come with the receive
/// buffer's chunks (fewer system calls).
const DIRECT_RX_MIN: u32 = 16 * 1024;
/// Bytes read from the socket at once.
const RECV_CHUNK: usize = 64 * 1024;
/// Above this much unsent output, stop reading new commands.
const TX_HIGH: usize = 4 << 20;

/// Where a command's data goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    None,
    /// Host to controller (writes).
    H2C,
    /// Controller to host (reads).
    C2H,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReqState {
    Free,
    /// Waiting for a data buffer.
    NeedBuf,
    /// R2T sent, H2CData arriving.
    AwaitH2C,
    /// With the controller or a bdev.
    Executing,
    /// Answered; its C2H data is still being sent from its buffers.
    Sending,
    /// A zero-copy Read or Write of a transport plugged in through the C
    /// API between its start and its end: the transport holds the bdev's
    /// buffers (`zcopy`). Counted outstanding, as SPDK keeps such a request
    /// outstanding until its end, so a pause or a close waits for it.
    ZcopyLent,
}

/// What executing a command did.
pub enum Exec {
    /// Completed now: `cpl` (and data for C2H) is ready to send.
    Done,
    /// Will complete later through [`TcpQpair::complete`].
    Pending,
}

/// One command slot of a connection.
pub struct Req {
    pub cmd: Cmd,
    pub cpl: Cpl,
    pub state: ReqState,
    pub dir: Dir,
    /// Transfer length the command asks for.
    pub len: u32,
    /// Bytes of C2H data to send (may be less than `len`, e.g. short log pages).
    pub c2h_len: u32,
    /// The data when it is contiguous: the in-capsule slot, the admin
    /// buffer, or the only pool buffer; null when it spans several.
    pub buf: *mut u8,
    /// Pool buffers (of the transport's io_unit_size) the request holds.
    bufs: Vec<*mut u8>,
    /// A heap buffer for admin-queue (and pre-Connect) data moved by
    /// R2T or C2H: contiguous, as the admin handlers want it.
    admin: Vec<u8>,
    h2c_got: u32,
    /// The data as the bdev sees it: one entry per buffer, `len` bytes in
    /// all (or the transferred length, after `set_len`).
    pub iovs: Vec<libc::iovec>,
    pub qp: *mut TcpQpair,
    pub idx: u16,
    /// On the write of a fused compare-and-write sent to the bdev: its compare.
    pub fused_partner: Option<u16>,
    /// Accepted by Abort: complete as aborted instead of executing.
    pub aborted: bool,
    /// While the command waits in the bdev layer's io_wait queue (the
    /// bdev had no `bdev_io` free): its retry, which an abort cancels.
    pub io_wait: *mut std::ffi::c_void,
    /// The transport's request this slot runs (connections of transports
    /// plugged in through the C API; 0 otherwise).
    pub ext_req: usize,
    /// The transport's buffers of that request.
    ext_iovs: Vec<libc::iovec>,
    /// Its data was gathered into `admin` (the command wants it contiguous):
    /// C2H data goes back into the transport's buffers at the answer.
    ext_copy: bool,
    /// Preempted by a Preempt and Abort while a bdev had it: if the bdev
    /// fails it (aborts it), it completes with status 1Eh.
    pub preempted: bool,
    /// The CID of a command in this slot aborted while its data was due
    /// (R2T sent): H2CData still arriving for it is dropped, not fatal.
    stale_h2c: Option<u16>,
    /// A Read or Write whose data goes through the bdev's own buffers
    /// (the transport's `zcopy`): it takes no pool buffers.
    pub zc: bool,
    /// Its zero-copy bdev_io while started: `iovs` are the bdev's
    /// buffers; ended (and freed) when the request is released, or
    /// committed once a write's data is in.
    pub zcopy: *mut crate::capi::bdev_types::spdk_bdev_io,
}

impl Req {
    /// Sets a free slot up for command `cmd` as received: executing, no
    /// data yet; `token` is a plugged-in transport's request (0 for TCP).
    fn begin(&mut self, cmd: Cmd, dir: Dir, len: u32, token: usize) {
        self.cmd = cmd;
        self.cpl = Cpl { cid: cmd.cid(), ..Default::default() };
        self.state = ReqState::Executing;
        self.dir = dir;
        self.len = len;
        self.c2h_len = 0;
        self.buf = std::ptr::null_mut();
        self.iovs.clear();
        self.ext_iovs.clear();
        self.h2c_got = 0;
        self.fused_partner = None;
        self.aborted = false;
        self.preempted = false;
        self.io_wait = std::ptr::null_mut();
        self.ext_req = token;
        self.ext_copy = false;
        self.zc = false;
    }

    /// The data, when contiguous (always for admin commands and in-capsule
    /// data); empty when it spans several pool buffers (see `gather`).
    pub fn data(&self) -> &[u8] {
        if self.buf.is_null() {
            return &[];
        }
        // SAFETY: `buf` holds at least `len` bytes while the request is live.
        unsafe { std::slice::from_raw_parts(self.buf, self.len as usize) }
    }

    /// A copy of the first `n` bytes of the data (at most `len`), wherever it lies.
    pub fn gather(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        for v in &self.iovs {
            let k = v.iov_len.min(n - out.len());
            // SAFETY: each iovec describes a live buffer of the request.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, k) });
            if out.len() == n {
                break;
            }
        }
        out
    }

    /// Trims the iovecs to the first `bytes` bytes of the data (what a
    /// command transfers when its buffer is larger).
    pub fn set_len(&mut self, bytes: usize) {
        let mut left = bytes;
        let mut keep = 0;
        for v in self.iovs.iter_mut() {
            if left == 0 {
                break;
            }
            v.iov_len = v.iov_len.min(left);
            left -= v.iov_len;
            keep += 1;
        }
        self.iovs.truncate(keep);
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        if self.buf.is_null() {
            return &mut [];
        }
        // SAFETY: as above; the request is the buffer's only user.
        unsafe { std::slice::from_raw_parts_mut(self.buf, self.len as usize) }
    }

    /// Sets the completion status (generic or command-specific).
    pub fn status(&mut self, sct: u8, sc: u8) {
        self.cpl.status = (u16::from(sc) << 1) | (u16::from(sct & 7) << 9);
    }

    pub fn dnr(&mut self) {
        self.cpl.status |= 1 << 15;
    }

    pub fn ok(&self) -> bool {
        (self.cpl.status >> 1) == 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    AwaitIcReq,
    Running,
    /// Sending what is queued (a TermReq), then closing.
    Draining,
    /// Socket closed; waiting for outstanding requests to come back.
    Closed,
}

pub struct TcpQpair {
    pub id: u64,
    pub group: *mut PollGroup,
    sock: *mut Sock,
    reader: PduReader,
    rbuf: Vec<u8>,
    /// The H2CData payload being received straight into its request's buffers.
    rx: Option<RxBody>,
    pub c: Conn,
}

/// Where the rest of an H2CData PDU goes, once its header was checked
/// against its request: padding skipped, data into the request's buffers
/// (its CRC-32C computed there), then the digest.
struct RxBody {
    idx: u16,
    cccid: u16,
    /// Offset in the request's data of the next data byte.
    at: usize,
    /// The offset the data ends at.
    end: u32,
    pad: usize,
    left: usize,
    digest: bool,
    crc: u32,
    dig: [u8; 4],
    dig_have: usize,
}

/// The connection's state besides its receive side.
pub struct Conn {
    state: State,
    /// What goes out: owned bytes, and C2H data sent from request buffers.
    tx: TxQueue,
    /// Requests whose data went out (scratch of `flush`).
    sent: Vec<u16>,
    scratch: Vec<u8>,
    pub txo: TxOpts,
    pub opts: TcpOpts,
    pub qid: u16,
    pub sq_size: u16,
    sq_head: u16,
    pub reqs: Vec<Req>,
    free: Vec<u16>,
    /// Requests waiting for a data buffer, in arrival order.
    waiting: VecDeque<u16>,
    icbuf: Vec<u8>,
    ic_slot: usize,
    pub ctrlr: Option<Arc<Ctrlr>>,
    /// The subsystem's namespace table on this group (set at I/O Connect).
    pub ns: *mut NsTable,
    pub sqflow_disabled: bool,
    pub peer: (String, u16),
    pub local: (String, u16),
    pub outstanding: usize,
    /// Set when the qpair is a controller's admin queue (keep alive runs on it).
    pub is_admin: bool,
    /// The first half (compare) of a fused pair, held until its write arrives.
    pub fused_first: Option<u16>,
    /// A connection of a transport plugged in through the C API: answers
    /// go to it (there is no socket).
    pub ext: Option<Box<dyn crate::nvmf::ext::ExtConn>>,
}

impl Conn {
    fn new(state: State, opts: TcpOpts, peer: (String, u16), local: (String, u16), ext: Option<Box<dyn crate::nvmf::ext::ExtConn>>) -> Conn {
        // A connection of a plugged-in transport sends nothing itself.
        let (txcap, scratch) = if ext.is_some() { (0, 0) } else { (64 * 1024, MAX_C2H_DATA + 256) };
        Conn {
            state,
            tx: TxQueue::with_capacity(txcap),
            sent: Vec::new(),
            scratch: Vec::with_capacity(scratch),
            txo: TxOpts::default(),
            opts,
            qid: 0,
            sq_size: 0,
            sq_head: 0,
            reqs: Vec::new(),
            free: Vec::new(),
            waiting: VecDeque::new(),
            icbuf: Vec::new(),
            ic_slot: 0,
            ctrlr: None,
            ns: std::ptr::null_mut(),
            sqflow_disabled: false,
            peer,
            local,
            outstanding: 0,
            is_admin: false,
            fused_first: None,
            ext,
        }
    }

    /// Queues an encoded PDU from `scratch` for sending.
    fn queue_scratch(&mut self) {
        self.tx.bytes().extend_from_slice(&self.scratch);
    }

    pub fn sq_head(&self) -> u16 {
        self.sq_head
    }
}

fn transfer_dir(cmd: &Cmd) -> Dir {
    let bits = if cmd.opc() == SPDK_NVME_OPC_FABRIC { cmd.nsid as u8 & 3 } else { cmd.opc() & 3 };
    match bits {
        1 => Dir::H2C,
        2 => Dir::C2H,
        _ => Dir::None,
    }
}

/// SGL descriptor types and subtypes (NVMe base spec 4.3).
const SGL_TYPE_DATA_BLOCK: u8 = 0x0;
const SGL_TYPE_TRANSPORT_DATA_BLOCK: u8 = 0x5;
const SGL_SUBTYPE_OFFSET: u8 = 0x1;
const SGL_SUBTYPE_TRANSPORT: u8 = 0xa;
/// Generic status codes used here.
const SC_INVALID_FIELD: u8 = 0x02;
const SC_INTERNAL_DEVICE_ERROR: u8 = 0x06;
const SC_DATA_SGL_LENGTH_INVALID: u8 = 0x0f;
const SC_SGL_DESCRIPTOR_TYPE_INVALID: u8 = 0x11;
const SC_INVALID_SGL_OFFSET: u8 = 0x16;
pub const SC_ABORTED_BY_REQUEST: u8 = 0x07;
pub const SC_ABORTED_SQ_DELETION: u8 = 0x08;
/// Command Aborted due to Preempt and Abort (generic).
pub const SC_ABORTED_PREEMPT: u8 = 0x1e;

/// What looking for a command to abort found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortOutcome {
    /// No such command (never sent, or completed already).
    NotFound,
    /// It was waiting in the target and is now completed as aborted.
    Aborted,
    /// It is with a bdev or the controller: it completes on its own.
    Busy,
}

impl TcpQpair {
    /// Takes a freshly accepted socket into group `g` (on its thread).
    ///
    /// # Safety
    /// Called on `g`'s thread; `g` is live.
    pub unsafe fn start(g: *mut PollGroup, sock: Box<Sock>, opts: TcpOpts, id: u64) {
        let peer = sock.getaddr().map(|a| (a.2, a.3)).unwrap_or_default();
        let local = sock.getaddr().map(|a| (a.0, a.1)).unwrap_or_default();
        let sock = Box::into_raw(sock);
        let q = Box::into_raw(Box::new(TcpQpair {
            id,
            group: g,
            sock,
            reader: {
                let mut r = PduReader::new(Role::Controller, MAX_H2C_DATA.max(opts.in_capsule_data_size).max(ADMIN_ICD));
                r.set_split_h2c(true);
                r
            },
            rbuf: vec![0; RECV_CHUNK],
            rx: None,
            c: Conn::new(State::AwaitIcReq, opts, peer, local, None),
        }));
        let qaddr = q as usize;
        let cb: crate::sock::group::ReadyFn = std::rc::Rc::new(move |_g, _s| {
            // SAFETY: the callback is removed (with the socket) before the qpair is freed.
            unsafe { TcpQpair::on_readable(qaddr as *mut TcpQpair) };
        });
        // SAFETY: the group's live socket group; the socket is ours.
        if unsafe { SockGroup::add((*g).socks, sock, cb) }.is_err() {
            // SAFETY: not in a group; ours.
            unsafe {
                let _ = Sock::close(sock);
                drop(Box::from_raw(q));
            }
            return;
        }
        // SAFETY: on the group's thread.
        unsafe { (*g).qpairs.insert(id, q) };
    }

    /// Takes a connection of a transport plugged in through the C API into
    /// group `g` (on its thread): no socket; commands come by
    /// [`Conn::ext_exec`], answers go to `ext`. Returns the connection.
    ///
    /// # Safety
    /// Called on `g`'s thread; `g` is live.
    pub unsafe fn start_ext(g: *mut PollGroup, ext: Box<dyn crate::nvmf::ext::ExtConn>, opts: TcpOpts, id: u64, peer: (String, u16), local: (String, u16)) -> *mut TcpQpair {
        let mut c = Conn::new(State::Running, opts, peer, local, Some(ext));
        c.alloc_reqs();
        let q = Box::into_raw(Box::new(TcpQpair { id, group: g, sock: std::ptr::null_mut(), reader: PduReader::new(Role::Controller, 0), rbuf: Vec::new(), rx: None, c }));
        // SAFETY: on the group's thread.
        unsafe { (*g).qpairs.insert(id, q) };
        q
    }

    #[allow(clippy::mut_from_ref)]
    fn grp<'a>(&self) -> &'a mut PollGroup {
        // SAFETY: a qpair lives inside its group, on the group's thread;
        // the group outlives it and is not otherwise borrowed by its callers.
        unsafe { &mut *self.group }
    }

    /// Socket readable: read what is there and handle every complete PDU.
    ///
    /// # Safety
    /// `q` is live, on its thread.
    unsafe fn on_readable(q: *mut TcpQpair) {
        // SAFETY: per the contract.
        let me = unsafe { &mut *q };
        if me.c.state != State::Running && me.c.state != State::AwaitIcReq {
            return;
        }
        if me.c.tx.unsent() > TX_HIGH {
            // The host is not reading: let it catch up first.
            return;
        }
        if me.rx.is_some() {
            me.body_direct();
            if me.rx.is_some() || me.c.state != State::Running {
                me.flush();
                return;
            }
            // The payload is in: whatever follows is read on.
        }
        // SAFETY: our live socket.
        let n = match unsafe { (*me.sock).recv(&mut me.rbuf) } {
            Ok(0) => {
                me.begin_close();
                return;
            }
            Ok(n) => n,
            Err(e) if e.0 == libc::EAGAIN || e.0 == libc::EWOULDBLOCK || e.0 == libc::EINTR => return,
            Err(_) => {
                me.begin_close();
                return;
            }
        };
        let mut off = 0;
        while off < n && (me.c.state == State::Running || me.c.state == State::AwaitIcReq) {
            if me.rx.is_some() {
                // A payload's first bytes came with its header.
                let rbuf = std::mem::take(&mut me.rbuf);
                off += me.body_from(&rbuf[off..n]);
                me.rbuf = rbuf;
                continue;
            }
            let (used, r) = me.reader.feed(&me.rbuf[off..n]);
            off += used;
            match r {
                Ok(None) => {
                    if used == 0 {
                        break;
                    }
                }
                Ok(Some(Pdu::H2CDataHead { cccid, ttag, datao, datal, .. })) => me.body_start(cccid, ttag, datao, datal),
                Ok(Some(p)) => {
                    // SAFETY: split borrows: the PDU borrows the reader, handlers use the rest.
                    let p: Pdu<'_> = unsafe { std::mem::transmute::<Pdu<'_>, Pdu<'_>>(p) };
                    let g = me.group;
                    let was_init = me.c.state == State::AwaitIcReq;
                    // SAFETY: the group outlives the qpair.
                    if let Err(e) = me.c.on_pdu(unsafe { &mut *g }, p) {
                        me.fatal(e);
                    } else if was_init && me.c.state == State::Running {
                        // Digests negotiated by ICReq apply from the next PDU on.
                        me.reader.set_digests(me.c.txo.hdgst, me.c.txo.ddgst);
                    }
                }
                Err(e) => {
                    me.protocol_error(e);
                }
            }
        }
        me.flush();
    }

    /// An H2CData header was read: when it fits its request (which awaits
    /// that data at that offset) and is large, its payload goes straight
    /// into the request's buffers. Anything else (and a zero-copy write with data
    /// digests, whose bdev memory must not see unchecked data) is gathered
    /// by the reader and judged by `on_h2c`, as it always was.
    fn body_start(&mut self, cccid: u16, ttag: u16, datao: u32, datal: u32) {
        let dd = self.reader.data_digest();
        let fits = self.c.reqs.get(ttag as usize).is_some_and(|r| {
            r.state == ReqState::AwaitH2C
                && r.cmd.cid() == cccid
                && datao == r.h2c_got
                && u64::from(datao) + u64::from(datal) <= u64::from(r.len)
                && datal >= DIRECT_RX_MIN
                && (!dd || r.zcopy.is_null())
        });
        if !fits {
            return;
        }
        let Some(b) = self.reader.take_body() else { return };
        self.rx = Some(RxBody { idx: ttag, cccid, at: datao as usize, end: datao + datal, pad: b.pad, left: b.data_len, digest: b.digest, crc: 0, dig: [0; 4], dig_have: 0 });
    }

    /// Whether the request of the payload being received still awaits it
    /// (an Abort may have answered it meanwhile: the rest is then dropped).
    fn body_live(&self, rx: &RxBody) -> bool {
        let r = &self.c.reqs[rx.idx as usize];
        r.state == ReqState::AwaitH2C && r.cmd.cid() == rx.cccid
    }

    /// Takes payload bytes that arrived in the receive buffer; returns how many.
    fn body_from(&mut self, input: &[u8]) -> usize {
        let Some(mut rx) = self.rx.take() else { return 0 };
        let live = self.body_live(&rx);
        let mut rest = input;
        let k = rx.pad.min(rest.len());
        rx.pad -= k;
        rest = &rest[k..];
        let k = rx.left.min(rest.len());
        if k > 0 {
            if live {
                scatter(&self.c.reqs[rx.idx as usize].iovs, rx.at, &rest[..k]);
            }
            if rx.digest {
                rx.crc = crc32c::crc32c_append(rx.crc, &rest[..k]);
            }
            rx.at += k;
            rx.left -= k;
            rest = &rest[k..];
        }
        if rx.left == 0 && rx.digest {
            let k = (4 - rx.dig_have).min(rest.len());
            rx.dig[rx.dig_have..rx.dig_have + k].copy_from_slice(&rest[..k]);
            rx.dig_have += k;
            rest = &rest[k..];
        }
        let used = input.len() - rest.len();
        self.body_progress(rx);
        used
    }

    /// Reads the rest of the payload from the socket, the data straight
    /// into the request's buffers (one `readv`).
    fn body_direct(&mut self) {
        let Some(mut rx) = self.rx.take() else { return };
        let live = self.body_live(&rx);
        let empty = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
        let mut iov = [empty; 2 + super::transport::MAX_BUFFERS_PER_REQUEST as usize + 1];
        let mut n = 0;
        if rx.pad > 0 {
            iov[n] = libc::iovec { iov_base: self.rbuf.as_mut_ptr().cast(), iov_len: rx.pad };
            n += 1;
        }
        let data_first = n;
        if live {
            let mut skip = rx.at;
            let mut want = rx.left;
            for v in &self.c.reqs[rx.idx as usize].iovs {
                if want == 0 || n == iov.len() - 1 {
                    break;
                }
                if skip >= v.iov_len {
                    skip -= v.iov_len;
                    continue;
                }
                let k = (v.iov_len - skip).min(want);
                // SAFETY: inside the request's buffer.
                iov[n] = libc::iovec { iov_base: unsafe { (v.iov_base as *mut u8).add(skip) }.cast(), iov_len: k };
                n += 1;
                want -= k;
                skip = 0;
            }
        } else if rx.left > 0 {
            // Dropped: into the receive buffer (after the padding's bytes).
            let at = rx.pad;
            let k = rx.left.min(self.rbuf.len() - at);
            // SAFETY: inside the receive buffer.
            iov[n] = libc::iovec { iov_base: unsafe { self.rbuf.as_mut_ptr().add(at) }.cast(), iov_len: k };
            n += 1;
        }
        let data_end = n;
        let data_asked: usize = iov[data_first..data_end].iter().map(|v| v.iov_len).sum();
        if rx.digest && data_asked == rx.left {
            // All the data fits this read: the digest may come with it.
            iov[n] = libc::iovec { iov_base: rx.dig[rx.dig_have..].as_mut_ptr().cast(), iov_len: 4 - rx.dig_have };
            n += 1;
        }
        // SAFETY: our live socket; the iovecs describe writable memory for the call.
        let got = match unsafe { (*self.sock).readv_raw(iov.as_mut_ptr(), n as i32) } {
            Ok(0) => {
                self.begin_close();
                return;
            }
            Ok(k) => k,
            Err(e) if e.0 == libc::EAGAIN || e.0 == libc::EWOULDBLOCK || e.0 == libc::EINTR => {
                self.rx = Some(rx);
                return;
            }
            Err(_) => {
                self.begin_close();
                return;
            }
        };
        // Account for what landed, in the order of the iovecs.
        let mut left = got;
        let k = rx.pad.min(left);
        rx.pad -= k;
        left -= k;
        for v in &iov[data_first..data_end] {
            if left == 0 {
                break;
            }
            let k = v.iov_len.min(left);
            if rx.digest {
                // SAFETY: k bytes the readv just wrote there.
                rx.crc = crc32c::crc32c_append(rx.crc, unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, k) });
            }
            rx.at += k;
            rx.left -= k;
            left -= k;
        }
        if left > 0 {
            rx.dig_have += left;
        }
        self.body_progress(rx);
    }

    /// Keeps the payload going, or finishes it: the digest checked (a
    /// mismatch is the reader's data digest error, handled as ever), then
    /// the data counted in as `on_h2c` does.
    fn body_progress(&mut self, rx: RxBody) {
        if rx.pad > 0 || rx.left > 0 || (rx.digest && rx.dig_have < 4) {
            self.rx = Some(rx);
            return;
        }
        self.reader.body_done();
        if rx.digest {
            let received = u32::from_le_bytes(rx.dig);
            if received != rx.crc {
                self.protocol_error(PduError::DataDigest { expected: rx.crc, received });
                return;
            }
        }
        if !self.body_live(&rx) {
            // Its command was aborted meanwhile: dropped, as `on_h2c` drops late data.
            return;
        }
        let g = self.group;
        // SAFETY: the group outlives its qpairs.
        self.c.h2c_landed(unsafe { &mut *g }, rx.idx, rx.end);
    }

    fn protocol_error(&mut self, e: PduError) {
        crate::log::error(format_args!("nvmf/tcp: connection from {}:{}: {e}; closing it\n", self.c.peer.0, self.c.peer.1));
        self.c.scratch.clear();
        if pdu::write_term_req_for(&mut self.c.scratch, Role::Controller, &e, &[]) {
            self.c.queue_scratch();
        }
        self.c.state = State::Draining;
    }

    fn fatal(&mut self, f: Fatal) {
        crate::log::error(format_args!("nvmf/tcp: connection from {}:{}: {}; closing it\n", self.c.peer.0, self.c.peer.1, f.msg));
        self.c.scratch.clear();
        pdu::write_term_req(&mut self.c.scratch, false, f.fes, f.fei, &[]);
        self.c.queue_scratch();
        self.c.state = State::Draining;
    }

    /// Sends what the kernel takes; requests whose data went out are
    /// released. Returns whether anything was sent.
    fn flush(&mut self) -> bool {
        if self.c.tx.is_empty() || self.c.state == State::Closed {
            return false;
        }
        let sock = self.sock;
        let g = self.grp();
        let c = &mut self.c;
        let mut sent = std::mem::take(&mut c.sent);
        // SAFETY: iovecs over our queue's bytes and the buffers of requests
        // that stay unreleased until sent; the socket is live while not Closed.
        let r = c.tx.flush(|iov| unsafe { (*sock).writev_raw(iov.as_ptr(), iov.len() as i32) }, &mut sent);
        for idx in sent.drain(..) {
            c.release(g, idx);
        }
        c.sent = sent;
        match r {
            Ok(n) => n > 0,
            Err(e) if e.0 == libc::EAGAIN || e.0 == libc::EWOULDBLOCK || e.0 == libc::EINTR => false,
            Err(_) => {
                self.begin_close();
                true
            }
        }
    }

    /// Called by the group's poller: retries requests waiting for buffers,
    /// sends pending output, finishes closing. Returns whether it did work.
    ///
    /// # Safety
    /// `q` is live, on its thread; it may be freed by this call.
    pub unsafe fn service(q: *mut TcpQpair) -> bool {
        // SAFETY: per the contract.
        let me = unsafe { &mut *q };
        let mut busy = false;
        if me.c.state == State::Running && !me.c.waiting.is_empty() {
            let g = me.group;
            // SAFETY: the group outlives its qpairs.
            busy |= me.c.retry_waiting(unsafe { &mut *g });
        }
        if me.c.state == State::Running && me.c.is_admin {
            if let Some(c) = me.c.ctrlr.clone() {
                if c.keep_alive_expired() {
                    crate::log::error(format_args!("nvmf: controller {} of {}: keep alive timeout expired; disconnecting it\n", c.cntlid, c.subnqn));
                    me.begin_close();
                }
            }
        }
        busy |= me.flush();
        if me.c.state == State::Draining && me.c.tx.unsent() == 0 {
            me.begin_close();
        }
        if me.c.state == State::Closed && me.c.outstanding == 0 {
            // SAFETY: nothing refers to the qpair any more.
            unsafe { TcpQpair::free(q) };
            return true;
        }
        busy
    }

    /// Starts closing: the socket goes, outstanding requests finish without
    /// sending, the controller learns its queue is gone.
    pub fn begin_close(&mut self) {
        if self.c.state == State::Closed {
            return;
        }
        self.c.state = State::Closed;
        let g = self.grp();
        if !self.sock.is_null() {
            // SAFETY: our socket, in our group's socket group.
            unsafe {
                let _ = SockGroup::remove(g.socks, self.sock);
                let _ = Sock::close(self.sock);
            }
        }
        self.sock = std::ptr::null_mut();
        // Data not sent will not be: its requests are released.
        let mut unsent = Vec::new();
        self.c.tx.clear(&mut unsent);
        for idx in unsent {
            self.c.release(g, idx);
        }
        // Requests not with a bdev are done now.
        for i in 0..self.c.reqs.len() {
            let st = self.c.reqs[i].state;
            if st == ReqState::NeedBuf || st == ReqState::AwaitH2C {
                self.c.release(g, i as u16);
            }
            if st == ReqState::ZcopyLent {
                // Its transport still holds the bdev's buffers: they go back
                // uncommitted (the release counts outstanding until the bdev
                // is done) and the request goes back to the transport, which
                // sees it ended (phase COMPLETE) and ends it no more.
                self.c.outstanding -= 1;
                let t = std::mem::replace(&mut self.c.reqs[i].ext_req, 0);
                if let (Some(x), true) = (self.c.ext.as_mut(), t != 0) {
                    x.drop_req(t);
                }
                self.c.release(g, i as u16);
            }
        }
        self.c.waiting.clear();
        // A held fused compare never reaches a bdev now.
        if self.c.fused_first.take().is_some() {
            self.c.outstanding -= 1;
        }
        if let Some(c) = self.c.ctrlr.take() {
            let was_admin = self.c.is_admin;
            ctrlr::qpair_gone(&c, self.c.qid, was_admin, self.id, g);
            // Requests the controller holds (AERs) come back through it.
            self.c.outstanding -= ctrlr::take_held(&c, self as *mut TcpQpair);
            self.c.ctrlr = None;
        }
    }

    /// Closes at once (target shutdown, controller gone).
    ///
    /// # Safety
    /// `q` is live, on its thread.
    pub unsafe fn close_now(q: *mut TcpQpair) {
        // SAFETY: per the contract.
        let me = unsafe { &mut *q };
        me.flush();
        me.begin_close();
    }

    /// # Safety
    /// `q` is closed and has nothing outstanding.
    unsafe fn free(q: *mut TcpQpair) {
        // SAFETY: per the contract.
        let mut me = unsafe { Box::from_raw(q) };
        let g = me.grp();
        g.qpairs.remove(&me.id);
        if let Some(mut x) = me.c.ext.take() {
            // Requests a closed connection still holds (held AERs, commands
            // a pause held) go back to their transport, then the connection.
            for r in me.c.reqs.iter_mut().filter(|r| r.state != ReqState::Free && r.ext_req != 0) {
                x.drop_req(r.ext_req);
                r.ext_req = 0;
            }
            x.fini();
        }
        if !me.c.ns.is_null() {
            // SAFETY: the subsystem's table outlives its connections.
            unsafe { (*me.c.ns).held.retain(|h| h.0 != q) };
        }
        if me.c.qid == 0 {
            g.stats.current_admin_qpairs = g.stats.current_admin_qpairs.saturating_sub(u64::from(me.c.state_counted()));
        } else {
            g.stats.current_io_qpairs = g.stats.current_io_qpairs.saturating_sub(u64::from(me.c.state_counted()));
        }
    }

    /// A request finished executing (on this thread): its response goes out.
    ///
    /// # Safety
    /// `r` is a live request of a live qpair, on that qpair's thread.
    pub unsafe fn complete(r: *mut Req) {
        // SAFETY: per the contract.
        let (q, idx) = unsafe { ((*r).qp, (*r).idx) };
        // SAFETY: as above.
        let me = unsafe { &mut *q };
        let g = me.group;
        me.c.outstanding -= 1;
        // SAFETY: the group outlives its qpairs.
        let g = unsafe { &mut *g };
        if me.c.state == State::Closed || me.c.state == State::Draining {
            let r = &mut me.c.reqs[idx as usize];
            if let (Some(x), t) = (me.c.ext.as_mut(), r.ext_req) {
                if t != 0 {
                    r.ext_req = 0;
                    x.drop_req(t);
                }
            }
            me.c.release(g, idx);
            return;
        }
        me.c.respond(g, idx);
        if me.c.tx.unsent() > 256 * 1024 {
            me.flush();
        }
    }
}

impl TcpQpair {
    /// A zero-copy start succeeded: `r.iovs` are the bdev's buffers. A
    /// read has its data and is answered from them; a write asks for its
    /// data with an R2T, landing there.
    ///
    /// # Safety
    /// `r` is a live request of a live qpair, counted outstanding, on that
    /// qpair's thread.
    pub unsafe fn zcopy_started(r: *mut Req) {
        // SAFETY: per the contract.
        let (q, idx, dir) = unsafe { ((*r).qp, (*r).idx, (*r).dir) };
        // SAFETY: as above.
        if unsafe { (*q).c.ext.is_some() } {
            // SAFETY: as above.
            unsafe { TcpQpair::zcopy_lend(q, idx) };
            return;
        }
        if dir == Dir::C2H {
            // SAFETY: as above.
            unsafe { TcpQpair::complete(r) };
            return;
        }
        // SAFETY: as above; the group outlives its qpairs.
        let (me, g) = unsafe { (&mut *q, &mut *(*q).group) };
        // Waiting for data is not outstanding (as after an R2T with pool buffers).
        me.c.outstanding -= 1;
        if me.c.state != State::Running {
            me.c.release(g, idx);
            return;
        }
        let c = &mut me.c;
        let r = &mut c.reqs[idx as usize];
        r.state = ReqState::AwaitH2C;
        r.h2c_got = 0;
        let (cid, len) = (r.cmd.cid(), r.len);
        c.scratch.clear();
        pdu::write_r2t(&mut c.scratch, &c.txo, cid, idx, 0, len);
        c.queue_scratch();
    }
}

impl TcpQpair {
    /// A zero-copy start of a plugged-in transport's request succeeded:
    /// the transport gets the bdev's buffers (phase EXECUTE) and keeps the
    /// request until it ends it ([`Conn::ext_zcopy_end`]). On a closing
    /// connection the buffers go back at once and so does the request.
    ///
    /// # Safety
    /// As [`TcpQpair::zcopy_started`]; the connection has an `ext`.
    unsafe fn zcopy_lend(q: *mut TcpQpair, idx: u16) {
        // SAFETY: per the contract.
        let c = unsafe { &mut (*q).c };
        if c.state != State::Running {
            let r = &mut c.reqs[idx as usize] as *mut Req;
            // SAFETY: counted outstanding: answered (dropped) as closed.
            unsafe { TcpQpair::complete(r) };
            return;
        }
        let (sqhd, qid) = (c.sq_head, c.qid);
        let ctrlr = c.ctrlr.as_ref().map_or(0, |k| Arc::as_ptr(k) as usize);
        let r = &mut c.reqs[idx as usize];
        r.state = ReqState::ZcopyLent;
        r.cpl.sqhd = sqhd;
        r.cpl.sqid = qid;
        r.cpl.cid = r.cmd.cid();
        let (token, cpl, io) = (r.ext_req, r.cpl, r.zcopy as usize);
        let Some(x) = c.ext.as_mut() else { return };
        if x.lent(token, &cpl, &r.iovs, io, qid, ctrlr) {
            // The transport may end the request from inside this call.
            x.notify(token);
            return;
        }
        // More buffers than a request describes: the start fails.
        r.state = ReqState::Executing;
        r.status(0, SC_INTERNAL_DEVICE_ERROR);
        let rp = r as *mut Req;
        // SAFETY: counted outstanding; `release` gives the buffers back.
        unsafe { TcpQpair::complete(rp) };
    }
}

/// Copies `data` into the buffers `iovs` describe, from byte `off` of them on
/// (the caller checked that it fits).
fn scatter(iovs: &[libc::iovec], mut off: usize, mut data: &[u8]) {
    for v in iovs {
        if data.is_empty() {
            break;
        }
        if off >= v.iov_len {
            off -= v.iov_len;
            continue;
        }
        let n = (v.iov_len - off).min(data.len());
        // SAFETY: the iovec describes a live buffer; [off, off + n) lies inside it.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), (v.iov_base as *mut u8).add(off), n) };
        data = &data[n..];
        off = 0;
    }
}

/// A connection-fatal fault found while handling a valid PDU.
pub struct Fatal {
    pub fes: u16,
    pub fei: u32,
    pub msg: String,
}

fn fatal(fes: u16, fei: u32, msg: String) -> Fatal {
    Fatal { fes, fei, msg }
}

/// TermReq fatal error statuses (NVMe/TCP transport spec).
const FES_INVALID_HEADER_FIELD: u16 = 0x01;
const FES_PDU_SEQUENCE_ERROR: u16 = 0x02;
const FES_DATA_TRANSFER_OUT_OF_RANGE: u16 = 0x05;
const FES_INVALID_DATA_UNSUPPORTED_PARAMETER: u16 = 0x07;

impl Conn {
    fn state_counted(&self) -> bool {
        self.sq_size > 0
    }

    /// Makes the request slots (for the largest queue the transport allows).
    fn alloc_reqs(&mut self) {
        // Requests are sized for the largest queue this transport allows.
        let depth = self.opts.max_queue_depth.max(self.opts.max_aq_depth) as usize;
        let bufs_per_req = self.opts.max_io_size.div_ceil(self.opts.io_unit_size.max(1)) as usize;
        self.reqs.clear();
        for i in 0..depth {
            self.reqs.push(Req {
                cmd: Cmd::default(),
                cpl: Cpl::default(),
                state: ReqState::Free,
                dir: Dir::None,
                len: 0,
                c2h_len: 0,
                buf: std::ptr::null_mut(),
                bufs: Vec::with_capacity(bufs_per_req),
                admin: Vec::new(),
                h2c_got: 0,
                iovs: Vec::with_capacity(bufs_per_req),
                qp: std::ptr::null_mut(),
                idx: i as u16,
                fused_partner: None,
                aborted: false,
                io_wait: std::ptr::null_mut(),
                ext_req: 0,
                ext_iovs: Vec::new(),
                ext_copy: false,
                preempted: false,
                stale_h2c: None,
                zc: false,
                zcopy: std::ptr::null_mut(),
            });
        }
        self.free = (0..depth as u16).rev().collect();
        self.ic_slot = self.opts.in_capsule_data_size.max(ADMIN_ICD) as usize;
        // Zeroed allocation: pages are mapped only where commands use them.
        self.icbuf = vec![0; self.ic_slot * depth];
    }

    fn on_pdu(&mut self, g: &mut PollGroup, p: Pdu<'_>) -> Result<(), Fatal> {
        match p {
            Pdu::IcReq { pfv, hpda, hdgst, ddgst, maxr2t: _ } => {
                if self.state != State::AwaitIcReq {
                    return Err(fatal(FES_PDU_SEQUENCE_ERROR, 0, "a second ICReq".into()));
                }
                if pfv != pdu::PFV_1_0 {
                    return Err(fatal(FES_INVALID_DATA_UNSUPPORTED_PARAMETER, 8, format!("ICReq PFV {pfv} is not 0")));
                }
                if hpda > SPDK_NVME_TCP_HPDA_MAX {
                    return Err(fatal(FES_INVALID_HEADER_FIELD, 10, format!("ICReq HPDA {hpda} is above 31")));
                }
                self.txo = TxOpts { hdgst, ddgst, pda: hpda };
                self.scratch.clear();
                pdu::write_ic_resp(&mut self.scratch, 0, hdgst, ddgst, MAX_H2C_DATA);
                self.queue_scratch();
                self.state = State::Running;
                self.alloc_reqs();
                Ok(())
            }
            Pdu::CapsuleCmd { cmd, data } => self.on_capsule(g, cmd, data),
            Pdu::H2CData { flags, cccid, ttag, datao, data } => self.on_h2c(g, flags, cccid, ttag, datao, data),
            Pdu::TermReq { fes, .. } => {
                crate::log::notice(format_args!("nvmf/tcp: host {}:{} terminated the connection (FES {fes:#x})\n", self.peer.0, self.peer.1));
                self.state = State::Draining;
                Ok(())
            }
            _ => Err(fatal(FES_PDU_SEQUENCE_ERROR, 0, "unexpected PDU".into())),
        }
    }

    fn on_capsule(&mut self, g: &mut PollGroup, cmd: Cmd, data: &[u8]) -> Result<(), Fatal> {
        let Some(idx) = self.free.pop() else {
            return Err(fatal(FES_PDU_SEQUENCE_ERROR, 0, format!("more commands than the queue holds ({})", self.reqs.len())));
        };
        if self.sq_size > 0 {
            self.sq_head = (self.sq_head + 1) % self.sq_size;
        }
        let ic_off = idx as usize * self.ic_slot;
        let r = &mut self.reqs[idx as usize];
        r.begin(cmd, transfer_dir(&cmd), 0, 0);
        if r.stale_h2c == Some(cmd.cid()) {
            // The host reuses the CID: its old data is no longer told apart.
            r.stale_h2c = None;
        }
        if r.dir != Dir::None {
            let addr = cmd.prp1;
            let len = cmd.prp2 as u32;
            let id = (cmd.prp2 >> 56) as u8;
            let (ty, sub) = (id >> 4, id & 0xf);
            let psdt = (cmd.cdw0 >> 14) & 3;
            let max_io = if self.qid == 0 { self.opts.max_io_size.max(ADMIN_ICD) } else { self.opts.max_io_size };
            let bad = if psdt == 0 && cmd.opc() != SPDK_NVME_OPC_FABRIC {
                Some(SC_INVALID_FIELD)
            } else if len > max_io {
                Some(SC_DATA_SGL_LENGTH_INVALID)
            } else {
                None
            };
            if let Some(sc) = bad {
                r.status(0, sc);
                r.dnr();
                r.dir = Dir::None;
                self.respond(g, idx);
                return Ok(());
            }
            r.len = len;
            if len == 0 {
                r.dir = Dir::None;
            } else if ty == SGL_TYPE_DATA_BLOCK && sub == SGL_SUBTYPE_OFFSET {
                let icd = if self.qid == 0 { ADMIN_ICD } else { self.opts.in_capsule_data_size };
                if r.dir != Dir::H2C {
                    r.status(0, SC_SGL_DESCRIPTOR_TYPE_INVALID);
                } else if len > icd {
                    r.status(0, SC_DATA_SGL_LENGTH_INVALID);
                } else if addr.checked_add(u64::from(len)).map_or(true, |e| e > data.len() as u64) {
                    r.status(0, SC_INVALID_SGL_OFFSET);
                } else {
                    let s = &mut self.icbuf[ic_off..ic_off + len as usize];
                    s.copy_from_slice(&data[addr as usize..addr as usize + len as usize]);
                    r.buf = s.as_mut_ptr();
                    r.iovs.push(libc::iovec { iov_base: r.buf.cast(), iov_len: len as usize });
                }
                if r.buf.is_null() {
                    r.dnr();
                    r.dir = Dir::None;
                    self.respond(g, idx);
                    return Ok(());
                }
            } else if ty == SGL_TYPE_TRANSPORT_DATA_BLOCK && sub == SGL_SUBTYPE_TRANSPORT {
                if !data.is_empty() {
                    return Err(fatal(FES_INVALID_HEADER_FIELD, 0, "in-capsule data with a transport SGL".into()));
                }
                if self.zcopy_eligible(&cmd, len) {
                    // No pool buffers: the command runs its checks and the
                    // bdev lends its own (then the R2T for a write).
                    self.reqs[idx as usize].zc = true;
                    self.execute(g, idx);
                    return Ok(());
                }
                let r = &mut self.reqs[idx as usize];
                r.state = ReqState::NeedBuf;
                self.waiting.push_back(idx);
                self.retry_waiting(g);
                return Ok(());
            } else {
                r.status(0, SC_SGL_DESCRIPTOR_TYPE_INVALID);
                r.dnr();
                r.dir = Dir::None;
                self.respond(g, idx);
                return Ok(());
            }
        }
        self.execute(g, idx);
        Ok(())
    }

    /// Gives buffers to waiting requests, in order. Returns whether any got one.
    fn retry_waiting(&mut self, g: &mut PollGroup) -> bool {
        let mut any = false;
        while let Some(&idx) = self.waiting.front() {
            let r = &mut self.reqs[idx as usize];
            if self.qid == 0 {
                // Admin commands (and Connect) get a contiguous heap buffer.
                r.admin.clear();
                r.admin.resize(r.len as usize, 0);
                r.buf = r.admin.as_mut_ptr();
                r.iovs.push(libc::iovec { iov_base: r.buf.cast(), iov_len: r.len as usize });
            } else if !g.get_bufs(r.len as usize, &mut r.bufs, &mut r.iovs) {
                break;
            } else if r.bufs.len() == 1 {
                r.buf = r.bufs[0];
            }
            self.waiting.pop_front();
            any = true;
            if r.dir == Dir::H2C {
                r.state = ReqState::AwaitH2C;
                let (cid, len) = (r.cmd.cid(), r.len);
                self.scratch.clear();
                pdu::write_r2t(&mut self.scratch, &self.txo, cid, idx, 0, len);
                self.queue_scratch();
            } else {
                r.state = ReqState::Executing;
                self.execute(g, idx);
            }
        }
        any
    }

    fn on_h2c(&mut self, g: &mut PollGroup, _flags: u8, cccid: u16, ttag: u16, datao: u32, data: &[u8]) -> Result<(), Fatal> {
        let Some(r) = self.reqs.get_mut(ttag as usize) else {
            return Err(fatal(FES_INVALID_HEADER_FIELD, 10, format!("H2CData with unknown TTAG {ttag}")));
        };
        if r.state != ReqState::AwaitH2C || r.cmd.cid() != cccid {
            if r.stale_h2c == Some(cccid) {
                // Data of a command aborted after its R2T went out: dropped.
                return Ok(());
            }
            return Err(fatal(FES_INVALID_HEADER_FIELD, 8, format!("H2CData for command {cccid} (TTAG {ttag}) that awaits no data")));
        }
        if datao != r.h2c_got {
            return Err(fatal(FES_DATA_TRANSFER_OUT_OF_RANGE, 12, format!("H2CData offset {datao}, expected {}", r.h2c_got)));
        }
        let end = u64::from(datao) + data.len() as u64;
        if end > u64::from(r.len) {
            return Err(fatal(FES_DATA_TRANSFER_OUT_OF_RANGE, 16, format!("H2CData up to {end} beyond the command's {} bytes", r.len)));
        }
        scatter(&r.iovs, datao as usize, data);
        self.h2c_landed(g, ttag, end as u32);
        Ok(())
    }

    /// H2CData up to `end` is in request `ttag`'s buffers: once all of it
    /// is, the command runs (a zero-copy write commits the bdev's buffers).
    fn h2c_landed(&mut self, g: &mut PollGroup, ttag: u16, end: u32) {
        let r = &mut self.reqs[ttag as usize];
        r.h2c_got = end;
        if r.h2c_got == r.len {
            r.state = ReqState::Executing;
            if r.zcopy.is_null() {
                self.execute(g, ttag);
            } else {
                // The data is in the bdev's buffers: commit them (the
                // command's checks ran before they were lent).
                self.outstanding += 1;
                io::zcopy_commit(r);
            }
        }
    }

    /// Whether a command with a transport SGL of `len` bytes takes the
    /// zero-copy way: the option is on, it is a plain Read or Write on an
    /// I/O queue, its namespace's bdev lends buffers, and `len` is exactly
    /// its blocks (the bdev lends no more).
    fn zcopy_eligible(&mut self, cmd: &Cmd, len: u32) -> bool {
        use crate::nvme::spec::nvm;
        if !self.opts.zcopy || self.qid == 0 || self.ns.is_null() || cmd.fuse() != 0 || !(cmd.opc() == nvm::READ || cmd.opc() == nvm::WRITE) {
            return false;
        }
        // SAFETY: the table of this connection's subsystem on this group
        // lives while the connection runs.
        let Some(ns) = (unsafe { &mut *self.ns }).get(cmd.nsid) else { return false };
        let nlb = u64::from(cmd.cdw12 & 0xffff) + 1;
        crate::bdev::io_type_supported(ns.bdev, crate::capi::bdev_types::spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY)
            && u64::from(len) == nlb * u64::from(ns.block_size)
    }

    fn execute(&mut self, g: &mut PollGroup, idx: u16) {
        let me = self as *mut Conn;
        // SAFETY: the qpair that owns this Conn (Conn is its field `c`).
        let qp = unsafe { (me as *mut u8).sub(std::mem::offset_of!(TcpQpair, c)) as *mut TcpQpair };
        let r = &mut self.reqs[idx as usize];
        r.qp = qp;
        // A paused subsystem holds its commands here until it resumes.
        // SAFETY: the table of this connection's subsystem on this group
        // lives until the connection closed (drop_table runs after).
        if !self.ns.is_null() && unsafe { (*self.ns).paused } && r.cmd.opc() != SPDK_NVME_OPC_FABRIC {
            // SAFETY: as above.
            unsafe { (*self.ns).held.push_back((qp, idx)) };
            return;
        }
        // Counted before dispatch: a handler may complete it before returning.
        self.outstanding += 1;
        let exec = if r.cmd.opc() == SPDK_NVME_OPC_FABRIC {
            ctrlr::fabric(self, g, idx)
        } else if self.ctrlr.is_none() {
            // Nothing but Connect before a controller exists.
            let r = &mut self.reqs[idx as usize];
            r.status(0, 0x0c); // command sequence error
            r.dnr();
            Exec::Done
        } else if self.qid == 0 {
            ctrlr::admin(self, g, idx)
        } else {
            io::execute(self, g, idx)
        };
        if let Exec::Done = exec {
            self.outstanding -= 1;
            self.respond(g, idx);
        }
    }

    /// Runs a command a pause held (the subsystem resumed).
    ///
    /// # Safety
    /// `q` is live, on its thread; `idx` is the request it held.
    pub unsafe fn run_held(q: *mut TcpQpair, idx: u16) {
        // SAFETY: per the contract; the group outlives its qpairs.
        let me = unsafe { &mut *q };
        // SAFETY: as above.
        let g = unsafe { &mut *me.group };
        me.c.execute(g, idx);
    }

    /// Sends a request's data (C2H) and response, then frees it.
    pub fn respond(&mut self, g: &mut PollGroup, idx: u16) {
        if self.qid != 0 {
            g.stats.completed_nvme_io += 1;
        }
        let sqhd = self.sq_head;
        let qid = self.qid;
        let r = &mut self.reqs[idx as usize];
        r.cpl.sqhd = sqhd;
        r.cpl.sqid = qid;
        r.cpl.cid = r.cmd.cid();
        if self.ext.is_some() {
            self.respond_ext(g, idx);
            return;
        }
        let mut skip_resp = false;
        let mut zero_copy = false;
        if r.dir == Dir::C2H && r.ok() {
            let total = r.c2h_len.min(r.len) as usize;
            let success_flag = self.opts.c2h_success && self.sqflow_disabled && r.cpl.cdw0 == 0 && r.cpl.cdw1 == 0;
            // One or more C2HData PDUs per buffer, in order, the data sent
            // from the request's buffers (released once it is out).
            let mut off = 0;
            for v in &r.iovs {
                let seg_end = (off + v.iov_len).min(total);
                let mut at = off;
                while at < seg_end {
                    let n = (seg_end - at).min(MAX_C2H_DATA);
                    let last = at + n == total;
                    let p = (v.iov_base as *const u8).wrapping_add(at - off);
                    let dd = pdu::append_c2h_head(self.tx.bytes(), &self.txo, r.cmd.cid(), at as u32, n, last, last && success_flag);
                    // SAFETY: the iovec describes a live buffer of the request;
                    // [at - off, at - off + n) lies inside it.
                    let chunk = unsafe { std::slice::from_raw_parts(p, n) };
                    if n >= ZERO_COPY_MIN {
                        self.tx.push_ext(p, n, None);
                        zero_copy = true;
                    } else {
                        self.tx.bytes().extend_from_slice(chunk);
                    }
                    if dd {
                        self.tx.bytes().extend_from_slice(&pdu::digest(chunk).to_le_bytes());
                    }
                    at += n;
                }
                off = seg_end;
                if off == total {
                    break;
                }
            }
            skip_resp = success_flag && total > 0;
        }
        if !skip_resp {
            let cpl = r.cpl;
            self.scratch.clear();
            pdu::write_capsule_resp(&mut self.scratch, &self.txo, &cpl);
            self.queue_scratch();
        }
        if zero_copy {
            // Released by `flush` once the data is out.
            self.reqs[idx as usize].state = ReqState::Sending;
            self.tx.push_ext(std::ptr::null(), 0, Some(idx));
            return;
        }
        self.release(g, idx);
    }

    /// The answer of a request of a transport plugged in through the C API.
    fn respond_ext(&mut self, g: &mut PollGroup, idx: u16) {
        let r = &mut self.reqs[idx as usize];
        if r.ext_copy && r.dir == Dir::C2H && r.ok() {
            let n = r.c2h_len.min(r.len) as usize;
            scatter(&r.ext_iovs, 0, &r.admin[..n]);
        }
        let (token, cpl) = (r.ext_req, r.cpl);
        r.ext_req = 0;
        self.release(g, idx);
        let (qid, c) = (self.qid, self.ctrlr.as_ref().map_or(0, |c| Arc::as_ptr(c) as usize));
        if let Some(x) = self.ext.as_mut() {
            x.answer(token, &cpl, qid, c);
        }
    }

    /// Returns a request (and its buffers) to the free list.
    fn release(&mut self, g: &mut PollGroup, idx: u16) {
        let r = &mut self.reqs[idx as usize];
        if r.state == ReqState::Free {
            return;
        }
        for b in r.bufs.drain(..) {
            g.put_buf(b);
        }
        if r.admin.capacity() > ADMIN_ICD as usize {
            // Large admin transfers are rare: do not keep their memory.
            r.admin = Vec::new();
        }
        let zc = std::mem::replace(&mut r.zcopy, std::ptr::null_mut());
        let qp = r.qp;
        r.buf = std::ptr::null_mut();
        r.iovs.clear();
        r.ext_copy = false;
        r.state = ReqState::Free;
        self.free.push(idx);
        if !zc.is_null() {
            // The bdev's buffers go back to it (nothing committed); the
            // qpair waits for that like for any I/O.
            self.outstanding += 1;
            io::zcopy_release(zc, qp);
        }
    }

    /// Marks the connection as the admin or an I/O queue of `c` (fabrics Connect).
    pub fn attach(&mut self, c: Arc<Ctrlr>, qid: u16, sq_size: u16, sqflow_disabled: bool, ns: *mut NsTable, g: &mut PollGroup) {
        self.qid = qid;
        self.sq_size = sq_size;
        self.sqflow_disabled = sqflow_disabled;
        self.ns = ns;
        self.is_admin = qid == 0;
        self.ctrlr = Some(c);
        if qid == 0 {
            g.stats.admin_qpairs += 1;
            g.stats.current_admin_qpairs += 1;
        } else {
            g.stats.io_qpairs += 1;
            g.stats.current_io_qpairs += 1;
        }
    }

    /// Completes request `idx` with generic status `sc` if it still waits
    /// in the target: for a data buffer, for its H2C data after an R2T, in
    /// the bdev layer's io_wait queue, or as a held first half of a fused
    /// pair. Returns false (and leaves it) if it is free or executing.
    fn abort_waiting(&mut self, g: &mut PollGroup, idx: u16, sc: u8) -> bool {
        let i = idx as usize;
        match self.reqs[i].state {
            // A lent zero-copy request ends by its transport (or at close).
            ReqState::Free | ReqState::Sending | ReqState::ZcopyLent => false,
            ReqState::NeedBuf | ReqState::AwaitH2C => {
                if self.reqs[i].state == ReqState::NeedBuf {
                    self.waiting.retain(|&w| w != idx);
                } else {
                    self.reqs[i].stale_h2c = Some(self.reqs[i].cmd.cid());
                }
                self.reqs[i].status(0, sc);
                // Not counted outstanding before it executes: answered now.
                self.respond(g, idx);
                true
            }
            ReqState::Executing => {
                if self.fused_first == Some(idx) {
                    self.fused_first = None;
                } else if !io::cancel_retry(&mut self.reqs[i]) {
                    return false;
                }
                let r = &mut self.reqs[i];
                r.status(0, sc);
                // SAFETY: a live request of this qpair, counted outstanding, on its thread.
                unsafe { TcpQpair::complete(r) };
                true
            }
        }
    }

    /// The Abort command's search on this queue: command `cid` (never
    /// request `exclude`, the Abort itself when it came on this queue).
    pub fn abort_cid(&mut self, g: &mut PollGroup, cid: u16, exclude: Option<u16>) -> AbortOutcome {
        if self.state != State::Running {
            return AbortOutcome::NotFound;
        }
        let Some(i) = self.reqs.iter().position(|r| r.state != ReqState::Free && r.state != ReqState::Sending && r.cmd.cid() == cid && Some(r.idx) != exclude) else {
            return AbortOutcome::NotFound;
        };
        if self.abort_waiting(g, i as u16, SC_ABORTED_BY_REQUEST) {
            AbortOutcome::Aborted
        } else {
            AbortOutcome::Busy
        }
    }

    /// The Abort command's second step for command `cid` of this I/O queue
    /// while a bdev has it: asks the bdev layer to abort it
    /// (`spdk_bdev_abort`); `cb(abort_io, success, arg)` follows. False
    /// when it is not with a bdev here or the bdev cannot abort.
    pub fn abort_in_bdev(&mut self, cid: u16, cb: crate::capi::bdev_types::spdk_bdev_io_completion_cb, arg: *mut std::ffi::c_void) -> bool {
        if self.state != State::Running || self.qid == 0 || self.ns.is_null() {
            return false;
        }
        let Some(i) = self.reqs.iter().position(|r| r.state == ReqState::Executing && r.cmd.cid() == cid && r.cmd.opc() != SPDK_NVME_OPC_FABRIC) else {
            return false;
        };
        self.abort_idx_in_bdev(i, cb, arg)
    }

    /// Asks the bdev layer to abort the I/Os of request `i` (executing).
    fn abort_idx_in_bdev(&mut self, i: usize, cb: crate::capi::bdev_types::spdk_bdev_io_completion_cb, arg: *mut std::ffi::c_void) -> bool {
        let r = &mut self.reqs[i];
        let rp = r as *mut Req;
        // SAFETY: the table of this connection's subsystem on this group
        // lives while the connection runs.
        let Some(ns) = (unsafe { &mut *self.ns }).get(r.cmd.nsid) else { return false };
        let ch = ns.channel();
        // The request is the callback argument of its bdev I/Os.
        !ch.is_null() && crate::bdev::abort::abort(ns.desc, ch, rp.cast(), cb, arg).is_ok()
    }

    /// Preempt and Abort: completes every command of this queue for
    /// namespace `nsid` that waits in the target with Command Aborted due
    /// to Preempt and Abort. Returns how many.
    pub fn abort_for_preempt(&mut self, g: &mut PollGroup, nsid: u32) -> usize {
        if self.state != State::Running || self.qid == 0 {
            return 0;
        }
        let mut n = 0;
        for i in 0..self.reqs.len() {
            let r = &self.reqs[i];
            if r.state != ReqState::Free && r.cmd.nsid == nsid && r.cmd.opc() != SPDK_NVME_OPC_FABRIC && self.abort_waiting(g, i as u16, SC_ABORTED_PREEMPT) {
                n += 1;
            }
        }
        n
    }

    /// Preempt and Abort, for the commands of this queue for namespace
    /// `nsid` a bdev has: each is marked preempted and the bdev layer is
    /// asked to abort it (`spdk_bdev_abort`); `arg()` makes the callback
    /// argument of one such abort, `undo` takes it back when the abort could
    /// not start. Returns how many aborts started (each calls `cb` once).
    pub fn preempt_in_bdev(
        &mut self,
        nsid: u32,
        cb: crate::capi::bdev_types::spdk_bdev_io_completion_cb,
        mut arg: impl FnMut() -> *mut std::ffi::c_void,
        mut undo: impl FnMut(*mut std::ffi::c_void),
    ) -> usize {
        if self.state != State::Running || self.qid == 0 || self.ns.is_null() {
            return 0;
        }
        let mut n = 0;
        for i in 0..self.reqs.len() {
            let r = &mut self.reqs[i];
            if r.state != ReqState::Executing || r.cmd.nsid != nsid || r.cmd.opc() == SPDK_NVME_OPC_FABRIC || self.fused_first == Some(i as u16) {
                continue;
            }
            r.preempted = true;
            let a = arg();
            if self.abort_idx_in_bdev(i, cb, a) {
                n += 1;
            } else {
                undo(a);
            }
        }
        n
    }

    /// Runs a command a transport plugged in through the C API received:
    /// `iovs` are its data buffers (the transport's), `token` its request,
    /// answered through the connection's [`crate::nvmf::ext::ExtConn`].
    /// False when every slot is taken (the transport exceeded its queue).
    pub fn ext_exec(&mut self, g: &mut PollGroup, cmd: Cmd, len: u32, iovs: &[libc::iovec], token: usize) -> bool {
        let Some(idx) = self.ext_take(cmd, len, token) else { return false };
        let contiguous = self.qid == 0 || cmd.opc() == SPDK_NVME_OPC_FABRIC;
        let r = &mut self.reqs[idx as usize];
        if r.dir != Dir::None {
            let have: usize = iovs.iter().map(|v| v.iov_len).sum();
            if have < len as usize {
                r.status(0, SC_DATA_SGL_LENGTH_INVALID);
                r.dnr();
                r.dir = Dir::None;
                self.respond(g, idx);
                return true;
            }
            r.ext_iovs.extend_from_slice(iovs);
            if contiguous && iovs[0].iov_len < len as usize {
                // Admin and fabrics handlers want their data in one piece.
                r.admin.clear();
                r.admin.resize(len as usize, 0);
                if r.dir == Dir::H2C {
                    let mut at = 0;
                    for v in iovs {
                        let n = v.iov_len.min(len as usize - at);
                        // SAFETY: the transport's buffer of at least `n` bytes, live until answered.
                        r.admin[at..at + n].copy_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, n) });
                        at += n;
                    }
                }
                r.buf = r.admin.as_mut_ptr();
                r.iovs.push(libc::iovec { iov_base: r.buf.cast(), iov_len: len as usize });
                r.ext_copy = true;
            } else {
                let mut left = len as usize;
                for v in iovs {
                    if left == 0 {
                        break;
                    }
                    let n = v.iov_len.min(left);
                    r.iovs.push(libc::iovec { iov_base: v.iov_base, iov_len: n });
                    left -= n;
                }
                if r.iovs.len() == 1 {
                    r.buf = r.iovs[0].iov_base.cast();
                }
            }
        }
        self.execute(g, idx);
        true
    }

    /// Starts a zero-copy Read or Write a transport plugged in through the
    /// C API received (`spdk_nvmf_request_zcopy_start`): the command runs
    /// the checks of any I/O (namespace, reservation, pause, range, length),
    /// then the namespace's bdev lends its buffers. The transport gets them
    /// through [`crate::nvmf::ext::ExtConn::lent`] or the command's error
    /// through `answer`. A command that cannot go this way (the transport's
    /// `zcopy` is off, an admin queue, not a plain Read or Write) fails with
    /// Invalid Field. False when every slot is taken.
    pub fn ext_zcopy_start(&mut self, g: &mut PollGroup, cmd: Cmd, len: u32, token: usize) -> bool {
        use crate::nvme::spec::nvm;
        let Some(idx) = self.ext_take(cmd, len, token) else { return false };
        let plain_rw = (cmd.opc() == nvm::READ || cmd.opc() == nvm::WRITE) && cmd.fuse() == 0;
        let r = &mut self.reqs[idx as usize];
        if !self.opts.zcopy || self.qid == 0 || !plain_rw {
            r.status(0, SC_INVALID_FIELD);
            r.dnr();
            r.dir = Dir::None;
            self.respond(g, idx);
            return true;
        }
        r.zc = true;
        self.execute(g, idx);
        true
    }

    /// Ends the lent zero-copy request `token` (`spdk_nvmf_request_zcopy_end`):
    /// `commit` writes the bdev's buffers to its blocks; the answer (the
    /// bdev's status) comes through `answer` once the bdev is done. False
    /// when no lent request is the transport's `token`.
    pub fn ext_zcopy_end(&mut self, token: usize, commit: bool) -> bool {
        let Some(r) = self.reqs.iter_mut().find(|r| r.state == ReqState::ZcopyLent && r.ext_req == token) else { return false };
        // Still counted outstanding: with the bdev again.
        r.state = ReqState::Executing;
        io::zcopy_end(r, commit);
        true
    }

    /// Takes a slot for a plugged-in transport's command `token`, set up as
    /// received (no data yet). None when closing or every slot is taken.
    fn ext_take(&mut self, cmd: Cmd, len: u32, token: usize) -> Option<u16> {
        if self.state != State::Running {
            return None;
        }
        let idx = self.free.pop()?;
        if self.sq_size > 0 {
            self.sq_head = (self.sq_head + 1) % self.sq_size;
        }
        let dir = if len == 0 { Dir::None } else { transfer_dir(&cmd) };
        self.reqs[idx as usize].begin(cmd, dir, len, token);
        Some(idx)
    }

    /// Whether the connection is up (not closing).
    pub fn running(&self) -> bool {
        self.state == State::Running
    }

    /// Requests queued at the transport or executing.
    pub fn reqs_in_use(&self) -> usize {
        self.reqs.len() - self.free.len()
    }
}
