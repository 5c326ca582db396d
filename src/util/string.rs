//! String helpers with SPDK's semantics.

/// Errors of number parsing, as SPDK reports them (negative errno at the C boundary).
#[derive(Debug, PartialEq, Eq)]
pub enum ParseIntError {
    /// Not a number, or trailing garbage (`-EINVAL`).
    Invalid,
    /// Out of range or negative (`-ERANGE`).
    Range,
}

impl ParseIntError {
    pub fn errno(&self) -> i32 {
        match self {
            ParseIntError::Invalid => libc::EINVAL,
            ParseIntError::Range => libc::ERANGE,
        }
    }
}

/// Parses a non-negative integer as C's `strtoll` reads it (leading blanks,
/// optional sign, `0x` prefix for base 16 or 0, octal for a leading 0 in
/// base 0), rejecting trailing characters, overflow and negative values.
pub fn parse_nonneg(s: &str, base: u32) -> Result<i64, ParseIntError> {
    if base == 1 || base > 36 {
        return Err(ParseIntError::Invalid);
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let has_hex_prefix = t.len() > 2 && (t.starts_with("0x") || t.starts_with("0X"));
    let (radix, digits) = match base {
        0 if has_hex_prefix => (16, &t[2..]),
        0 if t.len() > 1 && t.starts_with('0') => (8, &t[1..]),
        0 => (10, t),
        16 if has_hex_prefix => (16, &t[2..]),
        b => (b, t),
    };
    if digits.is_empty() {
        return Err(ParseIntError::Invalid);
    }
    let mut val: i64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or(ParseIntError::Invalid)? as i64;
        val = val.checked_mul(radix as i64).and_then(|v| v.checked_add(d)).ok_or(ParseIntError::Range)?;
    }
    if neg && val != 0 {
        return Err(ParseIntError::Range);
    }
    Ok(val)
}

/// SPDK's capacity syntax for memory sizes: a number of MiB, or a number of
/// bytes with a K, M or G suffix (rounded down to MiB).
pub fn parse_capacity_mb(s: &str) -> Option<i32> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => return s.parse::<u32>().ok().and_then(|v| i32::try_from(v).ok()),
    };
    if num.starts_with('+') {
        return None;
    }
    let bytes = num.parse::<u64>().ok()?.checked_mul(mult)?;
    i32::try_from(bytes >> 20).ok()
}

/// Trims ASCII white space at both ends.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_semantics() {
        assert_eq!(parse_nonneg("123", 10), Ok(123));
        assert_eq!(parse_nonneg("  42", 10), Ok(42));
        assert_eq!(parse_nonneg("0x1f", 16), Ok(31));
        assert_eq!(parse_nonneg("0x1f", 0), Ok(31));
        assert_eq!(parse_nonneg("010", 0), Ok(8));
        assert_eq!(parse_nonneg("-5", 10), Err(ParseIntError::Range));
        assert_eq!(parse_nonneg("12a", 10), Err(ParseIntError::Invalid));
        assert_eq!(parse_nonneg("", 10), Err(ParseIntError::Invalid));
        assert_eq!(parse_nonneg("99999999999999999999", 10), Err(ParseIntError::Range));
    }

    #[test]
    fn trims() {
        assert_eq!(trim(b"  a b \n"), b"a b");
        assert_eq!(trim(b"   "), b"");
    }
}
