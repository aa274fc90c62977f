--[[
  Ends a purchase exactly once: CONFIRMED turns the reservation into a sale; FAILED gives
  the reserved units back to the product (the restore), or, for a ticket that never got
  its reservation, takes it out of the line. Keyed by the ticket's status, so a second
  call, or a late success racing a restore, changes nothing.

  Input:
    KEYS[1] product stock hash
    KEYS[2] held hash of the product
    KEYS[3] open-ticket hash of the product
    KEYS[4] stats hash
    KEYS[5] ticket hash
    KEYS[6] waiting sorted set of the product
    KEYS[7] in-flight hash of the product

    ARGV[1] ticket id
    ARGV[2] outcome: CONFIRMED or FAILED
    ARGV[3] reason ("" when confirmed)
    ARGV[4] order id ("" when there is none)
    ARGV[5] now (ms)
    ARGV[6] outcomes channel
    ARGV[7] event id

  Output:
    {1}          done now
    {0, status}  the ticket was already finished (or CONFIRMED asked of a waiting one): nothing changed
    -9 NO_TICKET
]]
local rcall = redis.call
local ticketId, outcome, reason, orderId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local t = rcall("HMGET", KEYS[5], "status", "user", "qty")
if not t[1] then return -9 end
local qty = tonumber(t[3])
if t[1] == "QUEUED" and outcome == "FAILED" then
  rcall("ZREM", KEYS[6], ticketId)
  rcall("HINCRBY", KEYS[4], "waiting", -1)
  rcall("HINCRBY", KEYS[4], "served", 1)
  rcall("HINCRBY", KEYS[4], "failed:" .. reason, 1)
elseif t[1] ~= "PROCESSING" then
  return {0, t[1]}
elseif outcome == "CONFIRMED" then
  rcall("HINCRBY", KEYS[1], "reserved", -qty)
  rcall("HINCRBY", KEYS[1], "sold", qty)
  rcall("HINCRBY", KEYS[4], "confirmed", 1)
  rcall("HINCRBY", KEYS[4], "processing", -1)
else
  rcall("HINCRBY", KEYS[1], "reserved", -qty)
  rcall("HINCRBY", KEYS[1], "remaining", qty)
  rcall("HINCRBY", KEYS[2], t[2], -qty)
  rcall("HINCRBY", KEYS[4], "failed:" .. reason, 1)
  rcall("HINCRBY", KEYS[4], "processing", -1)
end
if rcall("HGET", KEYS[3], t[2]) == ticketId then rcall("HDEL", KEYS[3], t[2]) end
rcall("HDEL", KEYS[7], ticketId)

rcall("HSET", KEYS[5], "status", outcome, "decidedAt", ARGV[5])
if reason ~= "" then rcall("HSET", KEYS[5], "reason", reason) end
if orderId ~= "" then rcall("HSET", KEYS[5], "orderId", orderId) end

local message = {eventId = ARGV[7], ticketId = ticketId, status = outcome}
if reason ~= "" then message.reason = reason end
if orderId ~= "" then message.orderId = orderId end
rcall("PUBLISH", ARGV[6], cjson.encode(message))
return {1}
