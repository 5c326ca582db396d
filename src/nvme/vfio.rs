//! VFIO: the process's one IOMMU container, its groups, and devices with
//! their BAR0 mapped. Every memory region registered with env (the DMA heap
//! and `spdk_mem_register`ed memory) is DMA-mapped into the container at
//! IOVA = VA through a memory map, so any buffer `vtophys` translates is
//! reachable by the device.
//!
//! Structure layouts come from `vfio-bindings`; the ioctls are issued here.

use crate::env::{memmap, pci::PciAddr};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;
use vfio_bindings::bindings::vfio as sys;

const VFIO_TYPE: u64 = b';' as u64;
const fn io(nr: u64) -> u64 {
    (VFIO_TYPE << 8) | nr
}
const VFIO_GET_API_VERSION: u64 = io(100);
const VFIO_CHECK_EXTENSION: u64 = io(101);
const VFIO_SET_IOMMU: u64 = io(102);
const VFIO_GROUP_GET_STATUS: u64 = io(103);
const VFIO_GROUP_SET_CONTAINER: u64 = io(104);
const VFIO_GROUP_GET_DEVICE_FD: u64 = io(106);
const VFIO_DEVICE_GET_INFO: u64 = io(107);
const VFIO_DEVICE_GET_REGION_INFO: u64 = io(108);
const VFIO_DEVICE_SET_IRQS: u64 = io(110);
const VFIO_DEVICE_RESET: u64 = io(111);
const VFIO_IOMMU_MAP_DMA: u64 = io(113);
const VFIO_IOMMU_UNMAP_DMA: u64 = io(114);

/// What went wrong, with the errno it maps to.
#[derive(Debug)]
pub struct VfioError {
    pub what: String,
    pub errno: i32,
}

impl std::fmt::Display for VfioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (errno {})", self.what, self.errno)
    }
}

pub type Result<T> = std::result::Result<T, VfioError>;

fn err<T>(what: impl Into<String>) -> Result<T> {
    Err(VfioError { what: what.into(), errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) })
}

fn ioctl_val(fd: &impl AsRawFd, req: u64, arg: libc::c_ulong) -> libc::c_int {
    // SAFETY: a VFIO ioctl taking an integer argument on a descriptor we own.
    unsafe { libc::ioctl(fd.as_raw_fd(), req as libc::c_ulong, arg) }
}

fn ioctl_ptr<T>(fd: &impl AsRawFd, req: u64, arg: *mut T) -> libc::c_int {
    // SAFETY: a VFIO ioctl whose argument struct (with its argsz set) we own.
    unsafe { libc::ioctl(fd.as_raw_fd(), req as libc::c_ulong, arg) }
}

pub struct Container {
    fd: File,
    groups: Mutex<HashMap<u32, Arc<File>>>,
    dma_map: Mutex<Option<Box<memmap::MemMap>>>,
}

static CONTAINER: Mutex<Option<Arc<Container>>> = Mutex::new(None);

/// The process's container (opened on first use).
pub fn container() -> Result<Arc<Container>> {
    let mut g = CONTAINER.lock();
    if let Some(c) = g.as_ref() {
        return Ok(c.clone());
    }
    let fd = OpenOptions::new().read(true).write(true).open("/dev/vfio/vfio").or_else(|_| err("cannot open /dev/vfio/vfio (is vfio loaded?)"))?;
    if ioctl_val(&fd, VFIO_GET_API_VERSION, 0) != sys::VFIO_API_VERSION as i32 {
        return err("unknown VFIO API version");
    }
    if ioctl_val(&fd, VFIO_CHECK_EXTENSION, sys::VFIO_TYPE1v2_IOMMU as libc::c_ulong) <= 0 {
        return err("the VFIO container offers no type1v2 IOMMU (no IOMMU backend loaded: modprobe vfio_iommu_type1)");
    }
    let c = Arc::new(Container { fd, groups: Mutex::new(HashMap::new()), dma_map: Mutex::new(None) });
    *g = Some(c.clone());
    Ok(c)
}

