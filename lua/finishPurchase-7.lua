--[[
  Ends a purchase exactly once, the way PostgreSQL decided it: CONFIRMED turns the
  reservation into a sale; FAILED gives the reserved units back to the product (the
  restore), or, for a ticket that never got its reservation, takes it out of the line.
  Keyed by the ticket's status: the caller names the status it decided from, and a
  ticket that has moved on since (a second call, a late success racing a restore, a
  reservation made meanwhile by another delivery) is left as it is.
  Nothing is published here: the caller tells the shopper once PostgreSQL holds the outcome.

  Input:
    KEYS[1] the product's core stock: counters hash (lua/lib/stock.lua)
    KEYS[2] the product's core stock: users hash
    KEYS[3] open-ticket hash of the product
    KEYS[4] stats hash (its counters, and serviceMs: the moving average of admission → outcome)
    KEYS[5] ticket hash
    KEYS[6] waiting sorted set of the product
    KEYS[7] the product's core stock: refs hash (the reservation's take, keyed by the ticket id)

    ARGV[1] ticket id
    ARGV[2] outcome: CONFIRMED or FAILED
    ARGV[3] reason ("" when confirmed)
    ARGV[4] order id ("" when there is none)
    ARGV[5] now (ms)
    ARGV[6] the status the outcome was decided from: PROCESSING, or QUEUED (FAILED only:
            a ticket that never reserved, taken out of the line)

  Output:
    {1}          done now
    {0, status}  the ticket is not in the status named: nothing changed
    -9 NO_TICKET
]]
--#include stock
local rcall = redis.call
local ticketId, outcome, reason, orderId, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]

local t = rcall("HMGET", KEYS[5], "status", "user", "qty", "admittedAt")
if not t[1] then return -9 end
if t[1] ~= from or (from == "QUEUED" and outcome ~= "FAILED") then return {0, t[1]} end
if from == "QUEUED" then
  rcall("ZREM", KEYS[6], ticketId)
  rcall("HINCRBY", KEYS[4], "waiting", -1)
  rcall("HINCRBY", KEYS[4], "served", 1)
  rcall("HINCRBY", KEYS[4], "failed:" .. reason, 1)
else
  -- The take moves once, keyed by its own status: the reconciler may have moved it already.
  rcall("HINCRBY", KEYS[4], "processing", -1)
  if outcome == "CONFIRMED" then
    stock_confirm(KEYS[1], KEYS[7], ticketId)
    rcall("HINCRBY", KEYS[4], "confirmed", 1)
  else
    stock_release(KEYS[1], KEYS[2], KEYS[7], ticketId, false)
    rcall("HINCRBY", KEYS[4], "failed:" .. reason, 1)
  end
  -- How long an admitted purchase takes, admission to outcome: a moving average that the
  -- wait a joining shopper is told includes (src/waiting-room/queue-state.ts).
  local admittedAt = tonumber(t[4] or "")
  if admittedAt then
    local sample = math.max(0, tonumber(ARGV[5]) - admittedAt)
    local old = tonumber(rcall("HGET", KEYS[4], "serviceMs") or "")
    rcall("HSET", KEYS[4], "serviceMs", math.floor(old and (old * 0.8 + sample * 0.2) or sample))
  end
end
if rcall("HGET", KEYS[3], t[2]) == ticketId then rcall("HDEL", KEYS[3], t[2]) end

rcall("HSET", KEYS[5], "status", outcome, "decidedAt", ARGV[5])
if reason ~= "" then rcall("HSET", KEYS[5], "reason", reason) end
if orderId ~= "" then rcall("HSET", KEYS[5], "orderId", orderId) end
return {1}
