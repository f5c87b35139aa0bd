//! `IAMAT`: a client reports where it is. The report is answered at once
//! and held in the batch, which stores and floods it before any reply is
//! written ([`Batch`]).

use std::time::SystemTime;

use super::Refused;
use crate::batch::Batch;
use proto::client::IAmAt;

/// Stamps the report as received now by this server, answers it with its
/// `AT` line and holds it; refused when the store is full and this is a
/// new client.
pub fn apply(iamat: IAmAt, received: SystemTime, batch: &mut Batch<'_>) -> Result<(), Refused> {
    if batch.refuses(iamat.client()) {
        return Err(Refused);
    }
    let location = iamat.answer(batch.name(), received);
    batch.at(location);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::fields::fields;

    #[test]
    fn the_longest_at_line_of_an_accepted_iamat_fits_the_peer_limit() {
        let limits = base::topology::Limits::default();
        let server = "S".repeat(base::topology::MAX_SERVER_NAME_LEN);
        for time in ["0", "99999999999999999999.999999999"] {
            let rest = format!(" +0+0 {time}");
            let client = "c".repeat(limits.max_line - "IAMAT ".len() - rest.len());
            let line = format!("IAMAT {client}{rest}");
            assert_eq!(line.len(), limits.max_line);
            let mut it = fields(line.as_bytes());
            it.next();
            let cmd = IAmAt::parse(it, usize::MAX).unwrap();
            let location = cmd.answer(&server, SystemTime::now());
            let at = location.at_line();
            assert!(at.len() <= limits.peer_max_line(), "{} bytes", at.len());
        }
    }
}
