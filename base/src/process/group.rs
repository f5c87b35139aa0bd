//! A named set of supervised processes, such as the servers of one run:
//! all killed when the set is dropped, and checked together while waiting.

use super::{ProcessError, Supervised, Watched};

/// Processes by name; dropping the set kills and reaps every one.
#[derive(Debug, Default)]
pub struct Processes {
    /// In the order they were added.
    members: Vec<Supervised>,
}

impl Processes {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `process`; one already held under its name is replaced, and so
    /// killed (a server started again).
    pub fn add(&mut self, process: Supervised) {
        self.remove(process.name());
        self.members.push(process);
    }

    /// The process named `name`.
    pub fn get(&self, name: &str) -> Option<&Supervised> {
        self.members.iter().find(|p| p.name() == name)
    }

    /// The process named `name`, to signal or wait on.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Supervised> {
        self.members.iter_mut().find(|p| p.name() == name)
    }

    /// Takes `name` out of the set; dropping what is returned kills it.
    pub fn remove(&mut self, name: &str) -> Option<Supervised> {
        let index = self.members.iter().position(|p| p.name() == name)?;
        Some(self.members.remove(index))
    }

    /// Every process, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Supervised> {
        self.members.iter()
    }
}

impl Watched for Processes {
    /// Fails, naming the first that has exited, unless every one runs.
    fn check_running(&mut self) -> Result<(), ProcessError> {
        self.members.iter_mut().try_for_each(Watched::check_running)
    }
}
