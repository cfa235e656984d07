//! Running a command in a service's running container (`docker exec`): an
//! app's declared backup dump, its output streamed into a file, and the
//! restore that feeds the dump back on its standard input.

use std::io::{Read, Write};
use std::path::Path;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::{container_name, docker_err, Engine};
use crate::{Error, Result};

/// How much of a failed command's standard error its error quotes.
const TAIL_BYTES: usize = 2000;

/// How an exec ended when it did not succeed: a sentence with the exit
/// code and the end of its standard error.
pub type ExecFailure = String;

impl Engine {
    /// Runs `command` in the running container of `service` of app
    /// `project`, without a terminal: its standard output written to
    /// `stdout` (when given; else dropped), the file `stdin` fed to its
    /// standard input (when given). `Ok(Err(why))` when it exits non-zero,
    /// or writes only to its standard error when its output is kept;
    /// `Ok(Ok(bytes))` is how many bytes it wrote to `stdout`.
    pub async fn exec_in(
        &self,
        project: &str,
        service: &str,
        command: &[String],
        stdin: Option<&Path>,
        stdout: Option<&Path>,
    ) -> Result<std::result::Result<u64, ExecFailure>> {
        let container = container_name(project, service);
        let running = self
            .docker
            .inspect_container(&container, None)
            .await
            .ok()
            .and_then(|c| c.state)
            .and_then(|s| s.running)
            .unwrap_or(false);
        if !running {
            return Ok(Err(format!(
                "service {service} is not running (container {container})"
            )));
        }
        let action = format!("run {:?} in {container}", command.join(" "));
        let created = self
            .docker
            .create_exec(
                &container,
                CreateExecOptions {
                    attach_stdin: Some(stdin.is_some()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(false),
                    cmd: Some(command.to_vec()),
                    ..Default::default()
                },
            )
            .await
            .map_err(docker_err(action.clone()))?;
        let started = self
            .docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    tty: false,
                    output_capacity: Some(64 * 1024),
                }),
            )
            .await
            .map_err(docker_err(action.clone()))?;
        let StartExecResults::Attached {
            mut output,
            mut input,
        } = started
        else {
            return Err(Error::Docker {
                action,
                message: "the engine did not attach to the command".into(),
            });
        };
        let mut out = match stdout {
            Some(path) => Some(std::fs::File::create(path).map_err(|cause| Error::Write {
                path: path.to_path_buf(),
                cause,
            })?),
            None => None,
        };
        // Standard input fed beside reading the output, so neither blocks the other.
        let feed = async {
            if let Some(path) = stdin {
                let mut file = std::fs::File::open(path).map_err(|cause| Error::Read {
                    path: path.to_path_buf(),
                    cause,
                })?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = file.read(&mut buf).map_err(|cause| Error::Read {
                        path: path.to_path_buf(),
                        cause,
                    })?;
                    if n == 0 {
                        break;
                    }
                    if input.write_all(&buf[..n]).await.is_err() {
                        // The command stopped reading: its exit code says why.
                        break;
                    }
                }
            }
            // End of input: the command sees its standard input closed.
            let _ = input.shutdown().await;
            Ok::<_, Error>(())
        };
        let read = async {
            let (mut written, mut stderr) = (0u64, Vec::<u8>::new());
            while let Some(chunk) = output.next().await {
                match chunk.map_err(docker_err(action.clone()))? {
                    bollard::container::LogOutput::StdOut { message } => {
                        if let (Some(file), Some(path)) = (out.as_mut(), stdout) {
                            file.write_all(&message).map_err(|cause| Error::Write {
                                path: path.to_path_buf(),
                                cause,
                            })?;
                        }
                        written += message.len() as u64;
                    }
                    bollard::container::LogOutput::StdErr { message } => {
                        stderr.extend_from_slice(&message);
                        if stderr.len() > 4 * TAIL_BYTES {
                            stderr.drain(..stderr.len() - TAIL_BYTES);
                        }
                    }
                    _ => {}
                }
            }
            Ok::<_, Error>((written, stderr))
        };
        let (fed, read) = tokio::join!(feed, read);
        fed?;
        let (written, stderr) = read?;
        if let (Some(file), Some(path)) = (out.as_mut(), stdout) {
            file.sync_all().map_err(|cause| Error::Write {
                path: path.to_path_buf(),
                cause,
            })?;
        }
        let code = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(docker_err(action))?
            .exit_code;
        let tail = {
            let text = String::from_utf8_lossy(&stderr);
            let text = text.trim();
            let start = text.len().saturating_sub(TAIL_BYTES);
            let start = (start..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            text[start..].to_string()
        };
        let said = if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        };
        match code {
            Some(0) if stdout.is_some() && written == 0 && !tail.is_empty() => Ok(Err(format!(
                "it wrote nothing to its standard output, only errors{said}"
            ))),
            Some(0) => Ok(Ok(written)),
            Some(code) => Ok(Err(format!("it exited with code {code}{said}"))),
            None => Ok(Err(format!("it did not finish{said}"))),
        }
    }
}
