//! Poll groups of the NVMe-oF target: one SPDK thread per reactor core,
//! each polling its connections' sockets (one epoll set) and owning, per
//! subsystem, a table of its namespaces with this thread's bdev channels.
//! Everything in a group is touched only by its own thread; the app thread
//! reaches it by message.

use super::tcp::qpair::TcpQpair;
use crate::bdev::{self, Desc};
use crate::capi::bdev_types::spdk_bdev;
use crate::capi::thread::spdk_io_channel;
use crate::env::mempool::Mempool;
use crate::sock::group::Group as SockGroup;
use crate::thread::{self, Thread};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::c_void;

/// One namespace as the I/O path sees it on one thread.
pub struct NsEntry {
    pub desc: *mut Desc,
    pub bdev: *mut spdk_bdev,
    /// This thread's channel, taken on first use.
    pub ch: *mut spdk_io_channel,
    pub block_size: u32,
    pub num_blocks: u64,
}

impl NsEntry {
    /// This thread's channel to the namespace's bdev (null if none could be had).
    pub fn channel(&mut self) -> *mut spdk_io_channel {
        if self.ch.is_null() {
            self.ch = crate::thread::io_channel::get(self.bdev.cast()).map_or(std::ptr::null_mut(), |c| c.cast());
        }
        self.ch
    }
}

/// The namespaces of one subsystem, indexed by NSID.
#[derive(Default)]
pub struct NsTable {
    pub ns: Vec<Option<NsEntry>>,
    /// The subsystem is paused: its commands wait in `held`.
    pub paused: bool,
    /// Commands held by a pause: (connection, request index), in arrival order.
    pub held: std::collections::VecDeque<(*mut TcpQpair, u16)>,
}

impl NsTable {
    pub fn get(&mut self, nsid: u32) -> Option<&mut NsEntry> {
        self.ns.get_mut(nsid as usize).and_then(|e| e.as_mut())
    }
}

/// A transport plugged in through the C API, on one group: its poll group.
pub struct ExtPoll {
    /// The transport (`struct spdk_nvmf_transport *`).
    pub transport: usize,
    /// Its poll group here (`struct spdk_nvmf_transport_poll_group *`).
    pub tgroup: usize,
    /// Polls it; whether it did work.
    pub poll: unsafe fn(usize) -> bool,
    /// Destroys it (the group goes, or the transport).
    pub destroy: unsafe fn(usize),
}

/// A poll group. `#[repr(C)]`: it begins with the C API's view of it
/// (`struct spdk_nvmf_poll_group`), so the C handle is the group's address.
#[repr(C)]
pub struct PollGroup {
    pub c: crate::capi::nvmf_transport::CPollGroup,
    pub index: usize,
    pub thread: *mut Thread,
    pub socks: *mut SockGroup,
    /// Connections of this group by id.
    pub qpairs: HashMap<u64, *mut TcpQpair>,
    /// Per subsystem (by NQN): its namespaces. Boxed so a qpair may keep a
    /// pointer; a table goes only after its subsystem's qpairs here closed.
    pub tables: HashMap<String, Box<NsTable>>,
    /// Free data buffers kept by this group in front of the shared pool.
    pub buf_cache: Vec<*mut u8>,
    pub buf_cache_max: usize,
    poller: *mut crate::thread::poller::Poller,
    /// Statistics (nvmf_get_stats).
    pub stats: Stats,
    /// The poller's snapshot of `qpairs`, kept to avoid an allocation per poll.
    scratch: Vec<*mut TcpQpair>,
    /// The group made its thread (and ends it when destroyed); false for a
    /// group an application made on its own thread (`spdk_nvmf_poll_group_create`).
    owns_thread: bool,
    /// Poll groups of transports plugged in through the C API.
    pub ext: Vec<ExtPoll>,
}

#[derive(Default, Clone, Copy)]
pub struct Stats {
    pub admin_qpairs: u64,
    pub io_qpairs: u64,
    pub current_admin_qpairs: u64,
    pub current_io_qpairs: u64,
    pub pending_bdev_io: u64,
    pub completed_nvme_io: u64,
    pub polls: u64,
    pub idle_polls: u64,
}

