-- bulk.lua: wrk script that creates links in bulk through the API, 1000
-- links per POST /api/v1/links/bulk (the most one request may carry).
--
--   wrk -t2 -c4 -d10s -s bench/bulk.lua http://127.0.0.1:18090 -- API_KEY
--
-- Links per second are the requests per second times 1000. Every link has a
-- distinct destination, so nothing is deduplicated.

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local key, n = nil, 0
function init(args)
  key = args[1]
  if key == nil then
    error("bulk.lua: pass the API key after --")
  end
end

function request()
  n = n + 1
  local items = {}
  for i = 1, 1000 do
    items[i] = string.format('{"url":"https://example.com/bulk/%d/%d/%d"}', id, n, i)
  end
  return wrk.format("POST", "/api/v1/links/bulk", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, '{"links":[' .. table.concat(items, ",") .. ']}')
end
