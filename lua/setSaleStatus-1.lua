--[[
  Moves the event's status in Redis to one PostgreSQL holds, keyed by the version of that
  status (Event.statusVersion, raised by every transition): a projection read before a
  later transition carries an older version and changes nothing, so a late or repeated
  step cannot undo a newer one. ENDED is never left.

  Input:
    KEYS[1] event meta hash

    ARGV[1] the status PostgreSQL holds
    ARGV[2] its version

  Output:
    1 set (or already so), 0 Redis holds a newer version: nothing changed,
    -1 NO_EVENT, -12 INVALID_STATE (ENDED)
]]
local rcall = redis.call
local meta = rcall("HMGET", KEYS[1], "status", "statusVersion")
if not meta[1] then return -1 end
if meta[1] == "ENDED" then return ARGV[1] == "ENDED" and 1 or -12 end
local version = tonumber(ARGV[2])
if version < tonumber(meta[2] or "0") then return 0 end
rcall("HSET", KEYS[1], "status", ARGV[1], "statusVersion", version)
return 1
