//! CPU sets with SPDK's layout (`struct spdk_cpuset`: a formatted-string cache
//! followed by a 1024-bit mask).

/// cbindgen:ignore
pub const CPUSET_SIZE: usize = 1024;

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct spdk_cpuset {
    pub str: [libc::c_char; 257],
    pub cpus: [u8; 128],
}

const _: () = assert!(std::mem::size_of::<spdk_cpuset>() == 385);
const _: () = assert!(CPUSET_SIZE / 4 + 1 == 257 && CPUSET_SIZE / 8 == 128);

impl Default for spdk_cpuset {
    fn default() -> Self {
        spdk_cpuset { str: [0; 257], cpus: [0; 128] }
    }
}

impl spdk_cpuset {
    pub fn set(&mut self, cpu: u32, on: bool) {
        if (cpu as usize) < CPUSET_SIZE {
            let (byte, bit) = (cpu as usize / 8, cpu % 8);
            if on {
                self.cpus[byte] |= 1 << bit;
            } else {
                self.cpus[byte] &= !(1 << bit);
            }
        }
    }

    pub fn get(&self, cpu: u32) -> bool {
        (cpu as usize) < CPUSET_SIZE && self.cpus[cpu as usize / 8] & (1 << (cpu % 8)) != 0
    }

    pub fn count(&self) -> u32 {
        self.cpus.iter().map(|b| b.count_ones()).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..CPUSET_SIZE as u32).filter(move |&c| self.get(c))
    }

    pub fn zero(&mut self) {
        self.cpus = [0; CPUSET_SIZE / 8];
    }

    /// Hexadecimal text of the mask without leading zeros or `0x` (SPDK's format).
    pub fn fmt_hex(&self) -> String {
        let mut s = String::new();
        for i in (0..CPUSET_SIZE / 4).rev() {
            let nibble = (self.cpus[i / 2] >> ((i % 2) * 4)) & 0xf;
            if nibble != 0 || !s.is_empty() {
                s.push(char::from_digit(nibble as u32, 16).expect("nibble"));
            }
        }
        if s.is_empty() {
            s.push('0');
        }
        s
    }

    /// Stores the formatted text in `str_` and returns it.
    pub fn fmt_cached(&mut self) -> *const libc::c_char {
        let s = self.fmt_hex();
        for (d, b) in self.str.iter_mut().zip(s.bytes().chain(std::iter::once(0))) {
            *d = b as libc::c_char;
        }
        self.str.as_ptr()
    }

    /// Parses a hex mask (`0x5`, `5`) or a list (`[0,2-3]`).
    pub fn parse(text: &str) -> Option<spdk_cpuset> {
        let mut set = spdk_cpuset::default();
        let t = text.trim();
        if let Some(list) = t.strip_prefix('[') {
            let list = list.strip_suffix(']')?;
            for part in list.split(',') {
                let part = part.trim();
                let (lo, hi) = match part.split_once('-') {
                    Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
                    None => {
                        let v = part.parse::<u32>().ok()?;
                        (v, v)
                    }
                };
                if lo > hi || hi as usize >= CPUSET_SIZE {
                    return None;
                }
                (lo..=hi).for_each(|c| set.set(c, true));
            }
        } else {
            let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
            if hex.is_empty() || hex.len() > CPUSET_SIZE / 4 {
                return None;
            }
            for (i, c) in hex.chars().rev().enumerate() {
                let v = c.to_digit(16)?;
                for b in 0..4 {
                    if v & (1 << b) != 0 {
                        set.set((i * 4 + b) as u32, true);
                    }
                }
            }
        }
        Some(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let s = spdk_cpuset::parse("0x5").unwrap();
        assert!(s.get(0) && !s.get(1) && s.get(2));
        assert_eq!(s.fmt_hex(), "5");
        let l = spdk_cpuset::parse("[0, 4-5]").unwrap();
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![0, 4, 5]);
        assert_eq!(l.fmt_hex(), "31");
        assert!(spdk_cpuset::parse("0xg").is_none());
        assert!(spdk_cpuset::parse("[3-1]").is_none());
        assert!(spdk_cpuset::parse("[2000]").is_none());
    }
}
