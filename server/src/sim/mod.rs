//! The fleet simulator: a seeded generator of realistic PCs for a
//! département ([`fleet`], pure) and a driver that enrolls and reports them
//! through the real gRPC path, exactly as agents do ([`driver`]).

pub mod assets;
mod catalogue;
pub mod driver;
pub mod fleet;
pub mod sites;
pub mod software;
