//! Start, stop and restart of an installed app: one journaled step each.
//! Nothing to roll back — Docker is the truth for what runs — so an
//! interrupted one is only recorded as such by reconcile.

use serde::{Deserialize, Serialize};

use super::{Apps, Progress};
use crate::lifecycle::UpEvent;
use crate::model::Step;
use crate::Result;

/// What to do with an installed app's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    Start,
    Stop,
    Restart,
}

impl Power {
    /// The step (and the operation's kind) this is.
    fn step(self) -> Step {
        match self {
            Power::Start => Step::Start,
            Power::Stop => Step::Stop,
            Power::Restart => Step::Restart,
        }
    }
}

impl Apps {
    /// Checks and records a start, stop or restart; returns its operation id.
    pub fn begin_power(&self, app: &str, power: Power) -> Result<i64> {
        self.installed_record(app)?;
        self.db.begin_operation(app, power.step().as_str(), "{}")
    }

    /// Runs a begun start, stop or restart.
    pub async fn run_power(
        &self,
        op: i64,
        app: &str,
        power: Power,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        let result = async {
            let project = self.load_rendered(app)?;
            let mut forward = |e: UpEvent| {
                if let UpEvent::Service { service, state } = e {
                    progress(Progress::Service { service, state });
                }
            };
            self.db.journal(op, power.step().as_str())?;
            if power != Power::Stop {
                self.check_storage(app, &project, true).await?;
            }
            match power {
                Power::Start => self.engine.start(&project, &mut forward).await,
                Power::Stop => self.engine.stop(&project).await,
                Power::Restart => self.engine.restart(&project, &mut forward).await,
            }
        }
        .await;
        match &result {
            Ok(()) => self.db.finish_operation(op, "done", None)?,
            Err(e) => self
                .db
                .finish_operation(op, "failed", Some(&e.to_string()))?,
        }
        result
    }
}
