--[[
  Takes units of one or more stocks of one group (one hash tag) for one reference: every
  line or none. Keyed by the reference: a reference the stock already knows (taken, or
  released and kept as a tombstone) answers as it stands and moves nothing, so a repeated or
  late step changes nothing.

  Input (a variable number of keys: three per stock, in the order of the lines):
    KEYS[3i-2] stock i's counters hash: status, total (-1: unlimited), remaining, reserved,
               sold, limit (0: none), startsAt, endsAt (unix ms, 0: none), epoch
    KEYS[3i-1] stock i's users hash: userId → units held or taken
    KEYS[3i]   stock i's refs hash: reference → "status|quantity|userId"

    ARGV[1]   the reference
    ARGV[2]   the user id ("" none)
    ARGV[3]   now, unix ms
    ARGV[4]   "HELD", or "CONFIRMED" for a take final at once (a coupon issued)
    ARGV[4+i] the quantity of stock i

  Output:
    {1, remaining_1, epoch_1, remaining_2, epoch_2, ...}   taken now (remaining -1: unlimited)
    {2, status, remaining_1, epoch_1, ...}                 the reference was known: nothing moved
    {-3, i}  NO_PRODUCT: stock i has no Redis state (build it from PostgreSQL, then again)
    {-2, i}  SALE_NOT_OPEN: stock i is not LIVE, or outside its period
    {-4, i}  SOLD_OUT: stock i has fewer units left than asked
    {-5, i}  LIMIT_REACHED: the user would hold more of stock i than its per-user limit
             (a stock with a limit needs a user)
]]
--#include stock
local rcall = redis.call
local ref, user, now, status = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local lines = #KEYS / 3

local stocks = {}
for i = 1, lines do
  local s = rcall("HMGET", KEYS[3 * i - 2], "status", "total", "remaining", "limit", "startsAt", "endsAt", "epoch")
  if not s[1] then return {-3, i} end
  stocks[i] = s
end

local prior = rcall("HGET", KEYS[3], ref)
if prior then
  local out = {2, string.match(prior, "^([^|]*)")}
  for i = 1, lines do
    out[#out + 1] = tonumber(stocks[i][3])
    out[#out + 1] = tonumber(stocks[i][7])
  end
  return out
end

for i = 1, lines do
  local s, qty = stocks[i], tonumber(ARGV[4 + i])
  if s[1] ~= "LIVE" then return {-2, i} end
  local startsAt, endsAt = tonumber(s[5]) or 0, tonumber(s[6]) or 0
  if (startsAt > 0 and now < startsAt) or (endsAt > 0 and now >= endsAt) then return {-2, i} end
  if tonumber(s[2]) >= 0 and tonumber(s[3]) < qty then return {-4, i} end
  local limit = tonumber(s[4]) or 0
  if limit > 0 then
    if user == "" then return {-5, i} end
    local had = tonumber(rcall("HGET", KEYS[3 * i - 1], user) or "0")
    if had + qty > limit then return {-5, i} end
  end
end

local out = {1}
for i = 1, lines do
  local k = 3 * i - 2
  out[#out + 1] = stock_take(KEYS[k], KEYS[k + 1], KEYS[k + 2], ref, user, tonumber(ARGV[4 + i]), status)
  out[#out + 1] = tonumber(stocks[i][7])
end
return out
