-- Varied POST /v1/forecast scenarios (see common.lua for the arguments): a 7-day forecast
-- from the issue date for the first target, with one scenario day picked at random among
-- `days`, its mean wind uniform in 0.5..14 m/s (hourly max and gust scaled from it) and its
-- precipitation 0 half the time, else uniform in 0..8 mm: every request is a fresh forecast.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
dofile(here .. "common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local BODY = '{"target":"%s","horizon":7,"levels":[50,80,95],"weather":[{"date":"%s",' ..
  '"wind_mean_ms":%.2f,"wind_max_hourly_ms":%.2f,"gust_max_ms":%.2f,"wind_dir_deg":200,' ..
  '"precip_mm":%.1f,"temp_mean_c":14,"pressure_hpa":1020}]}'

function build()
  local day = cfg.days[math.random(#cfg.days)]
  local wind = 0.5 + 13.5 * math.random()
  local precip = 0
  if math.random() < 0.5 then precip = 8 * math.random() end
  local body = string.format(BODY, cfg.targets[1], day, wind, wind * 1.4, wind * 2.1, precip)
  return "POST", "/v1/forecast", body
end
