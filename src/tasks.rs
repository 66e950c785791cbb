//! Multi-step work made of S3 operations and domain checks, run by the runtime.

use crate::app::{RestoreDone, RestoreFailure};
use crate::domain::history::plan_restore;
use crate::s3::S3;
use std::sync::Arc;

/// Restores a deleted key by removing its delete marker — after listing the key again and
/// checking that `marker_version_id` is still its latest entry. Deletes nothing else.
pub async fn restore(
    s3: &S3,
    bucket: &str,
    key: &Arc<str>,
    marker_version_id: &str,
) -> Result<RestoreDone, RestoreFailure> {
    let history = s3
        .key_history(bucket, key)
        .await
        .map_err(RestoreFailure::Server)?;
    let plan = plan_restore(&history, Some(marker_version_id)).map_err(RestoreFailure::Refused)?;
    if !plan.marker.is_delete_marker() {
        // plan_restore guarantees this; checked again because the cost of being wrong is data.
        return Err(RestoreFailure::Refused(
            crate::domain::history::RestoreRefusal::NotDeleted(plan.marker.version_id),
        ));
    }
    s3.delete_version(bucket, key, &plan.marker.version_id)
        .await
        .map_err(RestoreFailure::Server)?;
    Ok(RestoreDone {
        bucket: bucket.to_string(),
        key: key.clone(),
        marker_version_id: plan.marker.version_id,
        becomes_current: plan.becomes_current,
    })
}
