-- Reads the candidates for the top of the board in one atomic step.
-- KEYS[1]: averages sorted set
-- ARGV[1]: how many lines the board shows
-- ARGV[2]: most athletes read that share the last shown average
-- ARGV[3]: prefix of the athletes' hash keys (standalone Redis: these
--          keys are built here, not declared)
-- Returns {athlete, team, points, results, stored average} for the
-- highest averages and for the athletes tied with the last of them; Rust
-- checks each stored average against the sums and sorts them exactly.
local shown = tonumber(ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], 0, shown - 1, 'REV', 'WITHSCORES')
local names, scores = {}, {}
for i = 1, #top, 2 do
  names[#names + 1] = top[i]
  scores[top[i]] = top[i + 1]
end
if #top == 2 * shown then
  local last = top[#top]
  local tied = redis.call('ZRANGE', KEYS[1], last, last, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
  for _, name in ipairs(tied) do
    if not scores[name] then
      names[#names + 1] = name
      scores[name] = last
    end
  end
end
local out = {}
for _, name in ipairs(names) do
  local h = redis.call('HMGET', ARGV[3] .. name, 'team', 'points', 'results')
  out[#out + 1] = {name, h[1], h[2], h[3], scores[name]}
end
return out
