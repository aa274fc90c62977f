--[[
  Puts a shopper's ticket in an event's waiting room, or hands back the open one.

  Input:
    KEYS[1] event meta hash
    KEYS[2] product stock hash
    KEYS[3] open-ticket hash of the product (userId -> ticketId)
    KEYS[4] held hash of the product (userId -> units)
    KEYS[5] waiting sorted set of the product
    KEYS[6] stats hash
    KEYS[7] pre-queue list
    KEYS[8] the new ticket's hash
    KEYS[9] admissions per second hash (unix second -> tickets admitted)
    KEYS[10] the client's join counter for this event (the per-client join limit, a 1 s window)
    KEYS[11] the purchase queue's BullMQ rate-limiter key (jobs admitted in the current window,
             expiring when the window ends): where the next admissions stand, for the wait

    ARGV[1] ticket id
    ARGV[2] user id
    ARGV[3] sku
    ARGV[4] quantity
    ARGV[5] now (ms)
    ARGV[6] event key prefix ("dq:{ev:<id>}:"): the open ticket's hash is built from it
    ARGV[7] joins a client may make per second (0: no limit)
    ARGV[8..] the last few whole seconds (unix), over which the outflow is measured

  Output:
    {1, ticketId, status, seq, qty, served, admitted, rate, busySeconds, windowCount, windowTtlMs,
     serviceMs}
                                a new ticket (status QUEUED with its seq, or PREQUEUE with seq 0),
                                and what its position and wait are computed from: tickets served,
                                tickets admitted in the seconds given and how many of those
                                seconds admitted any, the configured rate, and the admission
                                window now open (jobs admitted in it, ms until it ends; -2 none),
                                and the average ms from admission to outcome (-1: none yet)
    {2, ...the same}            the user's ticket for this product that is still open
    -1 NO_EVENT, -2 SALE_NOT_OPEN, -3 NO_PRODUCT, -4 SOLD_OUT, -5 LIMIT_REACHED, -6 QUEUE_FULL,
    -13 RATE_LIMITED
]]
local rcall = redis.call

-- The per-client limit first, so a client over it costs the least (as a separate limiter
-- would, but without its own round trips): a fixed one-second window from its first join.
local perSecond = tonumber(ARGV[7])
if perSecond > 0 then
  local n = rcall("INCR", KEYS[10])
  if n == 1 then rcall("PEXPIRE", KEYS[10], 1000) end
  if n > perSecond then return -13 end
end

-- What a waiting ticket's position and wait are computed from (see queue-state.ts).
local function queueFigures()
  local served = tonumber(rcall("HGET", KEYS[6], "served") or "0")
  local admitted, busy = 0, 0
  for _, n in ipairs(rcall("HMGET", KEYS[9], unpack(ARGV, 8))) do
    local k = tonumber(n) or 0
    admitted = admitted + k
    if k > 0 then busy = busy + 1 end
  end
  local windowCount = tonumber(rcall("GET", KEYS[11]) or "0")
  local windowTtl = rcall("PTTL", KEYS[11])
  local serviceMs = tonumber(rcall("HGET", KEYS[6], "serviceMs") or "-1")
  return served, admitted, tonumber(rcall("HGET", KEYS[1], "rate") or "0"), busy, windowCount, windowTtl, serviceMs
end

local status = rcall("HGET", KEYS[1], "status")
if not status then return -1 end
if status == "DRAFT" or status == "ENDED" then return -2 end

local stock = rcall("HMGET", KEYS[2], "remaining", "reserved", "limit")
if not stock[1] then return -3 end

local userId = ARGV[2]
local open = rcall("HGET", KEYS[3], userId)
if open then
  local t = rcall("HMGET", ARGV[6] .. "ticket:" .. open, "status", "seq", "qty")
  local served, admitted, rate, busy, windowCount, windowTtl, serviceMs = queueFigures()
  return {2, open, t[1] or "", tonumber(t[2] or "0"), tonumber(t[3] or "0"), served, admitted, rate,
    busy, windowCount, windowTtl, serviceMs}
end

local qty = tonumber(ARGV[4])
local held = tonumber(rcall("HGET", KEYS[4], userId) or "0")
if held + qty > tonumber(stock[3]) then return -5 end
-- Sold out at the door: nothing left, and nothing in flight that could come back.
if tonumber(stock[1]) + tonumber(stock[2]) < qty then return -4 end

local capacity = tonumber(rcall("HGET", KEYS[1], "capacity"))
local waiting = tonumber(rcall("HGET", KEYS[6], "waiting") or "0")
if waiting >= capacity then return -6 end

local ticketStatus, seq
if status == "SCHEDULED" then
  ticketStatus, seq = "PREQUEUE", 0
  rcall("RPUSH", KEYS[7], ARGV[1])
else
  ticketStatus = "QUEUED"
  seq = rcall("HINCRBY", KEYS[6], "seq", 1)
  rcall("ZADD", KEYS[5], seq, ARGV[1])
end

rcall("HSET", KEYS[8], "id", ARGV[1], "user", userId, "sku", ARGV[3], "qty", qty,
  "status", ticketStatus, "seq", seq, "joinedAt", ARGV[5])
rcall("HSET", KEYS[3], userId, ARGV[1])
rcall("HINCRBY", KEYS[6], "joins", 1)
rcall("HINCRBY", KEYS[6], "waiting", 1)

local served, admitted, rate, busy, windowCount, windowTtl, serviceMs = queueFigures()
return {1, ARGV[1], ticketStatus, seq, qty, served, admitted, rate, busy, windowCount, windowTtl, serviceMs}
