//! Bytes and 9600-baud transmission time of an e-invoice proof and a
//! ten-item receipt per shipped printer profile, plus encode/render speed.
//!
//!     cargo bench --bench print

use std::hint::black_box;
use std::time::Instant;

use till::print::{Profile, encode, proof_document, receipt_document, render, samples};

/// 9600 baud, 8N1: 10 bits on the wire per byte.
const BAUD: u32 = 9600;

fn main() {
    let proof = proof_document(&samples::proof());
    let receipt = receipt_document(&samples::receipt());
    println!(
        "{:<20} {:>11} {:>9} {:>13} {:>9} {:>11} {:>11}",
        "profile", "proof bytes", "@9600 s", "receipt bytes", "@9600 s", "encode µs", "render ms"
    );
    for p in Profile::builtin_all() {
        let pb = encode(&proof, &p).expect("proof encodes");
        let rb = encode(&receipt, &p).expect("receipt encodes");
        let runs = 20;
        let t = Instant::now();
        for _ in 0..runs {
            black_box(encode(black_box(&receipt), &p).unwrap());
        }
        let enc_us = t.elapsed().as_micros() as f64 / runs as f64;
        let t = Instant::now();
        for _ in 0..runs {
            black_box(render(black_box(&rb), &p));
        }
        let render_ms = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!(
            "{:<20} {:>11} {:>9.2} {:>13} {:>9.2} {:>11.0} {:>11.2}",
            p.name,
            pb.len(),
            Profile::seconds_at_baud(pb.len(), BAUD),
            rb.len(),
            Profile::seconds_at_baud(rb.len(), BAUD),
            enc_us,
            render_ms
        );
    }
}
