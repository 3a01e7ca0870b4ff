//! The buyer's e-invoice choice: carriers, donation codes, buyer BAN. (in progress)
