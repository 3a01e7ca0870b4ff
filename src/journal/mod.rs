//! The SQLite journal. (in progress)
