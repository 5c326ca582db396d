//! The DMA-safe heap behind `spdk_malloc` and `spdk_dma_malloc`.
//!
//! Memory comes in 2 MiB-aligned regions, backed by hugepages (a hugetlbfs
//! file in `hugedir`, or `memfd_create(MFD_HUGETLB)`) where the system has them
//! and by populated, locked anonymous memory otherwise. Each region is
//! registered with every memory map (so `vtophys` and, later, VFIO see it).
//! Inside the regions a first-fit allocator with coalescing hands out blocks;
//! block bookkeeping lives outside the blocks. `mem_size` caps the total.

use super::memmap;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};

const REGION_CHUNK: usize = 8 << 20;
const MIN_ALIGN: usize = 64;
const HUGE_2MB: usize = 2 << 20;

#[derive(Clone, Debug, Default)]
pub struct MemConfig {
    /// Total bytes the heap may map; `None` for no limit.
    pub limit: Option<usize>,
    pub no_huge: bool,
    pub hugedir: Option<std::path::PathBuf>,
}

struct Region {
    base: usize,
    len: usize,
    /// Free blocks: start -> length.
    free: BTreeMap<usize, usize>,
}

struct Block {
    region: usize,
    start: usize,
    len: usize,
    size: usize,
}

struct Heap {
    cfg: MemConfig,
    regions: Vec<Region>,
    blocks: HashMap<usize, Block>,
    mapped: usize,
    /// Whether hugepage mapping was tried and failed: do not retry each time.
    huge_failed: bool,
    announced: bool,
}

static HEAP: Mutex<Option<Heap>> = Mutex::new(None);

fn with_heap<R>(f: impl FnOnce(&mut Heap) -> R) -> R {
    let mut g = HEAP.lock();
    let heap = g.get_or_insert_with(|| Heap {
        cfg: MemConfig::default(),
        regions: Vec::new(),
        blocks: HashMap::new(),
        mapped: 0,
        huge_failed: false,
        announced: false,
    });
    f(heap)
}

/// Applies `cfg` to future regions (called by `spdk_env_init`).
pub fn configure(cfg: MemConfig) {
    with_heap(|h| {
        h.cfg = cfg;
        h.huge_failed = false;
    });
}

fn map_huge(len: usize, dir: Option<&std::path::Path>) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let file = match dir {
        Some(d) => {
            let path = d.join(format!("rspdk_{}_{}", std::process::id(), rand_suffix()));
            let f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path).ok()?;
            let _ = std::fs::remove_file(&path);
            f
        }
        None => {
            // SAFETY: memfd_create with a valid NUL-terminated name; the fd is owned by the File below.
            let fd = unsafe { libc::memfd_create(c"rspdk".as_ptr(), libc::MFD_HUGETLB | libc::MFD_CLOEXEC) };
            if fd < 0 {
                return None;
            }
            // SAFETY: fd is a fresh descriptor we own.
            unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) }
        }
    };
    if file.set_len(len as u64).is_err() {
        return None;
    }
    // SAFETY: mapping a file we own; MAP_POPULATE makes hugetlb reserve the pages
    // now, so a shortage fails here instead of faulting later.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_POPULATE,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    Some(p as usize)
}

fn rand_suffix() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: getrandom writes at most b.len() bytes into b.
    unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    u64::from_ne_bytes(b)
}

fn map_anon(len: usize) -> Option<usize> {
    let total = len + HUGE_2MB;
    // SAFETY: a fresh anonymous mapping; we trim it to a 2 MiB-aligned window below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            total,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let start = p as usize;
    let base = (start + HUGE_2MB - 1) & !(HUGE_2MB - 1);
    // SAFETY: unmapping the unaligned head and tail of our own mapping; the
    // window [base, base + len) stays mapped.
    unsafe {
        if base > start {
            libc::munmap(start as *mut _, base - start);
        }
        let end = base + len;
        if start + total > end {
            libc::munmap(end as *mut _, start + total - end);
        }
        // Ask for transparent huge pages before the pages are faulted in: with
        // the kernel's default THP mode ("madvise") only advised ranges get
        // them, and 2 MiB pages cut the TLB misses of random access to large
        // buffers (a malloc bdev) by a large factor. Refused is fine.
        libc::madvise(base as *mut _, len, libc::MADV_HUGEPAGE);
        // Pin: fault every page in now and keep it resident. mlock may be refused
        // for an ordinary user with a small RLIMIT_MEMLOCK; the memory then stays
        // populated but unlocked (fine without a device; VFIO pins on its own).
        if libc::mlock(base as *const _, len) != 0 {
            libc::madvise(base as *mut _, len, libc::MADV_WILLNEED);
            std::ptr::write_bytes(base as *mut u8, 0, len);
        }
        libc::madvise(base as *mut _, len, libc::MADV_DONTFORK);
    }
    Some(base)
}

fn unmap(base: usize, len: usize) {
    // SAFETY: the region was mapped by map_huge/map_anon with exactly this range.
    unsafe { libc::munmap(base as *mut _, len) };
}

