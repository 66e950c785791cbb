//! `s3://bucket/prefix/` locations given on the command line.

/// A place to open lockwatch at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Empty, or ending in `/`.
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("'{0}' is not an s3:// location (expected s3://bucket or s3://bucket/prefix/)")]
    NotS3(String),
    #[error("'{0}' names no bucket (expected s3://bucket or s3://bucket/prefix/)")]
    NoBucket(String),
}

impl std::str::FromStr for S3Location {
    type Err = LocationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| LocationError::NotS3(s.to_string()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(s.to_string()));
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        let loc: S3Location = "s3://bup/db/nightly".parse().expect("valid");
        assert_eq!(loc.bucket, "bup");
        assert_eq!(loc.prefix, "db/nightly/");
        let loc: S3Location = "s3://bup".parse().expect("valid");
        assert_eq!(loc.prefix, "");
        let loc: S3Location = "s3://bup/".parse().expect("valid");
        assert_eq!(loc.prefix, "");
    }

    #[test]
    fn rejects_other_schemes_and_empty_bucket() {
        assert!(matches!(
            "bup/x".parse::<S3Location>(),
            Err(LocationError::NotS3(_))
        ));
        assert!(matches!(
            "s3:///x".parse::<S3Location>(),
            Err(LocationError::NoBucket(_))
        ));
    }
}
