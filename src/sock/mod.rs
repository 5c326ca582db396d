//! The socket layer (SPDK's `sock.h`): non-blocking TCP sockets with queued
//! asynchronous writes, and poll groups that tell when sockets are readable.
//!
//! One implementation exists, "posix" (see [`posix`]): plain kernel sockets,
//! epoll underneath the groups ([`group`]), `MSG_ZEROCOPY` sends where the
//! kernel offers them. A socket belongs to one thread; nothing here locks on
//! the I/O path and queued writes are kept in the caller's
//! `spdk_sock_request`s (an intrusive queue), so writing allocates nothing.
//!
//! Write requests complete in submission order, from [`Sock::flush`] (which a
//! group poll runs for each of its sockets) once all their bytes are in the
//! kernel and, for zero-copy sends, once the kernel says it let go of them.
//!
//! The receive pipe (`enable_recv_pipe`, sized by `spdk_sock_set_recvbuf`)
//! lets one `readv` fill the caller's buffers and then the pipe, so a reader
//! taking a small header and then the rest costs one system call; a group
//! keeps calling back sockets whose pipe still holds data.
//!
//! Not implemented: placement ids, TLS (the "ssl" implementation) and
//! kernel TLS.

pub mod group;
pub mod posix;

pub use crate::capi::sock::spdk_sock_request;
pub use group::Group;
use std::ffi::c_void;
use std::os::fd::RawFd;

#[cfg(test)]
pub(crate) mod tests;

/// An errno value (positive); SPDK's C surface returns it negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The calling thread's `errno`.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
    }
}

pub type Result<T> = std::result::Result<T, Errno>;

/// Largest number of iovecs handed to one `sendmsg` (SPDK's `IOV_BATCH_SIZE`).
pub const IOV_BATCH_SIZE: usize = 64;
/// SPDK's default socket buffer sizes for the posix implementation.
pub const DEFAULT_BUF_SIZE: u32 = 2 * 1024 * 1024;

/// Options of the posix implementation (`struct spdk_sock_impl_opts` less the
/// TLS-only pointers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImplOpts {
    pub recv_buf_size: u32,
    pub send_buf_size: u32,
    pub enable_recv_pipe: bool,
    pub enable_quickack: bool,
    pub enable_placement_id: u32,
    pub enable_zerocopy_send_server: bool,
    pub enable_zerocopy_send_client: bool,
    pub zerocopy_threshold: u32,
    pub tls_version: u32,
    pub enable_ktls: bool,
}

impl ImplOpts {
    /// SPDK's defaults for the posix implementation.
    pub const DEFAULT: ImplOpts = ImplOpts {
        recv_buf_size: DEFAULT_BUF_SIZE,
        send_buf_size: DEFAULT_BUF_SIZE,
        enable_recv_pipe: true,
        enable_quickack: false,
        enable_placement_id: 0,
        enable_zerocopy_send_server: true,
        enable_zerocopy_send_client: false,
        zerocopy_threshold: 0,
        tls_version: 0,
        enable_ktls: false,
    };
}

impl Default for ImplOpts {
    fn default() -> Self {
        ImplOpts::DEFAULT
    }
}

/// Per-socket options (`struct spdk_sock_opts`).
#[derive(Debug, Clone)]
pub struct SockOpts {
    pub priority: i32,
    pub zcopy: bool,
    pub ack_timeout_ms: u32,
    /// Overrides the implementation's global options for this socket.
    pub impl_opts: Option<ImplOpts>,
    pub src_addr: Option<String>,
    pub src_port: u16,
    /// Milliseconds a connect may take (0: no limit).
    pub connect_timeout_ms: u32,
}

impl Default for SockOpts {
    fn default() -> Self {
        SockOpts { priority: 0, zcopy: true, ack_timeout_ms: 0, impl_opts: None, src_addr: None, src_port: 0, connect_timeout_ms: 0 }
    }
}

/// The only implementation's name.
pub const IMPL_POSIX: &str = "posix";