impl Heap {
    fn add_region(&mut self, want: usize) -> Option<usize> {
        let mut len = want.max(REGION_CHUNK).next_multiple_of(HUGE_2MB);
        if let Some(limit) = self.cfg.limit {
            if self.mapped + len > limit {
                len = want.next_multiple_of(HUGE_2MB);
                if self.mapped + len > limit {
                    return None;
                }
            }
        }
        let mut huge = false;
        let mut base = None;
        if !self.cfg.no_huge && !self.huge_failed {
            base = map_huge(len, self.cfg.hugedir.as_deref());
            huge = base.is_some();
            if base.is_none() {
                self.huge_failed = true;
            }
        }
        let base = match base {
            Some(b) => b,
            None => map_anon(len)?,
        };
        if !self.announced {
            self.announced = true;
            if huge {
                crate::log::notice(format_args!("rspdk env: DMA memory is backed by 2 MiB hugepages\n"));
            } else {
                crate::log::notice(format_args!("rspdk env: DMA memory is backed by pinned anonymous memory (no hugepages available)\n"));
            }
        }
        if let Err(e) = memmap::register(base as u64, len as u64) {
            crate::log::error(format_args!("rspdk env: registering a {len}-byte region failed: errno {e}\n"));
            unmap(base, len);
            return None;
        }
        let mut free = BTreeMap::new();
        free.insert(base, len);
        self.regions.push(Region { base, len, free });
        self.mapped += len;
        Some(self.regions.len() - 1)
    }

    fn carve(&mut self, ri: usize, size: usize, align: usize) -> Option<usize> {
        let region = &mut self.regions[ri];
        let (bstart, blen, ustart) = region.free.iter().find_map(|(&s, &l)| {
            let u = (s + align - 1) & !(align - 1);
            (u + size <= s + l).then_some((s, l, u))
        })?;
        region.free.remove(&bstart);
        if ustart > bstart {
            region.free.insert(bstart, ustart - bstart);
        }
        let tail = bstart + blen - (ustart + size);
        if tail > 0 {
            region.free.insert(ustart + size, tail);
        }
        Some(ustart)
    }

    fn alloc(&mut self, size: usize, align: usize) -> Option<usize> {
        let align = align.max(MIN_ALIGN);
        if !align.is_power_of_two() {
            return None;
        }
        let len = size.max(1).checked_next_multiple_of(MIN_ALIGN)?;
        let found = (0..self.regions.len()).find_map(|ri| self.carve(ri, len, align).map(|p| (ri, p)));
        let (ri, p) = match found {
            Some(x) => x,
            None => {
                let ri = self.add_region(len.checked_add(align)?)?;
                (ri, self.carve(ri, len, align)?)
            }
        };
        self.blocks.insert(p, Block { region: ri, start: p, len, size });
        Some(p)
    }

    fn free(&mut self, p: usize) -> bool {
        let Some(b) = self.blocks.remove(&p) else { return false };
        let free = &mut self.regions[b.region].free;
        let mut start = b.start;
        let mut len = b.len;
        if let Some((&ps, &pl)) = free.range(..start).next_back() {
            if ps + pl == start {
                free.remove(&ps);
                start = ps;
                len += pl;
            }
        }
        if let Some(&nl) = free.get(&(b.start + b.len)) {
            free.remove(&(b.start + b.len));
            len += nl;
        }
        free.insert(start, len);
        true
    }
}

/// Allocates `size` bytes aligned to `align` (a power of two; at least 64).
pub fn alloc(size: usize, align: usize) -> Option<*mut u8> {
    with_heap(|h| h.alloc(size, align)).map(|p| p as *mut u8)
}

/// Frees a block from `alloc`; false if `p` is not one.
pub fn free(p: *mut u8) -> bool {
    with_heap(|h| h.free(p as usize))
}

/// The requested size of a live block.
pub fn block_size(p: *mut u8) -> Option<usize> {
    with_heap(|h| h.blocks.get(&(p as usize)).map(|b| b.size))
}

/// Resizes: a new block with the old contents; the old block is freed on success.
pub fn realloc(p: *mut u8, size: usize, align: usize) -> Option<*mut u8> {
    let old = block_size(p)?;
    let n = alloc(size, align)?;
    // SAFETY: both blocks are live heap blocks of at least min(old, size) bytes and do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(p, n, old.min(size)) };
    free(p);
    Some(n)
}

/// Total bytes mapped for the heap.
pub fn mapped_bytes() -> usize {
    with_heap(|h| h.mapped)
}

/// Unmaps every region (at `spdk_env_fini`). Live blocks become invalid.
pub fn release_all() {
    let regions = {
        let mut g = HEAP.lock();
        match g.as_mut() {
            Some(h) => {
                if !h.blocks.is_empty() {
                    crate::log::warn(format_args!("rspdk env: {} DMA buffers were not freed before spdk_env_fini\n", h.blocks.len()));
                }
                h.blocks.clear();
                h.mapped = 0;
                h.announced = false;
                std::mem::take(&mut h.regions)
            }
            None => Vec::new(),
        }
    };
    for r in regions {
        let _ = memmap::unregister(r.base as u64, r.len as u64);
        unmap(r.base, r.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_align_free_coalesce() {
        let a = alloc(100, 4096).unwrap();
        assert_eq!(a as usize % 4096, 0);
        let b = alloc(3 << 20, HUGE_2MB).unwrap();
        assert_eq!(b as usize % HUGE_2MB, 0);
        // SAFETY: b is a live 3 MiB block.
        unsafe { std::ptr::write_bytes(b, 0xaa, 3 << 20) };
        assert_ne!(memmap::vtophys(b as u64 + 4096, None), memmap::VTOPHYS_ERROR);
        let c = realloc(a, 10000, 64).unwrap();
        assert_eq!(block_size(c), Some(10000));
        assert!(free(c));
        assert!(!free(c), "double free is refused");
        assert!(free(b));
    }
}
