-- Varied GETs (see common.lua for the arguments): per request, at random from the seed, a
-- target, a start 0..6 days after the issue date with a horizon keeping the last day within
-- `span` days of it, and either /v1/forecast with 1-3 distinct integer levels in 1..99
-- (sometimes format=csv) or /v1/forecast/exceedance with 1-4 distinct thresholds in 0..1500.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
dofile(here .. "common.lua")

function build()
  local target = cfg.targets[math.random(#cfg.targets)]
  local offset = math.random(0, math.min(6, #cfg.days - 1))
  local horizon = math.random(1, cfg.span - offset)
  local query = "target=" .. target .. "&start=" .. cfg.days[offset + 1] .. "&horizon=" .. horizon
  if math.random() < cfg.exceedance then
    return "GET", "/v1/forecast/exceedance?" .. query .. "&thresholds=" ..
      distinct(math.random(1, 4), 0, 1500), nil
  end
  query = query .. "&levels=" .. distinct(math.random(1, 3), 1, 99)
  if math.random() < cfg.csv then query = query .. "&format=csv" end
  return "GET", "/v1/forecast?" .. query, nil
end
