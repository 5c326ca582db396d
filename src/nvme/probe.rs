//! Finding NVMe controllers: PCI functions of class 01:08:02 that are bound
//! to vfio-pci and allowed by env's PCI allow/block lists.

use crate::env::{self, pci};

#[derive(Clone, Debug)]
pub struct Candidate {
    pub dev: pci::PciDevice,
    /// Why it cannot be attached (not bound to vfio-pci, blocked).
    pub unusable: Option<String>,
}

pub fn pcie_candidates() -> Vec<Candidate> {
    pci::enumerate(&pci::PciFilter { class: Some(pci::CLASS_NVME), ..Default::default() })
        .into_iter()
        .map(|d| {
            let unusable = if !env::pci_addr_permitted(&d.addr) {
                Some("blocked by the PCI allow/block lists".to_string())
            } else if d.driver.as_deref() != Some("vfio-pci") {
                Some(format!("bound to {}, not vfio-pci", d.driver.as_deref().unwrap_or("no driver")))
            } else {
                None
            };
            Candidate { dev: d, unusable }
        })
        .collect()
}