/// Whether `name` (None: the default) names an implementation we have.
pub fn impl_known(name: Option<&str>) -> bool {
    name.map_or(true, |n| n == IMPL_POSIX)
}

/// The current options of implementation `name`.
pub fn impl_get_opts(name: &str) -> Result<ImplOpts> {
    if name != IMPL_POSIX {
        return Err(Errno(libc::EINVAL));
    }
    Ok(*posix::OPTS.lock())
}

/// Replaces the options of implementation `name`.
pub fn impl_set_opts(name: &str, opts: ImplOpts) -> Result<()> {
    if name != IMPL_POSIX {
        return Err(Errno(libc::EINVAL));
    }
    *posix::OPTS.lock() = opts;
    Ok(())
}

/// Selects the default implementation (only "posix" exists).
pub fn set_default_impl(name: &str) -> Result<()> {
    if name != IMPL_POSIX {
        return Err(Errno(libc::EINVAL));
    }
    Ok(())
}

/// The "sock" subsystem: nothing to start or stop; it carries the socket
/// options in JSON configs (`sock_impl_set_options`, `sock_set_default_impl`).
pub static SUBSYSTEM: crate::event::subsystem::Subsystem =
    crate::event::subsystem::Subsystem { name: "sock", depends_on: &[], init: |done| done(0), fini: |done| done(0) };

/// An intrusive FIFO of write requests, linked through `internal.link.tqe_next`.
#[derive(Debug)]
pub(crate) struct ReqQueue {
    head: *mut spdk_sock_request,
    tail: *mut spdk_sock_request,
}

impl ReqQueue {
    const fn new() -> Self {
        ReqQueue { head: std::ptr::null_mut(), tail: std::ptr::null_mut() }
    }

    fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// # Safety
    /// `r` is a live request on no queue, staying valid until it is popped.
    unsafe fn push(&mut self, r: *mut spdk_sock_request) {
        // SAFETY: per the contract; the tail is a live queued request.
        unsafe {
            (*r).internal.link.tqe_next = std::ptr::null_mut();
            (*r).internal.link.tqe_prev = std::ptr::null_mut();
            (*r).internal.curr_list = (self as *mut ReqQueue).cast();
            if self.tail.is_null() {
                self.head = r;
            } else {
                (*self.tail).internal.link.tqe_next = r;
            }
        }
        self.tail = r;
    }

    fn pop(&mut self) -> Option<*mut spdk_sock_request> {
        if self.head.is_null() {
            return None;
        }
        let r = self.head;
        // SAFETY: queued requests stay valid until popped (push contract).
        unsafe {
            self.head = (*r).internal.link.tqe_next;
            (*r).internal.link.tqe_next = std::ptr::null_mut();
            (*r).internal.curr_list = std::ptr::null_mut();
        }
        if self.head.is_null() {
            self.tail = std::ptr::null_mut();
        }
        Some(r)
    }
}

/// The iovecs following a request.
///
/// # Safety
/// `r` is a live request followed by `iovcnt` iovecs.
pub(crate) unsafe fn req_iovs<'a>(r: *mut spdk_sock_request) -> &'a [libc::iovec] {
    // SAFETY: per the contract (SPDK's layout: the iovec array follows the struct).
    unsafe {
        let n = (*r).iovcnt.max(0) as usize;
        std::slice::from_raw_parts(r.add(1).cast::<libc::iovec>(), n)
    }
}

/// `readv` with the result as bytes or the error.
///
/// # Safety
/// `iov` points to `iovcnt` iovecs describing writable memory.
unsafe fn sys_readv(fd: RawFd, iov: *mut libc::iovec, iovcnt: i32) -> Result<usize> {
    // SAFETY: per the contract.
    let n = unsafe { libc::readv(fd, iov, iovcnt) };
    if n < 0 {
        Err(Errno::last())
    } else {
        Ok(n as usize)
    }
}

fn req_len(iovs: &[libc::iovec]) -> usize {
    iovs.iter().map(|v| v.iov_len).sum()
}

