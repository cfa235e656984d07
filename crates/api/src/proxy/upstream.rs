//! The connection to an app that one client's HTTP/1.1 connection keeps:
//! its requests come one after another, so each goes on the same app
//! connection as the one before (kept alive), with no pool to look in and
//! no hand-over between tasks. HTTP/2 clients, whose requests come
//! together, use the proxy's pool instead.

use std::net::SocketAddr;
use std::sync::Mutex;

use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::CONNECT_TIMEOUT;

pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The app connection a client connection keeps, and where it goes.
#[derive(Default)]
pub(super) struct Kept(Mutex<Option<(SocketAddr, SendRequest<Incoming>)>>);

impl Kept {
    /// Sends `request` to `upstream` on the kept connection when it goes
    /// there and is still open, else on a new one (kept from then on). A
    /// request the app closed the kept connection before reading is sent
    /// once more on a new connection.
    pub(super) async fn send(
        &self,
        upstream: SocketAddr,
        request: Request<Incoming>,
    ) -> Result<Response<Incoming>, BoxError> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .filter(|(at, sender)| *at == upstream && !sender.is_closed());
        let (mut sender, fresh) = match kept {
            Some((_, sender)) => (sender, false),
            None => (connect(upstream).await?, true),
        };
        let response = match ready_and_send(&mut sender, request).await {
            Ok(response) => response,
            Err(Retry::Again(request)) if !fresh => {
                sender = connect(upstream).await?;
                ready_and_send(&mut sender, *request)
                    .await
                    .map_err(Retry::into_error)?
            }
            Err(e) => return Err(e.into_error()),
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((upstream, sender));
        Ok(response)
    }
}

/// Why a request was not answered: not sent at all (it can go again), or
/// failed on the way.
enum Retry {
    Again(Box<Request<Incoming>>),
    Failed(BoxError),
}

impl Retry {
    fn into_error(self) -> BoxError {
        match self {
            Retry::Again(_) => "the app closed the connection before the request was sent".into(),
            Retry::Failed(e) => e,
        }
    }
}

async fn ready_and_send(
    sender: &mut SendRequest<Incoming>,
    request: Request<Incoming>,
) -> Result<Response<Incoming>, Retry> {
    if sender.ready().await.is_err() {
        return Err(Retry::Again(Box::new(request)));
    }
    sender
        .try_send_request(request)
        .await
        .map_err(|mut e| match e.take_message() {
            Some(request) => Retry::Again(Box::new(request)),
            None => Retry::Failed(Box::new(e.into_error())),
        })
}

/// A new HTTP/1.1 connection to `upstream` (upgrades allowed), driven by a
/// task on this thread.
async fn connect(upstream: SocketAddr) -> Result<SendRequest<Incoming>, BoxError> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(upstream))
        .await
        .map_err(|_| format!("no connection within {}s", CONNECT_TIMEOUT.as_secs()))??;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await?;
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    Ok(sender)
}
