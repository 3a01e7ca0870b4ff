//! Where `till` keeps its data by default (journal, print previews, demo
//! books): below both `config` and the devices that write there.

use std::path::PathBuf;

/// The default data directory (journal, print previews).
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("tw", "", "till")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("till-data"))
}
