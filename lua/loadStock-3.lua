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
--#include stock
local rcall = redis.call
local epoch = tonumber(ARGV[1])
local current = tonumber(rcall("HGET", KEYS[1], "epoch") or "-1")
if current >= epoch then return {0, current} end

rcall("DEL", KEYS[1], KEYS[2], KEYS[3])
for i = 7, #ARGV, 2 do rcall("HSET", KEYS[3], ARGV[i], ARGV[i + 1]) end
rcall("HSET", KEYS[1], "status", ARGV[2], "total", ARGV[3], "limit", ARGV[4], "startsAt", ARGV[5],
  "endsAt", ARGV[6], "epoch", epoch)
local remaining, reserved, sold = stock_recount(KEYS[1], KEYS[2], KEYS[3])
return {1, remaining, reserved, sold}
