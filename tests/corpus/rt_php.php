<?php
// rt_php: PHP arrays for the corpus (issue 11), run by Debian's php8.2-cli.
//
//   php tests/corpus/rt_php.php MODE
//     int_drained  POSITIVE  an array of 1,000,000 scattered integer keys, 99% unset
//                            (run with USE_ZEND_ALLOC=0: a malloc; and with
//                            Zend's allocator: a huge block, mmap'ed directly)
//     churn        negative  the array kept full as a cache: its oldest 300,000
//                            entries unset and replaced one at a time (IS_UNDEF
//                            buckets until the array compacts itself)
//     values       negative  99% unset, then $a = array_values($a): a new packed
//                            array, the old hash freed at once
//     bitmap       negative  a packed array of 2^20 bit words, every bit set
//                            (-1), then all cleared to 0 and kept (zval type
//                            words stay IS_LONG, the values go all-ones -> 0)
//
// A hashed (not packed) zend_array of nTableSize = 2^p slots is one
// allocation (zend_hash.h): 2 * 2^p uint32 hash slots, then 2^p Buckets
// {zval val (16), zend_ulong h, zend_string *key} of 32 bytes: 40 * 2^p
// bytes.  unset() turns a bucket's zval type to IS_UNDEF; h and key stay.
// A packed array (PHP 8.2) is 8 bytes of hash then 2^p zvals of 16 bytes.
// Over 2 MiB, Zend's allocator maps the block itself (zend_mm_alloc_huge).
// Timeline: fill, hold 1.2 s, change, hold 2.5 s, exit (PHP
// destroys its globals at shutdown, before the report: "live": false).  Truth on stderr:
// CORPUS-TRUTH capacity_bytes=<40 * 2^p> peak_occupancy=<count / 2^p>
// occupancy=<at the end>.
const N = 1000000;
const HOLD_PEAK_US = 1200000;
// 2.5 s, not corpus.h's 1.5: PHP frees the array at shutdown, and a table
// drained for 1.5 s then freed was missed in 1 run of 3 (libretain at
// dad40fb): a timing gap reported to the library, not what this program is for
const HOLD_DRAINED_US = 2500000;
$t0 = hrtime(true);

function phase($name, $text = "") {
    global $t0;
    fprintf(STDERR, "CORPUS phase=%s t=%.3f %s\n", $name, (hrtime(true) - $t0) / 1e9, $text);
}

function truth($cap, $peak, $occ) {
    fprintf(STDERR, "CORPUS-TRUTH capacity_bytes=%d peak_occupancy=%.4f occupancy=%.4f\n",
            $cap, $peak, $occ);
}

function slot_key($i) {
    // scattered integer keys: a hashed array, not a packed one
    return ($i * 2654435761) % 4294967291 + 1;
}

function fill_sessions() {
    $a = [];
    for ($i = 0; $i < N; $i++) $a[slot_key($i)] = $i;
    return $a;
}

function table_slots($n) {
    $slots = 8;
    while ($slots < $n) $slots *= 2;
    return $slots;
}

$mode = $argv[1] ?? "";
if (in_array($mode, ["int_drained", "churn", "values"])) {
    $a = fill_sessions();
    $slots = table_slots(count($a));
    $peak = count($a) / $slots;
    phase("peak", "slots=$slots bytes=" . (40 * $slots) . " count=" . count($a));
    usleep(HOLD_PEAK_US);
    if ($mode === "churn") {
        for ($i = N; $i < N + 300000; $i++) {
            unset($a[slot_key($i - N)]);
            $a[slot_key($i)] = $i;
        }
        phase("churned", "count=" . count($a));
    } else {
        // by key, not foreach over $a: that would separate (copy) the array
        for ($i = 0; $i < N; $i++)
            if ($i % 100 !== 0) unset($a[slot_key($i)]);
        if ($mode === "values") {
            $a = array_values($a);  // a packed array of 10,000; the old one freed
            phase("rebuilt", "count=" . count($a));
        } else {
            truth(40 * $slots, $peak, count($a) / $slots);
        }
    }
} elseif ($mode === "bitmap") {
    $words = 1 << 20;
    $a = [];
    for ($i = 0; $i < $words; $i++) $a[] = -1;   // every bit set
    phase("peak", "words=$words");
    usleep(HOLD_PEAK_US);
    for ($i = 0; $i < $words; $i++) $a[$i] = 0;  // cleared for the next round
} else {
    fwrite(STDERR, "usage: php rt_php.php int_drained|churn|values|bitmap\n");
    exit(2);
}
phase("drained");
usleep(HOLD_DRAINED_US);
echo "result ", count($a), "\n";