/// A socket of the posix implementation.
pub struct Sock {
    pub(crate) fd: RawFd,
    listening: bool,
    /// Accepted (server side) rather than connected (client side).
    server: bool,
    pub(crate) zcopy: bool,
    opts: ImplOpts,
    sock_opts: SockOpts,
    queued: ReqQueue,
    queued_iovcnt: usize,
    /// Fully written, waiting for their zero-copy notifications (or for an
    /// earlier request's) before completing in order.
    sent: ReqQueue,
    sendmsg_idx: u32,
    /// Every zero-copy send index below this one is released by the kernel.
    zc_done: u32,
    /// Released ranges beyond `zc_done` (notifications out of order).
    zc_ranges: Vec<(u32, u32)>,
    pub(crate) group: *mut Group,
    pub(crate) group_id: u64,
    cb_depth: u32,
    closed: bool,
    free_pending: bool,
    /// The interface name once asked for (C callers keep a pointer to it).
    iface: Option<std::ffi::CString>,
    pipe: Option<RecvPipe>,
    /// The group poll that last called this socket back.
    pub(crate) polled_gen: u64,
}

/// Bytes read from the kernel ahead of the application (`buf[start..end]`).
struct RecvPipe {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// Smallest receive pipe (SPDK's `MIN_SOCK_PIPE_SIZE`).
pub const MIN_SOCK_PIPE_SIZE: usize = 1024;

impl Sock {
    pub(crate) fn new(fd: RawFd, listening: bool, server: bool, zcopy: bool, opts: ImplOpts, sock_opts: SockOpts) -> Box<Sock> {
        Box::new(Sock {
            fd,
            listening,
            server,
            zcopy,
            opts,
            sock_opts,
            queued: ReqQueue::new(),
            queued_iovcnt: 0,
            sent: ReqQueue::new(),
            sendmsg_idx: 0,
            zc_done: 0,
            zc_ranges: Vec::new(),
            group: std::ptr::null_mut(),
            group_id: 0,
            cb_depth: 0,
            closed: false,
            free_pending: false,
            iface: None,
            pipe: None,
            polled_gen: 0,
        })
    }

    /// Listens on `ip`:`port` (port 0: an ephemeral port).
    pub fn listen(ip: &str, port: i32, opts: &SockOpts) -> Result<Box<Sock>> {
        posix::listen(ip, port, opts)
    }

    /// Connects to `ip`:`port`; returns once connected (or failed).
    pub fn connect(ip: &str, port: i32, opts: &SockOpts) -> Result<Box<Sock>> {
        posix::connect(ip, port, opts)
    }

    /// A pending connection of a listening socket; `EAGAIN` when none waits.
    pub fn accept(&self) -> Result<Box<Sock>> {
        posix::accept(self)
    }

    pub fn fd(&self) -> RawFd {
        self.fd
    }

    pub fn is_listening(&self) -> bool {
        self.listening
    }

    pub fn is_server(&self) -> bool {
        self.server
    }

    /// Whether sends of this socket use `MSG_ZEROCOPY`.
    pub fn zcopy(&self) -> bool {
        self.zcopy
    }

    pub fn impl_opts(&self) -> &ImplOpts {
        &self.opts
    }

    pub fn sock_opts(&self) -> &SockOpts {
        &self.sock_opts
    }

    pub fn in_group(&self) -> bool {
        !self.group.is_null()
    }

    /// Bytes read (0: the peer closed), or the error (`EAGAIN`: nothing yet).
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        // SAFETY: one iovec over `buf`, borrowed mutably for the call.
        unsafe { self.readv_raw(&mut iov, 1) }
    }

