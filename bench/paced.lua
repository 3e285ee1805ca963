-- paced.lua: wrk script that requests GET /<code> with a code picked at
-- random from a file, like codes.lua, but paced: each connection waits
-- DELAY_MS milliseconds after every response before its next request, so
-- the offered rate is about CONNECTIONS * 1000 / (DELAY_MS + latency) per
-- second, whatever the server could take. bench/analytics.sh uses it to hold
-- a server below saturation and check that no click is lost there.
--
--   wrk -t1 -c150 -d6s -s bench/paced.lua http://127.0.0.1:19303 -- codes.txt 10
--
-- wrk's delay() is in whole milliseconds, so the rate is set with the
-- number of connections rather than the delay. The codes file is read as by
-- codes.lua (the first word of each line).

-- Every request carries a browser's User-Agent: tiny counts a request
-- without one as a bot's, and a person's click costs more to record (it
-- moves the link's click counter and the indexes that sort by it).
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

local requests = {}
local count = 0
local pause = 10

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("paced.lua: pass the codes file and the delay after --, e.g. wrk ... -s paced.lua URL -- codes.txt 10")
  end
  pause = tonumber(args[2] or "10")
  for line in io.lines(path) do
    local code = line:match("^(%S+)")
    if code ~= nil then
      count = count + 1
      requests[count] = wrk.format("GET", "/" .. code)
    end
  end
  if count == 0 then
    error("paced.lua: no codes in " .. path)
  end
  math.randomseed(os.time() * 1000 + (id or 0))
end

function delay()
  return pause
end

function request()
  return requests[math.random(count)]
end
