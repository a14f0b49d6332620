<?php
// A PHP list (packed array: integer keys 0..n-1) filled and mostly unset,
// for tests/test_php.py.  Prints "GROW php_packed.php:<line>" for the line
// where it grows, then its final count.  Run with USE_ZEND_ALLOC=0.
function grow_line() {
    foreach (file(__FILE__) as $i => $line)
        if (str_ends_with(rtrim($line), "// GROW")) return $i + 1;
    exit(1);
}
function build($n) {
    $a = [];
    for ($i = 0; $i < $n; $i++) {
        $a[] = $i * 3; // GROW
    }
    return $a;
}
echo "GROW php_packed.php:", grow_line(), "\n";
$a = build(1000000);
usleep(1000000);
for ($i = 0; $i < 1000000; $i++)
    if ($i % 100) unset($a[$i]);
usleep(1500000);
echo "result ", count($a), "\n";
