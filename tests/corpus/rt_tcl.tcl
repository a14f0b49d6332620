# rt_tcl: a Tcl array for the corpus (issue 11), run by Debian's tclsh 8.6.
#
#   tclsh tests/corpus/rt_tcl.tcl array_drained    POSITIVE  1,000,000 elements, 99% unset
#
# A Tcl array is a Tcl_HashTable (tclHash.c): a bucket array of
# Tcl_HashEntry pointers (one allocation), grown 4x when the entries reach
# 3 per bucket; each entry is its own allocation in a bucket's chain.
# Unsetting an element unlinks and frees its entry; the bucket array never
# shrinks.  Timeline (corpus.h's): fill, hold 1.2 s, unset, hold 1.5 s,
# exit.  Truth on stderr: CORPUS-TRUTH capacity_bytes=<8 * buckets>
# peak_occupancy=<non-empty buckets / buckets> occupancy=<at the end>; the
# non-empty buckets are counted from [array statistics] (its "number of
# buckets with 0 entries" line).
set N 1000000
set t0 [clock milliseconds]
if {[lindex $argv 0] ne "array_drained"} {
    puts stderr "usage: tclsh rt_tcl.tcl array_drained"
    exit 2
}
proc phase {name {text ""}} {
    global t0
    puts stderr [format "CORPUS phase=%s t=%.3f %s" $name [expr {([clock milliseconds] - $t0) / 1000.0}] $text]
}
# (buckets, non-empty buckets) of array a, from its statistics
proc stats {name} {
    upvar 1 $name a
    set s [array statistics a]
    regexp {(\d+) buckets} $s -> b
    regexp {buckets with 0 entries: (\d+)} $s -> empty
    return [list $b [expr {$b - $empty}]]
}
proc fill_sessions {name n} {
    upvar 1 $name a
    for {set i 0} {$i < $n} {incr i} { set a(session:[expr {$i * 7919}]) $i }
}
fill_sessions a $N
lassign [stats a] b used
set peak [expr {double($used) / $b}]
phase peak "buckets=$b used=$used"
after 1200
for {set i 0} {$i < $N} {incr i} {
    if {$i % 100} { unset a(session:[expr {$i * 7919}]) }
}
lassign [stats a] b2 used2
puts stderr [format "CORPUS-TRUTH capacity_bytes=%d peak_occupancy=%.4f occupancy=%.4f" \
    [expr {8 * $b}] $peak [expr {double($used2) / $b}]]
phase drained "buckets=$b2 elements=[array size a]"
after 1500
puts "result [array size a]"
