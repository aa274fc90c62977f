--[[
  Gives a take's units back, exactly once: a HELD or CONFIRMED take becomes RELEASED and its
  units (and its user's allowance) return. Keyed by the reference's status: a released take
  moves nothing again. A reference this state does not know (its take step never ran here,
  or ran on a state since lost) is recorded RELEASED as a tombstone, so a late take step for
  it moves nothing either.

  Input (three keys per stock, as lua/takeStock-n.lua):
    KEYS[3i-2] counters hash, KEYS[3i-1] users hash, KEYS[3i] refs hash of stock i
    ARGV[1] the reference

  Output:
    {1, moved, remaining_1, ...}  moved: units given back in all (0: nothing to give back)
    {-3, i}                       NO_PRODUCT: stock i has no Redis state (nothing changed)
]]
--#include stock
local rcall = redis.call
local ref = ARGV[1]
local lines = #KEYS / 3

for i = 1, lines do
  if rcall("EXISTS", KEYS[3 * i - 2]) == 0 then return {-3, i} end
end

local moved, out = 0, {1, 0}
for i = 1, lines do
  local k = 3 * i - 2
  moved = moved + stock_release(KEYS[k], KEYS[k + 1], KEYS[k + 2], ref, true)
  out[#out + 1] = tonumber(rcall("HGET", KEYS[k], "remaining"))
end
out[2] = moved
return out
