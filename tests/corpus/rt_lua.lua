-- rt_lua: Lua 5.4 tables for the corpus (issue 11), run by Debian's lua5.4.
--
--   lua5.4 tests/corpus/rt_lua.lua MODE
--     int_drained  POSITIVE  a table of 1,000,000 sparse integer keys (all in
--                            the hash part), 99% set to nil
--     churn        negative  the table kept full as a cache: its oldest 300,000
--                            keys set to nil and new ones added one at a time
--                            (a nil'd node is reused, or the part rebuilt)
--     rebuilt      negative  99% set to nil, then copied into a new table and
--                            the old one collected (the Lua way to shrink one)
--     bitmap       negative  an array part of 2^20 bit words, every bit set
--                            (-1), then all cleared to 0 and kept (the value
--                            tags stay "integer", the values go all-ones -> 0)
--
-- Keys that are not a dense 1..n run live in the table's hash part
-- (ltable.c): one allocation of 2^p Nodes {value (8), value tag (1), key
-- tag (1), int next (4), key (8)} of 24 bytes.  t[k] = nil makes the value
-- tag "empty" and keeps the key.  The part is resized only when an
-- insertion finds no free node.  The array part is 2^p TValues {value,
-- tag} of 16 bytes.  Timeline (corpus.h's): fill, hold 1.2 s, change, hold
-- 1.5 s, exit (lua.c closes the state at exit, freeing the table before the
-- report: "live": false).  Truth on stderr: CORPUS-TRUTH capacity_bytes=
-- <24 * 2^p> peak_occupancy=<keys / 2^p> occupancy=<at the end>.
local N = 1000000
local mode = arg[1]
local t0 = os.clock()

local function sleep(s)
  -- no sleep in the standard library: a child sleeps, the interpreter waits.
  -- exec env -u: the shell becomes a sleep without the preload (no report
  -- of its own next to ours)
  os.execute("exec env -u LD_PRELOAD sleep " .. s)
end

local function phase(name, text)
  io.stderr:write(string.format("CORPUS phase=%s cpu=%.3f %s\n", name, os.clock() - t0, text or ""))
end

local function truth(cap, peak, occ)
  io.stderr:write(string.format("CORPUS-TRUTH capacity_bytes=%d peak_occupancy=%.4f occupancy=%.4f\n",
                                cap, peak, occ))
end

local function key(i)
  return i * 7919 + 1000003  -- sparse integers: the hash part, not the array part
end

local function fill_sessions()
  local t = {}
  for i = 0, N - 1 do t[key(i)] = i end
  return t
end

local t
if mode == "int_drained" or mode == "churn" or mode == "rebuilt" then
  t = fill_sessions()
  local slots = 1
  while slots < N do slots = slots * 2 end
  local peak = N / slots
  phase("peak", string.format("nodes=%d bytes=%d", slots, 24 * slots))
  sleep(1.2)
  if mode == "churn" then
    for i = N, N + 299999 do
      t[key(i - N)] = nil
      t[key(i)] = i
    end
    phase("churned", "")
  else
    local left = 0
    for i = 0, N - 1 do
      if i % 100 ~= 0 then t[key(i)] = nil else left = left + 1 end
    end
    if mode == "rebuilt" then
      local u = {}
      for k, v in pairs(t) do u[k] = v end
      t = u
      collectgarbage()             -- the old node array is freed here
      phase("rebuilt", "keys=" .. left)
    else
      truth(24 * slots, peak, left / slots)
    end
  end
elseif mode == "bitmap" then
  t = {}
  for i = 1, 1 << 20 do t[i] = -1 end   -- every bit set
  phase("peak", "words=" .. (1 << 20))
  sleep(1.2)
  for i = 1, 1 << 20 do t[i] = 0 end    -- cleared for the next round
else
  io.stderr:write("usage: lua5.4 rt_lua.lua int_drained|churn|rebuilt|bitmap\n")
  os.exit(2)
end
phase("drained", "")
sleep(1.5)
local n = 0
for _ in pairs(t) do n = n + 1 end
print("result " .. n)
