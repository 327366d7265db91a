//! Partition leases against a real JetStream: a live holder keeps its
//! partitions (a second process is refused, naming it), a lease given back
//! is taken at once, and a refused take keeps nothing.

mod server;

use slotlab_broker::lease::{LeaseError, Leases};
use slotlab_broker::nats::connect;
use std::time::Duration;

#[test]
fn a_live_holder_keeps_its_partitions_and_a_released_lease_is_taken_at_once() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let js = connect(&server.url).await.unwrap();
        let mut a = Leases::take(&js, "s", 1, "g", &[0, 1]).await.unwrap();
        // Asked while `a` renews: refused at partition 1, naming `a`.
        let renewing = async {
            loop {
                a.renew().await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let refused = tokio::select! {
            r = Leases::take(&js, "s", 1, "g", &[2, 1]) => r.unwrap_err(),
            () = renewing => unreachable!(),
        };
        assert!(
            matches!(refused, LeaseError::Held { partition: 1, .. }),
            "{refused}"
        );
        let text = refused.to_string();
        assert!(
            text.contains(&format!("by pid {} on ", std::process::id())),
            "{text}"
        );
        // The refused take gave back partition 2; another group is apart.
        let two = Leases::take(&js, "s", 1, "g", &[2]).await.unwrap();
        let other = Leases::take(&js, "s", 1, "h", &[0, 1]).await.unwrap();
        // Given back, taken by the next asker.
        a.release().await;
        let bucket = js.get_key_value("slotlab-leases").await.unwrap();
        for key in ["s.g.0", "s.g.1"] {
            let entry = bucket.entry(key).await.unwrap();
            assert!(
                entry.is_none_or(|e| e.operation != async_nats::jetstream::kv::Operation::Put),
                "{key} still held after release"
            );
        }
        assert!(bucket.entry("s.g.2").await.unwrap().is_some());
        let again = Leases::take(&js, "s", 1, "g", &[0, 1]).await.unwrap();
        for l in [two, other, again] {
            l.release().await;
        }
    });
}
