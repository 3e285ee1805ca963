-- codes.lua: wrk script that requests GET /<code> with a code picked at
-- random (uniformly) from a file, one request per code choice.
--
--   wrk -t2 -c64 -d10s -s bench/codes.lua http://127.0.0.1:18083 -- codes.txt
--
-- The file holds one code per line; anything after the first blank on a line
-- (bench/redirect.sh and bench/mapserver write "code url") is ignored.
-- Requests are formatted once per thread in init(), so request() does no
-- string work on the hot path: wrk spends its time sending, not in Lua.
-- No response() function is defined on purpose: defining one makes wrk parse
-- every response's headers into Lua and slows the load generator. Statuses
-- other than 2xx/3xx are still counted by wrk ("Non-2xx or 3xx responses").

-- Every request carries a browser's User-Agent: tiny counts a request
-- without one as a bot's, and a person's click costs more to record (it
-- moves the link's click counter and the indexes that sort by it).
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

local requests = {}
local count = 0

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("codes.lua: pass the codes file after --, e.g. wrk ... -s codes.lua URL -- codes.txt")
  end
  for line in io.lines(path) do
    local code = line:match("^(%S+)")
    if code ~= nil then
      count = count + 1
      requests[count] = wrk.format("GET", "/" .. code)
    end
  end
  if count == 0 then
    error("codes.lua: no codes in " .. path)
  end
  -- A different sequence per thread and per run.
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  return requests[math.random(count)]
end

-- p99.9 in microseconds, which wrk's --latency table lacks (bench/redirect.sh
-- reads it). done() runs once, after the run: it costs the load nothing.
function done(summary, latency, requests)
  io.write(string.format("p99.9 %d\n", latency:percentile(99.9)))
end
