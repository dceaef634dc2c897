//! Application-layer parsers: bytes in, plain structs out. No flow state, no I/O; the flow
//! stage decides which bytes to hand them.

pub mod dns;
pub mod ech;
pub mod preamble;
pub mod quic;
pub mod tls;
