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
local rcall = redis.call
local ref = ARGV[1]
local lines = #KEYS / 3

for i = 1, lines do
  if rcall("EXISTS", KEYS[3 * i - 2]) == 0 then return {-3, i} end
end

local moved, out = 0, {1, 0}
for i = 1, lines do
  local k = 3 * i - 2
  local entry = rcall("HGET", KEYS[k + 2], ref)
  if entry then
    local status, qty, user = string.match(entry, "^([^|]*)|([^|]*)|(.*)$")
    qty = tonumber(qty)
    if status == "HELD" or status == "CONFIRMED" then
      rcall("HINCRBY", KEYS[k], status == "HELD" and "reserved" or "sold", -qty)
      if tonumber(rcall("HGET", KEYS[k], "total")) >= 0 then rcall("HINCRBY", KEYS[k], "remaining", qty) end
      if user ~= "" then rcall("HINCRBY", KEYS[k + 1], user, -qty) end
      rcall("HSET", KEYS[k + 2], ref, "RELEASED|" .. qty .. "|" .. user)
      moved = moved + qty
    end
  else
    rcall("HSET", KEYS[k + 2], ref, "RELEASED|0|")
  end
  out[#out + 1] = tonumber(rcall("HGET", KEYS[k], "remaining"))
end
out[2] = moved
return out
