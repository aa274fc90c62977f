--[[
  The reconciler's repair of a stock: moves the takes PostgreSQL has settled forward to the
  status it holds (never back: HELD → CONFIRMED → RELEASED), adds the ones this state lost,
  then computes the counters and users' tallies again from every take the state knows (takes
  still in flight included). Applying it twice, or after a step it raced, changes nothing.

  Input:
    KEYS[1] counters hash, KEYS[2] users hash, KEYS[3] refs hash
    ARGV[1..] pairs: reference, "status|quantity|userId" (as PostgreSQL holds them)

  Output:
    {1, moved, remaining, reserved, sold}  moved: entries written
    -3 NO_PRODUCT (no state: build it instead)
]]
--#include stock
if redis.call("EXISTS", KEYS[1]) == 0 then return -3 end

local moved = 0
for i = 1, #ARGV, 2 do
  moved = moved + stock_settle(KEYS[3], ARGV[i], ARGV[i + 1])
end
local remaining, reserved, sold = stock_recount(KEYS[1], KEYS[2], KEYS[3])
return {1, moved, remaining, reserved, sold}
