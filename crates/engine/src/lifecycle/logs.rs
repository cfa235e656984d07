//! Logs of an app's services, from the engine.

use std::time::SystemTime;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::{Stream, StreamExt, TryStreamExt};

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

/// One line a service wrote, with when the engine took it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub service: String,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// RFC 3339, to the nanosecond, as the engine stamps it.
    pub time: String,
    pub text: String,
}

impl LogEntry {
    /// `TIME SERVICE STREAM TEXT`: a line of a downloaded log.
    pub fn to_text_line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.time, self.service, self.stream, self.text
        )
    }
}

impl Engine {
    /// The lines containing `query` (in any case; every line when empty)
    /// among the last `tail` lines of each service (all when `None`)
    /// written since `since` (Unix seconds), of `service` or of every
    /// service of `project`; oldest first across services.
    pub async fn search_logs(
        &self,
        project: &str,
        service: Option<&str>,
        query: &str,
        tail: Option<usize>,
        since: Option<i64>,
    ) -> Result<Vec<LogEntry>> {
        let query = query.to_lowercase();
        let mut lines = self.stamped_logs(project, service, tail, since).await?;
        lines.retain(|l| l.text.to_lowercase().contains(&query));
        Ok(lines)
    }

    /// Every line of `service` (or of every service of `project`) since
    /// `since` (Unix seconds) if given, oldest first, one
    /// [`LogEntry::to_text_line`] each: the log to download.
    pub async fn logs_text(
        &self,
        project: &str,
        service: Option<&str>,
        since: Option<i64>,
    ) -> Result<String> {
        let lines = self.stamped_logs(project, service, None, since).await?;
        Ok(lines.iter().map(|l| l.to_text_line() + "\n").collect())
    }

    /// The timestamped lines of `service` (or of every container of
    /// `project`), each service's read at the same time, merged by time.
    pub(crate) async fn stamped_logs(
        &self,
        project: &str,
        service: Option<&str>,
        tail: Option<usize>,
        since: Option<i64>,
    ) -> Result<Vec<LogEntry>> {
        let containers = self.log_containers(project, service).await?;
        let options = stamped_options(tail, since);
        let read = containers.iter().map(|(service, container)| {
            let options = options.clone();
            async move {
                let frames: Vec<LogOutput> = self
                    .docker()
                    .logs(container, Some(options))
                    .try_collect()
                    .await
                    .map_err(docker_err(format!("read the logs of {container}")))?;
                Ok::<_, crate::Error>(
                    frames
                        .into_iter()
                        .flat_map(|frame| stamped(service, frame))
                        .collect::<Vec<_>>(),
                )
            }
        });
        let mut lines: Vec<LogEntry> = futures_util::future::try_join_all(read)
            .await?
            .into_iter()
            .flatten()
            .collect();
        // Stable: lines of one service with the same stamp keep their order.
        lines.sort_by_cached_key(|l| humantime::parse_rfc3339_weak(&l.time).ok());
        Ok(lines)
    }

    /// `(service, container)` of `service`, or of every container of `project`.
    async fn log_containers(
        &self,
        project: &str,
        service: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        Ok(match service {
            Some(s) => vec![(s.to_string(), container_name(project, s))],
            None => self
                .status(project)
                .await?
                .into_iter()
                .map(|s| (s.service, s.container))
                .collect(),
        })
    }

    /// [`Engine::logs_text`] as a stream of lines, each service's log read
    /// as the engine sends it and merged by time on the way, so a long log
    /// is never held whole in memory.
    pub async fn logs_text_stream(
        &self,
        project: &str,
        service: Option<&str>,
    ) -> Result<impl Stream<Item = Result<String>> + Send + use<>> {
        let options = stamped_options(None, None);
        let sources: Vec<_> = self
            .log_containers(project, service)
            .await?
            .into_iter()
            .map(|(service, container)| {
                let what = format!("read the logs of {container}");
                self.docker()
                    .logs(&container, Some(options.clone()))
                    .flat_map(move |frame| {
                        let entries = match frame {
                            Ok(frame) => stamped(&service, frame).into_iter().map(Ok).collect(),
                            Err(e) => vec![Err(docker_err(what.clone())(e))],
                        };
                        futures_util::stream::iter(entries)
                    })
                    .boxed()
                    .fuse()
            })
            .collect();
        // Each source's head line, with its time: the oldest goes next.
        let heads: Vec<_> = sources.into_iter().map(|s| (s, None)).collect();
        Ok(futures_util::stream::try_unfold(
            heads,
            |mut heads| async move {
                for (source, head) in heads.iter_mut() {
                    if head.is_none() {
                        if let Some(entry) = source.next().await {
                            let entry: LogEntry = entry?;
                            *head = Some((humantime::parse_rfc3339_weak(&entry.time).ok(), entry));
                        }
                    }
                }
                let oldest = heads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, head))| head.as_ref().map(|(time, _)| (*time, i)))
                    .min();
                Ok(oldest.map(|(_, i)| {
                    let (_, entry) = heads[i].1.take().expect("the oldest head is there");
                    (entry.to_text_line() + "\n", heads)
                }))
            },
        ))
    }

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

/// Both streams, stamped, the last `tail` lines (all by default) since `since`.
fn stamped_options(tail: Option<usize>, since: Option<i64>) -> LogsOptions {
    LogsOptions {
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: tail.map_or_else(|| "all".to_string(), |n| n.to_string()),
        since: since.map_or(0, |s| s.clamp(0, i64::from(i32::MAX)) as i32),
        ..Default::default()
    }
}

/// The lines of one frame the engine sent with `timestamps`, each
/// `TIME TEXT`.
fn stamped(service: &str, item: LogOutput) -> Vec<LogEntry> {
    let (stream, bytes) = match item {
        LogOutput::StdErr { message } => ("stderr", message),
        LogOutput::StdOut { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => ("stdout", message),
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(|line| {
            let (time, text) = match line.split_once(' ') {
                Some((time, text)) if is_stamp(time) => (time, text),
                _ => ("", line),
            };
            LogEntry {
                service: service.to_string(),
                stream: stream.to_string(),
                time: time.to_string(),
                text: text.to_string(),
            }
        })
        .collect()
}

fn is_stamp(word: &str) -> bool {
    humantime::parse_rfc3339_weak(word).is_ok_and(|t| t > SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_frame_splits_into_lines() {
        let frame = LogOutput::StdErr {
            message:
                "2026-12-01T20:08:23.123456789Z oops: it broke\n2026-12-01T20:08:23.2Z  indented\n"
                    .into(),
        };
        let lines = stamped("web", frame);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            LogEntry {
                service: "web".into(),
                stream: "stderr".into(),
                time: "2026-12-01T20:08:23.123456789Z".into(),
                text: "oops: it broke".into(),
            }
        );
        assert_eq!(lines[1].text, " indented");
        assert_eq!(
            lines[0].to_text_line(),
            "2026-12-01T20:08:23.123456789Z web stderr oops: it broke"
        );
        let unstamped = stamped(
            "web",
            LogOutput::StdOut {
                message: "plain words\n".into(),
            },
        );
        assert_eq!(
            (unstamped[0].time.as_str(), unstamped[0].text.as_str()),
            ("", "plain words")
        );
    }
}
