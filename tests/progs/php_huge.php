<?php
// A PHP array of 1M integer keys filled, 99% unset and kept, with PHP's own
// allocator (the default): its 40 MiB bucket array is a huge block that the
// Zend allocator maps with mmap, never malloc (tests/test_mmap.py).  Prints
// "GROW php_huge.php:<line>" for the line where the array grows, then what
// is left; the same with and without the preload.
function grow_line($tag) {
    foreach (file(__FILE__) as $i => $line)
        if (str_ends_with(rtrim($line), "// GROW:" . $tag)) return $i + 1;
    exit(1);
}
function fill($n) {
    $a = [];
    // keys far from 0, not in order from 0: a hash, not a packed array
    for ($i = 0; $i < $n; $i++) {
        $a[1000003 + $i * 7] = $i; // GROW:array
    }
    return $a;
}
$hold = (float)(getenv("PHP_RETAIN_HOLD") ?: "1.0");
echo "GROW php_huge.php:", grow_line("array"), "\n";
$a = fill(1000000);
usleep((int)($hold * 1e6));
for ($i = 0; $i < 1000000; $i++)
    if ($i % 100) unset($a[1000003 + $i * 7]);
usleep((int)($hold * 2e6));
echo "left ", count($a), "\n";
