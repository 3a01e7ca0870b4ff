//! What a scanned string is. (in progress)
