//! What an Olympic write answers: a reply line, a refusal to a malformed
//! request (`? `), or a failure to make the write durable.

use bytes::Bytes;

use olympic::OlympicError;

/// The result of applying MEDAL or SETSCORE.
#[derive(Debug)]
pub enum WriteOutcome {
    /// A whole reply: `OK ...` or `DENIED ...`.
    Reply(Bytes),
    /// Unknown names or a wrong set of teams: answered with `? ` and the line.
    Invalid,
}

impl WriteOutcome {
    /// A reply from a formatted line.
    pub fn reply(line: String) -> Self {
        WriteOutcome::Reply(Bytes::from(line))
    }

    /// `FAILED <what> <reason>`: the write could not be made durable and was
    /// not applied; the client may retry.
    pub fn failed(what: String, error: &OlympicError) -> Self {
        tracing::error!(event = "olympic_write_failed", write = %what, error = %error);
        let reason = error.to_string().replace(['\n', '\r'], " ");
        WriteOutcome::reply(format!("FAILED {what} {reason}\n"))
    }
}
