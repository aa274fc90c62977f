--[[
  Sets a product's total while purchases run: the new total must cover what is sold and
  reserved right now (and stay within the ceiling when there is one); what is left of it
  is remaining. Checked and applied in one step, so no reservation slips in between.
  The caller holds the product's PostgreSQL row lock, so adjustments never interleave.

  Input:
    KEYS[1] product stock hash (total, remaining, reserved, sold)

    ARGV[1] the new total; with ARGV[3] = "by", a signed change of the current total that
            stops at sold + reserved instead of failing (undoing an adjustment PostgreSQL
            did not commit: units reserved meanwhile stay with their buyers)
    ARGV[2] ceiling: most the total may be (-1: none)
    ARGV[3] "to" (default) or "by"

  Output:
    {1, delta, remaining, sold, reserved, total}  applied; delta = new total - old total
    {-11, min, max, sold, reserved, total}        -11 STOCK_RULE: nothing changed; the new
                                                  total must lie in [min, max] (max -1: none)
    -3 NO_PRODUCT (no stock hash)
]]
local rcall = redis.call

local s = rcall("HMGET", KEYS[1], "total", "reserved", "sold")
if not s[1] then return -3 end
local total, reserved, sold = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])

local newTotal = tonumber(ARGV[1])
local ceiling = tonumber(ARGV[2])
local floor = sold + reserved
if ARGV[3] == "by" then newTotal = math.max(total + newTotal, floor) end

if newTotal < floor or (ceiling >= 0 and newTotal > ceiling) then
  return {-11, floor, ceiling, sold, reserved, total}
end

local remaining = newTotal - floor
rcall("HSET", KEYS[1], "total", newTotal, "remaining", remaining)
return {1, newTotal - total, remaining, sold, reserved, newTotal}
