<?php
// PHP arrays for tests/test_runtimes.py (Debian's php8.2-cli).
//
//   php rt_php.php MODE    MODE: int_drained | str_drained | int_full | int_freed | int_churn
//
// A hashed (not packed) zend_array of nTableSize = 2^p slots is one
// allocation (zend_hash.h): 2 * 2^p uint32 hash slots, then 2^p Buckets
// {zval val (16), zend_ulong h, zend_string *key} of 32 bytes: 40 * 2^p bytes.
// unset() turns a bucket's zval type to IS_UNDEF; h and key stay.  With
// USE_ZEND_ALLOC=0 that allocation is a malloc; with Zend's allocator
// (the default) a block over 2 MiB is a "huge" block, mmap'ed directly.
// Timeline: fill, hold 1.2 s, change, hold 2.5 s, exit.  Prints
// `TRUTH bytes=<data allocation> peak=<used / 2^p> now=<at the end> live=<0|1>`, after
// a line `PEAK` at the peak.
const N = 1000000;
$mode = $argv[1] ?? "";
if (!in_array($mode, ["int_drained", "str_drained", "int_full", "int_freed", "int_churn"])) {
    fwrite(STDERR, "usage: php rt_php.php int_drained|str_drained|int_full|int_freed|int_churn\n");
    exit(2);
}
function slot_key($mode, $i) {
    // scattered integer keys: a hashed array, not a packed one
    return $mode === "str_drained" ? "session:" . ($i * 7919) : ($i * 2654435761) % 4294967291 + 1;
}
function fill($mode) {
    $a = [];
    for ($i = 0; $i < N; $i++) $a[slot_key($mode, $i)] = $i;
    return $a;
}
$a = fill($mode);
$slots = 8;
while ($slots < count($a)) $slots *= 2;
$bytes = 40 * $slots;
$peak = count($a) / $slots;
echo "PEAK\n";
usleep(1200000);
$live = 1;
if ($mode === "int_drained" || $mode === "str_drained") {
    // by key, not foreach over $a: that would separate (copy) the array
    for ($i = 0; $i < N; $i++)
        if ($i % 100 !== 0) unset($a[slot_key($mode, $i)]);
} elseif ($mode === "int_freed") {
    $a = [];
    $live = 0;
} elseif ($mode === "int_churn") {
    // a full cache under churn: the oldest 300,000 entries replaced one at a
    // time (unset buckets are compacted when the array runs out of slots)
    for ($i = N; $i < N + 300000; $i++) {
        unset($a[slot_key($mode, $i - N)]);
        $a[slot_key($mode, $i)] = $i;
    }
    $peak = count($a) / $slots;
}
$now = $live ? count($a) / $slots : 0.0;
printf("TRUTH bytes=%d peak=%.4f now=%.4f live=%d\n", $bytes, $peak, $now, $live);
usleep(2500000);
echo "result ", count($a), "\n";
