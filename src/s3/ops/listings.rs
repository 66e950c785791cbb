//! One page of ListObjectsV2 or ListObjectVersions as domain types, keys decoded as the server
//! encoded them, owners shared; a key's whole history.

use super::*;

impl S3 {
    /// One page of one level (delimiter `/`) below `prefix`.
    pub async fn list_objects_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> Result<ObjectsPage, S3Error> {
        self.list_objects_page_in(bucket, prefix, Some("/"), token, None, None)
            .await
    }

    /// One page of ListObjectsV2; without a delimiter, every key below `prefix`.
    pub async fn list_objects_page_in(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        token: Option<&str>,
        start_after: Option<&str>,
        max_keys: Option<i32>,
    ) -> Result<ObjectsPage, S3Error> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .set_continuation_token(token.map(str::to_string))
            .set_start_after(start_after.map(str::to_string))
            .set_max_keys(max_keys)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        let coding = KeyCoding::of(out.encoding_type());
        let mut objects = Vec::with_capacity(out.contents().len());
        for o in out.contents() {
            let Some(key) = o.key() else { continue };
            objects.push(ObjectEntry {
                key: Arc::from(coding.key(key)?),
                size: size(o.size()),
                last_modified: timestamp(o.last_modified()),
                storage_class: o.storage_class().map(|s| s.as_str().to_string()),
            });
        }
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .map(|p| coding.key(p))
            .collect::<Result<_, _>>()?;
        let next_token = match (out.is_truncated(), out.next_continuation_token()) {
            (Some(true), Some(t)) if !t.is_empty() && Some(t) != token => Some(t.to_string()),
            (Some(true), _) => {
                return Err(S3Error::Other(
                    "the server said the listing continues but gave no usable continuation token"
                        .into(),
                ));
            }
            _ => None,
        };
        Ok(ObjectsPage {
            objects,
            prefixes,
            next_token,
        })
    }

    pub async fn list_versions_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        from: Option<&VersionMarker>,
        max_keys: Option<i32>,
    ) -> Result<VersionsPage, S3Error> {
        let out = self
            .client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .set_key_marker(from.map(|m| m.key.clone()))
            .set_version_id_marker(from.and_then(|m| m.version_id.clone()))
            .set_max_keys(max_keys)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        let coding = KeyCoding::of(out.encoding_type());
        let mut owners = Owners::default();
        let mut versions = Vec::with_capacity(out.versions().len());
        for v in out.versions() {
            let Some(key) = v.key() else { continue };
            versions.push(HistoryEntry {
                key: Arc::from(coding.key(key)?),
                version_id: v.version_id().unwrap_or("null").to_string(),
                kind: EntryKind::Version {
                    size: size(v.size()),
                    etag: etag(v.e_tag()),
                    storage_class: v.storage_class().map(|s| s.as_str().to_string()),
                },
                is_latest: v.is_latest().unwrap_or(false),
                last_modified: timestamp(v.last_modified()),
                owner: owners.of(v.owner()),
            });
        }
        let mut markers = Vec::with_capacity(out.delete_markers().len());
        for m in out.delete_markers() {
            let Some(key) = m.key() else { continue };
            markers.push(HistoryEntry {
                key: Arc::from(coding.key(key)?),
                version_id: m.version_id().unwrap_or("null").to_string(),
                kind: EntryKind::DeleteMarker,
                is_latest: m.is_latest().unwrap_or(false),
                last_modified: timestamp(m.last_modified()),
                owner: owners.of(m.owner()),
            });
        }
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .map(|p| coding.key(p))
            .collect::<Result<_, _>>()?;
        let next = match (out.is_truncated(), out.next_key_marker()) {
            (Some(true), Some(key)) if !key.is_empty() => Some(VersionMarker {
                key: coding.key(key)?,
                version_id: out
                    .next_version_id_marker()
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
            }),
            (Some(true), _) => {
                return Err(S3Error::Other(
                    "the server said the version listing continues but gave no next key marker"
                        .into(),
                ));
            }
            _ => None,
        };
        let altered_keys = !coding.0
            && versions
                .iter()
                .chain(&markers)
                .any(|e| e.key.contains('\u{fffd}'));
        Ok(VersionsPage {
            versions,
            markers,
            prefixes,
            next,
            altered_keys,
        })
    }

    /// Every version and delete marker of exactly `key`, newest first, across all pages.
    pub async fn key_history(&self, bucket: &str, key: &str) -> Result<Vec<HistoryEntry>, S3Error> {
        let mut pager = VersionPager::new(self, bucket, key, None);
        let mut entries = Vec::new();
        let mut altered = false;
        while let Some(page) = pager.next_page().await {
            let page = page?;
            altered |= page.altered_keys;
            if history::absorb_page(&mut entries, key, page.versions, page.markers) {
                break;
            }
        }
        if entries.is_empty() && altered {
            return Err(S3Error::Other(ALTERED_KEYS.into()));
        }
        Ok(entries)
    }
}

/// Keys in a listing asked with `encoding-type=url`: decoded when the server says it encoded
/// them (a server that ignores the request sends them as they are).
struct KeyCoding(bool);

/// The owners of one page, each kept once however many entries name it.
#[derive(Default)]
pub(super) struct Owners(Vec<Arc<crate::domain::Owner>>);

impl KeyCoding {
    fn of(answer: Option<&aws_sdk_s3::types::EncodingType>) -> KeyCoding {
        KeyCoding(matches!(answer, Some(aws_sdk_s3::types::EncodingType::Url)))
    }

    fn key(&self, raw: &str) -> Result<String, S3Error> {
        if self.0 {
            percent::decode(raw).map_err(|e| S3Error::Other(e.to_string()))
        } else {
            Ok(raw.to_string())
        }
    }
}

impl Owners {
    /// The entry's owner; `None` when the server names none (or only an empty id).
    pub(super) fn of(
        &mut self,
        owner: Option<&aws_sdk_s3::types::Owner>,
    ) -> Option<Arc<crate::domain::Owner>> {
        let owner = owner?;
        let id = owner.id().unwrap_or_default();
        let display_name = owner.display_name().filter(|n| !n.is_empty());
        if id.is_empty() && display_name.is_none() {
            return None;
        }
        if let Some(known) = self
            .0
            .iter()
            .find(|o| o.id == id && o.display_name.as_deref() == display_name)
        {
            return Some(known.clone());
        }
        let new = Arc::new(crate::domain::Owner {
            id: id.to_string(),
            display_name: display_name.map(str::to_string),
        });
        // A page has one owner or a few; a hostile page of many distinct ones stays linear.
        if self.0.len() < 64 {
            self.0.push(new.clone());
        }
        Some(new)
    }
}
