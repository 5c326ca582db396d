//! CRC-32C (Castagnoli), CRC-32 (IEEE 802.3) and CRC-16 T10-DIF with SPDK's
//! conventions: the `*_update` functions neither invert the seed on entry nor
//! the result on exit; callers seed with `!0` and invert at the end.

/// CRC-32C over `data`, continuing from the raw (not inverted) state `crc`.
pub fn crc32c_update(data: &[u8], crc: u32) -> u32 {
    !crc32c::crc32c_append(!crc, data)
}

/// CRC-32 (IEEE) over `data`, continuing from the raw state `crc`.
pub fn crc32_ieee_update(data: &[u8], crc: u32) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!crc);
    h.update(data);
    !h.finalize()
}

const T10DIF_POLY: u16 = 0x8bb7;

const fn t10dif_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ T10DIF_POLY } else { c << 1 };
            b += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static T10DIF: [u16; 256] = t10dif_table();

/// CRC-16 T10-DIF (polynomial 0x8BB7, no reflection) continuing from `crc`.
pub fn crc16_t10dif(crc: u16, data: &[u8]) -> u16 {
    data.iter().fold(crc, |c, &b| (c << 8) ^ T10DIF[(((c >> 8) as u8) ^ b) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    const CHECK: &[u8] = b"123456789";

    #[test]
    fn check_values() {
        assert_eq!(crc32c_update(CHECK, !0) ^ !0, 0xE306_9283);
        assert_eq!(crc32_ieee_update(CHECK, !0) ^ !0, 0xCBF4_3926);
        assert_eq!(crc16_t10dif(0, CHECK), 0xD0DB);
    }

    #[test]
    fn chaining_equals_one_pass() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let (a, b) = data.split_at(333);
        assert_eq!(crc32c_update(b, crc32c_update(a, !0)), crc32c_update(&data, !0));
        assert_eq!(crc32_ieee_update(b, crc32_ieee_update(a, !0)), crc32_ieee_update(&data, !0));
        assert_eq!(crc16_t10dif(crc16_t10dif(0, a), b), crc16_t10dif(0, &data));
    }
}
