# A Ruby Hash filled with String keys and mostly deleted, for
# tests/test_ruby.py.  Prints "GROW ruby_retain.rb:<line>" for the line where
# the hash grows (and "CALLS <line> <line>": the lines of its callers), then
# what it did (the same with and without the preload).
#   RUBY_RETAIN_MODE=main    the hash is filled by Cache#load on the main thread
#   RUBY_RETAIN_MODE=thread  the same on a Thread other than the main one
#   RUBY_RETAIN_MODE=set     a Set (Ruby's set.rb, a Hash inside) of 1,000,000
#                            Strings, 99% deleted
#   RUBY_RETAIN_MODE=buffer  not a Hash: a 24 MiB buffer from Fiddle (malloc), the
#                            size of a 2^20-entry st_table's entries, laid out as
#                            2^20 slots of three words, 80% of them used (spread
#                            as hashing spreads them) by Fixnum-like words and
#                            nil, then cut to 15%
#   RUBY_RETAIN_MODE=stress  four Threads allocating Strings, Arrays and
#                            Hashes of every size at once (no retention)
# RUBY_RETAIN_HOLD: seconds to sleep after the deletes (default 2.5).
# RUBY_RETAIN_KEYS=int: the hash's keys are Integers (Fixnums), not Strings.
INT_KEYS = ENV["RUBY_RETAIN_KEYS"] == "int"

def grow_line(tag)
  File.readlines(__FILE__).each_with_index do |l, i|
    return i + 1 if l.rstrip.end_with?("# GROW:" + tag)
  end
  exit 1
end

def fill(h, n)
  i = 0
  while i < n
    h[INT_KEYS ? i * 7919 + 1_000_003 : "session-#{i}"] = i # GROW:hash
    i += 1
  end
  h
end

class Cache
  attr_reader :items
  def load(n)
    @items = fill({}, n) # GROW:load
  end

  def drain
    @items.delete_if { |k, _| INT_KEYS ? k % 100 != 3 : !k.end_with?("00") }
  end
end

def churn(seed, rounds)
  sum = 0
  rounds.times do |r|
    s = "x" * (16 + (r * 37 + seed) % 5000)
    a = Array.new(1 + (r + seed) % 300) { |i| i }
    h = {}
    (r % 40).times { |i| h["k#{i}"] = s[0, i] }
    big = "y" * (150_000 + r % 7) if r % 50 == 0
    sum += s.size + a.size + h.size + (big ? big.size : 0)
  end
  sum
end

hold = (ENV["RUBY_RETAIN_HOLD"] || "2.5").to_f
case ENV["RUBY_RETAIN_MODE"] || "main"
when "main"
  puts "GROW ruby_retain.rb:#{grow_line("hash")}"
  puts "CALLS #{grow_line("load")} #{grow_line("main")}"
  c = Cache.new
  c.load(1_000_000) # GROW:main
  c.drain
  puts "result #{c.items.size}"
  sleep hold
when "thread"
  puts "GROW ruby_retain.rb:#{grow_line("hash")}"
  puts "CALLS #{grow_line("load")} #{grow_line("thread")}"
  c = Cache.new
  t = Thread.new { c.load(1_000_000); c.drain } # GROW:thread
  t.join
  puts "result #{c.items.size}"
  sleep hold
when "set"
  require "set"
  puts "GROW ruby_retain.rb:#{grow_line("set")}"
  seen = Set.new
  1_000_000.times { |i| seen << "session-#{i}" } # GROW:set
  seen.delete_if { |k| !k.end_with?("00") }
  puts "result #{seen.size}"
  sleep hold
when "buffer"
  require "fiddle"
  slots = 1 << 20
  spread = ->(i) { (i * 2654435761) % 1000 }
  fill_to = lambda do |permille|
    w = Array.new(slots * 3, 0)
    slots.times { |i| w[3 * i, 3] = [2 * i + 1, 2 * i + 1, 8] if spread.(i) < permille }
    w.pack("q<*")
  end
  puts "GROW ruby_retain.rb:#{grow_line("buffer")}"
  buf = Fiddle::Pointer.malloc(slots * 24) # GROW:buffer
  buf[0, slots * 24] = fill_to.(800)
  sleep 1.5
  buf[0, slots * 24] = fill_to.(150)
  GC.start
  puts "result #{buf[24, 8].unpack1("q<")}"
  sleep hold
when "stress"
  threads = (0...4).map { |t| Thread.new { churn(t, 6000) } }
  puts "result #{threads.map(&:value).sum}"
end
