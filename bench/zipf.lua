-- zipf.lua: wrk script that requests GET /<code> with the code drawn from a
-- Zipf-like (power-law) distribution over a large list of codes: the link of
-- rank r is asked for with a probability proportional to 1/r^s. This is the
-- shape of real short-link traffic (a few links take most clicks, most links
-- are rarely clicked), so it exercises the redirect cache the way a big
-- instance does, which a uniform choice over a few codes (codes.lua) cannot.
--
--   wrk -t2 -c64 -d10s -s bench/zipf.lua http://127.0.0.1:18083 -- codes.txt [s] [delay]
--
-- codes.txt holds one code per line, every line exactly 8 bytes (a 7-character
-- code and "\n", as bench/seedlinks -codes-all writes them); line r is the
-- link of rank r. The file is read into one string and a code is cut out of
-- it by offset, so ten million codes cost 80 MB per wrk thread, not a Lua
-- table of ten million strings. s is the exponent (default 1.0); s = 0 is a
-- uniform choice over all N codes (the worst case for any cache).
--
-- The rank is drawn by inverting the continuous power law on [1, N+1) and
-- rounding down: one random number and one pow() per request, no table. For
-- s = 1, P(rank <= k) = ln(k+1)/ln(N+1), within a rounding of the discrete
-- Zipf law's H(k)/H(N).
--
-- With a delay (milliseconds), each connection waits that long after every
-- response before its next request, as bench/paced.lua does: the offered
-- rate is then about connections * 1000 / (delay + latency) per second.
--
-- done() prints "p99.9 <microseconds>", which wrk's --latency table lacks;
-- bench/redirect.sh and bench/scale.sh read it.

-- Every request carries a browser's User-Agent: tiny counts a request
-- without one as a bot's, and a person's click costs more to record (it
-- moves the link's click counter and the indexes that sort by it).
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

local codes, n, s, prefix, suffix, pause
local width = 8

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("zipf.lua: pass the codes file after --, e.g. wrk ... -s zipf.lua URL -- codes.txt 1.0")
  end
  s = tonumber(args[2] or "1.0")
  if s == nil or s < 0 then
    error("zipf.lua: the exponent must be a number >= 0, got " .. tostring(args[2]))
  end
  if args[3] ~= nil then
    pause = tonumber(args[3])
    if pause == nil or pause < 1 then
      error("zipf.lua: the delay must be a whole number of milliseconds >= 1, got " .. tostring(args[3]))
    end
    -- wrk looks for delay() after init() and times every request through
    -- it when there is one, so an unpaced run must not define it.
    delay = function() return pause end
  end
  local f = assert(io.open(path, "rb"))
  codes = f:read("*a")
  f:close()
  if #codes == 0 or #codes % width ~= 0 or codes:sub(width, width) ~= "\n" then
    error("zipf.lua: " .. path .. " must hold lines of exactly " .. (width - 1) .. " characters")
  end
  n = math.floor(#codes / width)
  -- The request once with a placeholder code, split around it: request()
  -- only concatenates.
  local req = wrk.format("GET", "/@@CODE@@")
  local at = req:find("@@CODE@@", 1, true)
  prefix, suffix = req:sub(1, at - 1), req:sub(at + 8)
  math.randomseed(os.time() * 1000 + (id or 0))
end

local function rank()
  local u = math.random()
  local x
  if s == 0 then
    return math.floor(u * n) + 1
  elseif s == 1 then
    x = (n + 1) ^ u
  else
    local e = 1 - s
    x = (((n + 1) ^ e - 1) * u + 1) ^ (1 / e)
  end
  local r = math.floor(x)
  if r > n then r = n end
  return r
end

function request()
  local at = (rank() - 1) * width
  return prefix .. codes:sub(at + 1, at + width - 1) .. suffix
end

function done(summary, latency, requests)
  io.write(string.format("p99.9 %d\n", latency:percentile(99.9)))
end
