//! The report as Markdown, to read and attach as it is: every count, the versions named, and
//! every server string escaped for a table cell.

use super::*;

impl Coverage {
    fn protection_markdown(&self, m: &mut String) {
        m.push_str("## Versions by protection\n\n");
        if self.locks_not_read {
            m.push_str("Object Lock is not enabled on this bucket: no version can carry a retention or a legal hold, so no version's lock was read (no HEAD requests).\n\n");
        }
        m.push_str("| protection | versions | bytes |\n|---|---:|---:|\n");
        for (p, t) in self.by_protection.iter() {
            m.push_str(&format!(
                "| {} | {} | {} |\n",
                p.label(),
                t.versions,
                format::size_exact(t.bytes)
            ));
        }
        m.push_str(&format!(
            "\nVersions under a legal hold, whatever their retention: {}.\n\n",
            self.legal_holds
        ));
        if !self.held.is_empty() {
            m.push_str("| held key | version | last modified (UTC) |\n|---|---|---|\n");
            for v in &self.held {
                m.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    cell(&v.key),
                    cell(&v.version_id),
                    v.last_modified.as_deref().map_or("?".into(), time)
                ));
            }
            if self.legal_holds > self.held.len() as u64 {
                m.push_str(&format!(
                    "\n(The first {} are listed; `--format csv` lists every version.)\n",
                    self.held.len()
                ));
            }
            m.push('\n');
        }
        match (&self.earliest_retain_until, &self.latest_retain_until) {
            (Some(e), Some(l)) => m.push_str(&format!(
                "Retention in force runs out from {} UTC (`{}` version `{}`) to {} UTC (`{}` version `{}`).\n\n",
                time(&e.retain_until),
                cell(&e.key),
                cell(&e.version_id),
                time(&l.retain_until),
                cell(&l.key),
                cell(&l.version_id)
            )),
            _ => m.push_str("No version has retention in force.\n\n"),
        }

        m.push_str(&format!(
            "## Current objects without protection\n\n{} current object{} can be deleted now (no retention in force, no legal hold).\n",
            self.unprotected_current_count,
            if self.unprotected_current_count == 1 { "" } else { "s" }
        ));
        if !self.unprotected_current.is_empty() {
            m.push('\n');
            objects_table(&self.unprotected_current, m);
            if self.unprotected_current_count > self.unprotected_current.len() as u64 {
                m.push_str(&format!(
                    "\n(The first {} are listed; `--format csv` lists every version.)\n",
                    self.unprotected_current.len()
                ));
            }
        }
        m.push('\n');
    }

    fn sampled_markdown(&self, sample: &SampleSummary, m: &mut String) {
        let share = |e: &crate::domain::sample::Estimate| {
            format!(
                "{:.1}% ({:.1}–{:.1}%)",
                e.proportion * 100.0,
                e.low * 100.0,
                e.high * 100.0
            )
        };
        m.push_str(&format!(
            "## Versions by protection (sampled: {} of {})\n\n| protection | sampled versions | share (95% interval) | versions, of {} listed |\n|---|---:|---:|---:|\n",
            sample.size, sample.population, sample.population
        ));
        for (p, e) in sample.by_protection.iter() {
            m.push_str(&format!(
                "| {} | {} | {} | {}–{} |\n",
                p.label(),
                e.sampled,
                share(e),
                e.versions_low,
                e.versions_high
            ));
        }
        let hold = &sample.legal_hold;
        m.push_str(&format!(
            "\nVersions under a legal hold, whatever their retention: {} sampled, {}: {}–{} versions.\n\n",
            hold.sampled,
            share(hold),
            hold.versions_low,
            hold.versions_high
        ));
        let u = &sample.unprotected_current;
        m.push_str(&format!(
            "## Current objects without protection (sampled)\n\n{} of the {} sampled current objects can be deleted now (no retention in force, no legal hold): {} of the {} current objects, {}–{}.\n",
            u.sampled,
            sample.current_sampled,
            share(u),
            self.current_versions,
            u.versions_low,
            u.versions_high
        ));
        if !self.unprotected_current.is_empty() {
            m.push_str("\nThose found in the sample:\n\n");
            objects_table(&self.unprotected_current, m);
        }
        m.push('\n');
    }

    /// The report as Markdown, to read and attach as it is.
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let location = format!(
            "s3://{}/{}",
            text::sanitize(&self.bucket),
            text::sanitize(&self.prefix)
        );
        m.push_str(&format!("# Object Lock coverage of `{location}`\n\n"));
        if let Some(sample) = &self.sample {
            m.push_str(&format!(
                "**Sampled report: estimates.** The locks of {} of the {} listed versions were read, chosen uniformly at random over the whole listing (seed {}); the figures below for versions are estimates with 95% confidence intervals. `lockwatch report` without `--sample` reads every version.\n\n",
                sample.size, sample.population, sample.seed
            ));
        }
        m.push_str("| | |\n|---|---|\n");
        m.push_str(&format!(
            "| Taken at | {} UTC by the server's clock |\n",
            time(&self.taken_at)
        ));
        m.push_str(&format!(
            "| This machine's clock | {} UTC{} |\n",
            time(&self.local_time),
            match self.server_clock_offset_seconds {
                Some(s) => format!(
                    " (the server's is {} {})",
                    crate::domain::lock::format_remaining(SignedDuration::from_secs(s.abs())),
                    if s < 0 { "behind" } else { "ahead" }
                ),
                None => " (in step with the server's, within 2 s)".into(),
            }
        ));
        m.push_str(&format!("| Endpoint | {} |\n", cell(&self.endpoint)));
        if let Some(listed) = &self.listed {
            m.push_str(&format!(
                "| Listed | {} |\n",
                cell(&capitalized(&listed.describe()))
            ));
        }
        if let Some(source) = &self.source {
            m.push_str(&format!("| Locks read from | {} |\n", cell(source)));
        } else if self.head_requests > 0 {
            m.push_str(&format!(
                "| Locks read with | {} HEAD requests, up to {} at once{} |\n",
                self.head_requests,
                self.head_concurrency_peak,
                match self.slowed_down {
                    0 => String::new(),
                    n => format!(
                        "; the server asked to slow down {n} times (each asked again later)"
                    ),
                }
            ));
        }
        if let Some(who) = &self.taken_by {
            m.push_str(&format!("| Taken by | {} |\n", cell(who)));
        }
        m.push_str(&format!(
            "| Versioning | {} |\n",
            cell(self.versioning.as_deref().unwrap_or("unknown"))
        ));
        m.push_str(&format!(
            "| Object Lock | {} |\n",
            cell(self.object_lock.as_deref().unwrap_or("unknown"))
        ));
        m.push_str(&format!(
            "| Keys, versions, delete markers | {}, {}, {} |\n\n",
            self.keys, self.versions, self.delete_markers
        ));

        if let Some(p) = &self.posture {
            m.push_str(&format!(
                "## Recovery window\n\n{}.\n\n",
                cell(&capitalized(&p.recovery_window))
            ));
            for reason in &p.reasons {
                m.push_str(&format!("- because {}\n", cell(reason)));
            }
            m.push('\n');
            m.push_str("## Risks\n\n");
            if p.risks.is_empty() {
                m.push_str("None found in what the server reported.\n\n");
            } else {
                m.push_str("| severity | finding | evidence |\n|---|---|---|\n");
                for r in &p.risks {
                    m.push_str(&format!(
                        "| {} | {} | {} |\n",
                        r.severity,
                        cell(&r.finding),
                        cell(&r.evidence)
                    ));
                }
                m.push('\n');
            }
            m.push_str("## Bucket posture\n\n| | |\n|---|---|\n");
            for (name, value) in &p.lines {
                m.push_str(&format!("| {} | {} |\n", cell(name), cell(value)));
            }
            m.push('\n');
        }
        if self.parts.len() > 1 {
            m.push_str(&format!(
                "## Read in {} parts\n\nThis report was cut and resumed from its checkpoint (`--checkpoint`); each part's versions were judged at the time it was read.\n\n| part | started (UTC) | ended (UTC) | from key | entries | cut by |\n|---:|---|---|---|---:|---|\n",
                self.parts.len()
            ));
            for (i, part) in self.parts.iter().enumerate() {
                m.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    i + 1,
                    time(&part.started_at),
                    time(&part.ended_at),
                    part.from_key
                        .as_deref()
                        .map_or("(the beginning)".to_string(), |k| format!("`{}`", cell(k))),
                    part.entries,
                    part.cut.as_deref().map_or(String::new(), cell)
                ));
            }
            m.push('\n');
        }
        if let Some(sample) = &self.sample {
            self.sampled_markdown(sample, &mut m);
        } else {
            self.protection_markdown(&mut m);
        }

        m.push_str("## Delete markers by age\n\n| age | delete markers | of which hide their key now |\n|---|---:|---:|\n");
        for (label, count) in self.markers_by_age.iter() {
            m.push_str(&format!(
                "| {label} | {} | {} |\n",
                count.markers, count.keys_deleted_now
            ));
        }
        m.push('\n');

        if !self.unknown.is_empty() {
            m.push_str("## Versions whose lock could not be read\n\n| key | version | error |\n|---|---|---|\n");
            for u in &self.unknown {
                m.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    cell(&u.version.key),
                    cell(&u.version.version_id),
                    cell(&u.error)
                ));
            }
            if self.unknown_count > self.unknown.len() as u64 {
                m.push_str(&format!(
                    "\n({} in all; the first {} are listed; `--format csv` lists every version.)\n",
                    self.unknown_count,
                    self.unknown.len()
                ));
            }
            m.push('\n');
        }
        m.push_str("Protections are judged at the time above, by the server's clock. Generated by lockwatch.\n");
        m
    }
}

/// A table of versions by name: key, version, size, last modified.
fn objects_table(versions: &[ListedVersion], m: &mut String) {
    m.push_str("| key | version | size | last modified (UTC) |\n|---|---|---:|---|\n");
    for v in versions {
        m.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            cell(&v.key),
            cell(&v.version_id),
            format::maybe_size(v.size),
            v.last_modified.as_deref().map_or("?".into(), time)
        ));
    }
}

/// `2026-11-27 01:52:15` from an RFC 3339 time (one past jiff's calendar is rewritten as is).
fn time(rfc3339: &str) -> String {
    // Dates past the calendar lockwatch computes with (9999-12-31T23:59:59.000Z) too.
    rfc3339.parse::<Timestamp>().map_or_else(
        |_| {
            RetainUntil::parse_utc(rfc3339).map_or_else(
                || cell(&rfc3339.replacen('T', " ", 1).replace('Z', "")),
                RetainUntil::utc,
            )
        },
        format::timestamp,
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text for a Markdown table cell: control characters escaped, pipes and backticks too.
fn cell(s: &str) -> String {
    text::sanitize(s).replace('|', "\\|").replace('`', "'")
}
