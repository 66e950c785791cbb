//! Percent-encoding of object keys: for the `x-amz-copy-source` header, and for listings asked
//! with `encoding-type=url` (XML 1.0 cannot carry most control characters, which keys may hold).

/// Percent-encodes every byte outside `A-Z a-z 0-9 - _ . ~ /`.
pub fn encode(key: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server sent a key that is not valid percent-encoded UTF-8: {0:?}")]
pub struct DecodeError(pub String);

/// Decodes a key from a listing answered with `encoding-type=url`: `%XX` is a byte and `+` a
/// space (form encoding, as AWS writes it). Fails on a malformed escape or invalid UTF-8
/// rather than showing a key that does not exist.
pub fn decode(encoded: &str) -> Result<String, DecodeError> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| DecodeError(encoded.to_string()))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError(encoded.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_hostile_keys() {
        for key in [
            "a b+c",
            "x\u{1b}]0;t\u{7}",
            "日本/語 ",
            "%41",
            "100%",
            "a//b/",
        ] {
            assert_eq!(decode(&encode(key)).as_deref(), Ok(key), "{key:?}");
        }
        assert_eq!(encode("a b/c"), "a%20b/c");
    }

    #[test]
    fn form_encoding_and_bad_escapes() {
        assert_eq!(decode("a+b%2Bc").as_deref(), Ok("a b+c"));
        assert!(decode("bad%4").is_err());
        assert!(decode("bad%zz").is_err());
        assert!(decode("%FF").is_err(), "not UTF-8");
    }
}
