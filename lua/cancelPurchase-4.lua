--[[
  Cancels a confirmed purchase exactly once: the units go back from sold to remaining
  (back on sale while the event is LIVE) and leave the user's held count. Keyed by the
  ticket's status: a second call changes nothing.

  Input:
    KEYS[1] product stock hash
    KEYS[2] held hash of the product
    KEYS[3] stats hash
    KEYS[4] ticket hash

    ARGV[1] now (ms)

  Output:
    {1, qty}     cancelled now
    {0, status}  the ticket was not CONFIRMED (already cancelled, or never confirmed)
    -9 NO_TICKET
]]
local rcall = redis.call
local t = rcall("HMGET", KEYS[4], "status", "user", "qty")
if not t[1] then return -9 end
if t[1] ~= "CONFIRMED" then return {0, t[1]} end
local qty = tonumber(t[3])

rcall("HINCRBY", KEYS[1], "sold", -qty)
rcall("HINCRBY", KEYS[1], "remaining", qty)
rcall("HINCRBY", KEYS[2], t[2], -qty)
rcall("HINCRBY", KEYS[3], "cancelled", 1)
rcall("HSET", KEYS[4], "status", "CANCELLED", "cancelledAt", ARGV[1])
return {1, qty}
