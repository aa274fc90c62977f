--[[
  Opens an event's sale (status LIVE) and places its pre-queue: every PREQUEUE ticket
  gets its join sequence in a uniformly random order, ahead of anyone who joins after.
  The randomness comes from the caller (crypto.randomBytes): Redis' own is not
  cryptographic. Fisher–Yates with 48-bit random numbers (bias below 2^-28).
  It builds `waiting:<sku>` and `ticket:<id>` keys from the event prefix.

  Input:
    KEYS[1] event meta hash
    KEYS[2] stats hash
    KEYS[3] pre-queue list

    ARGV[1] event key prefix ("dq:{ev:<id>}:")
    ARGV[2..] random integers in [0, 2^48), at least one per pre-queue ticket

  Output:
    {ticketId, sku, seq, ticketId, sku, seq, ...}  the placed tickets in their new order (may be empty)
    -1 NO_EVENT, -12 INVALID_STATE (ENDED), -8 WAIT (more tickets than random numbers: call again)
]]
local rcall = redis.call
local status = rcall("HGET", KEYS[1], "status")
if not status then return -1 end
if status == "ENDED" then return -12 end

local ids = rcall("LRANGE", KEYS[3], 0, -1)
local n = #ids
if n > #ARGV - 1 then return -8 end
for i = n, 2, -1 do
  local j = (tonumber(ARGV[i + 1]) % i) + 1
  ids[i], ids[j] = ids[j], ids[i]
end

local prefix = ARGV[1]
local placed = {}
for _, ticketId in ipairs(ids) do
  local ticketKey = prefix .. "ticket:" .. ticketId
  local t = rcall("HMGET", ticketKey, "status", "sku")
  if t[1] == "PREQUEUE" then
    local seq = rcall("HINCRBY", KEYS[2], "seq", 1)
    rcall("ZADD", prefix .. "waiting:" .. t[2], seq, ticketId)
    rcall("HSET", ticketKey, "status", "QUEUED", "seq", seq)
    placed[#placed + 1] = ticketId
    placed[#placed + 1] = t[2]
    placed[#placed + 1] = seq
  end
end
rcall("DEL", KEYS[3])
rcall("HSET", KEYS[1], "status", "LIVE")
return placed