impl Container {
    fn map_dma(&self, va: u64, len: u64) -> std::result::Result<(), i32> {
        let mut m = sys::vfio_iommu_type1_dma_map {
            argsz: std::mem::size_of::<sys::vfio_iommu_type1_dma_map>() as u32,
            flags: sys::VFIO_DMA_MAP_FLAG_READ | sys::VFIO_DMA_MAP_FLAG_WRITE,
            vaddr: va,
            iova: va,
            size: len,
        };
        if ioctl_ptr(&self.fd, VFIO_IOMMU_MAP_DMA, &mut m) != 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
            crate::log::error(format_args!("vfio: DMA map of {len} bytes at {va:#x} failed: errno {e}\n"));
            return Err(e);
        }
        Ok(())
    }

    fn unmap_dma(&self, va: u64, len: u64) -> std::result::Result<(), i32> {
        // SAFETY: plain data; all-zero is valid before the fields are set.
        let mut u: sys::vfio_iommu_type1_dma_unmap = unsafe { std::mem::zeroed() };
        u.argsz = std::mem::size_of::<sys::vfio_iommu_type1_dma_unmap>() as u32;
        u.iova = va;
        u.size = len;
        if ioctl_ptr(&self.fd, VFIO_IOMMU_UNMAP_DMA, &mut u) != 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO));
        }
        Ok(())
    }

    /// Adds IOMMU group `group` (once); the first group also selects the IOMMU
    /// and maps every registered memory region.
    fn attach_group(self: &Arc<Self>, group: u32) -> Result<Arc<File>> {
        let mut groups = self.groups.lock();
        if let Some(f) = groups.get(&group) {
            return Ok(f.clone());
        }
        let path = format!("/dev/vfio/{group}");
        let gf = OpenOptions::new().read(true).write(true).open(&path).or_else(|_| err(format!("cannot open {path} (is the device bound to vfio-pci?)")))?;
        let mut status = sys::vfio_group_status { argsz: std::mem::size_of::<sys::vfio_group_status>() as u32, flags: 0 };
        if ioctl_ptr(&gf, VFIO_GROUP_GET_STATUS, &mut status) != 0 {
            return err(format!("VFIO_GROUP_GET_STATUS on {path}"));
        }
        if status.flags & sys::VFIO_GROUP_FLAGS_VIABLE == 0 {
            return Err(VfioError { what: format!("IOMMU group {group} is not viable: bind every device of the group to vfio-pci"), errno: libc::EBUSY });
        }
        let cfd = self.fd.as_raw_fd();
        if ioctl_ptr(&gf, VFIO_GROUP_SET_CONTAINER, &cfd as *const i32 as *mut i32) != 0 {
            return err(format!("VFIO_GROUP_SET_CONTAINER for group {group}"));
        }
        let first = groups.is_empty();
        let gf = Arc::new(gf);
        groups.insert(group, gf.clone());
        drop(groups);
        if first {
            if ioctl_val(&self.fd, VFIO_SET_IOMMU, sys::VFIO_TYPE1v2_IOMMU as libc::c_ulong) != 0 {
                return err("VFIO_SET_IOMMU type1v2");
            }
            let me = Arc::downgrade(self);
            let notify: memmap::NotifyFn = Box::new(move |_map, action, va, len| {
                let Some(c) = me.upgrade() else { return Ok(()) };
                match action {
                    memmap::Action::Register => c.map_dma(va, len),
                    memmap::Action::Unregister => c.unmap_dma(va, len),
                }
            });
            let map = memmap::map_alloc(0, Some(notify), None).map_err(|e| VfioError { what: "mapping registered memory into the IOMMU".into(), errno: e })?;
            *self.dma_map.lock() = Some(map);
        }
        Ok(gf)
    }
}

/// An open VFIO PCI device with BAR0 mapped.
pub struct Device {
    pub addr: PciAddr,
    fd: OwnedFd,
    _group: Arc<File>,
    bar0: *mut u8,
    bar0_len: usize,
    config_offset: u64,
    /// The device request notifier (hot removal), if the kernel offers one.
    req: Option<OwnedFd>,
}

// SAFETY: the BAR mapping is plain MMIO; register accesses are volatile and
// the owners (controller objects) serialise what must be serialised.
unsafe impl Send for Device {}
// SAFETY: as above.
unsafe impl Sync for Device {}

