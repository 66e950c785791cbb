//! `s3://bucket/prefix/` locations given on the command line.

/// A place to open lockwatch at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Empty, or ending in `/` (a folder); `parse_exact` keeps it as typed, for `ls`.
    pub prefix: String,
}

impl S3Location {
    /// `s3://bucket/prefix` with the prefix exactly as typed: `ls s3://b/f000/backup-0001`
    /// lists the keys that start with it, as `aws s3 ls` does.
    pub fn parse_exact(s: &str) -> Result<S3Location, LocationError> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| LocationError::NotS3(s.to_string()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(s.to_string()));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// The folder part of the prefix: up to and including its last `/`.
    pub fn folder(&self) -> &str {
        &self.prefix[..self.prefix.rfind('/').map_or(0, |i| i + 1)]
    }
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
    fn ls_keeps_the_prefix_as_typed_and_names_its_folder() {
        let loc = S3Location::parse_exact("s3://b/f000/backup-0001").expect("valid");
        assert_eq!(loc.prefix, "f000/backup-0001");
        assert_eq!(loc.folder(), "f000/");
        let loc = S3Location::parse_exact("s3://b/db/").expect("valid");
        assert_eq!((loc.prefix.as_str(), loc.folder()), ("db/", "db/"));
        let loc = S3Location::parse_exact("s3://b").expect("valid");
        assert_eq!((loc.prefix.as_str(), loc.folder()), ("", ""));
        assert!(S3Location::parse_exact("b/x").is_err());
    }

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
