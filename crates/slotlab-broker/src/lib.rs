//! slotlab's link to a message broker: events packed into compact,
//! checksummed batches ([`wire`]), routed by series to partitions
//! ([`partition`]) and published to NATS JetStream ([`nats`]), whose
//! client runs on the broker module's own threads so callers stay
//! synchronous.

pub mod consume;
pub mod lease;
pub mod nats;
pub mod partition;
pub mod publish;
pub mod wire;
