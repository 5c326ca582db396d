//! Poll groups: an epoll set (level-triggered, polled with a zero timeout,
//! so never blocking) whose readable sockets get their callback called.
//! Each poll first flushes the queued writes of every member.

use super::{Errno, Result, Sock};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;

/// Called with the group and the socket when the socket is readable (or hung up).
pub type ReadyFn = Rc<dyn Fn(*mut Group, *mut Sock)>;

/// SPDK's `MAX_EVENTS_PER_POLL`.
pub const MAX_EVENTS_PER_POLL: usize = 32;

struct Member {
    sock: *mut Sock,
    cb: ReadyFn,
}

pub struct Group {
    epfd: i32,
    ctx: *mut c_void,
    members: HashMap<u64, Member>,
    /// Member ids in the order they were added (flush order).
    order: Vec<u64>,
    next_id: u64,
    /// Members whose receive pipe holds data (called back without an epoll event).
    pipe_ready: usize,
    /// Counts polls, so a socket is called back at most once per poll.
    gen: u64,
    /// Receive buffers the application provided (`buf`, `len`, `ctx`), used last-in first-out.
    pub(crate) pool: Vec<(*mut u8, usize, *mut c_void)>,
}

impl Group {
    pub fn new(ctx: *mut c_void) -> Result<Box<Group>> {
        // SAFETY: plain epoll creation.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            return Err(Errno::last());
        }
        Ok(Box::new(Group { epfd, ctx, members: HashMap::new(), order: Vec::new(), next_id: 1, pipe_ready: 0, gen: 0, pool: Vec::new() }))
    }

    pub fn ctx(&self) -> *mut c_void {
        self.ctx
    }

    /// Gives the group a receive buffer for [`Sock::recv_next`].
    pub fn provide_buf(&mut self, buf: *mut u8, len: usize, ctx: *mut c_void) -> Result<()> {
        if buf.is_null() || len == 0 {
            return Err(Errno(libc::EINVAL));
        }
        self.pool.push((buf, len, ctx));
        Ok(())
    }

    pub(crate) fn take_buf(&mut self) -> Option<(*mut u8, usize, *mut c_void)> {
        self.pool.pop()
    }

    /// Receive buffers waiting in the pool.
    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    pub(crate) fn pipe_ready_add(&mut self, d: isize) {
        self.pipe_ready = self.pipe_ready.saturating_add_signed(d);
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Adds a socket; `cb` runs from [`Group::poll`] whenever it is readable.
    /// A socket is in at most one group (`EINVAL`, as SPDK).
    ///
    /// # Safety
    /// `group` and `sock` are live; the socket stays live until removed.
    pub unsafe fn add(group: *mut Group, sock: *mut Sock, cb: ReadyFn) -> Result<()> {
        // SAFETY: per the contract.
        let (g, s) = unsafe { (&mut *group, &mut *sock) };
        if !s.group.is_null() {
            return Err(Errno(libc::EINVAL));
        }
        if s.fd < 0 {
            return Err(Errno(libc::EBADF));
        }
        let id = g.next_id;
        let mut ev = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLRDHUP) as u32, u64: id };
        // SAFETY: registering our socket's descriptor with our epoll set.
        if unsafe { libc::epoll_ctl(g.epfd, libc::EPOLL_CTL_ADD, s.fd, &mut ev) } < 0 {
            return Err(Errno::last());
        }
        g.next_id += 1;
        g.members.insert(id, Member { sock, cb });
        g.order.push(id);
        s.group = group;
        s.group_id = id;
        if s.pipe_len() > 0 {
            g.pipe_ready += 1;
        }
        Ok(())
    }

    /// Removes a socket (`EINVAL` if it is not in this group). Its queued
    /// writes stay queued; `Sock::flush` sends them.
    ///
    /// # Safety
    /// `group` and `sock` are live.
    pub unsafe fn remove(group: *mut Group, sock: *mut Sock) -> Result<()> {
        // SAFETY: per the contract.
        let (g, s) = unsafe { (&mut *group, &mut *sock) };
        if s.group != group || !g.members.contains_key(&s.group_id) {
            return Err(Errno(libc::EINVAL));
        }
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: unregistering the socket's descriptor from our epoll set.
        let rc = unsafe { libc::epoll_ctl(g.epfd, libc::EPOLL_CTL_DEL, s.fd, &mut ev) };
        let err = if rc < 0 { Some(Errno::last()) } else { None };
        g.members.remove(&s.group_id);
        let id = s.group_id;
        g.order.retain(|&x| x != id);
        s.group = std::ptr::null_mut();
        s.group_id = 0;
        if s.pipe_len() > 0 {
            g.pipe_ready -= 1;
        }
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Flushes every member's queued writes, then calls the callback of up
    /// to `max_events` readable members. Returns the number of callbacks run.
    /// Callbacks may add, remove and close sockets (a removed one is skipped);
    /// they must not close the group itself or poll it again.
    ///
    /// # Safety
    /// `group` is live, and so is every member.
    pub unsafe fn poll(group: *mut Group, max_events: usize) -> Result<usize> {
        if max_events == 0 {
            return Err(Errno(libc::EINVAL));
        }
        // Flush in order. A flush callback may change membership: walk by
        // index and look each id up again (a shifted member waits a poll).
        let mut i = 0;
        // SAFETY: per the contract.
        while let Some(id) = unsafe { (&*group).order.get(i).copied() } {
            i += 1;
            // SAFETY: as above.
            let s = match unsafe { (*group).members.get(&id) } {
                Some(m) => m.sock,
                None => continue,
            };
            // SAFETY: members are live. Errors failed that socket's requests already.
            let _ = unsafe { Sock::flush(s) };
        }
        // SAFETY: per the contract.
        let gen = unsafe {
            (*group).gen += 1;
            (*group).gen
        };
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS_PER_POLL];
        let want = max_events.min(MAX_EVENTS_PER_POLL);
        // SAFETY: waiting, without blocking, on our epoll set into a local array.
        let n = unsafe { libc::epoll_wait((*group).epfd, events.as_mut_ptr(), want as i32, 0) };
        if n < 0 {
            let e = Errno::last();
            return if e.0 == libc::EINTR { Ok(0) } else { Err(e) };
        }
        let mut ran = 0;
        for ev in &events[..n as usize] {
            let id = ev.u64;
            // SAFETY: the group is live; the member may have left since.
            let Some(s) = (unsafe { (*group).members.get(&id) }).map(|m| m.sock) else { continue };
            // Zero-copy notifications raise EPOLLERR: reap them; if that was
            // all the event said, the socket is not readable (no callback).
            // SAFETY: s is a live member.
            if ev.events & libc::EPOLLERR as u32 != 0 && unsafe { (*s).zcopy } {
                // SAFETY: as above; request callbacks may remove or close it.
                let reaped = unsafe { Sock::reap_completions(s) };
                if reaped > 0 && ev.events & !(libc::EPOLLERR as u32) == 0 {
                    continue;
                }
            }
            // SAFETY: the group is live; look the member up again.
            let (s, cb) = match unsafe { (*group).members.get(&id) } {
                Some(m) => (m.sock, m.cb.clone()),
                None => continue,
            };
            // SAFETY: s is a live member.
            unsafe { (*s).polled_gen = gen };
            cb(group, s);
            ran += 1;
        }
        // Members with data left in their receive pipe are readable even
        // though the kernel has nothing more for them.
        let mut i = 0;
        // SAFETY: the group is live; membership is looked up again each time.
        while ran < want && unsafe { (*group).pipe_ready } > 0 {
            // SAFETY: as above.
            let Some(id) = (unsafe { (&*group).order.get(i).copied() }) else { break };
            i += 1;
            // SAFETY: as above.
            let (s, cb) = match unsafe { (*group).members.get(&id) } {
                Some(m) => (m.sock, m.cb.clone()),
                None => continue,
            };
            // SAFETY: s is a live member.
            if unsafe { (*s).polled_gen == gen || (*s).pipe_len() == 0 } {
                continue;
            }
            // SAFETY: as above.
            unsafe { (*s).polled_gen = gen };
            cb(group, s);
            ran += 1;
        }
        Ok(ran)
    }

    /// Frees an empty group (`EBUSY` while sockets remain in it).
    ///
    /// # Safety
    /// `group` came from `Box::into_raw` of a [`Group`] and is not used after Ok.
    pub unsafe fn close(group: *mut Group) -> Result<()> {
        // SAFETY: per the contract.
        unsafe {
            if !(*group).members.is_empty() {
                return Err(Errno(libc::EBUSY));
            }
            drop(Box::from_raw(group));
        }
        Ok(())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: the group owns its epoll descriptor.
        unsafe { libc::close(self.epfd) };
    }
}