/// The groups' threads and objects (the objects are dereferenced only on their thread).
struct Registry {
    groups: Vec<(usize, usize)>,
    next: usize,
    pool: Option<Box<Mempool>>,
    buf_size: usize,
    /// Per-group buffer cache size (the transport's buf_cache_size).
    cache: usize,
    /// Groups made by `create_here` so far (their indexes).
    made: usize,
}

static REG: Mutex<Registry> = Mutex::new(Registry { groups: Vec::new(), next: 0, pool: None, buf_size: 0, cache: 0, made: 0 });

/// The shared data buffer pool (created with the transport).
pub fn pool() -> Option<&'static Mempool> {
    let g = REG.lock();
    // SAFETY: the pool is boxed, created once with the transport and freed
    // only by `destroy_all` after every group (every user) is gone.
    g.pool.as_deref().map(|p| unsafe { &*(p as *const Mempool) })
}

pub fn buf_size() -> usize {
    REG.lock().buf_size
}

pub fn count() -> usize {
    REG.lock().groups.len()
}

/// Threads of the groups, in order.
pub fn threads() -> Vec<*mut Thread> {
    REG.lock().groups.iter().map(|g| g.0 as *mut Thread).collect()
}

/// The group running on thread `t`, if any.
pub fn find_by_thread(t: *mut Thread) -> Option<*mut PollGroup> {
    REG.lock().groups.iter().find(|g| g.0 == t as usize).map(|g| g.1 as *mut PollGroup)
}

/// Picks the next group, round robin (thread, group).
pub fn next_group() -> Option<(*mut Thread, *mut PollGroup)> {
    let mut g = REG.lock();
    if g.groups.is_empty() {
        return None;
    }
    let i = g.next % g.groups.len();
    g.next += 1;
    let (t, p) = g.groups[i];
    Some((t as *mut Thread, p as *mut PollGroup))
}

/// Runs `f` on every group's thread, with the group; `done` runs on the
/// calling thread once all have.
pub fn for_each(f: impl Fn(&mut PollGroup) + Send + Sync + 'static, done: impl FnOnce() + Send + 'static) {
    let groups: Vec<(usize, usize)> = REG.lock().groups.clone();
    let origin = thread::current();
    let f = std::sync::Arc::new(f);
    let left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(groups.len()));
    let done = std::sync::Arc::new(Mutex::new(Some(done)));
    if groups.is_empty() {
        if let Some(d) = done.lock().take() {
            d();
        }
        return;
    }
    let origin = origin as usize;
    for (t, p) in groups {
        let (f, left, done) = (f.clone(), left.clone(), done.clone());
        let run = move || {
            // SAFETY: the group lives on this thread until `destroy_all`, which
            // runs after every message to it.
            f(unsafe { &mut *(p as *mut PollGroup) });
            if left.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                let d = done.lock().take();
                if let Some(d) = d {
                    // SAFETY: the origin thread outlives the iteration (the app thread).
                    let o = unsafe { &*(origin as *mut Thread) };
                    let _ = thread::send_fn(o, d);
                }
            }
        };
        // SAFETY: a group thread lives until destroy_all.
        let _ = thread::send_fn(unsafe { &*(t as *mut Thread) }, run);
    }
}

extern "C" fn group_poll(arg: *mut c_void) -> i32 {
    let g = arg as *mut PollGroup;
    // SAFETY: the poller's argument is its group, polled on its own thread.
    let socks = unsafe { (*g).socks };
    // SAFETY: the group's socket group lives as long as the group.
    let n = unsafe { SockGroup::poll(socks, 32) }.unwrap_or(0);
    // Connections with work that did not come from the socket (buffers
    // freed, data to send).
    let mut busy = n > 0;
    // A snapshot in a vector the group keeps (no allocation per poll):
    // `service` may free a qpair and so change the map.
    // Transports plugged in through the C API: by index, with no borrow of
    // the group held while one runs (it calls back into the target).
    let mut i = 0;
    loop {
        // SAFETY: as above.
        let Some((poll, arg)) = (unsafe { (&(*g).ext).get(i).map(|e| (e.poll, e.tgroup)) }) else { break };
        // SAFETY: a live transport poll group of this group, on its thread.
        busy |= unsafe { poll(arg) };
        i += 1;
    }
    // SAFETY: as above; the scratch vector is the group's, used only here.
    let mut ids = unsafe { std::mem::take(&mut (*g).scratch) };
    ids.clear();
    // SAFETY: as above.
    ids.extend(unsafe { (*g).qpairs.values().copied() });
    for &q in &ids {
        // SAFETY: qpairs in the map are live; `service` may close (unmap) it.
        busy |= unsafe { TcpQpair::service(q) };
    }
    // SAFETY: as above.
    unsafe { (*g).scratch = ids };
    // SAFETY: as above.
    unsafe {
        (*g).stats.polls += 1;
        if !busy {
            (*g).stats.idle_polls += 1;
        }
    }
    i32::from(busy)
}

