//! What the machine was like around a run: cores, build, and the load
//! average before and after. Other work on the same cores makes every
//! number noisier, so each report says so in its caption.

/// The machine a run measured on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// Cores this process may use.
    pub cores: usize,
    /// Whether this is a debug build, whose numbers mean little.
    pub debug_build: bool,
    /// One-minute load average before the run.
    pub load_before: Option<f64>,
    /// One-minute load average after the run, once [`Machine::finish`]ed.
    pub load_after: Option<f64>,
}

impl Machine {
    /// The machine now, before the run.
    pub fn now() -> Self {
        Self {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            debug_build: cfg!(debug_assertions),
            load_before: load_average(),
            load_after: None,
        }
    }

    /// Notes the load average after the run.
    pub fn finish(&mut self) {
        self.load_after = load_average();
    }

    /// `NAME, release build, 2 cores, load average 3.10 before the run,
    /// 2.90 after; everything on loopback`.
    pub fn caption(&self, bench: &str) -> String {
        let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
        format!(
            "{bench}, {} build, {} cores, load average {} before the run, {} after; \
             everything on loopback",
            if self.debug_build { "DEBUG" } else { "release" },
            self.cores,
            load(self.load_before),
            load(self.load_after)
        )
    }
}

/// The one-minute load average, where the system shows it.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caption_names_the_build_cores_and_load() {
        let mut machine = Machine {
            cores: 2,
            debug_build: false,
            load_before: Some(1.654),
            load_after: None,
        };
        assert_eq!(
            machine.caption("olympic-bench"),
            "olympic-bench, release build, 2 cores, load average 1.65 before the run, ? after; \
             everything on loopback"
        );
        machine.debug_build = true;
        machine.load_after = Some(2.0);
        assert!(machine.caption("x").starts_with("x, DEBUG build"));
        assert!(machine.caption("x").contains("2.00 after"));
        assert!(
            Machine::now().load_before.is_some(),
            "Linux shows /proc/loadavg"
        );
    }
}
