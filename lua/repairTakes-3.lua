--[[
  The reconciler's repair of a stock: moves the takes PostgreSQL has settled forward to the
  status it holds (never back: HELD → CONFIRMED → RELEASED), adds the ones this state lost,
  then computes the counters and users' tallies again from every take the state knows (takes
  still in flight included). Applying it twice, or after a step it raced, changes nothing.

  Input:
    KEYS[1] counters hash, KEYS[2] users hash, KEYS[3] refs hash
    ARGV[1..] pairs: reference, "status|quantity|userId" (as PostgreSQL holds them)

  Output:
    {1, moved, remaining, reserved, sold}  moved: entries written
    -3 NO_PRODUCT (no state: build it instead)
]]
local rcall = redis.call
if rcall("EXISTS", KEYS[1]) == 0 then return -3 end
local rank = {HELD = 1, CONFIRMED = 2, RELEASED = 3}

local moved = 0
for i = 1, #ARGV, 2 do
  local want = ARGV[i + 1]
  local have = rcall("HGET", KEYS[3], ARGV[i])
  local wantStatus = string.match(want, "^([^|]*)")
  if not have or rank[string.match(have, "^([^|]*)")] < rank[wantStatus] then
    rcall("HSET", KEYS[3], ARGV[i], want)
    moved = moved + 1
  end
end

local reserved, sold, tallies = 0, 0, {}
local refs = rcall("HGETALL", KEYS[3])
for i = 1, #refs, 2 do
  local status, qty, user = string.match(refs[i + 1], "^([^|]*)|([^|]*)|(.*)$")
  qty = tonumber(qty)
  if status == "HELD" then reserved = reserved + qty end
  if status == "CONFIRMED" then sold = sold + qty end
  if (status == "HELD" or status == "CONFIRMED") and user ~= "" then
    tallies[user] = (tallies[user] or 0) + qty
  end
end
rcall("DEL", KEYS[2])
for user, qty in pairs(tallies) do rcall("HSET", KEYS[2], user, qty) end
local total = tonumber(rcall("HGET", KEYS[1], "total"))
local remaining = -1
if total >= 0 then remaining = math.max(total - reserved - sold, 0) end
rcall("HSET", KEYS[1], "remaining", remaining, "reserved", reserved, "sold", sold)
return {1, moved, remaining, reserved, sold}
