// rt_rust: Rust std containers for the corpus (issue 11), real code built
// with rustc -O (Debian 12's rustc 1.63 is enough; the Makefile builds
// tests/corpus/bin/rt_rust where a rustc is found).
//
//   rt_rust MODE
//     map_drained    POSITIVE  HashMap<u64, u64> (hashbrown) of 900,000 entries
//                              in 2^20 buckets, retain()ed down to 1%
//     deque_drained  POSITIVE  VecDeque<Box<Job>> of 1,000,000 jobs (2^20 slots),
//                              drained to 1%: a VecDeque never gives its ring
//                              back on pop, the popped slots keep pointers to
//                              freed jobs: genuinely retained capacity
//     map_churn      negative  the map kept full under churn (a cache evicting
//                              its oldest entry for each new one: tombstones
//                              come and go, occupancy stays ~86%)
//     map_shrunk     negative  the map drained to 1% then shrink_to_fit(): the
//                              old table is freed at once
//     queue_steady   negative  a work queue in steady use: a VecDeque<Box<Job>>
//                              holding ~50% of its 2^20 slots while its window
//                              rotates (pop front, push back); the slots behind
//                              the head keep pointers to freed jobs
//     buffer         negative  a 16 MiB Vec<u8> of log lines zeroed for reuse
//     bitmap         negative  a 16 MiB Vec<u64> bitmap, every bit set (all-ones
//                              words), then cleared to zero and kept
//
// Timeline (corpus.h's): fill, hold 1.2 s, change, hold 1.5 s, exit (the
// containers are dropped when their function returns, before the exit
// report: "live": false).  Prints on
// stderr `CORPUS phase=...` lines and `CORPUS-TRUTH capacity_bytes=N
// peak_occupancy=F occupancy=F`: hashbrown's allocation is
// buckets * size_of::<T>() (rounded to 16) then buckets + 16 control bytes,
// occupancy len / buckets; a VecDeque's is capacity * size_of::<T>(),
// occupancy len / capacity; buffers and bitmaps print their size, 1 and 0.
use std::collections::{HashMap, VecDeque};
use std::mem::size_of;
use std::thread::sleep;
use std::time::{Duration, Instant};

const N: u64 = 900_000; // fits 2^20 buckets (capacity 917,504)
const QN: usize = 1_000_000; // jobs in a VecDeque of capacity 2^20 - 1
const CHURN: u64 = 300_000;
const HOLD_PEAK: Duration = Duration::from_millis(1200);
const HOLD_DRAINED: Duration = Duration::from_millis(1500);

struct Job {
    id: u64,
    _payload: [u64; 3],
}

fn phase(t0: Instant, name: &str, text: &str) {
    eprintln!("CORPUS phase={} t={:.3} {}", name, t0.elapsed().as_secs_f64(), text);
}

fn truth(cap: usize, peak: f64, occ: f64) {
    eprintln!("CORPUS-TRUTH capacity_bytes={} peak_occupancy={:.4} occupancy={:.4}", cap, peak, occ);
}

/// hashbrown's allocation for a table of `cap` capacity holding T.
fn table_bytes<T>(cap: usize) -> (usize, usize) {
    let buckets = (cap * 8 / 7).next_power_of_two();
    let data = (buckets * size_of::<T>() + 15) & !15;
    (buckets, data + buckets + 16)
}

fn key(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 // non-zero, spread
}

#[inline(never)]
fn fill_sessions(n: u64) -> HashMap<u64, u64> {
    let mut m: HashMap<u64, u64> = HashMap::new();
    for i in 0..n {
        m.insert(key(i), i + 1);
    }
    m
}

#[inline(never)]
fn enqueue_jobs(q: &mut VecDeque<Box<Job>>, from: u64, n: usize) {
    for i in 0..n as u64 {
        q.push_back(Box::new(Job { id: from + i, _payload: [i; 3] }));
    }
}

