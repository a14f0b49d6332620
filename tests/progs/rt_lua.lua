-- Lua 5.4 tables for tests/test_runtimes.py (Debian's lua5.4).
--
--   lua5.4 rt_lua.lua MODE    MODE: int_drained | str_drained | int_full | int_freed | int_churn
--
-- Keys that are not a dense 1..n run live in the table's hash part
-- (ltable.c): one allocation of 2^p Nodes {value (8), value tag (1), key
-- tag (1), int next (4), key (8)} of 24 bytes.  t[k] = nil makes the value
-- tag "empty" and keeps the key (a string key becomes a dead key at the
-- next GC, and the string is freed).  The part is resized only when an
-- insertion finds no free node.  Timeline: fill, hold 1.2 s, change, hold
-- 2.5 s, exit.  Prints `TRUTH bytes=<node array size> peak=<used / 2^p>
-- now=<at the end> live=<0|1>`, after a line `PEAK` at the peak.
local N = 1000000
local mode = arg[1]

local function sleep(s)
  -- no sleep in the standard library: a child sleeps, the interpreter waits
  os.execute("sleep " .. s)
end

local function key(i)
  if mode == "str_drained" then return "session:" .. (i * 7919) end
  return i * 7919 + 1000003  -- sparse integers: the hash part, not the array part
end

if mode ~= "int_drained" and mode ~= "str_drained" and mode ~= "int_full"
    and mode ~= "int_freed" and mode ~= "int_churn" then
  io.stderr:write("usage: lua5.4 rt_lua.lua int_drained|str_drained|int_full|int_freed|int_churn\n")
  os.exit(2)
end

local t = {}
for i = 0, N - 1 do t[key(i)] = i end
local slots = 1
while slots < N do slots = slots * 2 end
local peak = N / slots
io.write("PEAK\n")
io.flush()
sleep(1.2)
local live, left = 1, N
if mode == "int_drained" or mode == "str_drained" then
  for i = 0, N - 1 do
    if i % 100 ~= 0 then t[key(i)] = nil end
  end
  left = N // 100
  collectgarbage()
elseif mode == "int_freed" then
  t = {}
  collectgarbage()
  live, left = 0, 0
elseif mode == "int_churn" then
  -- a full cache under churn: the oldest 300,000 entries replaced one at a
  -- time (a nil'd node is reused, or the part is rebuilt when none is free)
  for i = N, N + 299999 do
    t[key(i - N)] = nil
    t[key(i)] = i
  end
  peak = N / slots
end
local now = live == 1 and left / slots or 0.0
io.write(string.format("TRUTH bytes=%d peak=%.4f now=%.4f live=%d\n", 24 * slots, peak, now, live))
io.flush()
sleep(2.5)
local n = 0
for _ in pairs(t) do n = n + 1 end
print("result " .. n)
