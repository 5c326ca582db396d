//! The process's NVMe-oF target: its subsystems and the bdev descriptors
//! its namespaces hold. Control runs on the app thread (RPC, JSON config);
//! a namespace whose bdev goes away is removed.

use super::subsystem::{AnaState, Error, ListenAddr, Namespace, Referral, Result, State, Subsystem, SubsystemOpts, Subsystems};
use crate::bdev;
use crate::capi::bdev_types::{spdk_bdev, spdk_bdev_event_type};
use parking_lot::Mutex;
use std::ffi::c_void;

struct Tgt {
    subs: Subsystems,
    /// Open descriptors of namespaces: (nqn, nsid, descriptor, event context).
    descs: Vec<(String, u32, usize, usize)>,
    /// The target's name (`spdk_nvmf_tgt_get_name`).
    name: String,
    /// Made by `spdk_nvmf_tgt_create` (not implicitly by the RPC methods).
    created: bool,
}

/// The name of the target the RPC methods make when none exists (SPDK's).
pub const DEFAULT_NAME: &str = "nvmf_tgt";

static TGT: Mutex<Option<Tgt>> = Mutex::new(None);

fn new_tgt(name: &str, created: bool) -> Tgt {
    Tgt { subs: Subsystems::new(), descs: Vec::new(), name: name.to_string(), created }
}

fn with<R>(f: impl FnOnce(&mut Tgt) -> R) -> R {
    let mut g = TGT.lock();
    f(g.get_or_insert_with(|| new_tgt(DEFAULT_NAME, false)))
}

/// `spdk_nvmf_tgt_create`: one target per process. The target the RPC
/// methods made implicitly is taken over (renamed) while it has no NVM
/// subsystem; a second explicit target is refused.
pub fn create_named(name: &str) -> Result<()> {
    if name.is_empty() || name.len() >= 256 {
        return Err(Error::Invalid(format!("target name '{name}' must be 1 to 255 bytes")));
    }
    let mut g = TGT.lock();
    match g.as_mut() {
        Some(t) if t.created || t.subs.iter().any(|s| s.subtype == super::subsystem::Subtype::Nvme) => {
            Err(Error::Exists(format!("target '{}' exists; rspdk runs one NVMe-oF target per process", t.name)))
        }
        Some(t) => {
            t.name = name.to_string();
            t.created = true;
            Ok(())
        }
        None => {
            *g = Some(new_tgt(name, true));
            Ok(())
        }
    }
}

/// The target's name, if a target exists.
pub fn name() -> Option<String> {
    TGT.lock().as_ref().map(|t| t.name.clone())
}

/// `spdk_nvmf_tgt_destroy`: the transport and its poll groups stop, every
/// subsystem goes with its namespaces; then the target is gone.
pub fn destroy(done: impl FnOnce() + Send + 'static) {
    super::tcp::transport::destroy(move || {
        fini();
        *TGT.lock() = None;
        done();
    });
}

/// One subsystem (a copy), by NQN.
pub fn subsystem(nqn: &str) -> Option<Subsystem> {
    with(|t| t.subs.get(nqn).cloned())
}

pub fn set_serial(nqn: &str, sn: &str) -> Result<()> {
    with(|t| t.subs.set_serial(nqn, sn))
}

pub fn set_model(nqn: &str, mn: &str) -> Result<()> {
    with(|t| t.subs.set_model(nqn, mn))
}

/// `spdk_nvmf_subsystem_start`: inactive to active (hosts may connect).
pub fn start(nqn: &str) -> Result<()> {
    with(|t| t.subs.set_state(nqn, &[State::Inactive], State::Active))
}

/// Closes every connection of subsystem `nqn` on every poll group, then
/// runs `then` there; `done` runs on the calling thread after.
fn close_connections(nqn: &str, then: fn(&mut super::group::PollGroup, &str), done: impl FnOnce() + Send + 'static) {
    let n = nqn.to_string();
    super::group::for_each(
        move |g| {
            let qs: Vec<_> = g.qpairs.values().copied().collect();
            for q in qs {
                // SAFETY: live qpairs of this group, on its thread.
                unsafe {
                    if (*q).c.ctrlr.as_ref().is_some_and(|c| c.subnqn == n) {
                        super::tcp::qpair::TcpQpair::close_now(q);
                    }
                }
            }
            then(g, &n);
        },
        done,
    );
}