/// The size of one pool buffer (the transport's io_unit_size), read without the registry lock.
static BUF_UNIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Creates the shared data buffer pool (once, with the transport).
pub fn create_pool(num_bufs: usize, buf_size: usize, cache: usize) -> Result<(), String> {
    let mut reg = REG.lock();
    if reg.pool.is_some() {
        return Ok(());
    }
    let pool = Mempool::create("nvmf_tcp_data", num_bufs, buf_size).ok_or_else(|| format!("cannot allocate {num_bufs} data buffers of {buf_size} bytes"))?;
    reg.pool = Some(pool);
    reg.buf_size = buf_size;
    BUF_UNIT.store(buf_size, std::sync::atomic::Ordering::Relaxed);
    reg.cache = cache;
    Ok(())
}

fn new_group(index: usize, t: *mut Thread, cache: usize, owns_thread: bool) -> *mut PollGroup {
    let g = Box::into_raw(Box::new(PollGroup {
        c: crate::capi::nvmf_transport::CPollGroup::zeroed(),
        index,
        thread: t,
        socks: std::ptr::null_mut(),
        qpairs: HashMap::new(),
        tables: HashMap::new(),
        buf_cache: Vec::with_capacity(cache),
        buf_cache_max: cache,
        poller: std::ptr::null_mut(),
        stats: Stats::default(),
        scratch: Vec::new(),
        owns_thread,
        ext: Vec::new(),
    }));
    // SAFETY: just made; its C view refers to itself, so it is set in place.
    unsafe { crate::capi::nvmf_transport::CPollGroup::init(std::ptr::addr_of_mut!((*g).c), t) };
    g
}

/// Starts a group on its own thread (the first thing run there).
fn start_group(g: *mut PollGroup) -> Result<(), String> {
    // SAFETY: the group is live and this is its thread.
    let gr = unsafe { &mut *g };
    let s = SockGroup::new(g.cast()).map_err(|e| format!("nvmf: poll group {}: cannot create its socket group: {}", gr.index, e.0))?;
    gr.socks = Box::into_raw(s);
    gr.poller = crate::thread::poller::register(group_poll, g.cast(), 0, Some("nvmf_poll_group_poll")).unwrap_or(std::ptr::null_mut());
    load_tables(gr);
    Ok(())
}

/// Creates one group per reactor core (once), and the shared buffer pool.
pub fn create_all(num_bufs: usize, buf_size: usize, cache: usize) -> Result<(), String> {
    create_pool(num_bufs, buf_size, cache)?;
    create_groups(cache)
}

/// Creates one group per reactor core (once), without the TCP buffer pool
/// (a plugged-in transport has a pool of its own); `cache`: buffers each
/// group may keep of the TCP pool.
pub fn create_groups(cache: usize) -> Result<(), String> {
    let mut reg = REG.lock();
    if !reg.groups.is_empty() {
        return Ok(());
    }
    let mut cores: Vec<u32> = crate::event::reactor::all().iter().map(|r| r.lcore).collect();
    if cores.is_empty() {
        // Not under the event framework (tests): one group on a plain thread.
        cores.push(u32::MAX);
    }
    for (i, core) in cores.into_iter().enumerate() {
        let mut mask = crate::util::cpuset::spdk_cpuset::default();
        let maskp = if core == u32::MAX {
            None
        } else {
            mask.set(core, true);
            Some(&mask)
        };
        let name = format!("nvmf_tgt_poll_group_{i:03}");
        let t = thread::create(Some(&name), maskp).ok_or_else(|| format!("cannot create thread {name}"))?;
        let g = new_group(i, t, cache, true);
        reg.groups.push((t as usize, g as usize));
        let gp = g as usize;
        // SAFETY: the thread was just created and lives until destroy_all.
        let _ = thread::send_fn(unsafe { &*t }, move || {
            if let Err(e) = start_group(gp as *mut PollGroup) {
                crate::log::error(format_args!("{e}\n"));
            }
        });
    }
    Ok(())
}

