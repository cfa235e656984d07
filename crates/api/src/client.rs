//! The client side of the daemon's socket, blocking (the CLI needs no runtime).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use berth_engine::service::{Event, Request};

use crate::protocol::Line;
use crate::socket::SOCKET_NAME;
use crate::ApiError;

/// Talks to the `berth serve` of one home.
pub struct Client {
    home: PathBuf,
}

impl Client {
    pub fn new(home: &Path) -> Self {
        Client {
            home: home.to_path_buf(),
        }
    }

    fn connect(&self) -> Result<UnixStream, ApiError> {
        let socket = self.home.join(SOCKET_NAME);
        UnixStream::connect(&socket).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ApiError::NotRunning {
                    home: self.home.clone(),
                }
            }
            std::io::ErrorKind::PermissionDenied => ApiError::PermissionDenied { socket },
            _ => ApiError::Io(e),
        })
    }

    /// Sends `request`, passes each progress event to `on_event`, and returns the reply.
    pub fn call<T: DeserializeOwned>(
        &self,
        request: &Request,
        mut on_event: impl FnMut(Event),
    ) -> Result<T, ApiError> {
        let mut stream = self.connect()?;
        let mut text = serde_json::to_vec(request).expect("requests serialize");
        text.push(b'\n');
        stream.write_all(&text)?;
        for line in BufReader::new(stream).lines() {
            let line = line?;
            match serde_json::from_str::<Line>(&line)
                .map_err(|e| ApiError::Protocol(e.to_string()))?
            {
                Line::Event(e) => on_event(e),
                Line::Ok(value) => {
                    return serde_json::from_value(value)
                        .map_err(|e| ApiError::Protocol(e.to_string()))
                }
                Line::Error(failure) => return Err(ApiError::Remote(failure)),
            }
        }
        Err(ApiError::Protocol(
            "the daemon closed the connection without a reply".into(),
        ))
    }
}