/// `spdk_nvmf_subsystem_stop`: active or paused to inactive; its hosts'
/// connections close (their commands in the bdevs finish first).
pub fn stop(nqn: &str, done: impl FnOnce() + Send + 'static) -> Result<()> {
    with(|t| t.subs.set_state(nqn, &[State::Active, State::Paused], State::Inactive))?;
    let n = nqn.to_string();
    // Commands a pause held are let go (they fail as their connections close).
    super::group::for_each(move |g| super::group::set_paused(g, &n, false), {
        let n = nqn.to_string();
        move || close_connections(&n, |_, _| {}, done)
    });
    Ok(())
}

/// `spdk_nvmf_subsystem_pause`: active to paused. New commands to the
/// subsystem (admin and I/O) are held in its poll groups and new hosts are
/// refused; `done` runs once the commands it had running have finished.
pub fn pause(nqn: &str, done: impl FnOnce() + Send + 'static) -> Result<()> {
    with(|t| t.subs.set_state(nqn, &[State::Active], State::Paused))?;
    let n = nqn.to_string();
    super::group::for_each(move |g| super::group::set_paused(g, &n, true), {
        let n = nqn.to_string();
        move || super::group::wait_quiet(n, done)
    });
    Ok(())
}

/// `spdk_nvmf_subsystem_resume`: paused to active; held commands run.
pub fn resume(nqn: &str, done: impl FnOnce() + Send + 'static) -> Result<()> {
    with(|t| t.subs.set_state(nqn, &[State::Paused], State::Active))?;
    let n = nqn.to_string();
    super::group::for_each(move |g| super::group::set_paused(g, &n, false), done);
    Ok(())
}

/// A snapshot of the subsystems (for listings and saved configs).
pub fn subsystems() -> Vec<Subsystem> {
    with(|t| t.subs.iter().cloned().collect())
}

/// Every namespace's descriptor: (subsystem NQN, NSID, descriptor).
pub fn namespace_descs() -> Vec<(String, u32, usize)> {
    with(|t| t.descs.iter().map(|d| (d.0.clone(), d.1, d.2)).collect())
}

/// The discovery log entries `host` may see.
pub fn discovery_entries(host: &str) -> Vec<super::subsystem::DiscoveryEntry> {
    with(|t| t.subs.discovery_entries(host))
}

/// The discovery log's generation counter.
pub fn genctr() -> u64 {
    with(|t| t.subs.genctr)
}

/// `nvmf_discovery_add_referral`: true if the referral is new (the
/// discovery log's generation counter moved).
pub fn add_referral(r: Referral) -> Result<bool> {
    with(|t| t.subs.add_referral(r))
}

/// `nvmf_discovery_remove_referral`.
pub fn remove_referral(addr: &ListenAddr, subnqn: &str) -> Result<()> {
    with(|t| t.subs.remove_referral(addr, subnqn)).map(|_| ())
}

/// The discovery referrals, the newest first.
pub fn referrals() -> Vec<Referral> {
    with(|t| t.subs.referrals().to_vec())
}

