//! PCI addresses (`spdk_pci_addr_*`) and enumeration of the devices in sysfs.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciAddr {
    pub domain: u32,
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

fn hex(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    u32::from_str_radix(s, 16).ok().filter(|&v| v <= max)
}

impl PciAddr {
    /// Parses `DDDD:BB:DD.F`, `BB:DD.F` (domain 0) or `DDDD.BB.DD.F`.
    pub fn parse(s: &str) -> Option<PciAddr> {
        let s = s.trim();
        let (front, func) = s.rsplit_once('.')?;
        let parts: Vec<&str> = if front.contains(':') { front.split(':').collect() } else { front.split('.').collect() };
        let (domain, bus, dev) = match parts.as_slice() {
            [d, b, v] => (hex(d, u32::MAX)?, hex(b, 0xff)?, hex(v, 0x1f)?),
            [b, v] => (0, hex(b, 0xff)?, hex(v, 0x1f)?),
            _ => return None,
        };
        let func = hex(func, 7)?;
        Some(PciAddr { domain, bus: bus as u8, dev: dev as u8, func: func as u8 })
    }

    pub fn compare(&self, other: &PciAddr) -> Ordering {
        self.cmp(other)
    }
}

impl std::fmt::Display for PciAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:02x}:{:02x}.{:x}", self.domain, self.bus, self.dev, self.func)
    }
}

/// One PCI function as sysfs describes it.
#[derive(Clone, Debug)]
pub struct PciDevice {
    pub addr: PciAddr,
    pub vendor_id: u16,
    pub device_id: u16,
    pub subvendor_id: u16,
    pub subdevice_id: u16,
    /// 24-bit class code (class, subclass, programming interface).
    pub class: u32,
    pub driver: Option<String>,
    pub numa_node: i32,
    pub iommu_group: Option<u32>,
    pub sysfs: PathBuf,
}

fn read_hex(p: &Path) -> Option<u32> {
    let t = std::fs::read_to_string(p).ok()?;
    u32::from_str_radix(t.trim().trim_start_matches("0x"), 16).ok()
}

fn link_name(p: &Path) -> Option<String> {
    std::fs::read_link(p).ok()?.file_name()?.to_str().map(str::to_string)
}

/// Reads one device directory (`/sys/bus/pci/devices/<bdf>`).
pub fn read_device(dir: &Path) -> Option<PciDevice> {
    let addr = PciAddr::parse(dir.file_name()?.to_str()?)?;
    Some(PciDevice {
        addr,
        vendor_id: read_hex(&dir.join("vendor"))? as u16,
        device_id: read_hex(&dir.join("device"))? as u16,
        subvendor_id: read_hex(&dir.join("subsystem_vendor")).unwrap_or(0) as u16,
        subdevice_id: read_hex(&dir.join("subsystem_device")).unwrap_or(0) as u16,
        class: read_hex(&dir.join("class")).unwrap_or(0) & 0xff_ffff,
        driver: link_name(&dir.join("driver")),
        numa_node: std::fs::read_to_string(dir.join("numa_node")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(-1),
        iommu_group: link_name(&dir.join("iommu_group")).and_then(|g| g.parse().ok()),
        sysfs: dir.to_path_buf(),
    })
}

/// What to match; `None` matches anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct PciFilter {
    pub class: Option<u32>,
    pub vendor_id: Option<u16>,
    pub device_id: Option<u16>,
}

/// Devices under `root` (normally `/sys/bus/pci/devices`) that match, sorted by address.
pub fn enumerate_in(root: &Path, filter: &PciFilter) -> Vec<PciDevice> {
    let Ok(rd) = std::fs::read_dir(root) else { return Vec::new() };
    let mut devs: Vec<PciDevice> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| read_device(&e.path()))
        .filter(|d| filter.class.is_none_or(|c| d.class == c))
        .filter(|d| filter.vendor_id.is_none_or(|v| d.vendor_id == v))
        .filter(|d| filter.device_id.is_none_or(|v| d.device_id == v))
        .collect();
    devs.sort_by_key(|d| d.addr);
    devs
}

pub fn enumerate(filter: &PciFilter) -> Vec<PciDevice> {
    enumerate_in(Path::new("/sys/bus/pci/devices"), filter)
}

/// The NVMe class code (mass storage, NVM, NVMe).
pub const CLASS_NVME: u32 = 0x01_08_02;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        let a = PciAddr::parse("0000:01:00.0").unwrap();
        assert_eq!(a, PciAddr { domain: 0, bus: 1, dev: 0, func: 0 });
        assert_eq!(PciAddr::parse("01:1f.7").unwrap(), PciAddr { domain: 0, bus: 1, dev: 0x1f, func: 7 });
        assert_eq!(PciAddr::parse("0001.02.03.4").unwrap().to_string(), "0001:02:03.4");
        assert!(PciAddr::parse("0000:01:20.0").is_none(), "device > 0x1f");
        assert!(PciAddr::parse("0000:01:00.8").is_none(), "function > 7");
        assert!(PciAddr::parse("0000:0g:00.0").is_none());
        assert!(PciAddr::parse("garbage").is_none());
        assert!(PciAddr::parse("0000:100:00.0").is_none());
    }

    #[test]
    fn enumerate_fake_sysfs() {
        let root = std::env::temp_dir().join(format!("rspdk-pci-{}", std::process::id()));
        let dev = root.join("0000:00:04.0");
        std::fs::create_dir_all(&dev).unwrap();
        for (f, v) in [("vendor", "0x1b36\n"), ("device", "0x0010\n"), ("class", "0x010802\n"), ("numa_node", "-1\n")] {
            std::fs::write(dev.join(f), v).unwrap();
        }
        let other = root.join("0000:00:01.0");
        std::fs::create_dir_all(&other).unwrap();
        for (f, v) in [("vendor", "0x8086\n"), ("device", "0x1234\n"), ("class", "0x060000\n")] {
            std::fs::write(other.join(f), v).unwrap();
        }
        let nvme = enumerate_in(&root, &PciFilter { class: Some(CLASS_NVME), ..Default::default() });
        assert_eq!(nvme.len(), 1);
        assert_eq!((nvme[0].vendor_id, nvme[0].device_id), (0x1b36, 0x0010));
        assert_eq!(enumerate_in(&root, &PciFilter::default()).len(), 2);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn enumerate_real_sysfs() {
        // Whatever the machine has: every entry must parse back to its own directory name.
        for d in enumerate(&PciFilter::default()) {
            assert_eq!(d.sysfs.file_name().unwrap().to_str().unwrap(), d.addr.to_string());
        }
    }
}
