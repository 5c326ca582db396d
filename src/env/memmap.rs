//! Memory registration and translation maps (SPDK's `spdk_mem_register` and
//! `spdk_mem_map_*`), plus `vtophys`.
//!
//! Registrations are 2 MiB aligned. Every map is told of every registration
//! (REGISTER when memory is registered or when the map is created,
//! UNREGISTER when memory goes or the map is freed) and keeps one 64-bit
//! translation per 2 MiB page. Translation is a lock-free two-level lookup:
//! 2^18 pointers to 1 GiB tables of 512 entries, covering 48-bit addresses.

use parking_lot::{Mutex, ReentrantMutex};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

pub const SHIFT_2MB: u32 = 21;
pub const VALUE_2MB: u64 = 1 << SHIFT_2MB;
pub const MASK_2MB: u64 = VALUE_2MB - 1;
const L2_ENTRIES: usize = 512;
const L1_ENTRIES: usize = 1 << (48 - 30);
/// Returned by `vtophys` for memory that is not registered.
pub const VTOPHYS_ERROR: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Register,
    Unregister,
}

/// Called for each registration: `(map, action, vaddr, len)`; an error (negative errno) vetoes a registration.
pub type NotifyFn = Box<dyn Fn(&MemMap, Action, u64, u64) -> Result<(), i32> + Send + Sync>;
/// Whether two consecutive 2 MiB translations are contiguous.
pub type ContiguousFn = Box<dyn Fn(u64, u64) -> bool + Send + Sync>;

struct L2 {
    entries: [AtomicU64; L2_ENTRIES],
}

pub struct MemMap {
    default: u64,
    l1: Box<[AtomicPtr<L2>]>,
    grow: Mutex<()>,
    notify: Option<NotifyFn>,
    contiguous: Option<ContiguousFn>,
}

fn zeroed_l1() -> Box<[AtomicPtr<L2>]> {
    let layout = std::alloc::Layout::array::<AtomicPtr<L2>>(L1_ENTRIES).expect("layout");
    // SAFETY: the layout is non-zero sized; an all-zero AtomicPtr is a valid null
    // pointer, so the zeroed array is fully initialised. Zeroed pages stay
    // untouched (and cost no resident memory) until a translation lands there.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout) as *mut AtomicPtr<L2>;
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, L1_ENTRIES))
    }
}

impl MemMap {
    fn l2_of(&self, vaddr: u64) -> Option<&L2> {
        let p = self.l1.get((vaddr >> 30) as usize)?.load(Ordering::Acquire);
        // SAFETY: non-null L1 entries point to L2 tables owned by this map and
        // freed only in Drop, which needs exclusive access.
        unsafe { p.as_ref() }
    }

    fn l2_or_create(&self, vaddr: u64) -> &L2 {
        if let Some(l2) = self.l2_of(vaddr) {
            return l2;
        }
        let _g = self.grow.lock();
        if let Some(l2) = self.l2_of(vaddr) {
            return l2;
        }
        let l2 = Box::new(L2 { entries: std::array::from_fn(|_| AtomicU64::new(self.default)) });
        let p = Box::into_raw(l2);
        self.l1[(vaddr >> 30) as usize].store(p, Ordering::Release);
        // SAFETY: just stored; lives until Drop.
        unsafe { &*p }
    }

    pub fn default_translation(&self) -> u64 {
        self.default
    }

    /// Sets the translation of every 2 MiB page in `[vaddr, vaddr + size)` to `translation`.
    pub fn set_translation(&self, vaddr: u64, size: u64, translation: u64) -> Result<(), i32> {
        if size == 0 || vaddr & MASK_2MB != 0 || size & MASK_2MB != 0 {
            return Err(libc::EINVAL);
        }
        let end = vaddr.checked_add(size).ok_or(libc::EINVAL)?;
        if end > 1u64 << 48 {
            return Err(libc::EINVAL);
        }
        let mut va = vaddr;
        while va < end {
            let l2 = self.l2_or_create(va);
            l2.entries[((va >> SHIFT_2MB) as usize) % L2_ENTRIES].store(translation, Ordering::Release);
            va += VALUE_2MB;
        }
        Ok(())
    }

    pub fn clear_translation(&self, vaddr: u64, size: u64) -> Result<(), i32> {
        self.set_translation(vaddr, size, self.default)
    }

    fn entry(&self, vaddr: u64) -> u64 {
        match self.l2_of(vaddr) {
            Some(l2) => l2.entries[((vaddr >> SHIFT_2MB) as usize) % L2_ENTRIES].load(Ordering::Acquire),
            None => self.default,
        }
    }

