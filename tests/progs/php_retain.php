<?php
// A PHP array filled and mostly unset, for tests/test_php.py.  Prints
// "GROW php_retain.php:<line>" for the line where the array grows, then its
// final count (the same with and without the preload).  Run it with
// USE_ZEND_ALLOC=0 so that PHP's allocator hands its requests to malloc.
function grow_line($tag) {
    foreach (file(__FILE__) as $i => $line)
        if (str_ends_with(rtrim($line), "// GROW:" . $tag)) return $i + 1;
    exit(1);
}
function fill($n) {
    $a = [];
    for ($i = 0; $i < $n; $i++) {
        $a["k$i"] = $i; // GROW:array
    }
    return $a;
}
class Cache {
    public $items;
    function load($n) { $this->items = fill($n); }
}
$hold = (float)(getenv("PHP_RETAIN_HOLD") ?: "1.0");
echo "GROW php_retain.php:", grow_line("array"), "\n";
$c = new Cache();
$c->load(400000);
usleep((int)($hold * 1e6));
foreach (array_keys($c->items) as $k)
    if (substr($k, -2) !== "00") unset($c->items[$k]);
usleep((int)($hold * 1.5e6));
echo "result ", count($c->items), "\n";