fn region_info(fd: &OwnedFd, index: u32) -> Result<sys::vfio_region_info> {
    // SAFETY: plain data.
    let mut info: sys::vfio_region_info = unsafe { std::mem::zeroed() };
    info.argsz = std::mem::size_of::<sys::vfio_region_info>() as u32;
    info.index = index;
    if ioctl_ptr(fd, VFIO_DEVICE_GET_REGION_INFO, &mut info) != 0 {
        return err(format!("VFIO_DEVICE_GET_REGION_INFO {index}"));
    }
    Ok(info)
}

/// An eventfd the kernel signals when it wants the device back (VFIO's
/// device request interrupt); None where the kernel offers none.
fn request_notifier(fd: &OwnedFd) -> Option<OwnedFd> {
    #[repr(C)]
    struct IrqSet {
        argsz: u32,
        flags: u32,
        index: u32,
        start: u32,
        count: u32,
        fd: i32,
    }
    // SAFETY: creating an eventfd; the result is checked.
    let efd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if efd < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor, owned from here on.
    let efd = unsafe { OwnedFd::from_raw_fd(efd) };
    let mut set = IrqSet {
        argsz: std::mem::size_of::<IrqSet>() as u32,
        flags: sys::VFIO_IRQ_SET_DATA_EVENTFD | sys::VFIO_IRQ_SET_ACTION_TRIGGER,
        index: sys::VFIO_PCI_REQ_IRQ_INDEX,
        start: 0,
        count: 1,
        fd: efd.as_raw_fd(),
    };
    (ioctl_ptr(fd, VFIO_DEVICE_SET_IRQS, &mut set) == 0).then_some(efd)
}

