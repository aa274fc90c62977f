--[[
  Moves the event's status in Redis to the one PostgreSQL holds, from the one the caller
  saw (compare and set): a caller that read an older status changes nothing, and ENDED
  is never left, so a late or repeated step cannot reopen a sale.

  Input:
    KEYS[1] event meta hash

    ARGV[1] the status the caller saw in Redis
    ARGV[2] the new status

  Output:
    1 set, 0 the status is not ARGV[1] (read again), -1 NO_EVENT, -12 INVALID_STATE (ENDED)
]]
local rcall = redis.call
local status = rcall("HGET", KEYS[1], "status")
if not status then return -1 end
if status == ARGV[2] then return 1 end
if status == "ENDED" then return -12 end
if status ~= ARGV[1] then return 0 end
rcall("HSET", KEYS[1], "status", ARGV[2])
return 1
