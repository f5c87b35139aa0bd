//! Strategies for every client command.

use bytes::Bytes;
use proptest::prelude::*;

use super::{client_id, client_time, degrees};
use crate::client::{
    Auth, Command, IAmAt, Invalid, KeepAlive, MedalWrite, Name, Names, ScoreQuery, SetScoreWrite,
    StatusQuery, Subscribe, TallyQuery, WhatsAt,
};
use crate::fields::fields;
use crate::medal::Medal;

/// A client ID limit no generated ID reaches.
pub const MAX_CLIENT_ID: usize = usize::MAX;

/// One field: anything but the protocol's white space, in any script.
pub fn field() -> impl Strategy<Value = String> {
    "[^ \\t\\r\\n\\x0b\\x0c]{1,12}"
}

/// A team or event name as a client may spell it.
pub fn name() -> impl Strategy<Value = Name> {
    field().prop_map(|n| Name::new(&n).expect("one field"))
}

/// A Cacofonix id.
pub fn auth() -> impl Strategy<Value = Auth> {
    field().prop_map(|id| Auth::new(id.into_bytes()).expect("one field"))
}

/// Any medal.
pub fn medal() -> impl Strategy<Value = Medal> {
    (0..Medal::ALL.len()).prop_map(|m| Medal::ALL[m])
}

/// The operands of `line` after its verb, as a command parser takes them.
fn operands(line: &str) -> impl Iterator<Item = &[u8]> {
    fields(line.as_bytes()).skip(1)
}

/// Any valid IAMAT.
pub fn iamat() -> impl Strategy<Value = IAmAt> {
    (client_id(), degrees(90), degrees(180), client_time()).prop_map(|(client, lat, lng, time)| {
        let line = IAmAt::line(&client, &format!("{lat}{lng}"), &time);
        IAmAt::parse(operands(&line), MAX_CLIENT_ID).expect("a valid IAMAT")
    })
}

/// Any valid WHATSAT: a radius in (0, 50] as digits with an optional
/// fraction, a bound from 1 to 20.
pub fn whatsat() -> impl Strategy<Value = WhatsAt> {
    let radius = prop_oneof![
        (1u32..=50).prop_map(|r| r.to_string()),
        (0u32..50, "[0-9]{1,8}").prop_map(|(int, frac)| format!("{int}.{frac}")),
    ]
    .prop_filter("positive", |r| r.parse::<f64>().is_ok_and(|r| r > 0.0));
    (client_id(), radius, 1usize..=20).prop_map(|(client, radius, bound)| {
        let line = WhatsAt::line(&client, &radius, &bound.to_string());
        WhatsAt::parse(operands(&line), MAX_CLIENT_ID).expect("a valid WHATSAT")
    })
}

/// Any valid SETSCORE.
pub fn set_score() -> impl Strategy<Value = SetScoreWrite> {
    let score = -crate::client::MAX_SCORE..=crate::client::MAX_SCORE;
    let scores = prop::collection::vec((name(), score), 1..5);
    (name(), auth(), scores).prop_map(|(event, auth, scores)| {
        SetScoreWrite::new(event, auth, scores).expect("scores in range")
    })
}

/// A line no command parses: kept for the `? ` echo.
pub fn invalid() -> impl Strategy<Value = Invalid> {
    "[a-z]{1,8}( [!-~]{1,10}){0,3}".prop_map(|line| Invalid::new(Bytes::from(line)))
}

/// Any command, every variant.
pub fn command() -> impl Strategy<Value = Command> {
    let names = prop_oneof![Just(Names::Teams), Just(Names::Events)];
    let keepalive = prop_oneof![Just(KeepAlive::Ping), Just(KeepAlive::Pong)];
    let medal_write = (name(), medal(), auth()).prop_map(|(team, medal, auth)| MedalWrite {
        team,
        medal,
        auth,
        key: None,
    });
    let subscribe = prop::collection::vec(name(), 1..5)
        .prop_map(|names| Subscribe::new(names).expect("some names"));
    prop_oneof![
        iamat().prop_map(Command::IAmAt),
        whatsat().prop_map(Command::WhatsAt),
        names.prop_map(Command::Names),
        name().prop_map(|team| Command::Tally(TallyQuery { team })),
        name().prop_map(|event| Command::Score(ScoreQuery { event })),
        medal_write.prop_map(Command::Medal),
        set_score().prop_map(Command::SetScore),
        subscribe.prop_map(Command::Subscribe),
        Just(Command::Status(StatusQuery)),
        keepalive.prop_map(Command::KeepAlive),
        invalid().prop_map(Command::Invalid),
    ]
}
