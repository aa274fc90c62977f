--[[
  Ends an event's sale: status ENDED, and every ticket still waiting (queued or in the
  pre-queue) ends REJECTED / SALE_ENDED. Reservations in flight are left to finish (or
  fail and restore) on their own. Idempotent: on an ended event it ends whoever is still
  waiting (nobody, unless a rebuild put them back). Nothing is published here: the caller
  records the outcomes in PostgreSQL, then tells the shoppers.
  It builds `waiting:<sku>`, `open:<sku>` and `ticket:<id>` keys from the event prefix
  (all in the event's hash slot), as src/redis/keys.ts names them.

  Input:
    KEYS[1] event meta hash
    KEYS[2] stats hash
    KEYS[3] pre-queue list

    ARGV[1] event key prefix ("dq:{ev:<id>}:")
    ARGV[2] now (ms)
    ARGV[3..] the event's skus

  Output:
    {ticketId, userId, sku, qty, seq, ...} the tickets that ended SALE_ENDED now (all of
    each ticket, so its row can be written even if its join's write is still on its way);
    -1 NO_EVENT
]]
local rcall = redis.call
local prefix, now = ARGV[1], ARGV[2]
if rcall("EXISTS", KEYS[1]) == 0 then return -1 end
rcall("HSET", KEYS[1], "status", "ENDED")

local ended = {}
local function endTicket(ticketId)
  local ticketKey = prefix .. "ticket:" .. ticketId
  local t = rcall("HMGET", ticketKey, "status", "user", "sku", "qty", "seq")
  if t[1] ~= "QUEUED" and t[1] ~= "PREQUEUE" then return end
  local openKey = prefix .. "open:" .. t[3]
  if rcall("HGET", openKey, t[2]) == ticketId then rcall("HDEL", openKey, t[2]) end
  rcall("HSET", ticketKey, "status", "REJECTED", "reason", "SALE_ENDED", "decidedAt", now)
  ended[#ended + 1] = ticketId
  ended[#ended + 1] = t[2]
  ended[#ended + 1] = t[3]
  ended[#ended + 1] = t[4]
  ended[#ended + 1] = t[5]
end

for i = 3, #ARGV do
  local waitingKey = prefix .. "waiting:" .. ARGV[i]
  for _, ticketId in ipairs(rcall("ZRANGE", waitingKey, 0, -1)) do endTicket(ticketId) end
  rcall("DEL", waitingKey)
end
for _, ticketId in ipairs(rcall("LRANGE", KEYS[3], 0, -1)) do endTicket(ticketId) end
rcall("DEL", KEYS[3])

local count = #ended / 5
if count > 0 then
  rcall("HINCRBY", KEYS[2], "waiting", -count)
  rcall("HINCRBY", KEYS[2], "served", count)
  rcall("HINCRBY", KEYS[2], "rejected:SALE_ENDED", count)
end
return ended
