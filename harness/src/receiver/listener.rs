//! Serving: connections bounded and cut off when they trickle, and a listener that closes its
//! socket while the receiver refuses connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::{Semaphore, oneshot, watch};

use super::{Limits, ReceiverState};

/// A listener that closes its socket while the receiver refuses connections and binds the same
/// address again afterwards, so the vendor sees a refused connection, not an answer.
pub(super) struct RefusingListener {
    inner: Option<tokio::net::TcpListener>,
    addr: SocketAddr,
    state: Arc<ReceiverState>,
    changed: watch::Receiver<u64>,
}

impl RefusingListener {
    /// Listens on `inner` (bound to `addr`) for the receiver whose `state` says when to refuse.
    pub(super) fn new(inner: tokio::net::TcpListener, addr: SocketAddr, state: Arc<ReceiverState>) -> Self {
        let changed = state.answer_changed.subscribe();
        Self { inner: Some(inner), addr, state, changed }
    }

    async fn accept(&mut self) -> (tokio::net::TcpStream, SocketAddr) {
        loop {
            if let Some(until) = self.state.refusing_until() {
                self.inner = None;
                tokio::select! {
                    _ = tokio::time::sleep_until(until.into()) => {}
                    _ = self.changed.changed() => {}
                }
                continue;
            }
            if self.inner.is_none() {
                match tokio::net::TcpListener::bind(self.addr).await {
                    Ok(listener) => self.inner = Some(listener),
                    Err(e) => {
                        tracing::warn!(error = %e, "the receiver failed to listen again; retrying");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                }
            }
            let Some(listener) = self.inner.as_ref() else { continue };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => return pair,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                _ = self.changed.changed() => {}
            }
        }
    }
}

/// Serves `router` on `listener` until `stop`: at most `limits.max_connections` connections at
/// once (the next is accepted when one closes), each cut off when its headers take longer than
/// `limits.header_read_timeout` (hyper's timer; also bounds an idle kept-alive connection). On
/// `stop` it closes the listener and lets every request in flight finish: a delivery answered
/// is in the inbox.
pub(super) async fn serve(
    mut listener: RefusingListener,
    router: Router,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut closing = closing_seen.clone();
        let served = Served::new(listener.state.clone());
        connections.spawn(async move {
            let _permit = permit;
            let _served = served;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = closing.wait_for(|closing| *closing) => {}
            }
            // Finishes the request in flight, if any, then closes.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// Counts a connection in [`ReceiverState::in_flight`] from its accept until its task ends
/// (closed, cut off, or dropped by the shutdown's abort).
struct Served(Arc<ReceiverState>);

impl Served {
    fn new(state: Arc<ReceiverState>) -> Self {
        state.connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
