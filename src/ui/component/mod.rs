//! Parts of the frame that are not screens: they keep their own state,
//! and the screens reach them through the app.

pub mod invoice;
pub mod print_jobs;
pub mod printing;
pub mod status_bar;
