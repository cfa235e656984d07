//! Why a command failed, as every transport carries it: a stable code a
//! client can act on, the sentence for the user, and the details as data
//! (the missing settings' names, the findings needing consent, the app).

use serde::{Deserialize, Serialize};

use crate::Error;

/// A failure's kind: what a client may do about it. Each maps to one HTTP
/// status ([`ErrorCode::http_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request or the file it names is wrong: fix it and ask again.
    Invalid,
    /// Required settings have no value (`details.missing` names them).
    SettingsMissing,
    /// The app asks something of the host the user must consent to
    /// (`details.findings`).
    ConsentRequired,
    /// What the request names does not exist (an app that is not installed).
    NotFound,
    /// The app is in a state that refuses this (already installed, being
    /// removed, another operation running): wait, or do something else first.
    Conflict,
    /// Berth refuses it for the host's safety or for lack of room.
    Refused,
    /// The Docker engine (or a registry) is not reachable; try again later.
    Unavailable,
    /// It was tried and failed; the message says what was put back.
    Failed,
}

impl ErrorCode {
    /// The HTTP status this failure answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Invalid | ErrorCode::SettingsMissing => 400,
            ErrorCode::ConsentRequired | ErrorCode::Refused => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Unavailable => 503,
            ErrorCode::Failed => 500,
        }
    }
}

/// A failed command: `{code, message, details}` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: ErrorCode,
    /// One sentence for the user, saying what to do.
    pub message: String,
    /// The facts behind it, for a client to act on.
    #[serde(default)]
    pub details: FailureDetails,
}

/// The data a failure carries; each field only when it applies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailureDetails {
    /// The app it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Required settings with no value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// What the app asks that needs consent, or what is wrong with its settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            details: FailureDetails::default(),
        }
    }
}

impl Error {
    /// This error's kind for clients.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Read { .. }
            | Error::TooLarge { .. }
            | Error::Yaml { .. }
            | Error::Invalid { .. }
            | Error::RequiredVariable { .. }
            | Error::Unsupported { .. }
            | Error::InvalidAppId { .. }
            | Error::InvalidLimit { .. }
            | Error::InvalidName(_)
            | Error::BadAppName { .. }
            | Error::BadRequest { .. }
            | Error::NoComposeFile { .. }
            | Error::UnknownShareRequest { .. }
            | Error::Catalog { .. } => ErrorCode::Invalid,
            Error::InvalidSettings { missing, .. } if !missing.is_empty() => {
                ErrorCode::SettingsMissing
            }
            Error::InvalidSettings { .. } => ErrorCode::Invalid,
            Error::ConsentRequired { .. } => ErrorCode::ConsentRequired,
            Error::NotInstalled { .. } | Error::NoShare { .. } => ErrorCode::NotFound,
            Error::ShareExists { .. } | Error::ShareInUse { .. } | Error::NameTaken { .. } => {
                ErrorCode::Conflict
            }
            Error::ShareRefused { .. } => ErrorCode::Refused,
            Error::AlreadyInstalled { .. } | Error::Busy { .. } | Error::InTransition { .. } => {
                ErrorCode::Conflict
            }
            Error::BindEscapes { .. }
            | Error::Tampered { .. }
            | Error::PortsExhausted { .. }
            | Error::NoSpace { .. }
            | Error::DiskCap { .. } => ErrorCode::Refused,
            Error::DockerUnavailable { .. }
            | Error::Unsettled { .. }
            | Error::Registry { .. }
            | Error::ShareAbsent { .. }
            | Error::StorageAbsent { .. } => ErrorCode::Unavailable,
            Error::Write { .. }
            | Error::Docker { .. }
            | Error::ServiceFailed { .. }
            | Error::Database { .. }
            | Error::Certificate { .. }
            | Error::CorruptState { .. }
            | Error::Snapshot { .. }
            | Error::Backup { .. }
            | Error::RolledBack { .. }
            | Error::MigrationFailed { .. }
            | Error::NotReady { .. }
            | Error::Ownership { .. }
            | Error::Smb { .. }
            | Error::Internal { .. } => ErrorCode::Failed,
        }
    }
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        let mut details = FailureDetails::default();
        match e {
            Error::InvalidSettings {
                app,
                problems,
                missing,
            } => {
                details.app = Some(app.clone());
                details.missing = missing.clone();
                details.findings = problems.clone();
            }
            Error::ConsentRequired { app, findings } => {
                details.app = Some(app.clone());
                details.findings = findings.clone();
            }
            Error::NotInstalled { app }
            | Error::AlreadyInstalled { app, .. }
            | Error::Busy { app }
            | Error::InTransition { app, .. }
            | Error::BindEscapes { app, .. }
            | Error::Tampered { app, .. }
            | Error::RolledBack { app, .. }
            | Error::DiskCap { app, .. } => details.app = Some(app.clone()),
            _ => {}
        }
        Failure {
            code: e.code(),
            message: e.to_string(),
            details,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_settings_travel_as_data() {
        let f = Failure::from(Error::InvalidSettings {
            app: "nextcloud".into(),
            problems: vec!["ADMIN_PASSWORD is required".into()],
            missing: vec!["ADMIN_PASSWORD".into()],
        });
        assert_eq!(f.code, ErrorCode::SettingsMissing);
        assert_eq!(f.details.missing, ["ADMIN_PASSWORD"]);
        let wire = serde_json::to_value(&f).unwrap();
        assert_eq!(wire["code"], "settingsMissing");
        assert_eq!(wire["details"]["missing"][0], "ADMIN_PASSWORD");
        assert_eq!(wire["message"], "ADMIN_PASSWORD is required");
    }

    #[test]
    fn each_kind_has_its_status() {
        let busy = Failure::from(Error::Busy { app: "a".into() });
        assert_eq!(busy.code.http_status(), 409);
        let gone = Failure::from(Error::NotInstalled { app: "a".into() });
        assert_eq!(gone.code.http_status(), 404);
        let away = Failure::from(Error::DockerUnavailable {
            message: "x".into(),
        });
        assert_eq!(away.code.http_status(), 503);
        let consent = Failure::from(Error::ConsentRequired {
            app: "a".into(),
            findings: vec!["privileged".into()],
        });
        assert_eq!(consent.code.http_status(), 403);
        assert_eq!(consent.details.findings, ["privileged"]);
    }
}