/// `nvmf_subsystem_add_listener`: the transport listens, the subsystem lists it.
pub fn add_listener(nqn: &str, addr: ListenAddr, ana: AnaState) -> Result<()> {
    if with(|t| t.subs.get(nqn).is_none()) {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    if !addr.trtype.eq_ignore_ascii_case("tcp") {
        return Err(Error::Invalid(format!("transport type {} is not supported (TCP is)", addr.trtype)));
    }
    super::tcp::transport::listen(&addr).map_err(Error::Invalid)?;
    let r = with(|t| t.subs.add_listener(nqn, addr.clone(), ana));
    if r.is_err() && !with(|t| t.subs.anyone_listens(&addr)) {
        super::tcp::transport::stop_listen(&addr);
    }
    r
}

/// The C API's `spdk_nvmf_subsystem_add_listener`: the subsystem accepts
/// connections at `addr`, where the target listens already.
pub fn add_subsystem_listener(nqn: &str, addr: ListenAddr, ana: AnaState) -> Result<()> {
    with(|t| t.subs.add_listener(nqn, addr, ana))
}

/// The C API's `spdk_nvmf_subsystem_remove_listener`: the target keeps listening.
pub fn remove_subsystem_listener(nqn: &str, addr: &ListenAddr) -> Result<()> {
    with(|t| t.subs.remove_listener(nqn, addr))
}

/// True if a subsystem accepts connections at `addr`.
pub fn anyone_listens(addr: &ListenAddr) -> bool {
    with(|t| t.subs.anyone_listens(addr))
}

pub fn set_ana_reporting(nqn: &str, on: bool) -> Result<()> {
    with(|t| t.subs.set_ana_reporting(nqn, on))
}

/// `nvmf_subsystem_remove_listener`: the socket closes with its last subsystem.
pub fn remove_listener(nqn: &str, addr: &ListenAddr) -> Result<()> {
    with(|t| t.subs.remove_listener(nqn, addr))?;
    if !with(|t| t.subs.anyone_listens(addr)) {
        super::tcp::transport::stop_listen(addr);
    }
    Ok(())
}

/// `nvmf_subsystem_listener_set_ana_state`.
pub fn set_ana_state(nqn: &str, addr: &ListenAddr, state: AnaState) -> Result<()> {
    with(|t| t.subs.set_ana_state(nqn, addr, state))?;
    super::ctrlr::ana_changed(nqn);
    Ok(())
}

pub fn create_subsystem(o: &SubsystemOpts) -> Result<()> {
    with(|t| t.subs.create(o))
}

pub fn delete_subsystem(nqn: &str) -> Result<()> {
    delete_subsystem_then(nqn, || {})
}

/// Deletes a subsystem; `done` runs (on the calling thread) once it is gone.
pub fn delete_subsystem_then(nqn: &str, done: impl FnOnce() + Send + 'static) -> Result<()> {
    if with(|t| t.subs.get(nqn).is_none()) {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    // Its connections close and the groups drop its namespaces first.
    let n = nqn.to_string();
    if super::group::count() > 0 {
        close_connections(nqn, super::group::drop_table, move || {
            let _ = delete_subsystem_now(&n);
            done();
        });
        return Ok(());
    }
    delete_subsystem_now(&n)?;
    done();
    Ok(())
}

fn delete_subsystem_now(nqn: &str) -> Result<()> {
    let closing = with(|t| -> Result<Vec<(usize, usize)>> {
        t.subs.delete(nqn)?;
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut t.descs).into_iter().partition(|d| d.0 == nqn);
        t.descs = kept;
        Ok(gone.into_iter().map(|d| (d.2, d.3)).collect())
    })?;
    for (d, ctx) in closing {
        close(d, ctx);
    }
    Ok(())
}

/// Where a namespace's bdev events go.
struct NsKey {
    nqn: String,
    nsid: u32,
}

extern "C" fn ns_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t != spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        return;
    }
    // SAFETY: the NsKey leaked by add_ns, freed only after its descriptor closed.
    let k = unsafe { &*(ctx as *const NsKey) };
    crate::log::notice(format_args!("nvmf: the bdev of namespace {} of {} is going away; removing the namespace\n", k.nsid, k.nqn));
    let (nqn, nsid) = (k.nqn.clone(), k.nsid);
    let n2 = nqn.clone();
    remove_ns_quiet(&n2, nsid, move |r| {
        if let Err(e) = r {
            crate::log::error(format_args!("nvmf: removing namespace {nsid} of {nqn}: {e}\n"));
        }
    });
}

