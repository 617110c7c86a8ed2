-- wrk script for the hop counts (LAB_COUNT_HOPS=1): averages every Server-Timing metric over the
-- responses it saw.
-- Usage: wrk -t1 -c32 -d10s -s scripts/server_timing.lua URL
-- Parsing headers costs wrk CPU: use it to read the breakdown, not to compare RPS.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sums, n = {}, 0
end

function response(status, headers, body)
  local value = headers["Server-Timing"] or headers["server-timing"]
  if status ~= 200 or not value then return end
  n = n + 1
  for metric in string.gmatch(value, "[^,]+") do
    local name = string.match(metric, "^%s*([%w_%-]+)")
    local dur = string.match(metric, "dur=([%d%.]+)")
    if name and dur then sums[name] = (sums[name] or 0) + tonumber(dur) end
  end
end

function done(summary, latency, requests)
  local total, merged = 0, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("n")
    for name, sum in pairs(thread:get("sums")) do merged[name] = (merged[name] or 0) + sum end
  end
  local names = {}
  for name in pairs(merged) do table.insert(names, name) end
  table.sort(names)
  io.write(string.format("server-timing over %d responses (mean per request; *_n are counts):\n", total))
  for _, name in ipairs(names) do
    io.write(string.format("  %-14s %10.4f\n", name, merged[name] / math.max(total, 1)))
  end
end
