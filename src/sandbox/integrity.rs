//! Integrity of what is uploaded: every digest a client sends (`Content-MD5`,
//! `x-amz-checksum-*` in a header or in the trailer of a streamed body) is checked against the
//! bytes received before anything is stored, as AWS checks them; a mismatch is 400 BadDigest
//! and stores nothing. The checksum that was sent (or asked for by algorithm) is kept with the
//! version and given back when asked (`x-amz-checksum-mode: ENABLED`, GetObjectAttributes).

use s3s::crypto::Checksum as _;
use s3s::{S3Error, S3ErrorCode};

/// The checksum algorithms of S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// As S3 names it (`x-amz-checksum-algorithm`, GetObjectAttributes).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// Its header: `x-amz-checksum-crc32`, …
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The raw digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Crc32 => s3s::crypto::Crc32::checksum(data).as_ref().to_vec(),
            Algorithm::Crc32c => s3s::crypto::Crc32c::checksum(data).as_ref().to_vec(),
            Algorithm::Crc64Nvme => s3s::crypto::Crc64Nvme::checksum(data).as_ref().to_vec(),
            Algorithm::Sha1 => s3s::crypto::Sha1::checksum(data).as_ref().to_vec(),
            Algorithm::Sha256 => s3s::crypto::Sha256::checksum(data).as_ref().to_vec(),
        }
    }

    /// The digest of `data` as S3 writes it: base64.
    pub fn of(self, data: &[u8]) -> String {
        base64(&self.digest(data))
    }
}

/// A checksum kept with a version or a part: its algorithm and base64 value. For an object
/// completed from parts, the value is the checksum of the parts' checksums followed by `-N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub algorithm: Algorithm,
    pub value: String,
}

/// What a request claims about its body.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    /// `Content-MD5`, base64.
    pub md5: Option<String>,
    /// `x-amz-checksum-*` values, base64.
    pub sums: Vec<(Algorithm, String)>,
    /// `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm`: the algorithm to keep
    /// even when its value is not sent (it is computed then).
    pub algorithm: Option<Algorithm>,
}

impl Claims {
    /// The claims of a request's headers; its trailer's are added by `add_trailer`.
    pub fn from_headers(headers: &http::HeaderMap) -> Result<Claims, S3Error> {
        let text = |name: &str| -> Option<String> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
        };
        let mut claims = Claims {
            md5: text("content-md5"),
            ..Claims::default()
        };
        for algorithm in Algorithm::ALL {
            if let Some(value) = text(&algorithm.header()) {
                claims.sums.push((algorithm, value));
            }
        }
        for name in ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"] {
            if let Some(asked) = text(name) {
                claims.algorithm = Some(Algorithm::parse(&asked).ok_or_else(|| {
                    S3Error::with_message(
                        S3ErrorCode::InvalidRequest,
                        format!("Value for {name} header is invalid."),
                    )
                })?);
            }
        }
        Ok(claims)
    }

    /// The checksums sent in a streamed body's trailer.
    pub fn add_trailer(&mut self, trailer: &http::HeaderMap) {
        for algorithm in Algorithm::ALL {
            if let Some(value) = trailer
                .get(algorithm.header())
                .and_then(|v| v.to_str().ok())
            {
                self.sums.retain(|(a, _)| *a != algorithm);
                self.sums.push((algorithm, value.trim().to_string()));
            }
        }
    }

    /// Checks every claim against `body`: the checksum to keep (the one sent, or the one asked
    /// for by algorithm, computed), or the refusal.
    pub fn verify(&self, body: &[u8]) -> Result<Option<Kept>, S3Error> {
        if let Some(md5) = &self.md5 {
            let sent = decode(md5).filter(|d| d.len() == 16).ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidDigest,
                    "The Content-MD5 you specified was not valid.",
                )
            })?;
            if sent != s3s::crypto::Md5::checksum(body).as_ref() {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    "The Content-MD5 you specified did not match what we received.",
                ));
            }
        }
        if self.sums.len() > 1 {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        if let Some((algorithm, value)) = self.sums.first() {
            if self.algorithm.is_some_and(|asked| asked != *algorithm) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Value for x-amz-sdk-checksum-algorithm header is invalid.",
                ));
            }
            let digest = algorithm.digest(body);
            let sent = decode(value).filter(|d| d.len() == digest.len());
            if sent.is_none() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("Value for {} header is invalid.", algorithm.header()),
                ));
            }
            if sent.as_deref() != Some(digest.as_slice()) {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        algorithm.name()
                    ),
                ));
            }
            return Ok(Some(Kept {
                algorithm: *algorithm,
                value: base64(&digest),
            }));
        }
        Ok(self.algorithm.map(|algorithm| Kept {
            algorithm,
            value: algorithm.of(body),
        }))
    }
}

pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (with padding) read strictly; `None` for anything else.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in chunk.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { value(c)? };
            n |= v << (18 - 6 * j);
        }
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_reads_back_what_it_writes_and_refuses_the_rest() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let text = base64(bytes);
            if !bytes.is_empty() {
                assert_eq!(decode(&text).as_deref(), Some(bytes), "{text}");
            }
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        for bad in ["", "Zm9", "Zm=v", "Zm9v=", "Zm9v!A==", "Z==="] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_digest_that_does_not_match_is_bad_digest_and_a_matching_one_is_kept() {
        let body = b"hello";
        let claims = |md5: Option<String>, sums: Vec<(Algorithm, String)>| Claims {
            md5,
            sums,
            algorithm: None,
        };
        let md5 = base64(s3s::crypto::Md5::checksum(body).as_ref());
        assert!(claims(Some(md5.clone()), vec![]).verify(body).is_ok());
        let wrong = base64(s3s::crypto::Md5::checksum(b"other").as_ref());
        let e = claims(Some(wrong), vec![]).verify(body).expect_err("bad");
        assert_eq!(*e.code(), S3ErrorCode::BadDigest);
        let e = claims(Some("nonsense".into()), vec![])
            .verify(body)
            .expect_err("invalid");
        assert_eq!(*e.code(), S3ErrorCode::InvalidDigest);
        for algorithm in Algorithm::ALL {
            let kept = claims(None, vec![(algorithm, algorithm.of(body))])
                .verify(body)
                .expect("matches");
            assert_eq!(kept.map(|k| k.value), Some(algorithm.of(body)));
            let e = claims(None, vec![(algorithm, algorithm.of(b"hellO"))])
                .verify(body)
                .expect_err("mismatch");
            assert_eq!(*e.code(), S3ErrorCode::BadDigest, "{algorithm:?}");
        }
        // Asked for by algorithm without a value: computed and kept.
        let asked = Claims {
            algorithm: Some(Algorithm::Sha256),
            ..Claims::default()
        };
        assert_eq!(
            asked.verify(body).expect("ok").map(|k| k.value),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=".to_string())
        );
    }
}
