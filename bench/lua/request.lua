-- One request, repeated: method, headers and body from the environment.
--   BENCH_METHOD   GET (default), PUT, ...
--   BENCH_AUTH     value of the Authorization header ("Bearer op_at_...")
--   BENCH_COOKIE   value of the Cookie header (portal session)
--   BENCH_BODY     JSON body; "{n}" in it becomes a per-request serial, so
--                  that every PUT really changes something.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local threads_started = 0
function setup(thread)
   threads_started = threads_started + 1
   thread:set("tid", threads_started)
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH")
local cookie = os.getenv("BENCH_COOKIE")
local body = os.getenv("BENCH_BODY")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end

if body and body ~= "" then
   wrk.headers["Content-Type"] = "application/json"
   local serial = 0
   function request()
      serial = serial + 1
      local text = string.gsub(body, "{n}", tostring(tid) .. "-" .. tostring(serial))
      return wrk.format(nil, nil, nil, text)
   end
end
