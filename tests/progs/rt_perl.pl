# Perl hashes for tests/test_runtimes.py (Debian's perl 5.36).
#
#   perl rt_perl.pl MODE    MODE: drained | full | freed
#
# A hash's bucket array (hv.h: HvARRAY) is one allocation of HvMAX+1 HE
# pointers, doubled when the keys outnumber the buckets; each entry is an
# HE in a chain.  delete() unlinks the HE (a bucket with no entry left
# becomes NULL); the array is never shrunk.  Every key is also shared in
# PL_strtab, Perl's own hash of key strings (as big as %h here), and
# unshared on delete: a drained %h drains PL_strtab too, and after
# `undef %h` (which frees %h's array) PL_strtab stays drained.  Timeline: fill, hold 1.2 s,
# change, hold 2.5 s, exit.  Prints `TRUTH bytes=<bucket array size>
# peak=<non-empty buckets / buckets> now=<at the end> live=<0|1>`, after a line `PEAK` at the peak.
use strict;
use warnings;
use Time::HiRes qw(sleep);
use Hash::Util qw(bucket_ratio);

my $N = 1_000_000;
my $mode = $ARGV[0] // "";
die "usage: perl rt_perl.pl drained|full|freed\n" unless $mode =~ /^(drained|full|freed)$/;

my %h;
$h{"session:" . ($_ * 7919)} = $_ for 0 .. $N - 1;
my ($used, $buckets) = bucket_ratio(%h) =~ m{^(\d+)/(\d+)};
my $peak = $used / $buckets;
print "PEAK\n";
STDOUT->flush;
sleep 1.2;
my $live = 1;
if ($mode eq "drained") {
    for my $i (0 .. $N - 1) { delete $h{"session:" . ($i * 7919)} if $i % 100 }
} elsif ($mode eq "freed") {
    undef %h;
    $live = 0;
}
my $now = 0;
if ($live) { my ($u) = bucket_ratio(%h) =~ m{^(\d+)/}; $now = $u / $buckets }
printf "TRUTH bytes=%d peak=%.4f now=%.4f live=%d\n", 8 * $buckets, $peak, $now, $live;
STDOUT->flush;
sleep 2.5;
print "result ", scalar(keys %h), "\n";
