--[[
  The stock core's moves, shared by every script that moves stock: the service takes
  (takeStock, releaseTake, confirmTake, repairTakes, loadStock) and the sale's purchase steps
  (reserveStock, finishPurchase, cancelPurchase). A script names it with a line
  `--#include stock` (src/redis/scripts.ts puts this file there).

  One stock's live state is three keys (src/redis/keys.ts):
    counters  hash: status, total (-1: unlimited), remaining, reserved (held), sold (taken), ...
    users     hash: userId → units the user holds or took (the per-user limit)
    refs      hash: reference → "status|quantity|userId" of every take it knows
              (HELD, CONFIRMED, or RELEASED, kept as it is so a repeated step moves nothing)
    refs:held set: the references HELD now (what is in flight: a small set, where refs grows
              with every take). Its name is built here from the refs key (same hash tag), as
              src/redis/keys.ts stockHeld names it.

  Every move is keyed by the reference's status in `refs`: applying one twice, or after the
  reconciler has moved the reference already, changes nothing.
]]

local function stock_held(refs)
  return refs .. ":held"
end

-- status, quantity (a number), userId ("" none) of a refs entry.
local function stock_entry(entry)
  local status, qty, user = string.match(entry, "^([^|]*)|([^|]*)|(.*)$")
  return status, tonumber(qty), user
end

-- Takes `qty` for `ref`, HELD or CONFIRMED at once. The caller has checked the rules (open,
-- stock, limit) and that `ref` is unknown. Returns what is left (-1: unlimited).
local function stock_take(counters, users, refs, ref, user, qty, status)
  local remaining = -1
  if tonumber(redis.call("HGET", counters, "total")) >= 0 then
    remaining = redis.call("HINCRBY", counters, "remaining", -qty)
  end
  redis.call("HINCRBY", counters, status == "CONFIRMED" and "sold" or "reserved", qty)
  if user ~= "" then redis.call("HINCRBY", users, user, qty) end
  redis.call("HSET", refs, ref, status .. "|" .. qty .. "|" .. user)
  if status == "HELD" then redis.call("SADD", stock_held(refs), ref) end
  return remaining
end

-- Gives a HELD or CONFIRMED take back, once. A reference the state does not know is recorded
-- RELEASED when `tombstone` is true, so a late take for it moves nothing. Returns the units moved.
local function stock_release(counters, users, refs, ref, tombstone)
  local entry = redis.call("HGET", refs, ref)
  if not entry then
    if tombstone then redis.call("HSET", refs, ref, "RELEASED|0|") end
    return 0
  end
  local status, qty, user = stock_entry(entry)
  if status ~= "HELD" and status ~= "CONFIRMED" then return 0 end
  redis.call("HINCRBY", counters, status == "HELD" and "reserved" or "sold", -qty)
  if tonumber(redis.call("HGET", counters, "total")) >= 0 then redis.call("HINCRBY", counters, "remaining", qty) end
  if user ~= "" then redis.call("HINCRBY", users, user, -qty) end
  redis.call("HSET", refs, ref, "RELEASED|" .. qty .. "|" .. user)
  if status == "HELD" then redis.call("SREM", stock_held(refs), ref) end
  return qty
end

-- Makes a HELD take final (reserved → sold), once. Returns 1 if it moved now, else 0.
local function stock_confirm(counters, refs, ref)
  local entry = redis.call("HGET", refs, ref)
  if not entry then return 0 end
  local status, qty, user = stock_entry(entry)
  if status ~= "HELD" then return 0 end
  redis.call("HINCRBY", counters, "reserved", -qty)
  redis.call("HINCRBY", counters, "sold", qty)
  redis.call("HSET", refs, ref, "CONFIRMED|" .. qty .. "|" .. user)
  redis.call("SREM", stock_held(refs), ref)
  return 1
end

-- Computes the counters, the users' tallies and the set of HELD references again from every
-- take `refs` knows, against the total in `counters` (which is not touched). Returns
-- remaining, reserved, sold.
local function stock_recount(counters, users, refs)
  local reserved, sold, tallies = 0, 0, {}
  local all = redis.call("HGETALL", refs)
  redis.call("DEL", stock_held(refs))
  for i = 1, #all, 2 do
    local status, qty, user = stock_entry(all[i + 1])
    if status == "HELD" then
      reserved = reserved + qty
      redis.call("SADD", stock_held(refs), all[i])
    end
    if status == "CONFIRMED" then sold = sold + qty end
    if (status == "HELD" or status == "CONFIRMED") and user ~= "" then
      tallies[user] = (tallies[user] or 0) + qty
    end
  end
  redis.call("DEL", users)
  for user, qty in pairs(tallies) do redis.call("HSET", users, user, qty) end
  local total = tonumber(redis.call("HGET", counters, "total"))
  local remaining = -1
  if total >= 0 then remaining = math.max(total - reserved - sold, 0) end
  redis.call("HSET", counters, "remaining", remaining, "reserved", reserved, "sold", sold)
  return remaining, reserved, sold
end

-- Moves a reference forward to the status PostgreSQL holds (never back: HELD → CONFIRMED →
-- RELEASED), or adds it when this state lost it. Returns 1 if written. Counters are left to
-- stock_recount.
local STOCK_RANK = {HELD = 1, CONFIRMED = 2, RELEASED = 3}
local function stock_settle(refs, ref, want)
  local have = redis.call("HGET", refs, ref)
  if have and STOCK_RANK[string.match(have, "^([^|]*)")] >= STOCK_RANK[string.match(want, "^([^|]*)")] then
    return 0
  end
  redis.call("HSET", refs, ref, want)
  return 1
end
