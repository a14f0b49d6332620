# Ruby Hash tables for tests/test_runtimes.py (Debian's ruby 3.1).
#
#   ruby rt_ruby.rb MODE    MODE: int_drained | str_drained | int_full | int_freed | int_churn | buffer
#
# A Hash of more than 8 entries is an st_table (st.c): an entries array of
# 2^p st_table_entry {hash, key, record} (24 bytes each, one malloc), and a
# separate bins array.  Deleting an entry marks its hash all-ones and keeps
# key and record.  Timeline: fill, hold 1.2 s, change, hold 2.5 s, exit.
# Prints `TRUTH bytes=<entries array size> peak=<entries used / 2^p>
# now=<at the end> live=<1 if still allocated>`, after a line `PEAK` at the peak.
N = 1_000_000
HOLD_PEAK = 1.2
HOLD_END = 2.5

def entries_bytes(n)
  p = 1
  p += 1 while (1 << p) < n
  [1 << p, 24 * (1 << p)]
end

mode = ARGV[0]
case mode
when "int_drained", "int_full", "int_freed", "int_churn", "str_drained"
  h = {}
  if mode == "str_drained"
    N.times { |i| h["session:#{i * 7919}"] = i }
  else
    N.times { |i| h[i * 7919 + 1_000_003] = i }
  end
  slots, bytes = entries_bytes(h.size)
  peak = h.size.to_f / slots
  puts "PEAK"
  STDOUT.flush
  sleep HOLD_PEAK
  live = 1
  case mode
  when "int_drained", "str_drained"
    h.delete_if { |_, v| v % 100 != 0 }
  when "int_freed"
    h = {}
    GC.start
    live = 0
  when "int_churn"
    # a full cache under churn: the oldest 300,000 entries replaced one at a
    # time (shift marks the first entry deleted; a rebuild compacts them)
    N.upto(N + 299_999) { |i| h.shift; h[i * 7919 + 1_000_003] = i }
    peak = h.size.to_f / slots
  end
  now = live == 1 ? h.size.to_f / slots : 0.0
  puts format("TRUTH bytes=%d peak=%.4f now=%.4f live=%d", bytes, peak, now, live)
  STDOUT.flush
  sleep HOLD_END
  puts "result #{h.size}"
when "buffer"
  # a 16 MiB binary string built in place, then overwritten with zero bytes
  n = 16 << 20
  line = "2026-12-02T02:40:00Z GET /index.html 200 1234\n".b
  s = String.new(capacity: n, encoding: Encoding::BINARY)
  s << line while s.bytesize + line.bytesize <= n
  puts "PEAK"
  STDOUT.flush
  sleep HOLD_PEAK
  zeros = "\0".b * s.bytesize
  s[0, s.bytesize] = zeros
  zeros = nil
  puts format("TRUTH bytes=%d peak=1.0 now=0.0 live=1", n)
  STDOUT.flush
  sleep HOLD_END
  puts "result #{s.bytesize}"
else
  warn "usage: ruby rt_ruby.rb int_drained|str_drained|int_full|int_freed|int_churn|buffer"
  exit 2
end
