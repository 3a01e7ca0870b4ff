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
    silent_printer();
}

/// How long a status query to a printer that accepts the connection and
/// never answers takes to give up (was a threshold in
/// tests/printer_transport.rs; a figure belongs here).
fn silent_printer() {
    use std::net::TcpListener;
    use std::time::Duration;
    use till::device::printer::status;
    use till::device::printer::tcp::TcpPort;

    let timeout = Duration::from_millis(200);
    let listener = TcpListener::bind("127.0.0.1:0").expect("loopback listener");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (_s, _) = listener.accept().unwrap();
        let _ = rx.recv_timeout(Duration::from_secs(10));
    });
    let mut conn = TcpPort::connect("127.0.0.1", port, Duration::from_secs(10)).unwrap();
    let t = Instant::now();
    let answer = status::query(&mut conn, timeout);
    println!(
        "silent printer: status query gave up after {:.0} ms (timeout {} ms): {}",
        t.elapsed().as_secs_f64() * 1000.0,
        timeout.as_millis(),
        if answer.is_err() {
            "no answer"
        } else {
            "answered?!"
        }
    );
    drop(tx);
    let _ = holder.join();
}
