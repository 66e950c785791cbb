//! `lockwatch check`'s output as the Monitoring Plugins development guidelines have it (the
//! convention of Nagios, Icinga, Zabbix's agent checks and Naemon): an exit status, one
//! status line `LOCKWATCH CRITICAL - summary | perfdata`, and more lines with the details.

use super::Level;

/// The plugin's state, which is its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Warning,
    Critical,
    /// The check could not be made as asked: bad arguments, a state folder it cannot use.
    Unknown,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// The worse of two (UNKNOWN is worse than nothing but better than CRITICAL: a check that
    /// found something critical says so even when another part could not be made).
    pub fn worst(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    pub fn of(level: Level) -> Status {
        match level {
            Level::Info => Status::Ok,
            Level::Warning => Status::Warning,
            Level::Critical => Status::Critical,
        }
    }
}

/// One performance datum: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    pub label: String,
    pub value: f64,
    /// "", "s", "%", "B", "c" (a counter).
    pub unit: &'static str,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    pub min: Option<f64>,
}

impl Perf {
    pub fn new(label: &str, value: f64, unit: &'static str) -> Perf {
        Perf {
            label: label.to_string(),
            value,
            unit,
            warn: None,
            crit: None,
            min: Some(0.0),
        }
    }

    fn written(&self) -> String {
        let number = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        // A label is quoted when it holds anything but letters, digits, _ and -; a quote in
        // it is doubled.
        let label = if self
            .label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.label.clone()
        } else {
            format!("'{}'", self.label.replace('\'', "''"))
        };
        let mut s = format!(
            "{label}={}{};{};{};{}",
            self.value,
            self.unit,
            number(self.warn),
            number(self.crit),
            number(self.min)
        );
        while s.ends_with(';') {
            s.pop();
        }
        s
    }
}

/// The whole output: the status line with the performance data, then one line per detail.
/// `|` and line breaks in the text are replaced, so that nothing a server names can forge a
/// second status line or performance data.
pub fn render(status: Status, summary: &str, details: &[String], perf: &[Perf]) -> String {
    let clean = |s: &str| {
        crate::domain::text::sanitize(s)
            .replace('|', "¦")
            .replace(['\n', '\r'], " ")
    };
    let mut out = format!("LOCKWATCH {} - {}", status.label(), clean(summary));
    if !perf.is_empty() {
        out.push_str(" | ");
        let written: Vec<String> = perf.iter().map(Perf::written).collect();
        out.push_str(&written.join(" "));
    }
    out.push('\n');
    for d in details {
        out.push_str(&clean(d));
        out.push('\n');
    }
    out
}
