//! Transport IDs: the `key:value` text form SPDK applications pass around
//! (`trtype:PCIe traddr:0000:04:00.0`, `trtype:TCP adrfam:IPv4
//! traddr:127.0.0.1 trsvcid:4420 subnqn:...`), parsed into typed fields with
//! clear errors, and compared the way SPDK compares them.

use crate::env::pci::PciAddr;
use std::cmp::Ordering;

pub const TRTYPE_RDMA: i32 = 1;
pub const TRTYPE_FC: i32 = 2;
pub const TRTYPE_TCP: i32 = 3;
pub const TRTYPE_PCIE: i32 = 256;
pub const TRTYPE_VFIOUSER: i32 = 1024;
pub const TRTYPE_CUSTOM: i32 = 4096;
pub const TRTYPE_CUSTOM_FABRICS: i32 = 4097;

pub const ADRFAM_IPV4: i32 = 1;
pub const ADRFAM_IPV6: i32 = 2;
pub const ADRFAM_IB: i32 = 3;
pub const ADRFAM_FC: i32 = 4;
pub const ADRFAM_INTRA_HOST: i32 = 254;

pub const TRSTRING_MAX: usize = 32;
pub const TRADDR_MAX: usize = 256;
pub const TRSVCID_MAX: usize = 32;
pub const NQN_MAX: usize = 223;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransportId {
    pub trtype: i32,
    pub trstring: String,
    pub adrfam: i32,
    pub traddr: String,
    pub trsvcid: String,
    pub subnqn: String,
    pub priority: i32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TridError {
    Syntax(String),
    UnknownKey(String),
    TooLong(&'static str, usize),
    BadValue(&'static str, String),
}

impl std::fmt::Display for TridError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TridError::Syntax(s) => write!(f, "'{s}' is not key:value"),
            TridError::UnknownKey(k) => write!(f, "unknown transport ID key '{k}'"),
            TridError::TooLong(k, max) => write!(f, "{k} is longer than {max} characters"),
            TridError::BadValue(k, v) => write!(f, "invalid {k} '{v}'"),
        }
    }
}

pub fn trtype_from_str(s: &str) -> i32 {
    match s.to_ascii_uppercase().as_str() {
        "PCIE" => TRTYPE_PCIE,
        "RDMA" => TRTYPE_RDMA,
        "FC" => TRTYPE_FC,
        "TCP" => TRTYPE_TCP,
        "VFIOUSER" => TRTYPE_VFIOUSER,
        _ => TRTYPE_CUSTOM,
    }
}

pub fn trtype_str(t: i32) -> Option<&'static str> {
    Some(match t {
        TRTYPE_PCIE => "PCIe",
        TRTYPE_RDMA => "RDMA",
        TRTYPE_FC => "FC",
        TRTYPE_TCP => "TCP",
        TRTYPE_VFIOUSER => "VFIOUSER",
        TRTYPE_CUSTOM => "CUSTOM",
        TRTYPE_CUSTOM_FABRICS => "CUSTOM_FABRICS",
        _ => return None,
    })
}

pub fn adrfam_from_str(s: &str) -> Option<i32> {
    Some(match s.to_ascii_uppercase().as_str() {
        "IPV4" => ADRFAM_IPV4,
        "IPV6" => ADRFAM_IPV6,
        "IB" => ADRFAM_IB,
        "FC" => ADRFAM_FC,
        "INTRA_HOST" => ADRFAM_INTRA_HOST,
        _ => return None,
    })
}

pub fn adrfam_str(a: i32) -> Option<&'static str> {
    Some(match a {
        ADRFAM_IPV4 => "IPv4",
        ADRFAM_IPV6 => "IPv6",
        ADRFAM_IB => "IB",
        ADRFAM_FC => "FC",
        ADRFAM_INTRA_HOST => "INTRA_HOST",
        _ => return None,
    })
}

fn bounded(key: &'static str, v: &str, max: usize) -> Result<String, TridError> {
    if v.len() > max {
        Err(TridError::TooLong(key, max))
    } else {
        Ok(v.to_string())
    }
}

impl TransportId {
    /// Sets trtype and trstring from a transport name (trstring upper-cased).
    pub fn set_trstring(&mut self, name: &str) -> Result<(), TridError> {
        self.trstring = bounded("trstring", &name.to_ascii_uppercase(), TRSTRING_MAX)?;
        Ok(())
    }

