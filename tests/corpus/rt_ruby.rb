# rt_ruby: Ruby Hash tables for the corpus (issue 11), run by Debian's ruby 3.1.
#
#   ruby tests/corpus/rt_ruby.rb MODE
#     int_drained  POSITIVE  a Hash of 1,000,000 Integer keys, 99% deleted
#     lru_churn    negative  the Hash as a full LRU cache under churn: 400,000
#                            requests, a hit moves its key to the end (delete,
#                            re-insert), a miss evicts the oldest (shift) and
#                            inserts a new key; occupancy stays ~constant
#     rehash       negative  99% deleted, then h.rehash: a new table sized for
#                            what is left, the old one freed at once
#     buffer       negative  a 16 MiB binary String of log lines overwritten
#                            with zero bytes and kept
#
# A Hash of more than 8 entries is an st_table (st.c): an entries array of
# 2^p st_table_entry {hash, key, record} (24 bytes each, one malloc) and a
# bins array of 2^(p+1) entry indexes (4 bytes each below 2^32 entries).
# Deleting an entry sets its hash to all ones (a marker) and keeps key and
# record; with Integer keys (fixnums, not pointers) nothing else changes.
# Timeline (corpus.h's): fill, hold 1.2 s, change, hold 1.5 s, exit (Ruby
# does not free its heap at exit: the table is still allocated at the
# report, "live": true).  Truth on stderr: CORPUS-TRUTH capacity_bytes=
# <entries array> peak_occupancy=<entries in use / 2^p> occupancy=<at the end>.
N = 1_000_000
HOLD_PEAK = 1.2
HOLD_DRAINED = 1.5
T0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)

def phase(name, text = "")
  t = Process.clock_gettime(Process::CLOCK_MONOTONIC) - T0
  $stderr.puts format("CORPUS phase=%s t=%.3f %s", name, t, text)
  $stderr.flush
end

def truth(cap, peak, occ)
  $stderr.puts format("CORPUS-TRUTH capacity_bytes=%d peak_occupancy=%.4f occupancy=%.4f", cap, peak, occ)
  $stderr.flush
end

# st.c's entries array for a table that grew to hold n entries: 2^p >= n
def entries_slots(n)
  p = 3
  p += 1 while (1 << p) < n
  1 << p
end

def user_key(i)
  i * 7919 + 1_000_003             # Integer keys: fixnums in the entries
end

def fill_sessions(n)
  h = {}
  n.times { |i| h[user_key(i)] = i }
  h
end

mode = ARGV[0]
case mode
when "int_drained", "lru_churn", "rehash"
  $h = fill_sessions(N)
  slots = entries_slots($h.size)
  peak = $h.size.to_f / slots
  phase("peak", "entries=#{slots} bytes=#{24 * slots} size=#{$h.size}")
  sleep HOLD_PEAK
  case mode
  when "int_drained"
    $h.delete_if { |_, v| v % 100 != 0 }
    truth(24 * slots, peak, $h.size.to_f / slots)
  when "rehash"
    $h.delete_if { |_, v| v % 100 != 0 }
    $h.rehash                      # a new st_table for 10,000 entries; the old one freed
    phase("rehashed", "size=#{$h.size}")
  else
    # lru_churn: keys 0..N-1 cached, requests for a sliding range of keys
    hits = misses = 0
    nxt = N
    r = Random.new(7)
    400_000.times do
      k = nxt - 1 - r.rand(N + N / 4)        # 80% of requests hit
      k = nxt if k < nxt - N
      if (v = $h.delete(user_key(k)))
        $h[user_key(k)] = v                   # a hit: most recently used now
        hits += 1
      else
        $h.shift                              # evict the least recently used
        $h[user_key(nxt)] = nxt
        nxt += 1
        misses += 1
      end
    end
    phase("churned", "size=#{$h.size} hits=#{hits} misses=#{misses}")
  end
  phase("drained")
  sleep HOLD_DRAINED
  puts "result #{$h.size}"
when "buffer"
  n = 16 << 20
  line = "2026-12-02T02:40:00Z GET /index.html 200 1234\n".b
  s = String.new(capacity: n, encoding: Encoding::BINARY)
  s << line while s.bytesize + line.bytesize <= n
  phase("peak", "bytes=#{n}")
  sleep HOLD_PEAK
  zeros = "\0".b * s.bytesize
  s[0, s.bytesize] = zeros
  zeros = nil
  phase("drained", "zeroed for reuse")
  sleep HOLD_DRAINED
  puts "result #{s.bytesize}"
else
  warn "usage: ruby rt_ruby.rb int_drained|lru_churn|rehash|buffer"
  exit 2
end
