--[[
  Builds a stock's live state from PostgreSQL's figures: its settings and every take it knows
  (HELD, CONFIRMED, RELEASED), the counters and users' tallies computed from them. Keyed by
  the state's epoch (Stock.stateEpoch, raised for each build): a state as new or newer is left
  as it is, so a slow builder cannot overwrite a newer state.

  Input:
    KEYS[1] counters hash, KEYS[2] users hash, KEYS[3] refs hash
    ARGV[1] epoch
    ARGV[2] status (LIVE or CLOSED)
    ARGV[3] total (-1: unlimited)
    ARGV[4] per-user limit (0: none)
    ARGV[5] startsAt, ARGV[6] endsAt (unix ms, 0: none)
    ARGV[7..] pairs: reference, "status|quantity|userId"

  Output:
    {1, remaining, reserved, sold}  built
    {0, epoch}                      a state of this epoch or newer is there: nothing changed
]]
local rcall = redis.call
local epoch = tonumber(ARGV[1])
local current = tonumber(rcall("HGET", KEYS[1], "epoch") or "-1")
if current >= epoch then return {0, current} end

rcall("DEL", KEYS[1], KEYS[2], KEYS[3])
local reserved, sold, tallies = 0, 0, {}
for i = 7, #ARGV, 2 do
  local entry = ARGV[i + 1]
  local status, qty, user = string.match(entry, "^([^|]*)|([^|]*)|(.*)$")
  qty = tonumber(qty)
  if status == "HELD" then reserved = reserved + qty end
  if status == "CONFIRMED" then sold = sold + qty end
  if (status == "HELD" or status == "CONFIRMED") and user ~= "" then
    tallies[user] = (tallies[user] or 0) + qty
  end
  rcall("HSET", KEYS[3], ARGV[i], entry)
end
for user, qty in pairs(tallies) do rcall("HSET", KEYS[2], user, qty) end

local total = tonumber(ARGV[3])
local remaining = -1
if total >= 0 then remaining = math.max(total - reserved - sold, 0) end
rcall("HSET", KEYS[1], "status", ARGV[2], "total", total, "remaining", remaining, "reserved", reserved,
  "sold", sold, "limit", ARGV[4], "startsAt", ARGV[5], "endsAt", ARGV[6], "epoch", epoch)
return {1, remaining, reserved, sold}
