//! Taiwan e-invoice (電子發票). (in progress)

pub mod buyer;
