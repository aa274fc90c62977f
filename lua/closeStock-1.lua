--[[
  Closes a stock's live state: from now on every take step answers SALE_NOT_OPEN. Closing
  is final (a CLOSED stock never opens again), so applying it twice changes nothing.

  Input:
    KEYS[1] counters hash

  Output:
    {1, remaining, reserved, sold}  closed (or closed already)
    -3 NO_PRODUCT (no state)
]]
local rcall = redis.call
if rcall("EXISTS", KEYS[1]) == 0 then return -3 end
rcall("HSET", KEYS[1], "status", "CLOSED")
local s = rcall("HMGET", KEYS[1], "remaining", "reserved", "sold")
return {1, tonumber(s[1]), tonumber(s[2]), tonumber(s[3])}
