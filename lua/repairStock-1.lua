--[[
  Sets a product's counters to what the reconciler computed from PostgreSQL, but only if
  they have not moved since it read them (a purchase may finish meanwhile): compare and set.

  Input:
    KEYS[1] product stock hash

    ARGV[1..3] remaining, reserved, sold as the reconciler read them
    ARGV[4..6] remaining, reserved, sold as they should be

  Output:
    1 repaired, 0 the counters moved meanwhile (read again), -3 NO_PRODUCT
]]
local rcall = redis.call
local s = rcall("HMGET", KEYS[1], "remaining", "reserved", "sold")
if not s[1] then return -3 end
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] or s[3] ~= ARGV[3] then return 0 end
rcall("HSET", KEYS[1], "remaining", ARGV[4], "reserved", ARGV[5], "sold", ARGV[6])
return 1
