//! The process's NVMe-oF target: its subsystems and the bdev descriptors
//! its namespaces hold. Control runs on the app thread (RPC, JSON config);
//! a namespace whose bdev goes away is removed.

use super::subsystem::{AnaState, Error, ListenAddr, Namespace, Result, Subsystem, SubsystemOpts, Subsystems};
use crate::bdev;
use crate::capi::bdev_types::{spdk_bdev, spdk_bdev_event_type};
use parking_lot::Mutex;
use std::ffi::c_void;

struct Tgt {
    subs: Subsystems,
    /// Open descriptors of namespaces: (nqn, nsid, descriptor, event context).
    descs: Vec<(String, u32, usize, usize)>,
}

static TGT: Mutex<Option<Tgt>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Tgt) -> R) -> R {
    let mut g = TGT.lock();
    f(g.get_or_insert_with(|| Tgt { subs: Subsystems::new(), descs: Vec::new() }))
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
    if with(|t| t.subs.get(nqn).is_none()) {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    // Its connections close and the groups drop its namespaces first.
    let n = nqn.to_string();
    if super::group::count() > 0 {
        let n2 = n.clone();
        super::group::for_each(
            move |g| {
                let qs: Vec<_> = g.qpairs.values().copied().collect();
                for q in qs {
                    // SAFETY: live qpairs of this group, on its thread.
                    unsafe {
                        if (*q).c.ctrlr.as_ref().is_some_and(|c| c.subnqn == n2) {
                            super::tcp::qpair::TcpQpair::close_now(q);
                        }
                    }
                }
                super::group::drop_table(g, &n2);
            },
            move || {
                let _ = delete_subsystem_now(&n);
            },
        );
        return Ok(());
    }
    delete_subsystem_now(&n)
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
    let _ = remove_ns(&nqn, nsid);
}

fn close(desc: usize, ctx: usize) {
    bdev::close(desc as *mut bdev::Desc);
    // SAFETY: the NsKey of this descriptor, which is closed: no event reads it now.
    drop(unsafe { Box::from_raw(ctx as *mut NsKey) });
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

/// `nvmf_subsystem_remove_ns`: closes the namespace's descriptor.
pub fn remove_ns(nqn: &str, nsid: u32) -> Result<()> {
    let d = with(|t| -> Result<Option<(usize, usize)>> {
        t.subs.remove_ns(nqn, nsid)?;
        let i = t.descs.iter().position(|d| d.0 == nqn && d.1 == nsid);
        Ok(i.map(|i| t.descs.remove(i)).map(|d| (d.2, d.3)))
    })?;
    super::ctrlr::reservation_forget(nqn, nsid);
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
        },
    );
    Ok(())
}

pub fn add_host(nqn: &str, host: &str) -> Result<()> {
    with(|t| t.subs.add_host(nqn, host))
}

pub fn remove_host(nqn: &str, host: &str) -> Result<()> {
    with(|t| t.subs.remove_host(nqn, host))
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
