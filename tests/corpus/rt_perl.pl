# rt_perl: a Perl hash for the corpus (issue 11), run by Debian's perl 5.36.
#
#   perl tests/corpus/rt_perl.pl drained    POSITIVE  1,000,000 string keys, 99% deleted
#
# A hash's bucket array (hv.h: HvARRAY) is one allocation of HvMAX+1 HE
# pointers, doubled when the keys outnumber the buckets; each entry is an
# HE in a chain.  delete() unlinks the HE (a bucket with no entry left
# becomes NULL); the array is never shrunk.  Every key is also shared in
# PL_strtab, Perl's own hash of key strings (as big as %h here), and
# unshared on delete: a drained %h drains PL_strtab too (a second, genuinely
# retained 16 MiB array: "tolerated" in expected.json).  Timeline
# (corpus.h's): fill, hold 1.2 s, delete, hold 1.5 s, exit (perl does not
# free its hashes at exit: "live": true).  Truth on stderr: CORPUS-TRUTH
# capacity_bytes=<8 * buckets> peak_occupancy=<non-empty buckets / buckets>
# occupancy=<at the end>, from Hash::Util::bucket_ratio.
use strict;
use warnings;
use Time::HiRes qw(sleep time);
use Hash::Util qw(bucket_ratio);

my $N = 1_000_000;
my $t0 = time;
my $mode = $ARGV[0] // "";
die "usage: perl rt_perl.pl drained\n" unless $mode eq "drained";

sub phase { printf STDERR "CORPUS phase=%s t=%.3f %s\n", $_[0], time - $t0, $_[1] // "" }

sub fill_sessions {
    my ($h) = @_;
    $h->{"session:" . ($_ * 7919)} = $_ for 0 .. $N - 1;
}

my %h;
fill_sessions(\%h);
my ($used, $buckets) = bucket_ratio(%h) =~ m{^(\d+)/(\d+)};
my $peak = $used / $buckets;
phase("peak", "buckets=$buckets used=$used");
sleep 1.2;
for my $i (0 .. $N - 1) { delete $h{"session:" . ($i * 7919)} if $i % 100 }
my ($u) = bucket_ratio(%h) =~ m{^(\d+)/};
printf STDERR "CORPUS-TRUTH capacity_bytes=%d peak_occupancy=%.4f occupancy=%.4f\n",
    8 * $buckets, $peak, $u / $buckets;
phase("drained", "keys=" . scalar(keys %h));
sleep 1.5;
print "result ", scalar(keys %h), "\n";
