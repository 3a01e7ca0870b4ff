//! Widgets shared by several screens.

pub mod approval;
pub mod keypad;
pub mod repaint;
