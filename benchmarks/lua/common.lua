-- Shared part of the wrk scripts of benchmarks/api_bench.py (loaded by varied_get.lua and
-- varied_post.lua, which define build() -> method, path, body).
--
-- Arguments after wrk's `--`, as key=value (all optional but days):
--   seed=N       math.randomseed, so a run's requests are the same every time (default 1)
--   days=D0,...  the dates a request may use, D0 the issue date (YYYY-MM-DD)
--   targets=...  comma-separated targets (default people)
--   span=N       a GET's last day stays within N days of the issue date (default 14)
--   csv=P        share of forecast GETs asking format=csv (default 0.2)
--   exceedance=P share of GETs to /v1/forecast/exceedance (default 0.2)
--   stop=N       stop after N responses and print STOPPED (the caller then ends wrk)
--   dump=N       print the first N requests as "REQ<TAB>method<TAB>path<TAB>body" and exit
--                without sending any: the same seed then sends exactly these first
-- done() prints "STATUS <code> <count>" for every status code seen.

cfg = {seed = 1, targets = {"people"}, days = {}, span = 14, csv = 0.2, exceedance = 0.2,
       stop = 0, dump = 0}
local threads = {}

local function split(text)
  local out = {}
  for item in string.gmatch(text, "[^,]+") do out[#out + 1] = item end
  return out
end

-- n distinct integers in lo..hi, comma-separated
function distinct(n, lo, hi)
  local seen, out = {}, {}
  while #out < n do
    local x = math.random(lo, hi)
    if not seen[x] then
      seen[x] = true
      out[#out + 1] = x
    end
  end
  return table.concat(out, ",")
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = string.match(arg, "^([%w_]+)=(.*)$")
    if key == "targets" or key == "days" then
      cfg[key] = split(value)
    elseif key then
      cfg[key] = tonumber(value)
    end
  end
  if #cfg.days == 0 then error("varied scripts need days=YYYY-MM-DD,...") end
  math.randomseed(cfg.seed)
  statuses, responses = {}, 0
  if cfg.dump > 0 then
    for _ = 1, cfg.dump do
      local method, path, body = build()
      io.write("REQ\t", method, "\t", path, "\t", body or "", "\n")
    end
    io.flush()
    os.exit(0)
  end
end

function request()
  local method, path, body = build()
  return wrk.format(method, path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  responses = responses + 1
  if responses == cfg.stop then
    io.write("STOPPED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %d %d\n", code, count))
    end
  end
end
