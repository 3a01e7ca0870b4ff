//! One module per screen. Each owns its `State`, `Message`, `update` and
//! `view`, and reports what the parent must do through an `Event` instead
//! of reaching up (the halloy pattern).

pub mod close_day;
pub mod confirming;
pub mod done;
pub mod history;
pub mod paypage;
pub mod refund;
pub mod sale;
pub mod settings;
pub mod sign_in;
pub mod tender;
