--[[
  The one atomic admission step of a purchase: is the sale open, is this a duplicate,
  is the user within the limit, is there stock, is it this ticket's turn? Then reserve.
  A final rejection is recorded on the ticket here, in the same step (the caller
  persists and publishes it).

  Input:
    KEYS[1] event meta hash
    KEYS[2] the product's core stock: counters hash (lua/lib/stock.lua)
    KEYS[3] the product's core stock: users hash (userId -> units held or bought)
    KEYS[4] waiting sorted set of the product
    KEYS[5] open-ticket hash of the product
    KEYS[6] stats hash
    KEYS[7] admitted-per-second hash
    KEYS[8] ticket hash
    KEYS[9] the product's core stock: refs hash (the reservation is a take keyed by the ticket id)

    ARGV[1] ticket id
    ARGV[2] now (ms)

  Output:
    {1, qty, userId, sku, priceCents, paymentFailureRate, epoch}  reserved now
    {2, qty, userId, sku, priceCents, paymentFailureRate, epoch}  already reserved by an
               earlier delivery of the same job: carry on (epoch: the state's Event.stateEpoch)
    {3}        the ticket already has its final outcome: nothing to do
    -1 NO_EVENT (the event's Redis state is missing), -7 PAUSED (not admitted now),
    -8 WAIT (an earlier ticket or a reservation in flight decides first), -9 NO_TICKET,
    -10 SALE_ENDED, -4 SOLD_OUT, -5 LIMIT_REACHED (these three are final and recorded)
]]
--#include stock
local rcall = redis.call
local ticketId, now = ARGV[1], ARGV[2]

local t = rcall("HMGET", KEYS[8], "status", "user", "qty", "seq", "sku")
if not t[1] then return -9 end
local qty = tonumber(t[3])
if t[1] ~= "QUEUED" and t[1] ~= "PROCESSING" then return {3} end

local meta = rcall("HMGET", KEYS[1], "status", "pfr", "epoch")
local status = meta[1]
if not status then return -1 end
local function carryOn(code)
  return {code, qty, t[2], t[5], rcall("HGET", KEYS[2], "price"), meta[2], meta[3]}
end
if t[1] == "PROCESSING" then return carryOn(2) end

local function reject(reason, code)
  rcall("ZREM", KEYS[4], ticketId)
  if rcall("HGET", KEYS[5], t[2]) == ticketId then rcall("HDEL", KEYS[5], t[2]) end
  rcall("HSET", KEYS[8], "status", "REJECTED", "reason", reason, "decidedAt", now)
  rcall("HINCRBY", KEYS[6], "waiting", -1)
  rcall("HINCRBY", KEYS[6], "served", 1)
  rcall("HINCRBY", KEYS[6], "rejected:" .. reason, 1)
  -- Not published here: the caller records the outcome in PostgreSQL first, then
  -- publishes, so an outcome a shopper was told is never lost with Redis.
  return code
end

if status == "ENDED" then return reject("SALE_ENDED", -10) end
if status ~= "LIVE" then return -7 end

local stock = rcall("HMGET", KEYS[2], "remaining", "reserved", "limit")
local remaining, reserved, limit = tonumber(stock[1]), tonumber(stock[2]), tonumber(stock[3])
local held = tonumber(rcall("HGET", KEYS[3], t[2]) or "0")
if held + qty > limit then return reject("LIMIT_REACHED", -5) end
-- Nothing left and too little in flight to ever come back for this ticket.
if remaining + reserved < qty then return reject("SOLD_OUT", -4) end
-- Stock that may still come back (a purchase in flight) goes to the next in line.
if remaining < qty then return -8 end
-- Fair order: leave enough for every earlier undecided ticket of this product.
local earlier = rcall("ZCOUNT", KEYS[4], "-inf", "(" .. t[4])
if earlier > 0 and remaining - qty < earlier * limit then return -8 end

-- Keyed by the ticket id: a reservation this state already knows is never made twice.
if rcall("HEXISTS", KEYS[9], ticketId) == 0 then stock_take(KEYS[2], KEYS[3], KEYS[9], ticketId, t[2], qty, "HELD") end
rcall("ZREM", KEYS[4], ticketId)
rcall("HSET", KEYS[8], "status", "PROCESSING", "admittedAt", now)
rcall("HINCRBY", KEYS[6], "waiting", -1)
rcall("HINCRBY", KEYS[6], "processing", 1)
rcall("HINCRBY", KEYS[6], "served", 1)
local second = math.floor(tonumber(now) / 1000)
rcall("HINCRBY", KEYS[7], second, 1)
rcall("HDEL", KEYS[7], second - 120)
return carryOn(1)
