-- create.lua: wrk script that creates links through the API, one per
-- request, or with "bulk" after the key 1000 per POST /api/v1/links/bulk
-- (the most one request may carry; links/s are then requests/s × 1000).
--
--   wrk -t2 -c16 -d10s -s bench/create.lua http://127.0.0.1:18090 -- API_KEY
--   wrk -t2 -c4 -d10s --timeout 60s -s bench/create.lua http://127.0.0.1:18090 -- API_KEY bulk
--
-- Every link has a distinct destination, so nothing is deduplicated.

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local key, bulk, n = nil, false, 0
function init(args)
  key = args[1]
  if key == nil then
    error("create.lua: pass the API key after --")
  end
  bulk = args[2] == "bulk"
end

local headers = nil
function request()
  n = n + 1
  headers = headers or {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }
  if not bulk then
    local body = string.format('{"url":"https://example.com/bench/%d/%d"}', id, n)
    return wrk.format("POST", "/api/v1/links", headers, body)
  end
  local items = {}
  for i = 1, 1000 do
    items[i] = string.format('{"url":"https://example.com/bulk/%d/%d/%d"}', id, n, i)
  end
  return wrk.format("POST", "/api/v1/links/bulk", headers, '{"links":[' .. table.concat(items, ",") .. ']}')
end
