//! The steps of an operation, as the journal records them and progress
//! events name them: one word each, typed so the UI's progress tables and
//! the undo code cannot misspell one.

use serde::{Deserialize, Serialize};

macro_rules! steps {
    ($( $(#[doc = $doc:literal])* $step:ident = $word:literal, )*) => {
        /// One step of an operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
        #[serde(rename_all = "snake_case")]
        pub enum Step {
            $( $(#[doc = $doc])* $step, )*
        }

        impl Step {
            /// The word the journal records.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Step::$step => $word, )*
                }
            }

            /// A journaled word read back; `None` for a word this Berth does not know.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $( $word => Some(Step::$step), )*
                    _ => None,
                }
            }

            /// Every step.
            pub const ALL: &'static [Step] = &[$( Step::$step, )*];
        }
    };
}

steps! {
    /// The operation was recorded.
    Begin = "begin",
    /// The compose file was rendered for this host.
    Render = "render",
    /// Images were downloaded.
    Pull = "pull",
    /// Containers were created and started.
    Start = "start",
    Stop = "stop",
    Restart = "restart",
    /// The app is recorded as installed (or updated): from here it stays.
    Commit = "commit",
    /// An uninstall marked the app as being removed.
    Mark = "mark",
    /// Containers and networks removed.
    Down = "down",
    /// Images no other app needs removed.
    Images = "images",
    /// Data deleted (asked for).
    Purge = "purge",
    /// The app's record removed.
    Forget = "forget",
    /// A snapshot of the app taken.
    Snapshot = "snapshot",
    /// The new version's files put in place.
    Swap = "swap",
    /// Data moved for the new version.
    Data = "data",
    /// A migration service of the new version ran.
    Migrate = "migrate",
    /// The new version checked healthy.
    Health = "health",
    /// Nothing to change: the update found the app as asked.
    Unchanged = "unchanged",
    /// A failure is being undone.
    Undo = "undo",
    /// A disk image prepared.
    Prepare = "prepare",
    /// Data copied.
    Copy = "copy",
    /// A disk image grown in place.
    Grow = "grow",
    /// What the change left behind removed.
    Clean = "clean",
    /// New limits applied to the containers.
    Apply = "apply",
    /// A database dump taken (a backup) or fed back to the app (a restore).
    Dump = "dump",
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_reads_back_and_is_its_word_on_the_wire() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(*step));
            assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
        }
        assert_eq!(Step::parse("teleport"), None);
    }
}
