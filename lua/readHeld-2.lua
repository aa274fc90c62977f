--[[
  Reads a stock's counters and the takes it holds now (HELD: in flight), in one atomic step,
  so the two are of one moment: what the reconciler's quick check compares with PostgreSQL
  without reading every take the stock knows.

  Input:
    KEYS[1] counters hash, KEYS[2] refs hash (lua/lib/stock.lua; its held set is built from it)

  Output:
    {total, remaining, reserved, sold, ref_1, entry_1, ref_2, entry_2, ...}  (entries "status|quantity|userId")
    -3 NO_PRODUCT (no state)
]]
--#include stock
local s = redis.call("HMGET", KEYS[1], "total", "remaining", "reserved", "sold")
if not s[1] then return -3 end
local out = {tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])}
for _, ref in ipairs(redis.call("SMEMBERS", stock_held(KEYS[2]))) do
  out[#out + 1] = ref
  out[#out + 1] = redis.call("HGET", KEYS[2], ref) or ""
end
return out
