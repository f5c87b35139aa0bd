-- Counts one result at most once, atomically (a script runs alone).
-- KEYS[1]: results hash (id -> the result as JSON)
-- KEYS[2]: the athlete's hash (team, points, results)
-- KEYS[3]: averages sorted set (athlete -> points / results)
-- ARGV: id, the result as JSON, athlete, team, points
-- Returns {1, json} when counted, {0, first json} when the id was seen.
local first = redis.call('HGET', KEYS[1], ARGV[1])
if first then
  return {0, first}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSETNX', KEYS[2], 'team', ARGV[4])
local points = redis.call('HINCRBY', KEYS[2], 'points', ARGV[5])
local results = redis.call('HINCRBY', KEYS[2], 'results', 1)
redis.call('ZADD', KEYS[3], string.format('%.17g', points / results), ARGV[3])
return {1, ARGV[2]}
