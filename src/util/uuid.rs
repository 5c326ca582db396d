//! UUIDs as SPDK stores them: 16 raw bytes in network order.

use std::fmt::Write;

/// Parses the canonical 36-character form (hex digits and dashes).
pub fn parse(s: &str) -> Option<[u8; 16]> {
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s).ok().map(|u| *u.as_bytes())
}

/// Formats as lower-case canonical text.
pub fn fmt_lower(raw: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    write!(s, "{}", uuid::Uuid::from_bytes(*raw).hyphenated()).expect("string write");
    s
}

/// A random (version 4) UUID.
pub fn generate() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let s = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let raw = super::parse(s).unwrap();
        assert_eq!(raw[0], 0x0f);
        assert_eq!(super::fmt_lower(&raw), s);
        assert!(super::parse("0F8FAD5B-D9CB-469F-A165-70867728950E").is_some());
        assert!(super::parse("0f8fad5bd9cb469fa16570867728950e").is_none());
        assert!(super::parse("0f8fad5b-d9cb-469f-a165-70867728950").is_none());
        let g = super::generate();
        assert_eq!(g[6] >> 4, 4);
        assert_ne!(g, super::generate());
    }
}
