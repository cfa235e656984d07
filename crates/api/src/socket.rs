//! The unix socket transport: one JSON request line in; the operation's
//! event lines (or a followed log's lines), then one `ok` or `error` line
//! out. Long operations run in their own task (the service's), so they
//! finish even when the client goes away.

use std::sync::Arc;

use berth_engine::service::{Answer, Failure, Request, Service};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::protocol::Line;

/// The socket's file name inside the Berth home.
pub const SOCKET_NAME: &str = "berth.sock";
/// Requests larger than this are refused.
const MAX_REQUEST: u64 = 1024 * 1024;

async fn write_line(stream: &mut UnixStream, line: &Line) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).expect("lines serialize");
    text.push(b'\n');
    stream.write_all(&text).await
}

fn refused(message: String) -> Line {
    Line::Error(Failure::new(
        berth_engine::service::ErrorCode::Invalid,
        message,
    ))
}

/// Serves one connection: one request, its events, its answer.
pub(crate) async fn handle(service: Arc<Service>, mut stream: UnixStream) {
    let mut line = String::new();
    let read = {
        let (reader, _) = stream.split();
        BufReader::new(reader.take(MAX_REQUEST))
            .read_line(&mut line)
            .await
    };
    let reply = match read {
        Err(e) => refused(format!("could not read the request: {e}")),
        Ok(_) => match serde_json::from_str::<Request>(&line) {
            Err(e) => refused(format!("not a Berth command ({e})")),
            Ok(request) => match service.run(request).await {
                Ok(answer) => answer_on(&mut stream, answer).await,
                Err(e) => Line::Error(Failure::from(e)),
            },
        },
    };
    let _ = write_line(&mut stream, &reply).await;
}

/// Writes an answer's events to the client; returns its last line.
async fn answer_on(stream: &mut UnixStream, answer: Answer) -> Line {
    let last = |result: berth_engine::Result<serde_json::Value>| match result {
        Ok(value) => Line::Ok(value),
        Err(e) => Line::Error(Failure::from(e)),
    };
    match answer {
        Answer::Value(value) => Line::Ok(value),
        Answer::Operation(mut op) | Answer::Job(mut op) => {
            // A client that leaves does not stop the operation.
            let mut client_gone = false;
            while let Some(event) = op.next_event().await {
                if !client_gone && write_line(stream, &Line::Event(event)).await.is_err() {
                    client_gone = true;
                }
            }
            last(op.finish().await)
        }
        Answer::Stream(mut lines) => {
            while let Some(next) = lines.recv().await {
                match next {
                    Ok(event) => {
                        if write_line(stream, &Line::Event(event)).await.is_err() {
                            // Dropping the receiver stops the reader.
                            return Line::Ok(serde_json::Value::Null);
                        }
                    }
                    Err(e) => return Line::Error(Failure::from(e)),
                }
            }
            Line::Ok(serde_json::Value::Null)
        }
    }
}
