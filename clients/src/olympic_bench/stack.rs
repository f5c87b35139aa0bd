//! The processes behind the facade a run measures: two linked `herd`
//! servers with durable journals (a [`Herd`] of the shared harness) and the
//! `facade` in front of them, which listens on port 0 and prints the
//! address it got. Each dies with the run: on success, on error, on panic
//! and on a signal.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use base::process::{Supervised, Watched};

use crate::harness::announce::wait_announced;
use crate::harness::herd::Herd;
use crate::harness::layout::Layout;
use crate::harness::run_tag;

/// The herd servers, linked to each other; the facade prefers the first.
pub const SERVERS: [&str; 2] = ["A", "B"];

/// Their one link.
pub const LINKS: [(&str, &str); 1] = [("A", "B")];

/// The environment variable that carries the Cacofonix id to the herd.
pub const CACOFONIX_ENV: &str = "CACOFONIX_ID";

/// What the facade's first line of output says before its address.
const LISTENING: &str = "facade listening on http://";

/// The binaries a [`Stack`] runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `herd`.
    pub herd: PathBuf,
    /// `facade`.
    pub facade: PathBuf,
}

/// Two herd servers and the facade.
#[derive(Debug)]
pub struct Stack {
    /// The herd servers.
    pub herd: Herd,
    /// Where the facade serves HTTP.
    pub facade: SocketAddr,
    /// The Cacofonix id the herd was started with (this run's own).
    pub cacofonix: String,
    /// The facade process.
    facade_process: Supervised,
}

impl Stack {
    /// Starts the herd servers in `dir` (their journals start empty),
    /// waits until their link is up, then starts the facade against them
    /// and waits for the address it prints.
    pub async fn start(bins: &Binaries, dir: &Path) -> anyhow::Result<Self> {
        let cacofonix = format!("olympic-bench-cacofonix-{}", run_tag());
        let layout = Layout::new(&SERVERS, &LINKS);
        let env = [(CACOFONIX_ENV, cacofonix.as_str())];
        let mut herd = Herd::start(&bins.herd, &layout, dir, &env).await?;
        herd.wait_links_up().await?;
        let herd_list: Vec<String> = SERVERS
            .iter()
            .map(|name| herd.addr(name).map(|addr| addr.to_string()))
            .collect::<anyhow::Result<_>>()?;
        let mut command = Command::new(&bins.facade);
        command
            .args(["--listen", "127.0.0.1:0", "--herd", &herd_list.join(",")])
            .arg("--log-dir")
            .arg(dir);
        let mut facade_process = Supervised::spawn_logged("facade", &mut command, dir)?;
        let facade = wait_announced(&mut facade_process, LISTENING).await?;
        Ok(Self {
            herd,
            facade,
            cacofonix,
            facade_process,
        })
    }

    /// Client address of each herd server, by name.
    pub fn herd_addrs(&self) -> &BTreeMap<String, SocketAddr> {
        &self.herd.addrs
    }

    /// Fails if any process has died, naming it and quoting its stderr.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.herd.check_alive()?;
        Ok(self.facade_process.check_running()?)
    }
}

/// The file system type `dir` is on, from `/proc/mounts` (the mount point
/// that is the longest prefix of the path): where the journals fsync.
pub fn fs_type(dir: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let dir = dir.canonicalize().ok()?;
    mount_type(&mounts, &dir)
}

/// [`fs_type`] over the text of a mounts table.
fn mount_type(mounts: &str, path: &Path) -> Option<String> {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point).then_some((point.len(), kind))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_mount_point_decides_the_file_system() {
        let mounts = "overlay / overlay rw 0 0\n\
                      tmpfs /tmp tmpfs rw 0 0\n\
                      /dev/vda /tmpdata ext4 rw 0 0\n";
        assert_eq!(
            mount_type(mounts, Path::new("/tmp/olympic-bench-x")).as_deref(),
            Some("tmpfs")
        );
        assert_eq!(
            mount_type(mounts, Path::new("/tmpdata/x")).as_deref(),
            Some("ext4")
        );
        assert_eq!(
            mount_type(mounts, Path::new("/work/x")).as_deref(),
            Some("overlay")
        );
    }
}