fn map_mode(t0: Instant, mode: &str) {
    let mut m = fill_sessions(N);
    let (buckets, bytes) = table_bytes::<(u64, u64)>(m.capacity());
    let peak = m.len() as f64 / buckets as f64;
    phase(t0, "peak", &format!("bytes={} buckets={} len={}", bytes, buckets, m.len()));
    sleep(HOLD_PEAK);
    match mode {
        "map_drained" => {
            m.retain(|_, v| *v % 100 == 0);
            truth(bytes, peak, m.len() as f64 / buckets as f64);
        }
        "map_shrunk" => {
            m.retain(|_, v| *v % 100 == 0);
            m.shrink_to_fit(); // a new, small table; the old one is freed here
            let (b2, bytes2) = table_bytes::<(u64, u64)>(m.capacity());
            phase(t0, "shrunk", &format!("bytes={} buckets={} len={}", bytes2, b2, m.len()));
        }
        _ => {
            // map_churn: evict the oldest, insert a new one, 300,000 times
            for i in N..N + CHURN {
                m.remove(&key(i - N));
                m.insert(key(i), i + 1);
            }
            let (b2, bytes2) = table_bytes::<(u64, u64)>(m.capacity());
            phase(t0, "churned", &format!("bytes={} buckets={} len={} occupancy={:.4}", bytes2,
                                          b2, m.len(), m.len() as f64 / b2 as f64));
        }
    }
    phase(t0, "drained", "");
    sleep(HOLD_DRAINED);
    println!("result {}", m.values().sum::<u64>());
}

fn queue_mode(t0: Instant, mode: &str) {
    // 2^20 - 1: one ring of 2^20 slots with rustc 1.63 (power-of-two rings),
    // exactly that many with later ones
    let mut q: VecDeque<Box<Job>> = VecDeque::with_capacity((1 << 20) - 1);
    let cap = q.capacity();
    let bytes = cap * size_of::<Box<Job>>();
    let mut next = 0u64;
    if mode == "deque_drained" {
        enqueue_jobs(&mut q, next, QN);
        let peak = q.len() as f64 / cap as f64;
        phase(t0, "peak", &format!("bytes={} capacity={} len={}", bytes, cap, q.len()));
        sleep(HOLD_PEAK);
        while q.len() > QN / 100 {
            drop(q.pop_front());
        }
        assert_eq!(q.capacity(), cap, "VecDeque keeps its ring");
        truth(bytes, peak, q.len() as f64 / cap as f64);
        phase(t0, "drained", "");
        sleep(HOLD_DRAINED);
    } else {
        // queue_steady: half full, the window turning round the ring for the
        // whole run (about 2.7 s, 0.5 M jobs a pass)
        enqueue_jobs(&mut q, next, QN / 2);
        next += (QN / 2) as u64;
        phase(t0, "peak", &format!("bytes={} capacity={} len={}", bytes, cap, q.len()));
        let end = Instant::now() + HOLD_PEAK + HOLD_DRAINED;
        let mut done = 0u64;
        while Instant::now() < end {
            for _ in 0..20_000 {
                done += q.pop_front().map(|j| j.id).unwrap_or(0);
                q.push_back(Box::new(Job { id: next, _payload: [next; 3] }));
                next += 1;
            }
            sleep(Duration::from_millis(5));
        }
        assert_eq!(q.capacity(), cap);
        phase(t0, "drained", &format!("len={} pushed={}", q.len(), next));
        println!("result {}", done);
    }
    println!("result {}", q.len());
}

fn main() {
    let t0 = Instant::now();
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "map_drained" | "map_shrunk" | "map_churn" => map_mode(t0, &mode),
        "deque_drained" | "queue_steady" => queue_mode(t0, &mode),
        "buffer" => {
            let mut b: Vec<u8> = Vec::with_capacity(16 << 20);
            let line = b"2026-12-02T02:40:00Z GET /index.html 200 1234\n";
            while b.len() + line.len() <= b.capacity() {
                b.extend_from_slice(line);
            }
            phase(t0, "peak", &format!("bytes={}", b.capacity()));
            sleep(HOLD_PEAK);
            b.iter_mut().for_each(|x| *x = 0);
            phase(t0, "drained", "zeroed for reuse");
            sleep(HOLD_DRAINED);
            println!("result {}", b.iter().map(|&x| x as u64).sum::<u64>() + b.len() as u64);
        }
        "bitmap" => {
            let words = (16usize << 20) / 8;
            let mut bits: Vec<u64> = vec![0; words];
            for w in bits.iter_mut() {
                *w = u64::MAX; // every bit set: all-ones words
            }
            phase(t0, "peak", &format!("bytes={}", words * 8));
            sleep(HOLD_PEAK);
            for w in bits.iter_mut() {
                *w = 0; // cleared for the next round
            }
            phase(t0, "drained", "cleared to zero");
            sleep(HOLD_DRAINED);
            println!("result {}", bits.iter().map(|w| w.count_ones() as u64).sum::<u64>());
        }
        _ => {
            eprintln!("usage: rt_rust map_drained|deque_drained|map_churn|map_shrunk|queue_steady|buffer|bitmap");
            std::process::exit(2);
        }
    }
}
