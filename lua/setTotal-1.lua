--[[
  Sets a product's total to an absolute figure: what is left of it after what is sold and
  reserved becomes remaining. Absolute, so applying it twice changes nothing. The caller
  holds the product's PostgreSQL row lock, so totals never interleave.
  "check" (an admin lowering the total) refuses a total below what is sold and reserved
  right now; "sync" (making Redis match PostgreSQL's total) never writes a negative
  remaining: it stops at zero and says how many units were short.

  Input:
    KEYS[1] product stock hash (total, remaining, reserved, sold)

    ARGV[1] the new total
    ARGV[2] "check" or "sync"

  Output:
    {1, delta, remaining, sold, reserved, total}  applied; delta = new total - old total
    {-11, floor, sold, reserved, total}           -11 STOCK_RULE ("check" only): nothing changed,
                                                  the total may not go below floor = sold + reserved
    {2, short, sold, reserved, total}             "sync" below sold + reserved: total set,
                                                  remaining 0, `short` units more are out than it allows
    -3 NO_PRODUCT (no stock hash)
]]
local rcall = redis.call

local s = rcall("HMGET", KEYS[1], "total", "reserved", "sold")
if not s[1] then return -3 end
local total, reserved, sold = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
local newTotal = tonumber(ARGV[1])
local floor = sold + reserved

if newTotal < floor then
  if ARGV[2] == "check" then return {-11, floor, sold, reserved, total} end
  rcall("HSET", KEYS[1], "total", newTotal, "remaining", 0)
  return {2, floor - newTotal, sold, reserved, newTotal}
end
local remaining = newTotal - floor
rcall("HSET", KEYS[1], "total", newTotal, "remaining", remaining)
return {1, newTotal - total, remaining, sold, reserved, newTotal}
