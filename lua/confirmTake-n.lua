--[[
  Makes a HELD take final: its units move from reserved to sold. Keyed by the reference's
  status: a CONFIRMED take is left as it is.

  Input (three keys per stock, as lua/takeStock-n.lua):
    KEYS[3i-2] counters hash, KEYS[3i-1] users hash, KEYS[3i] refs hash of stock i
    ARGV[1] the reference

  Output:
    {1, confirmed}  confirmed: lines moved now (0: confirmed already)
    -9  NO_TICKET: this state does not know the reference (nothing changed)
    -12 INVALID_STATE: the take is RELEASED (nothing changed)
    {-3, i}  NO_PRODUCT: stock i has no Redis state
]]
--#include stock
local rcall = redis.call
local ref = ARGV[1]
local lines = #KEYS / 3

local entries = {}
for i = 1, lines do
  if rcall("EXISTS", KEYS[3 * i - 2]) == 0 then return {-3, i} end
  local entry = rcall("HGET", KEYS[3 * i], ref)
  if not entry then return -9 end
  if string.sub(entry, 1, 9) == "RELEASED|" then return -12 end
  entries[i] = entry
end

local confirmed = 0
for i = 1, lines do
  confirmed = confirmed + stock_confirm(KEYS[3 * i - 2], KEYS[3 * i], ref)
end
return {1, confirmed}