    /// The translation of the 2 MiB page holding `vaddr`. With `size`, it is
    /// reduced to the bytes from `vaddr` that share that translation
    /// (extended over following pages the map declares contiguous).
    pub fn translate(&self, vaddr: u64, size: Option<&mut u64>) -> u64 {
        if vaddr >= 1u64 << 48 {
            if let Some(s) = size {
                *s = 0;
            }
            return self.default;
        }
        let t = self.entry(vaddr);
        let Some(size) = size else { return t };
        let mut cur = VALUE_2MB - (vaddr & MASK_2MB);
        if t != self.default {
            if let Some(contig) = &self.contiguous {
                let mut prev = t;
                let mut page = (vaddr & !MASK_2MB) + VALUE_2MB;
                while cur < *size && page < 1u64 << 48 {
                    let next = self.entry(page);
                    if next == self.default || !contig(prev, next) {
                        break;
                    }
                    prev = next;
                    cur += VALUE_2MB;
                    page += VALUE_2MB;
                }
            }
        }
        *size = (*size).min(cur);
        t
    }
}

impl Drop for MemMap {
    fn drop(&mut self) {
        for e in self.l1.iter() {
            let p = e.swap(std::ptr::null_mut(), Ordering::AcqRel);
            if !p.is_null() {
                // SAFETY: created by Box::into_raw in l2_or_create, freed once here.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}

struct Registry {
    regions: BTreeMap<u64, u64>,
    maps: Vec<usize>,
}

// Reentrant so that a notify callback may translate or set translations; the
// RefCell borrow is never held across a callback.
static REGISTRY: ReentrantMutex<RefCell<Registry>> =
    ReentrantMutex::new(RefCell::new(Registry { regions: BTreeMap::new(), maps: Vec::new() }));

fn notify_all(maps: &[usize], action: Action, vaddr: u64, len: u64) -> Result<(), (usize, i32)> {
    for (i, &m) in maps.iter().enumerate() {
        // SAFETY: map pointers in the registry are live until map_free removes them
        // under the same lock, which the caller holds.
        let map = unsafe { &*(m as *const MemMap) };
        if let Some(n) = &map.notify {
            if let Err(e) = n(map, action, vaddr, len) {
                return Err((i, e));
            }
        }
    }
    Ok(())
}

/// Creates a map and replays every current registration into it.
pub fn map_alloc(default: u64, notify: Option<NotifyFn>, contiguous: Option<ContiguousFn>) -> Result<Box<MemMap>, i32> {
    let map = Box::new(MemMap { default, l1: zeroed_l1(), grow: Mutex::new(()), notify, contiguous });
    let guard = REGISTRY.lock();
    let regions: Vec<(u64, u64)> = guard.borrow().regions.iter().map(|(&a, &l)| (a, l)).collect();
    if let Some(n) = &map.notify {
        for (i, &(va, len)) in regions.iter().enumerate() {
            if let Err(e) = n(&map, Action::Register, va, len) {
                for &(va, len) in regions[..i].iter().rev() {
                    let _ = n(&map, Action::Unregister, va, len);
                }
                return Err(e);
            }
        }
    }
    guard.borrow_mut().maps.push(&*map as *const MemMap as usize);
    Ok(map)
}

/// Tells the map every registration is going, then frees it.
pub fn map_free(map: Box<MemMap>) {
    let guard = REGISTRY.lock();
    let me = &*map as *const MemMap as usize;
    guard.borrow_mut().maps.retain(|&m| m != me);
    let regions: Vec<(u64, u64)> = guard.borrow().regions.iter().map(|(&a, &l)| (a, l)).collect();
    if let Some(n) = &map.notify {
        for (va, len) in regions.into_iter().rev() {
            let _ = n(&map, Action::Unregister, va, len);
        }
    }
    drop(guard);
    drop(map);
}

/// Registers `[vaddr, vaddr + len)` (2 MiB aligned) with every map.
pub fn register(vaddr: u64, len: u64) -> Result<(), i32> {
    if len == 0 || vaddr == 0 || vaddr & MASK_2MB != 0 || len & MASK_2MB != 0 {
        return Err(libc::EINVAL);
    }
    let end = vaddr.checked_add(len).ok_or(libc::EINVAL)?;
    if end > 1u64 << 48 {
        return Err(libc::EINVAL);
    }
    let guard = REGISTRY.lock();
    let maps = {
        let reg = guard.borrow();
        let overlaps = reg.regions.range(..end).next_back().is_some_and(|(&a, &l)| a + l > vaddr);
        if overlaps {
            return Err(libc::EBUSY);
        }
        reg.maps.clone()
    };
    guard.borrow_mut().regions.insert(vaddr, len);
    if let Err((failed, e)) = notify_all(&maps, Action::Register, vaddr, len) {
        let _ = notify_all(&maps[..failed], Action::Unregister, vaddr, len);
        guard.borrow_mut().regions.remove(&vaddr);
        return Err(e);
    }
    Ok(())
}

/// Unregisters whole registrations that exactly cover `[vaddr, vaddr + len)`.
pub fn unregister(vaddr: u64, len: u64) -> Result<(), i32> {
    if len == 0 || vaddr & MASK_2MB != 0 || len & MASK_2MB != 0 {
        return Err(libc::EINVAL);
    }
    let end = vaddr.checked_add(len).ok_or(libc::EINVAL)?;
    let guard = REGISTRY.lock();
    let (parts, maps) = {
        let reg = guard.borrow();
        let mut parts = Vec::new();
        let mut at = vaddr;
        while at < end {
            match reg.regions.get(&at) {
                Some(&l) if at + l <= end => {
                    parts.push((at, l));
                    at += l;
                }
                _ => return Err(libc::EINVAL),
            }
        }
        (parts, reg.maps.clone())
    };
    for &(va, l) in &parts {
        let _ = notify_all(&maps, Action::Unregister, va, l);
        guard.borrow_mut().regions.remove(&va);
    }
    Ok(())
}

/// Whether `[vaddr, vaddr + len)` lies inside registered memory.
pub fn is_registered(vaddr: u64, len: u64) -> bool {
    let guard = REGISTRY.lock();
    let reg = guard.borrow();
    reg.regions.range(..=vaddr).next_back().is_some_and(|(&a, &l)| vaddr + len <= a + l)
}

struct VtophysMap(Box<MemMap>);

static VTOPHYS: once_cell::sync::Lazy<VtophysMap> = once_cell::sync::Lazy::new(|| {
    // IOVA = VA: every registered 2 MiB page translates to its own address.
    let notify: NotifyFn = Box::new(|map, action, va, len| match action {
        Action::Register => {
            let mut p = va;
            while p < va + len {
                map.set_translation(p, VALUE_2MB, p)?;
                p += VALUE_2MB;
            }
            Ok(())
        }
        Action::Unregister => map.clear_translation(va, len),
    });
    let contiguous: ContiguousFn = Box::new(|a, b| b.wrapping_sub(a) == VALUE_2MB);
    VtophysMap(map_alloc(VTOPHYS_ERROR, Some(notify), Some(contiguous)).expect("vtophys map"))
});

/// The I/O address of `addr` (IOVA = VA for registered memory), or `VTOPHYS_ERROR`.
/// With `size`, it is reduced to the contiguous bytes from `addr`.
pub fn vtophys(addr: u64, size: Option<&mut u64>) -> u64 {
    let t = VTOPHYS.0.translate(addr, size);
    if t == VTOPHYS_ERROR {
        VTOPHYS_ERROR
    } else {
        t + (addr & MASK_2MB)
    }
}

/// Makes `vtophys` translate `[va, va + len)` (2 MiB aligned) to itself
/// without registering it with the other maps: for device memory (an NVMe
/// controller memory buffer) whose bus address the device was told is `va`.
pub fn vtophys_add_device_range(va: u64, len: u64) -> Result<(), i32> {
    let map = &VTOPHYS.0;
    let mut p = va;
    while p < va + len {
        map.set_translation(p, VALUE_2MB, p)?;
        p += VALUE_2MB;
    }
    Ok(())
}

pub fn vtophys_remove_device_range(va: u64, len: u64) -> Result<(), i32> {
    VTOPHYS.0.clear_translation(va, len)
}

/// Forces the vtophys map into existence (before the first registration).
pub fn init_vtophys() {
    once_cell::sync::Lazy::force(&VTOPHYS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex as StdMutex};

    fn region(len: u64) -> u64 {
        let total = len + VALUE_2MB;
        // SAFETY: anonymous private mapping; only its address is used here.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), total as usize, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        assert_ne!(p, libc::MAP_FAILED);
        (p as u64 + MASK_2MB) & !MASK_2MB
    }

    #[test]
    fn register_notifies_and_translates() {
        let events = Arc::new(StdMutex::new(Vec::new()));
        let ev = events.clone();
        let notify: NotifyFn = Box::new(move |map, action, va, len| {
            ev.lock().unwrap().push((action, va, len));
            match action {
                Action::Register => map.set_translation(va, len, 0xabc),
                Action::Unregister => map.clear_translation(va, len),
            }
        });
        let map = map_alloc(7, Some(notify), None).unwrap();
        let va = region(4 * VALUE_2MB);
        assert_eq!(register(va + 1, VALUE_2MB), Err(libc::EINVAL));
        register(va, 4 * VALUE_2MB).unwrap();
        assert_eq!(register(va + VALUE_2MB, VALUE_2MB), Err(libc::EBUSY));
        assert!(events.lock().unwrap().contains(&(Action::Register, va, 4 * VALUE_2MB)));
        let mut sz = 3 * VALUE_2MB;
        assert_eq!(map.translate(va + 100, Some(&mut sz)), 0xabc);
        assert_eq!(sz, VALUE_2MB - 100, "no contiguity callback: one page at most");
        assert_eq!(vtophys(va + 5, None), va + 5);
        let mut vs = 3 * VALUE_2MB;
        assert_eq!(vtophys(va + 5, Some(&mut vs)), va + 5);
        assert_eq!(vs, 3 * VALUE_2MB, "vtophys pages are contiguous");
        assert_eq!(unregister(va, VALUE_2MB), Err(libc::EINVAL));
        unregister(va, 4 * VALUE_2MB).unwrap();
        assert_eq!(map.translate(va, None), 7);
        assert_eq!(vtophys(va, None), VTOPHYS_ERROR);
        map_free(map);
        let x = 0u64;
        assert_eq!(vtophys(&x as *const u64 as u64, None), VTOPHYS_ERROR);
    }
}
