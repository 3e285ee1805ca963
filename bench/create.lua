-- create.lua: wrk script that creates a link per request through the API.
--
--   wrk -t2 -c16 -d10s -s bench/create.lua http://127.0.0.1:18090 -- API_KEY
--
-- Every request has a distinct destination, so nothing is deduplicated.

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local key, n = nil, 0
function init(args)
  key = args[1]
  if key == nil then
    error("create.lua: pass the API key after --")
  end
end

function request()
  n = n + 1
  local body = string.format('{"url":"https://example.com/bench/%d/%d"}', id, n)
  return wrk.format("POST", "/api/v1/links", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end
