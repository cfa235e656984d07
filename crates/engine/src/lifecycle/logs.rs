//! Logs of an app's services, from the engine.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::{Stream, StreamExt};

use super::{container_name, docker_err, Engine};
use crate::Result;

/// One line a service wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    pub service: String,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    pub text: String,
}

impl Engine {
    /// The last `tail` lines of `service` (all when `None`), then new ones as
    /// they come when `follow` is set.
    pub fn logs(
        &self,
        project: &str,
        service: &str,
        tail: Option<usize>,
        follow: bool,
    ) -> impl Stream<Item = Result<LogLine>> + use<'_> {
        let name = container_name(project, service);
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            follow,
            tail: tail.map_or_else(|| "all".to_string(), |n| n.to_string()),
            ..Default::default()
        };
        let service = service.to_string();
        self.docker().logs(&name, Some(options)).map(move |item| {
            let item = item.map_err(docker_err(format!("read the logs of {name}")))?;
            let (stream, bytes) = match item {
                LogOutput::StdErr { message } => ("stderr", message),
                LogOutput::StdOut { message }
                | LogOutput::Console { message }
                | LogOutput::StdIn { message } => ("stdout", message),
            };
            Ok(LogLine {
                service: service.clone(),
                stream,
                text: String::from_utf8_lossy(&bytes)
                    .trim_end_matches('\n')
                    .to_string(),
            })
        })
    }
}