/// `spdk_nvmf_poll_group_create`: a group on the calling SPDK thread, which
/// the application keeps (one per thread).
pub fn create_here() -> Result<*mut PollGroup, String> {
    let t = thread::current();
    if t.is_null() {
        return Err("spdk_nvmf_poll_group_create must run on an SPDK thread".into());
    }
    let mut reg = REG.lock();
    if reg.groups.iter().any(|g| g.0 == t as usize) {
        return Err("this thread has a poll group already".into());
    }
    let index = reg.made;
    reg.made += 1;
    let g = new_group(index, t, reg.cache, false);
    drop(reg);
    if let Err(e) = start_group(g) {
        // SAFETY: not registered, not polled.
        drop(unsafe { Box::from_raw(g) });
        return Err(e);
    }
    REG.lock().groups.push((t as usize, g as usize));
    Ok(g)
}

/// `spdk_nvmf_poll_group_destroy`, on the group's thread: its connections
/// close, then it stops; `done` runs on this thread after.
pub fn destroy_here(g: *mut PollGroup, done: impl FnOnce() + Send + 'static) {
    // No new connections come to it.
    REG.lock().groups.retain(|e| e.1 != g as usize);
    // SAFETY: the caller's group, on its thread.
    let gr = unsafe { &mut *g };
    close_all(gr);
    finish_one(g as usize, Box::new(done), 0);
}

fn close_all(g: &mut PollGroup) {
    let qs: Vec<*mut TcpQpair> = g.qpairs.values().copied().collect();
    for q in qs {
        // SAFETY: live qpairs of this group.
        unsafe { TcpQpair::close_now(q) };
    }
    let nqns: Vec<String> = g.tables.keys().cloned().collect();
    for n in nqns {
        drop_table(g, &n);
    }
}

/// Stops a group whose connections are closing once they are gone (retried
/// every 10 ms, up to 5 s), then frees it.
fn finish_one(g: usize, done: Box<dyn FnOnce() + Send>, tries: u32) {
    let gp = g as *mut PollGroup;
    // SAFETY: the group, on its thread, not yet freed.
    if !stop_polling(unsafe { &mut *gp }) && tries < 500 {
        defer(Box::new(move || finish_one(g, done, tries + 1)));
        return;
    }
    // SAFETY: the group, on its thread, not yet freed.
    for e in std::mem::take(unsafe { &mut (*gp).ext }) {
        // SAFETY: the transport's poll group here, no connection left on it.
        unsafe { (e.destroy)(e.tgroup) };
    }
    // SAFETY: the group, freed on its own thread, last.
    drop(unsafe { Box::from_raw(gp) });
    done();
}

/// Stops the group's poller and socket group if it has no connection left;
/// returns whether it did.
fn stop_polling(g: &mut PollGroup) -> bool {
    // SAFETY: the group's own socket group.
    if !g.qpairs.is_empty() || (!g.socks.is_null() && !unsafe { (*g.socks).is_empty() }) {
        return false;
    }
    if !g.poller.is_null() {
        crate::thread::poller::unregister(g.poller);
        g.poller = std::ptr::null_mut();
    }
    if !g.socks.is_null() {
        // SAFETY: empty, not used after.
        let _ = unsafe { SockGroup::close(g.socks) };
        g.socks = std::ptr::null_mut();
    }
    for b in g.buf_cache.drain(..) {
        if let Some(p) = pool() {
            p.put(b);
        }
    }
    true
}

/// Sets the per-group buffer cache size (groups made before the transport).
pub fn set_cache_size(cache: usize) {
    REG.lock().cache = cache;
    for_each(move |g| g.buf_cache_max = cache, || {});
}