    /// Applies the `key:value` pairs of `s` to `self` (fields not named are kept).
    pub fn parse_into(&mut self, s: &str) -> Result<(), TridError> {
        for pair in s.split_whitespace() {
            let sep = pair.find([':', '=']).ok_or_else(|| TridError::Syntax(pair.to_string()))?;
            let (key, val) = (&pair[..sep], &pair[sep + 1..]);
            if key.is_empty() || val.is_empty() {
                return Err(TridError::Syntax(pair.to_string()));
            }
            match key.to_ascii_lowercase().as_str() {
                "trtype" => {
                    self.trtype = trtype_from_str(val);
                    self.set_trstring(val)?;
                }
                "adrfam" => self.adrfam = adrfam_from_str(val).ok_or_else(|| TridError::BadValue("adrfam", val.into()))?,
                "traddr" => self.traddr = bounded("traddr", val, TRADDR_MAX)?,
                "trsvcid" => self.trsvcid = bounded("trsvcid", val, TRSVCID_MAX)?,
                "subnqn" => self.subnqn = bounded("subnqn", val, NQN_MAX)?,
                "priority" => self.priority = val.parse().map_err(|_| TridError::BadValue("priority", val.into()))?,
                // Accepted alongside a transport ID but not part of it.
                "ns" | "hostaddr" | "hostsvcid" | "hostnqn" | "alt_traddr" => {}
                _ => return Err(TridError::UnknownKey(key.to_string())),
            }
        }
        Ok(())
    }

    pub fn pcie(addr: &PciAddr) -> TransportId {
        TransportId { trtype: TRTYPE_PCIE, trstring: "PCIE".into(), traddr: addr.to_string(), ..Default::default() }
    }

    /// SPDK's ordering of transport IDs.
    pub fn compare(&self, other: &TransportId) -> Ordering {
        let c = if self.trtype == TRTYPE_CUSTOM || other.trtype == TRTYPE_CUSTOM {
            self.trstring.to_ascii_lowercase().cmp(&other.trstring.to_ascii_lowercase())
        } else {
            self.trtype.cmp(&other.trtype)
        };
        if c != Ordering::Equal {
            return c;
        }
        if self.trtype == TRTYPE_PCIE {
            return match (PciAddr::parse(&self.traddr), PciAddr::parse(&other.traddr)) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => self.traddr.to_ascii_lowercase().cmp(&other.traddr.to_ascii_lowercase()),
            };
        }
        self.traddr
            .to_ascii_lowercase()
            .cmp(&other.traddr.to_ascii_lowercase())
            .then(self.adrfam.cmp(&other.adrfam))
            .then(self.trsvcid.to_ascii_lowercase().cmp(&other.trsvcid.to_ascii_lowercase()))
            .then(self.subnqn.cmp(&other.subnqn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_compare() {
        let mut t = TransportId::default();
        t.parse_into("trtype:PCIe traddr:0000:04:00.0 ns:1").unwrap();
        assert_eq!((t.trtype, t.trstring.as_str(), t.traddr.as_str()), (TRTYPE_PCIE, "PCIE", "0000:04:00.0"));
        let mut u = TransportId::default();
        u.parse_into("trtype=pcie traddr=04:00.0").unwrap();
        assert_eq!(t.compare(&u), Ordering::Equal, "PCI addresses compare by value");
        let mut f = TransportId::default();
        f.parse_into("trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1").unwrap();
        assert_eq!((f.trtype, f.adrfam), (TRTYPE_TCP, ADRFAM_IPV4));
        assert_ne!(f.compare(&t), Ordering::Equal);
        assert_eq!(TransportId::default().parse_into("trtype:PCIe bogus:1"), Err(TridError::UnknownKey("bogus".into())));
        assert!(matches!(TransportId::default().parse_into("traddr"), Err(TridError::Syntax(_))));
        assert!(matches!(TransportId::default().parse_into(&format!("traddr:{}", "a".repeat(300))), Err(TridError::TooLong("traddr", 256))));
        assert!(matches!(TransportId::default().parse_into("adrfam:IPv5"), Err(TridError::BadValue("adrfam", _))));
        let mut c = TransportId::default();
        c.parse_into("trtype:myfabric").unwrap();
        assert_eq!((c.trtype, c.trstring.as_str()), (TRTYPE_CUSTOM, "MYFABRIC"));
    }
}
