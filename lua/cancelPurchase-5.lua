--[[
  Cancels a confirmed purchase exactly once: its take is released, so the units go back from
  sold to remaining (back on sale while the event is LIVE) and leave the user's tally. Keyed
  twice: by the ticket's status (a second call changes nothing) and by the take's own status
  (units the reconciler already gave back are not given again).

  Input:
    KEYS[1] the product's core stock: counters hash (lua/lib/stock.lua)
    KEYS[2] the product's core stock: users hash
    KEYS[3] stats hash
    KEYS[4] ticket hash
    KEYS[5] the product's core stock: refs hash

    ARGV[1] now (ms)
    ARGV[2] ticket id

  Output:
    {1, qty}     cancelled now; qty: units given back by this step (0: given back already)
    {0, status}  the ticket was not CONFIRMED (already cancelled, or never confirmed)
    -9 NO_TICKET
]]
--#include stock
local rcall = redis.call
local t = rcall("HMGET", KEYS[4], "status")
if not t[1] then return -9 end
if t[1] ~= "CONFIRMED" then return {0, t[1]} end

local qty = stock_release(KEYS[1], KEYS[2], KEYS[5], ARGV[2], false)
rcall("HINCRBY", KEYS[3], "cancelled", 1)
rcall("HSET", KEYS[4], "status", "CANCELLED", "cancelledAt", ARGV[1])
return {1, qty}