/// Frees the shared data buffer pool (the transport is gone).
pub fn free_pool() {
    REG.lock().pool = None;
}

/// Holds (or lets go) the commands of subsystem `nqn` on this group.
pub fn set_paused(g: &mut PollGroup, nqn: &str, on: bool) {
    let t = table(g, nqn);
    // SAFETY: the group's table, on its thread.
    let t = unsafe { &mut *t };
    t.paused = on;
    if !on {
        for (q, idx) in std::mem::take(&mut t.held) {
            // SAFETY: held entries belong to live qpairs (a closing one removes its own).
            unsafe { super::tcp::qpair::Conn::run_held(q, idx) };
        }
    }
}

/// Runs `done` (on the calling thread) once no command of subsystem `nqn`
/// is executing on any group.
pub fn wait_quiet(nqn: String, done: impl FnOnce() + Send + 'static) {
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (b2, n2) = (busy.clone(), nqn.clone());
    for_each(
        move |g| {
            let n: usize = g
                .qpairs
                .values()
                // SAFETY: live qpairs of this group, on its thread.
                .map(|&q| (q as usize, unsafe { &(*q).c }))
                .filter(|(_, c)| c.ctrlr.as_ref().is_some_and(|c| c.subnqn == n2))
                .map(|(q, c)| {
                    // Asynchronous Event Requests the controller holds are
                    // not executing: they wait for an event, pause or not.
                    let held = c.ctrlr.as_ref().map_or(0, |k| super::ctrlr::held_aers(k, q));
                    c.outstanding.saturating_sub(held)
                })
                .sum();
            b2.fetch_add(n, std::sync::atomic::Ordering::AcqRel);
        },
        move || {
            if busy.load(std::sync::atomic::Ordering::Acquire) > 0 {
                defer(Box::new(move || wait_quiet(nqn, done)));
            } else {
                done();
            }
        },
    );
}

/// Fills a new group's namespace tables from the target's current namespaces.
fn load_tables(g: &mut PollGroup) {
    for (nqn, nsid, desc) in super::tgt::namespace_descs() {
        ns_added(g, &nqn, nsid, desc as *mut Desc);
    }
}

/// A namespace became visible (idempotent).
pub fn ns_added(g: &mut PollGroup, nqn: &str, nsid: u32, desc: *mut Desc) {
    let t = g.tables.entry(nqn.to_string()).or_default();
    let i = nsid as usize;
    if t.ns.len() <= i {
        t.ns.resize_with(i + 1, || None);
    }
    if t.ns[i].is_some() {
        return;
    }
    let b = bdev::bdev_ref_ptr(desc);
    let bd = bdev::bdev_ref(b);
    t.ns[i] = Some(NsEntry { desc, bdev: b, ch: std::ptr::null_mut(), block_size: bd.blocklen, num_blocks: bd.blockcnt });
}

/// A namespace went away: its channel is put (idempotent).
pub fn ns_removed(g: &mut PollGroup, nqn: &str, nsid: u32) {
    if let Some(t) = g.tables.get_mut(nqn) {
        if let Some(slot) = t.ns.get_mut(nsid as usize) {
            if let Some(e) = slot.take() {
                if !e.ch.is_null() {
                    crate::thread::io_channel::put(e.ch.cast());
                }
            }
        }
    }
}

/// A namespace's size changed.
pub fn ns_resized(g: &mut PollGroup, nqn: &str, nsid: u32) {
    if let Some(e) = g.tables.get_mut(nqn).and_then(|t| t.get(nsid)) {
        e.num_blocks = bdev::bdev_ref(e.bdev).blockcnt;
    }
}

/// The table of a subsystem on this group (created empty if none yet).
pub fn table(g: &mut PollGroup, nqn: &str) -> *mut NsTable {
    &mut **g.tables.entry(nqn.to_string()).or_default()
}

/// Drops a subsystem's table (its qpairs here are closed first by the caller).
pub fn drop_table(g: &mut PollGroup, nqn: &str) {
    if let Some(t) = g.tables.remove(nqn) {
        for e in t.ns.into_iter().flatten() {
            if !e.ch.is_null() {
                crate::thread::io_channel::put(e.ch.cast());
            }
        }
    }
}

