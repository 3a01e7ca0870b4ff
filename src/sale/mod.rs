//! A sale as data: what is bought, how it is paid, what is given back, and
//! the numbers that name it at every gateway. Pure: no I/O, no clock.

pub mod cart;
pub mod refund;
pub mod tender;
pub mod trade_no;

pub use cart::{Cart, CartError, Line};
pub use refund::{RefundError, RefundPlan, RefundRequest, Refundable};
pub use tender::{GatewayId, PayMethod, Payment, Tender, TenderError, Wallet};
pub use trade_no::{AttemptKind, ReceiptCode, SaleNo, TerminalId, TradeNo, TradeNoError};
