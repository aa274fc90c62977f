--[[
  Sets a product's counters to what the reconciler computed from PostgreSQL, but only if
  they have not moved since it read them (a purchase or a cancel may finish meanwhile):
  compare and set. In the same step it marks CANCELLED the tickets whose cancel
  PostgreSQL holds but Redis had not applied yet: the repaired counters already count
  them as given back, so their cancel step must find nothing left to do (applying it
  afterwards would return the units a second time).
  It builds `ticket:<id>` keys from the event prefix, as src/redis/keys.ts names them.

  Input:
    KEYS[1] product stock hash
    KEYS[2] held hash of the product
    KEYS[3] stats hash

    ARGV[1..3] remaining, reserved, sold as the reconciler read them
    ARGV[4..6] remaining, reserved, sold as they should be
    ARGV[7] event key prefix ("dq:{ev:<id>}:")
    ARGV[8] now (ms)
    ARGV[9..] ids of the tickets whose order PostgreSQL holds CANCELLED

  Output:
    {1, marked}  repaired; `marked` tickets turned CANCELLED
    {0}          the counters moved meanwhile: nothing changed (read again)
    -3 NO_PRODUCT
]]
local rcall = redis.call
local s = rcall("HMGET", KEYS[1], "remaining", "reserved", "sold")
if not s[1] then return -3 end
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] or s[3] ~= ARGV[3] then return {0} end

local marked = 0
for i = 9, #ARGV do
  local ticketKey = ARGV[7] .. "ticket:" .. ARGV[i]
  local t = rcall("HMGET", ticketKey, "status", "user", "qty")
  if t[1] == "CONFIRMED" then
    rcall("HINCRBY", KEYS[2], t[2], -tonumber(t[3]))
    rcall("HINCRBY", KEYS[3], "cancelled", 1)
    rcall("HSET", ticketKey, "status", "CANCELLED", "cancelledAt", ARGV[8])
    marked = marked + 1
  end
end
rcall("HSET", KEYS[1], "remaining", ARGV[4], "reserved", ARGV[5], "sold", ARGV[6])
return {1, marked}
