// A Rust program for tests/test_symbolize.py (rust_names_legacy, rust_names_v0):
// built by the test with rustc -O -g (not by the Makefile: its own
// directory keeps it out of tests/progs/*.rs), once with the default (legacy) symbol
// mangling and once with -C symbol-mangling-version=v0, as crate core_tables.
// No C++ runtime is loaded, so every name in its report is demangled by
// libretain itself.  The frames the report must show, hashes dropped:
//
//   core_tables::fill_table            a 16 MiB Box<[u64]>, live until exit
//   core_tables::alloc::build_index    a 16 MiB Vec<Option<Box<u64>>> filled to 70%, then
//                                      drained to 0.7% and held: a finding, whose advice must
//                                      name this function (a module of the program that is
//                                      named after a standard crate is the program's own)
//   core_tables::make_rows             generic (v0 adds ::<u32>)
//   core_tables::main::{closure#0}     a closure (legacy: {{closure}})
//   core_tables::größe                 a non-ASCII name (v0: punycode)
//
// Prints `ok` and a checksum that does not depend on addresses.
use std::thread::sleep;
use std::time::Duration;

mod alloc {
    /// An open-addressing index of boxed keys: slots hold a pointer or None.
    #[inline(never)]
    pub fn build_index(slots: usize) -> Vec<Option<Box<u64>>> {
        let mut index: Vec<Option<Box<u64>>> = vec![None; slots];
        for i in 0..slots as u64 {
            let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            if h % 10 < 7 {
                index[i as usize] = Some(Box::new(h));
            }
        }
        index
    }

    #[inline(never)]
    pub fn drain(index: &mut Vec<Option<Box<u64>>>) {
        for (i, slot) in index.iter_mut().enumerate() {
            if i % 100 != 0 {
                *slot = None;
            }
        }
    }
}

#[inline(never)]
fn fill_table(words: usize) -> Box<[u64]> {
    let mut table = vec![0u64; words].into_boxed_slice();
    for (i, w) in table.iter_mut().enumerate() {
        *w = (i as u64).wrapping_mul(2654435761) | 1;
    }
    table
}

#[inline(never)]
fn make_rows<T: Clone>(n: usize, value: T) -> Vec<T> {
    vec![value; n]
}

#[inline(never)]
fn größe(n: usize) -> Vec<u8> {
    vec![3u8; n]
}

fn main() {
    let table = fill_table(2 << 20); // 16 MiB
    let rows = make_rows(1 << 19, 7u32); // 2 MiB
    let bytes = größe(3 << 19); // 1.5 MiB
    let label = std::env::args().count();
    let strings = (|n: usize| -> Vec<String> { (0..n).map(|i| format!("{}-{}", label, i)).collect() })(70_000);
    let mut index = alloc::build_index(2 << 20); // 16 MiB of slots
    sleep(Duration::from_millis(1200));
    alloc::drain(&mut index);
    sleep(Duration::from_millis(2500));
    let used = index.iter().filter(|s| s.is_some()).count();
    let sum = table[12345] ^ rows[9] as u64 ^ bytes[3] as u64 ^ strings.len() as u64 ^ used as u64;
    println!("ok {}", sum);
}
