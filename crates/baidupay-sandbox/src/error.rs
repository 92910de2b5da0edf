//! Why the simulator could not start: [`SandboxError`].

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// Reading or writing the keys directory, or binding the listener.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The stored platform key does not load.
    #[error("platform key: {0}")]
    Key(#[from] baidupay_crypto::Error),
    /// The database cannot be opened or read, was made with another platform key, or this
    /// build has no SQLite.
    #[error("sandbox database {0}")]
    Db(String),
    /// The callback HTTP client could not be built.
    #[error("callback client: {0}")]
    Transport(#[from] baidupay_transport::TransportError),
}

/// Maps an I/O error to [`SandboxError::Io`] saying `what` was being done.
pub(crate) fn io(what: String) -> impl FnOnce(std::io::Error) -> SandboxError {
    move |source| SandboxError::Io { what, source }
}