    /// Scatters what can be read into `iovs` (same results as [`Sock::recv`]).
    ///
    /// # Safety
    /// `iov` points to `iovcnt` iovecs describing writable memory.
    pub unsafe fn readv_raw(&mut self, iov: *mut libc::iovec, iovcnt: i32) -> Result<usize> {
        if self.closed || self.listening {
            return Err(Errno(libc::EBADF));
        }
        if iovcnt < 0 {
            return Err(Errno(libc::EINVAL));
        }
        let Some(pipe) = self.pipe.as_mut() else {
            // SAFETY: per the contract.
            return sys_readv(self.fd, iov, iovcnt);
        };
        // SAFETY: per the contract.
        let iovs = unsafe { std::slice::from_raw_parts(iov, iovcnt as usize) };
        let want = req_len(iovs);
        if pipe.end > pipe.start {
            // Serve from the pipe first (without touching the kernel).
            let mut done = 0;
            for v in iovs {
                let k = v.iov_len.min(pipe.end - pipe.start);
                // SAFETY: k bytes into the caller's buffer from the pipe.
                unsafe { std::ptr::copy_nonoverlapping(pipe.buf.as_ptr().add(pipe.start), v.iov_base.cast::<u8>(), k) };
                pipe.start += k;
                done += k;
                if pipe.start == pipe.end {
                    break;
                }
            }
            if pipe.start == pipe.end {
                pipe.start = 0;
                pipe.end = 0;
                self.pipe_drained();
            }
            return Ok(done);
        }
        if want == 0 || want >= pipe.buf.len() || iovs.len() >= IOV_BATCH_SIZE {
            // SAFETY: per the contract.
            return sys_readv(self.fd, iov, iovcnt);
        }
        // One readv: the caller's buffers, then the pipe.
        let mut all = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; IOV_BATCH_SIZE + 1];
        all[..iovs.len()].copy_from_slice(iovs);
        all[iovs.len()] = libc::iovec { iov_base: pipe.buf.as_mut_ptr().cast(), iov_len: pipe.buf.len() };
        // SAFETY: the caller's iovecs plus the pipe's buffer.
        let n = sys_readv(self.fd, all.as_mut_ptr(), iovs.len() as i32 + 1)?;
        if n > want {
            pipe.end = n - want;
            self.pipe_filled();
            return Ok(want);
        }
        Ok(n)
    }

    /// Reads the next part of the stream into a buffer taken from the
    /// group's pool ([`Group::provide_buf`]): returns it with its length and
    /// context; the buffer belongs to the caller again. Nothing to read, an
    /// error or end of stream put the buffer back in the pool (`Ok(None)` at
    /// end of stream). Errors: `EINVAL` outside a group, `ENOBUFS` with an
    /// empty pool, `EAGAIN` when nothing waits.
    pub fn recv_next(&mut self) -> Result<Option<(*mut u8, usize, *mut c_void)>> {
        if self.group.is_null() {
            return Err(Errno(libc::EINVAL));
        }
        // SAFETY: a member's group outlives its membership.
        let Some((buf, len, ctx)) = (unsafe { (*self.group).take_buf() }) else { return Err(Errno(libc::ENOBUFS)) };
        let mut iov = libc::iovec { iov_base: buf.cast(), iov_len: len };
        // SAFETY: the provided buffer of len bytes, the application's to fill.
        let r = unsafe { self.readv_raw(&mut iov, 1) };
        match r {
            Ok(n) if n > 0 => Ok(Some((buf, n, ctx))),
            other => {
                // SAFETY: as above; the buffer goes back where it came from.
                unsafe { (*self.group).pool.push((buf, len, ctx)) };
                other.map(|_| None)
            }
        }
    }

    /// Bytes waiting in the receive pipe.
    pub fn pipe_len(&self) -> usize {
        self.pipe.as_ref().map_or(0, |p| p.end - p.start)
    }

    /// Whether the socket has a receive pipe.
    pub fn has_pipe(&self) -> bool {
        self.pipe.is_some()
    }

    fn pipe_filled(&mut self) {
        if !self.group.is_null() {
            // SAFETY: a member's group outlives its membership.
            unsafe { (*self.group).pipe_ready_add(1) };
        }
    }

    fn pipe_drained(&mut self) {
        if !self.group.is_null() {
            // SAFETY: a member's group outlives its membership.
            unsafe { (*self.group).pipe_ready_add(-1) };
        }
    }

    /// Writes what the kernel takes at once, before anything queued by
    /// `writev_async` (that would reorder the stream: `EAGAIN` while requests wait).
    ///
    /// # Safety
    /// `iov` points to `iovcnt` iovecs describing readable memory.
    pub unsafe fn writev_raw(&mut self, iov: *const libc::iovec, iovcnt: i32) -> Result<usize> {
        if self.closed || self.listening {
            return Err(Errno(libc::EBADF));
        }
        if iovcnt < 0 {
            return Err(Errno(libc::EINVAL));
        }
        if !self.queued.is_empty() {
            return Err(Errno(libc::EAGAIN));
        }
        // SAFETY: an all-zero msghdr is valid; the iovecs are the caller's.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov as *mut libc::iovec;
        msg.msg_iovlen = iovcnt as usize;
        // SAFETY: a valid msghdr over the caller's iovecs.
        let n = unsafe { libc::sendmsg(self.fd, &msg, libc::MSG_NOSIGNAL) };
        if n < 0 {
            Err(Errno::last())
        } else {
            Ok(n as usize)
        }
    }

    /// Queues a write request; it completes (its callback runs) in order from
    /// a later flush. On a closed socket it completes at once with `-EBADF`.
    ///
    /// # Safety
    /// `sock` is live; `req` is a live request followed by `req.iovcnt`
    /// iovecs, and it and the data stay valid until its callback runs.
    pub unsafe fn writev_async(sock: *mut Sock, req: *mut spdk_sock_request) {
        // SAFETY: per the contract.
        unsafe {
            (*req).internal.offset = 0;
            (*req).internal.zcopy_idx = 0;
            (*req).internal.pending_zcopy = false;
            if (*sock).closed || (*sock).listening || (*req).iovcnt < 0 {
                let err = if (*req).iovcnt < 0 { -libc::EINVAL } else { -libc::EBADF };
                Sock::call_req(sock, req, err);
                Sock::end_callbacks(sock);
                return;
            }
            (*sock).queued_iovcnt += (*req).iovcnt as usize;
            (*sock).queued.push(req);
            if (*sock).queued_iovcnt >= IOV_BATCH_SIZE {
                let _ = Sock::flush(sock);
            }
        }
    }

    /// Runs a request's callback with the socket marked as in a callback.
    ///
    /// # Safety
    /// `sock` is live and `req` is off every queue.
    unsafe fn call_req(sock: *mut Sock, req: *mut spdk_sock_request, status: i32) {
        // SAFETY: per the contract; the callback is the application's.
        unsafe {
            (*sock).cb_depth += 1;
            if let Some(f) = (*req).cb_fn {
                f((*req).cb_arg, status);
            }
            (*sock).cb_depth -= 1;
        }
    }

    /// Frees the socket if it was closed from inside a callback that has now
    /// returned. Returns true when it was freed.
    ///
    /// # Safety
    /// `sock` is live; after true it is gone.
    unsafe fn end_callbacks(sock: *mut Sock) -> bool {
        // SAFETY: per the contract; a close from a callback left the box to us.
        unsafe {
            if (*sock).cb_depth == 0 && (*sock).free_pending {
                drop(Box::from_raw(sock));
                return true;
            }
        }
        false
    }

    /// Reads the kernel's zero-copy notifications, if any send awaits one.
    /// Returns how many ranges were released.
    fn reap(&mut self) -> usize {
        let mut n = 0;
        if self.zcopy && self.zc_done != self.sendmsg_idx {
            let fd = self.fd;
            posix::reap_zcopy(fd, |lo, hi| {
                self.zc_release(lo, hi);
                n += 1;
            });
        }
        n
    }

    /// Reaps zero-copy notifications and completes the requests they free.
    /// Returns how many notifications were read. As with [`Sock::flush`],
    /// the socket may be gone afterwards.
    ///
    /// # Safety
    /// `sock` is live.
    pub unsafe fn reap_completions(sock: *mut Sock) -> usize {
        // SAFETY: per the contract.
        unsafe {
            if (*sock).closed {
                return 0;
            }
            let n = (*sock).reap();
            Sock::complete_done(sock, None);
            Sock::end_callbacks(sock);
            n
        }
    }

    fn zc_is_done(&self, idx: u32) -> bool {
        // idx is released when it lies below zc_done, modulo wrap-around.
        self.zc_done.wrapping_sub(idx).wrapping_sub(1) < (1 << 31)
    }

    fn zc_release(&mut self, lo: u32, hi: u32) {
        self.zc_ranges.push((lo, hi));
        while let Some(i) = self.zc_ranges.iter().position(|&(l, h)| l == self.zc_done || (self.zc_is_done(l) && !self.zc_is_done(h))) {
            let (_, h) = self.zc_ranges.swap_remove(i);
            self.zc_done = h.wrapping_add(1);
        }
        let done = self.zc_done;
        self.zc_ranges.retain(|&(_, h)| done.wrapping_sub(h).wrapping_sub(1) >= (1 << 31));
    }

    /// Sends what is queued (as much as the kernel takes), reaps zero-copy
    /// notifications and completes the requests that are done, in order.
    /// Returns the bytes sent. The socket may be gone afterwards if a
    /// callback closed it: callers must not touch it again.
    ///
    /// # Safety
    /// `sock` is live.
    pub unsafe fn flush(sock: *mut Sock) -> Result<usize> {
        // SAFETY: per the contract; requests on the queues are live (writev_async contract).
        unsafe {
            let s = &mut *sock;
            if s.closed {
                return Err(Errno(libc::EBADF));
            }
            s.reap();
            let mut total = 0usize;
            let mut error = None;
            while !s.queued.is_empty() {
                match s.send_batch() {
                    Ok((n, full)) => {
                        total += n;
                        if !full {
                            break;
                        }
                    }
                    Err(e) if e.0 == libc::EAGAIN || e.0 == libc::EWOULDBLOCK => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            Sock::complete_done(sock, error);
            if Sock::end_callbacks(sock) {
                return match error {
                    Some(e) => Err(e),
                    None => Ok(total),
                };
            }
            match error {
                Some(e) => Err(e),
                None => Ok(total),
            }
        }
    }

    /// One `sendmsg` of up to [`IOV_BATCH_SIZE`] iovecs from the queue.
    /// Returns the bytes sent and whether the kernel took all that was offered.
    fn send_batch(&mut self) -> Result<(usize, bool)> {
        let mut iovs = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; IOV_BATCH_SIZE];
        let mut cnt = 0usize;
        let mut offered = 0usize;
        let mut r = self.queued.head;
        'fill: while !r.is_null() {
            // SAFETY: queued requests are live.
            let (v, mut skip, next) = unsafe { (req_iovs(r), (*r).internal.offset as usize, (*r).internal.link.tqe_next) };
            for iov in v {
                if skip >= iov.iov_len {
                    skip -= iov.iov_len;
                    continue;
                }
                if cnt == IOV_BATCH_SIZE {
                    break 'fill;
                }
                // SAFETY: inside the caller's buffer.
                iovs[cnt] = libc::iovec { iov_base: unsafe { iov.iov_base.cast::<u8>().add(skip) }.cast(), iov_len: iov.iov_len - skip };
                offered += iov.iov_len - skip;
                skip = 0;
                cnt += 1;
            }
            r = next;
        }
        let use_zc = self.zcopy && offered > 0 && offered >= self.opts.zerocopy_threshold as usize;
        let mut flags = libc::MSG_NOSIGNAL;
        if use_zc {
            flags |= libc::MSG_ZEROCOPY;
        }
        // SAFETY: an all-zero msghdr is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iovs.as_mut_ptr();
        msg.msg_iovlen = cnt;
        // SAFETY: the iovecs describe live request buffers.
        let n = unsafe { libc::sendmsg(self.fd, &msg, flags) };
        if n < 0 {
            return Err(Errno::last());
        }
        let mut left = n as usize;
        let idx = self.sendmsg_idx;
        if use_zc && n > 0 {
            self.sendmsg_idx = self.sendmsg_idx.wrapping_add(1);
        }
        while left > 0 {
            let r = self.queued.head;
            // SAFETY: bytes were sent, so a request is queued; it is live.
            unsafe {
                let len = req_len(req_iovs(r));
                let rem = len - (*r).internal.offset as usize;
                if use_zc {
                    (*r).internal.pending_zcopy = true;
                    (*r).internal.zcopy_idx = idx;
                }
                if left >= rem {
                    left -= rem;
                    self.queued.pop();
                    self.queued_iovcnt -= (*r).iovcnt as usize;
                    (*r).internal.offset = len as u32;
                    self.sent.push(r);
                } else {
                    (*r).internal.offset += left as u32;
                    left = 0;
                }
            }
        }
        // Zero-length requests at the head are done too.
        // SAFETY: queued requests are live.
        while !self.queued.head.is_null() && unsafe { req_len(req_iovs(self.queued.head)) == 0 } {
            let r = self.queued.pop().unwrap();
            // SAFETY: as above.
            self.queued_iovcnt -= unsafe { (*r).iovcnt } as usize;
            // SAFETY: r was just popped, so it is on no queue.
            unsafe { self.sent.push(r) };
        }
        Ok((n as usize, n as usize == offered))
    }

    /// Completes, in order, the sent requests the kernel is done with; after
    /// a send error, fails every request still waiting.
    ///
    /// # Safety
    /// `sock` is live.
    unsafe fn complete_done(sock: *mut Sock, error: Option<Errno>) {
        // SAFETY: per the contract; callbacks may queue more requests or
        // close the socket (then freeing is deferred to end_callbacks).
        unsafe {
            loop {
                let s = &mut *sock;
                let r = s.sent.head;
                if r.is_null() {
                    break;
                }
                if (*r).internal.pending_zcopy && !s.zc_is_done((*r).internal.zcopy_idx) && error.is_none() && !s.closed {
                    break;
                }
                s.sent.pop();
                (*r).internal.pending_zcopy = false;
                let status = if let Some(e) = error { -e.0 } else if s.closed { -libc::ECANCELED } else { 0 };
                Sock::call_req(sock, r, status);
            }
            if let Some(e) = error {
                Sock::abort_queued(sock, -e.0);
            }
        }
    }

    /// Fails every queued request with `status`.
    ///
    /// # Safety
    /// `sock` is live.
    unsafe fn abort_queued(sock: *mut Sock, status: i32) {
        // SAFETY: per the contract.
        unsafe {
            while let Some(r) = (*sock).queued.pop() {
                (*sock).queued_iovcnt -= (*r).iovcnt as usize;
                Sock::call_req(sock, r, status);
            }
        }
    }

    /// Closes the socket: requests still waiting complete with `-ECANCELED`.
    /// A socket still in a group is refused (`EBUSY`); remove it first.
    ///
    /// # Safety
    /// `sock` came from `Box::into_raw` of a [`Sock`] and is not used after Ok.
    pub unsafe fn close(sock: *mut Sock) -> Result<()> {
        // SAFETY: per the contract.
        unsafe {
            if !(*sock).group.is_null() {
                return Err(Errno(libc::EBUSY));
            }
            if (*sock).closed {
                return Err(Errno(libc::EBADF));
            }
            (*sock).closed = true;
            (*sock).cb_depth += 1;
            Sock::complete_done(sock, None);
            Sock::abort_queued(sock, -libc::ECANCELED);
            (*sock).cb_depth -= 1;
            libc::close((*sock).fd);
            (*sock).fd = -1;
            (*sock).free_pending = true;
            Sock::end_callbacks(sock);
        }
        Ok(())
    }

    /// Requests queued or sent and not yet completed.
    pub fn pending_requests(&self) -> usize {
        let mut n = 0;
        for q in [&self.queued, &self.sent] {
            let mut r = q.head;
            while !r.is_null() {
                n += 1;
                // SAFETY: queued requests are live.
                r = unsafe { (*r).internal.link.tqe_next };
            }
        }
        n
    }

    /// The local and peer address and port.
    pub fn getaddr(&self) -> Result<(String, u16, String, u16)> {
        let (la, lp) = posix::sockname(self.fd, false)?;
        let (pa, pp) = posix::sockname(self.fd, true)?;
        Ok((la, lp, pa, pp))
    }

    /// The local address and port (also of a listening socket).
    pub fn local_addr(&self) -> Result<(String, u16)> {
        posix::sockname(self.fd, false)
    }

    /// Address family of the local address (`AF_INET` / `AF_INET6`).
    pub fn family(&self) -> Result<i32> {
        posix::family(self.fd)
    }

    pub fn set_recvlowat(&mut self, nbytes: i32) -> Result<()> {
        posix::setsockopt_int(self.fd, libc::SOL_SOCKET, libc::SO_RCVLOWAT, nbytes)
    }

    /// Sets the receive buffer, at least the implementation's `recv_buf_size`,
    /// and (with `enable_recv_pipe`) a receive pipe of `sz` bytes; 0 removes
    /// the pipe. A pipe still holding data is not resized (`EBUSY`).
    pub fn set_recvbuf(&mut self, sz: i32) -> Result<()> {
        if sz < 0 {
            return Err(Errno(libc::EINVAL));
        }
        if self.opts.enable_recv_pipe && !self.listening {
            let want = sz as usize;
            if self.pipe.as_ref().map_or(0, |p| p.buf.len()) != want {
                if self.pipe_len() > 0 {
                    return Err(Errno(libc::EBUSY));
                }
                self.pipe = (want >= MIN_SOCK_PIPE_SIZE).then(|| RecvPipe { buf: vec![0u8; want].into_boxed_slice(), start: 0, end: 0 });
            }
        }
        let sz = sz.max(self.opts.recv_buf_size.min(i32::MAX as u32) as i32);
        posix::setsockopt_int(self.fd, libc::SOL_SOCKET, libc::SO_RCVBUF, sz)
    }

    /// Sets the send buffer, at least the implementation's `send_buf_size`.
    pub fn set_sendbuf(&mut self, sz: i32) -> Result<()> {
        let sz = sz.max(self.opts.send_buf_size.min(i32::MAX as u32) as i32);
        posix::setsockopt_int(self.fd, libc::SOL_SOCKET, libc::SO_SNDBUF, sz)
    }

    /// Whether the connection is up: not listening, no error, no orderly
    /// shutdown from the peer seen at the head of the stream.
    pub fn is_connected(&self) -> bool {
        if self.closed || self.listening {
            return false;
        }
        if self.pipe_len() > 0 {
            return true;
        }
        let mut b = 0u8;
        // SAFETY: a one-byte peek into a local.
        let n = unsafe { libc::recv(self.fd, (&mut b as *mut u8).cast::<c_void>(), 1, libc::MSG_PEEK) };
        if n == 0 {
            return false;
        }
        if n < 0 {
            let e = Errno::last().0;
            return e == libc::EAGAIN || e == libc::EWOULDBLOCK;
        }
        true
    }

    /// The interface holding the local address, if any.
    pub fn interface_name(&self) -> Option<String> {
        posix::interface_of(self.fd)
    }

    /// The interface name as a C string that lives as long as the socket.
    pub fn interface_name_c(&mut self) -> Option<&std::ffi::CStr> {
        if self.iface.is_none() {
            self.iface = self.interface_name().and_then(|n| std::ffi::CString::new(n).ok());
        }
        self.iface.as_deref()
    }

    /// NUMA node of the local address's network device, if known.
    pub fn numa_id(&self) -> Option<i32> {
        let name = self.interface_name()?;
        let s = std::fs::read_to_string(format!("/sys/class/net/{name}/device/numa_node")).ok()?;
        s.trim().parse::<i32>().ok().filter(|&n| n >= 0)
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        if self.fd >= 0 {
            // SAFETY: the socket owns its descriptor.
            unsafe { libc::close(self.fd) };
        }
    }
}
