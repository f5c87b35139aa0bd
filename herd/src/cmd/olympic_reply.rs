//! How Olympic state is written on the wire, shared by replies (`TALLY`,
//! `SCORE`, `OK ...`) and subscription updates (`UPDATE ...`).

use olympic::{EventScore, Tally, Update};
use proto::timestamp::format_posix;

/// `TALLY <team> gold <n> silver <n> bronze <n>`, no terminator.
pub fn tally_line(tally: &Tally) -> String {
    format!(
        "TALLY {} gold {} silver {} bronze {}",
        tally.team, tally.gold, tally.silver, tally.bronze
    )
}

/// `SCORE <event> <team> <score> ... at <time> by <server>`, no terminator;
/// `at - by -` when the event was never set. `<server>` is the name of the
/// server that set the score, without its incarnation.
pub fn score_line(score: &EventScore) -> String {
    let mut line = format!("SCORE {}", score.event);
    for (team, points) in &score.scores {
        line.push_str(&format!(" {team} {points}"));
    }
    match &score.stamp {
        Some(stamp) => line.push_str(&format!(
            " at {} by {}",
            format_posix(stamp.time_ns),
            stamp.server()
        )),
        None => line.push_str(" at - by -"),
    }
    line
}

/// `UPDATE TALLY ...` or `UPDATE SCORE ...`, with the newline.
pub fn update_line(update: &Update) -> String {
    match update {
        Update::Tally(tally) => format!("UPDATE {}\n", tally_line(tally)),
        Update::Score(score) => format!("UPDATE {}\n", score_line(score)),
    }
}
