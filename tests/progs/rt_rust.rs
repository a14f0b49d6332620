// Rust std tables for tests/test_runtimes.py: std::collections::HashMap and
// HashSet (hashbrown: one allocation holding the buckets, then
// buckets + 16 control bytes at its END).  Built by the test with rustc -O.
//
//   rt_rust MODE    MODE: map_drained | set_drained | map_full | map_freed | map_churn | buffer
//
// Timeline: fill, hold 1.2 s, change (drain 99% / nothing / replace by an
// empty map / replace the oldest 300,000 entries one by one, the map staying
// full / zero the buffer), hold 2.5 s, exit.  Prints on stdout
// `TRUTH bytes=<size of the table's allocation> peak=<fraction of buckets
// full at the peak> now=<fraction full at the end> live=<1 if still allocated>`,
// after a line `PEAK` when the table is full (for tools that look at it).
use std::collections::{HashMap, HashSet};
use std::mem::size_of;
use std::thread::sleep;
use std::time::Duration;

const N: u64 = 900_000; // fits 2^20 buckets (capacity 917,504)
const CHURN: u64 = 300_000;
const HOLD_PEAK: Duration = Duration::from_millis(1200);
const HOLD_END: Duration = Duration::from_millis(2500);

/// hashbrown's allocation for a table of `cap` capacity holding T:
/// buckets * size_of::<T>() (rounded to 16), then buckets + 16 control bytes.
fn table_bytes<T>(cap: usize) -> (usize, usize) {
    let buckets = (cap * 8 / 7).next_power_of_two();
    let data = (buckets * size_of::<T>() + 15) & !15;
    (buckets, data + buckets + 16)
}

fn key(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 // non-zero, spread
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "map_drained" | "map_full" | "map_freed" | "map_churn" => {
            let mut m: HashMap<u64, u64> = HashMap::new();
            for i in 0..N {
                m.insert(key(i), i + 1);
            }
            let (buckets, bytes) = table_bytes::<(u64, u64)>(m.capacity());
            let peak = m.len() as f64 / buckets as f64;
            println!("PEAK");
            sleep(HOLD_PEAK);
            let mut live = 1;
            if mode == "map_drained" {
                m.retain(|_, v| *v % 100 == 0);
            } else if mode == "map_freed" {
                m = HashMap::new(); // the old table is dropped here
                live = 0;
            } else if mode == "map_churn" {
                // a full cache under churn: the oldest third replaced, one at a time
                for i in N..N + CHURN {
                    m.remove(&key(i - N));
                    m.insert(key(i), i + 1);
                }
                let (b2, bytes2) = table_bytes::<(u64, u64)>(m.capacity());
                let now = m.len() as f64 / b2 as f64;
                println!("TRUTH bytes={} peak={:.4} now={:.4} live=1", bytes2, now, now);
            }
            let now = m.len() as f64 / buckets as f64;
            if mode != "map_churn" {
                println!("TRUTH bytes={} peak={:.4} now={:.4} live={}", bytes, peak,
                         if live == 1 { now } else { 0.0 }, live);
            }
            sleep(HOLD_END);
            println!("result {}", m.len());
        }
        "set_drained" => {
            let mut s: HashSet<String> = HashSet::new();
            for i in 0..N {
                s.insert(format!("user-{:08}", key(i) % 1_000_000_007));
            }
            let (buckets, bytes) = table_bytes::<String>(s.capacity());
            let peak = s.len() as f64 / buckets as f64;
            println!("PEAK");
            sleep(HOLD_PEAK);
            s.retain(|k| k.as_bytes()[k.len() - 1] == b'7' && k.as_bytes()[k.len() - 2] == b'7');
            let now = s.len() as f64 / buckets as f64;
            println!("TRUTH bytes={} peak={:.4} now={:.4} live=1", bytes, peak, now);
            sleep(HOLD_END);
            println!("result {}", s.len());
        }
        "buffer" => {
            // a 16 MiB byte buffer (a log being assembled), then cleared for reuse
            let mut b: Vec<u8> = Vec::with_capacity(16 << 20);
            let line = b"2026-12-02T02:40:00Z GET /index.html 200 1234\n";
            while b.len() + line.len() <= b.capacity() {
                b.extend_from_slice(line);
            }
            println!("PEAK");
            sleep(HOLD_PEAK);
            b.iter_mut().for_each(|x| *x = 0);
            println!("TRUTH bytes={} peak=1.0 now=0.0 live=1", b.capacity());
            sleep(HOLD_END);
            println!("result {}", b.iter().map(|&x| x as u64).sum::<u64>() + b.len() as u64);
        }
        _ => {
            eprintln!("usage: rt_rust map_drained|set_drained|map_full|map_freed|map_churn|buffer");
            std::process::exit(2);
        }
    }
}