impl PollGroup {
    /// A data buffer of `buf_size()` bytes, from the cache or the pool.
    pub fn get_buf(&mut self) -> Option<*mut u8> {
        self.buf_cache.pop().or_else(|| pool()?.get())
    }

    /// Buffers for `len` bytes of data (as many io_unit_size buffers as it
    /// takes), all or none: appended to `bufs`, and described by `iovs`.
    pub fn get_bufs(&mut self, len: usize, bufs: &mut Vec<*mut u8>, iovs: &mut Vec<libc::iovec>) -> bool {
        let unit = BUF_UNIT.load(std::sync::atomic::Ordering::Relaxed);
        if unit == 0 {
            return false;
        }
        let first = bufs.len();
        let mut left = len;
        while left > 0 {
            let Some(b) = self.get_buf() else {
                for b in bufs.drain(first..) {
                    self.put_buf(b);
                }
                iovs.truncate(first);
                return false;
            };
            let n = left.min(unit);
            bufs.push(b);
            iovs.push(libc::iovec { iov_base: b.cast(), iov_len: n });
            left -= n;
        }
        true
    }

    pub fn put_buf(&mut self, b: *mut u8) {
        if self.buf_cache.len() < self.buf_cache_max {
            self.buf_cache.push(b);
        } else if let Some(p) = pool() {
            p.put(b);
        }
    }
}

/// Stops every group: closes their connections, puts channels, frees the
/// pool; `done` runs on the calling thread after.
pub fn destroy_all(done: impl FnOnce() + Send + 'static) {
    for_each(close_all, move || {
        // Let the groups finish what their closing connections still do
        // (outstanding bdev I/O completes on their threads), then stop them.
        finish_groups(done, 0);
    });
}

fn finish_groups(done: impl FnOnce() + Send + 'static, tries: u32) {
    let outstanding = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let o2 = outstanding.clone();
    for_each(
        move |g| {
            if !stop_polling(g) && !g.socks.is_null() {
                o2.fetch_add(g.qpairs.len().max(1), std::sync::atomic::Ordering::AcqRel);
            }
        },
        move || {
            if outstanding.load(std::sync::atomic::Ordering::Acquire) > 0 && tries < 500 {
                // Retry a little later via a one-shot poller on this thread.
                defer(Box::new(move || finish_groups(done, tries + 1)));
                return;
            }
            let groups = std::mem::take(&mut REG.lock().groups);
            for (t, g) in groups {
                let tp = t as *mut Thread;
                // SAFETY: the group object; its thread has no poller on it any more.
                let _ = thread::send_fn(unsafe { &*tp }, move || {
                    // SAFETY: the group, freed on its own thread, last.
                    let gr = unsafe { Box::from_raw(g as *mut PollGroup) };
                    if gr.owns_thread {
                        drop(gr);
                        // SAFETY: the calling thread (the group's own), live.
                        unsafe { (*thread::current()).exit() };
                    } else {
                        // An application's group, stopped: its
                        // spdk_nvmf_poll_group_destroy frees it.
                        let _ = Box::into_raw(gr);
                    }
                });
            }
            free_pool();
            done();
        },
    );
}

/// Runs `f` on this thread after about 10 ms.
pub(crate) fn defer(f: Box<dyn FnOnce() + Send>) {
    extern "C" fn fire(arg: *mut c_void) -> i32 {
        // SAFETY: the box leaked by `defer`, used once.
        let b = unsafe { Box::from_raw(arg as *mut (Box<dyn FnOnce() + Send>, *mut crate::thread::poller::Poller)) };
        crate::thread::poller::unregister(b.1);
        (b.0)();
        1
    }
    let p = Box::into_raw(Box::new((f, std::ptr::null_mut::<crate::thread::poller::Poller>())));
    match crate::thread::poller::register(fire, p.cast(), 10_000, Some("nvmf_defer")) {
        // SAFETY: ours until the poller fires.
        Some(poller) => unsafe { (*p).1 = poller },
        None => {
            // SAFETY: not handed out.
            let b = unsafe { Box::from_raw(p) };
            (b.0)();
        }
    }
}
