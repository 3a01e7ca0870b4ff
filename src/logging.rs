//! Logging. (in progress)
