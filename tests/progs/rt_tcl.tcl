# Tcl arrays and dicts for tests/test_runtimes.py (Debian's tcl8.6).
#
#   tclsh rt_tcl.tcl MODE    MODE: array_drained | dict_drained | array_full | array_freed
#
# Both are Tcl_HashTables (tclHash.c): a bucket array of Tcl_HashEntry
# pointers (one allocation), grown 4x when the entries reach 3 per bucket;
# each entry is its own allocation in a bucket's chain.  Deleting an entry
# unlinks and frees it; the bucket array never shrinks.  Timeline: fill,
# hold 1.2 s, change, hold 2.5 s, exit.  Prints `TRUTH bytes=<bucket array
# size> peak=<entries / buckets> now=<at the end> live=<0|1>`, after a line `PEAK` at the peak.
set N 1000000
set mode [lindex $argv 0]
if {$mode ni {array_drained dict_drained array_full array_freed}} {
    puts stderr "usage: tclsh rt_tcl.tcl array_drained|dict_drained|array_full|array_freed"
    exit 2
}
proc buckets {n} {
    # 4 buckets at first, x4 each time the entries reach 3 per bucket
    set b 4
    set e 0
    while {$e < $n} {
        incr e
        if {$e >= 3 * $b} { set b [expr {$b * 4}] }
    }
    return $b
}
proc ratio {e b} { return [format %.4f [expr {double($e) / $b}]] }
set b [buckets $N]
set live 1
if {$mode eq "dict_drained"} {
    set d [dict create]
    for {set i 0} {$i < $N} {incr i} { dict set d "session:[expr {$i * 7919}]" $i }
    set peak [ratio [dict size $d] $b]
    puts PEAK
    flush stdout
    after 1200
    for {set i 0} {$i < $N} {incr i} {
        if {$i % 100} { dict unset d "session:[expr {$i * 7919}]" }
    }
    set left [dict size $d]
} else {
    for {set i 0} {$i < $N} {incr i} { set a(session:[expr {$i * 7919}]) $i }
    set peak [ratio [array size a] $b]
    puts PEAK
    flush stdout
    after 1200
    if {$mode eq "array_drained"} {
        for {set i 0} {$i < $N} {incr i} {
            if {$i % 100} { unset a(session:[expr {$i * 7919}]) }
        }
    } elseif {$mode eq "array_freed"} {
        array unset a
        set live 0
    }
    set left [array size a]
}
set now [expr {$live ? [ratio $left $b] : 0.0}]
puts "TRUTH bytes=[expr {8 * $b}] peak=$peak now=$now live=$live"
flush stdout
after 2500
puts "result $left"
