//! The aggregator's codes the client acts on (`goodbuy-form-gateway.txt`
//! 錯誤碼; the full table with what each means is in `super::table`).

/// 『回調成功』 / success: the call did what was asked.
pub const SUCCESS: &str = "200";
/// No order under that number and amount.
pub const NO_SUCH_ORDER: &str = "519";