/// IOMMU group of a PCI device from sysfs.
pub fn iommu_group(addr: &PciAddr) -> Option<u32> {
    let link = std::fs::read_link(format!("/sys/bus/pci/devices/{addr}/iommu_group")).ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

impl Device {
    pub fn open(addr: PciAddr) -> Result<Device> {
        let driver = std::fs::read_link(format!("/sys/bus/pci/devices/{addr}/driver")).ok().and_then(|l| l.file_name().map(|n| n.to_string_lossy().into_owned()));
        if driver.as_deref() != Some("vfio-pci") {
            return Err(VfioError { what: format!("{addr} is bound to {} and not to vfio-pci (scripts/setup.sh binds it)", driver.as_deref().unwrap_or("no driver")), errno: libc::ENODEV });
        }
        let group = iommu_group(&addr).ok_or(VfioError { what: format!("{addr} has no IOMMU group"), errno: libc::ENODEV })?;
        let c = container()?;
        let gf = c.attach_group(group)?;
        let name = std::ffi::CString::new(addr.to_string()).expect("no NUL");
        // SAFETY: VFIO_GROUP_GET_DEVICE_FD takes the device name string.
        let dfd = unsafe { libc::ioctl(gf.as_raw_fd(), VFIO_GROUP_GET_DEVICE_FD as libc::c_ulong, name.as_ptr()) };
        if dfd < 0 {
            return err(format!("VFIO_GROUP_GET_DEVICE_FD {addr}"));
        }
        // SAFETY: a fresh descriptor from the kernel, owned from here on.
        let fd = unsafe { OwnedFd::from_raw_fd(dfd) };
        // SAFETY: plain data.
        let mut dinfo: sys::vfio_device_info = unsafe { std::mem::zeroed() };
        dinfo.argsz = std::mem::size_of::<sys::vfio_device_info>() as u32;
        if ioctl_ptr(&fd, VFIO_DEVICE_GET_INFO, &mut dinfo) != 0 {
            return err("VFIO_DEVICE_GET_INFO");
        }
        let bar = region_info(&fd, sys::VFIO_PCI_BAR0_REGION_INDEX)?;
        if bar.flags & sys::VFIO_REGION_INFO_FLAG_MMAP == 0 || bar.size == 0 {
            return Err(VfioError { what: format!("{addr}: BAR0 cannot be mapped"), errno: libc::ENODEV });
        }
        // SAFETY: mapping the device's BAR0 region at the offset VFIO gives.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), bar.size as usize, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), bar.offset as libc::off_t)
        };
        if p == libc::MAP_FAILED {
            return err(format!("{addr}: mmap of BAR0"));
        }
        let cfg = region_info(&fd, sys::VFIO_PCI_CONFIG_REGION_INDEX)?;
        let req = request_notifier(&fd);
        let dev = Device { addr, fd, _group: gf, bar0: p as *mut u8, bar0_len: bar.size as usize, config_offset: cfg.offset, req };
        // Memory space and bus mastering on, legacy interrupts off (polled mode).
        let cmd = dev.config_read16(4)?;
        dev.config_write16(4, cmd | 0x2 | 0x4 | 0x400)?;
        Ok(dev)
    }

    pub fn config_read16(&self, off: u64) -> Result<u16> {
        let mut b = [0u8; 2];
        // SAFETY: reading 2 bytes into our buffer from the config region.
        let n = unsafe { libc::pread(self.fd.as_raw_fd(), b.as_mut_ptr().cast(), 2, (self.config_offset + off) as libc::off_t) };
        if n != 2 {
            return err("config space read");
        }
        Ok(u16::from_le_bytes(b))
    }

    pub fn config_write16(&self, off: u64, v: u16) -> Result<()> {
        let b = v.to_le_bytes();
        // SAFETY: writing 2 bytes from our buffer to the config region.
        let n = unsafe { libc::pwrite(self.fd.as_raw_fd(), b.as_ptr().cast(), 2, (self.config_offset + off) as libc::off_t) };
        if n != 2 {
            return err("config space write");
        }
        Ok(())
    }

    /// Maps `len` bytes at `offset` of BAR `index` at a 2 MiB-aligned address.
    pub fn map_bar_aligned(&self, index: u32, offset: u64, len: usize) -> Result<(*mut u8, usize)> {
        let info = region_info(&self.fd, index)?;
        if info.flags & sys::VFIO_REGION_INFO_FLAG_MMAP == 0 || offset + len as u64 > info.size {
            return Err(VfioError { what: format!("{}: BAR {index} cannot be mapped", self.addr), errno: libc::ENODEV });
        }
        let align = 2usize << 20;
        let span = len.next_multiple_of(align) + align;
        // SAFETY: reserving address space only (PROT_NONE); the BAR is mapped over part of it.
        let res = unsafe { libc::mmap(std::ptr::null_mut(), span, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0) };
        if res == libc::MAP_FAILED {
            return err("reserving address space for a BAR");
        }
        let base = (res as usize).next_multiple_of(align);
        // SAFETY: MAP_FIXED inside the reservation we own, over the device's region.
        let p = unsafe {
            libc::mmap(base as *mut _, len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_FIXED, self.fd.as_raw_fd(), (info.offset + offset) as libc::off_t)
        };
        if p == libc::MAP_FAILED {
            // SAFETY: releasing our own reservation.
            unsafe { libc::munmap(res, span) };
            return err(format!("{}: mmap of BAR {index}", self.addr));
        }
        Ok((res as *mut u8, span))
    }

    /// Whether the kernel asked for the device back (it is being removed:
    /// `remove` in sysfs, a hot unplug). Reading consumes the request.
    pub fn removal_requested(&self) -> bool {
        let Some(e) = &self.req else { return false };
        let mut v = 0u64;
        // SAFETY: an 8-byte read of our non-blocking eventfd into a u64.
        let n = unsafe { libc::read(e.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
        n == 8
    }

    pub fn bar0(&self) -> (*mut u8, usize) {
        (self.bar0, self.bar0_len)
    }

    /// Function-level reset through VFIO (best effort).
    pub fn reset(&self) -> bool {
        ioctl_val(&self.fd, VFIO_DEVICE_RESET, 0) == 0
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: unmapping the BAR mapped in `open`.
        unsafe { libc::munmap(self.bar0.cast(), self.bar0_len) };
    }
}

/// True when the VFIO container exists and a group is attached.
pub fn have_container() -> bool {
    CONTAINER.lock().as_ref().is_some_and(|c| !c.groups.lock().is_empty())
}

pub fn group_path_exists(group: u32) -> bool {
    Path::new(&format!("/dev/vfio/{group}")).exists()
}