fn close(desc: usize, ctx: usize) {
    bdev::close(desc as *mut bdev::Desc);
    // SAFETY: the NsKey of this descriptor, which is closed: no event reads it now.
    drop(unsafe { Box::from_raw(ctx as *mut NsKey) });
}

/// A change to a subsystem that transports plugged in through the C API are
/// told of (their `subsystem_add_ns`/`remove_ns`/`add_host`/`remove_host`).
pub enum Notice<'a> {
    AddNs(&'a str, u32),
    RemoveNs(&'a str, u32),
    /// Subsystem, host, and the `spdk_json_val` array of the parameters the
    /// host came with (the transports' to read; 0 when there are none).
    AddHost(&'a str, &'a str, usize),
    RemoveHost(&'a str, &'a str),
}

/// Tells the plugged-in transports of a change; a negated errno from one of
/// them refuses an addition (set by `crate::capi::nvmf_transport`).
pub static NOTICE_HOOK: std::sync::OnceLock<fn(&Notice) -> i32> = std::sync::OnceLock::new();

fn notify(n: &Notice) -> i32 {
    NOTICE_HOOK.get().map_or(0, |f| f(n))
}

/// `nvmf_subsystem_add_ns`: opens the bdev (read-write) and adds the namespace.
pub fn add_ns(nqn: &str, ns: Namespace) -> Result<u32> {
    if with(|t| t.subs.get(nqn).is_none()) {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    let key = Box::into_raw(Box::new(NsKey { nqn: nqn.to_string(), nsid: 0 }));
    let desc = match bdev::open(&ns.bdev_name, true, Some(ns_event), key.cast()) {
        Ok(d) => d,
        Err(e) => {
            // SAFETY: not handed to anyone.
            drop(unsafe { Box::from_raw(key) });
            return Err(Error::Invalid(format!("bdev {}: {e}", ns.bdev_name)));
        }
    };
    let r = with(|t| {
        let id = t.subs.add_ns(nqn, ns)?;
        t.descs.push((nqn.to_string(), id, desc as usize, key as usize));
        Ok(id)
    });
    // A transport may refuse the namespace: it goes again, and every
    // transport is told it was removed (as SPDK does).
    let r = match r {
        Ok(id) => match notify(&Notice::AddNs(nqn, id)) {
            0 => Ok(id),
            rc => {
                let _ = with(|t| {
                    t.descs.retain(|d| !(d.0 == nqn && d.1 == id));
                    t.subs.remove_ns(nqn, id)
                });
                notify(&Notice::RemoveNs(nqn, id));
                Err(Error::Invalid(format!("a transport refused namespace {id} of {nqn}: {}", std::io::Error::from_raw_os_error(-rc))))
            }
        },
        e => e,
    };
    match r {
        Ok(id) => {
            // SAFETY: the key is ours until its descriptor closes; events come on this (the app) thread.
            unsafe { (*key).nsid = id };
            let (n, d) = (nqn.to_string(), desc as usize);
            let n2 = n.clone();
            super::group::for_each(move |g| super::group::ns_added(g, &n, id, d as *mut bdev::Desc), move || super::ctrlr::ns_changed(&n2, id));
        }
        Err(_) => close(desc as usize, key as usize),
    }
    r
}

/// `nvmf_subsystem_remove_ns` on an active subsystem, as SPDK's RPC does
/// it: the subsystem is paused first (its running commands finish, new ones
/// are held), the namespace goes (the groups put its channels, then its
/// descriptor closes), then the subsystem resumes and `done` gets the
/// result (on this thread). A paused or inactive subsystem has nothing
/// running: the namespace goes at once.
pub fn remove_ns_quiet(nqn: &str, nsid: u32, done: impl FnOnce(Result<()>) + Send + 'static) {
    let st = with(|t| t.subs.get(nqn).map(|s| (s.state, s.namespaces.contains_key(&nsid))));
    match st {
        None => return done(Err(Error::NotFound(format!("subsystem {nqn} not found")))),
        Some((_, false)) => return done(Err(Error::NotFound(format!("{nqn} has no namespace {nsid}")))),
        Some((State::Active, true)) => {}
        Some(_) => return done(remove_ns(nqn, nsid)),
    }
    // `done` runs once, from whichever step ends the removal.
    let done = std::sync::Arc::new(Mutex::new(Some(done)));
    let finish = move |r: Result<()>| {
        if let Some(f) = done.lock().take() {
            f(r);
        }
    };
    let (n, f2) = (nqn.to_string(), finish.clone());
    let paused = pause(nqn, move || {
        let n2 = n.clone();
        let resumed = move |r: Result<()>| {
            let f3 = f2.clone();
            if let Err(e) = resume(&n2, move || f3(r)) {
                f2(Err(e));
            }
        };
        let once = std::sync::Arc::new(Mutex::new(Some(resumed)));
        let o2 = once.clone();
        let removed = remove_ns_then(&n, nsid, move || {
            if let Some(f) = o2.lock().take() {
                f(Ok(()));
            }
        });
        if let Err(e) = removed {
            if let Some(f) = once.lock().take() {
                f(Err(e));
            }
        }
    });
    if let Err(e) = paused {
        finish(Err(e));
    }
}

/// `nvmf_subsystem_remove_ns`: closes the namespace's descriptor.
pub fn remove_ns(nqn: &str, nsid: u32) -> Result<()> {
    remove_ns_then(nqn, nsid, || {})
}

/// Removes a namespace; `then` runs (on this thread) once every group put
/// its channel and the descriptor closed; on an error `then` is not called (the error is returned).
fn remove_ns_then(nqn: &str, nsid: u32, then: impl FnOnce() + Send + 'static) -> Result<()> {
    let d = with(|t| -> Result<Option<(usize, usize)>> {
        t.subs.remove_ns(nqn, nsid)?;
        let i = t.descs.iter().position(|d| d.0 == nqn && d.1 == nsid);
        Ok(i.map(|i| t.descs.remove(i)).map(|d| (d.2, d.3)))
    })?;
    super::ctrlr::reservation_forget(nqn, nsid);
    notify(&Notice::RemoveNs(nqn, nsid));
    let n = nqn.to_string();
    // The groups put their channels before the descriptor closes.
    super::group::for_each(
        {
            let n = n.clone();
            move |g| super::group::ns_removed(g, &n, nsid)
        },
        move || {
            if let Some((desc, ctx)) = d {
                close(desc, ctx);
            }
            super::ctrlr::ns_changed(&n, nsid);
            then();
        },
    );
    Ok(())
}

pub fn add_host(nqn: &str, host: &str) -> Result<()> {
    add_host_with(nqn, host, 0)
}

/// `add_host` whose parameters (`params`: the address of their
/// `spdk_json_val` array, or 0) go to the plugged-in transports.
pub fn add_host_with(nqn: &str, host: &str, params: usize) -> Result<()> {
    with(|t| t.subs.add_host(nqn, host))?;
    match notify(&Notice::AddHost(nqn, host, params)) {
        0 => Ok(()),
        rc => {
            let _ = with(|t| t.subs.remove_host(nqn, host));
            notify(&Notice::RemoveHost(nqn, host));
            Err(Error::Invalid(format!("a transport refused host {host} on {nqn}: {}", std::io::Error::from_raw_os_error(-rc))))
        }
    }
}

pub fn remove_host(nqn: &str, host: &str) -> Result<()> {
    with(|t| t.subs.remove_host(nqn, host))?;
    notify(&Notice::RemoveHost(nqn, host));
    Ok(())
}

pub fn allow_any_host(nqn: &str, on: bool) -> Result<()> {
    with(|t| t.subs.allow_any_host(nqn, on))
}

/// Deletes every subsystem (the target's shutdown): their namespaces close.
pub fn fini() {
    let nqns: Vec<String> = subsystems().into_iter().filter(|s| s.subtype == super::subsystem::Subtype::Nvme).map(|s| s.nqn).collect();
    for n in nqns {
        let _ = delete_subsystem(&n);
    }
}
