-- Add a user to an organization, then remove them, alternating:
--   POST   /api/v1/organizations/{org}/users/{user}
--   DELETE /api/v1/organizations/{org}/users/{user}
-- Each wrk thread owns one connection (run with -t equal to -c) and one user,
-- so a thread's removal never overtakes its own addition.
--   BENCH_AUTH  "Bearer ..." of an actor who manages the organization's members
--   BENCH_ORG   organization id
--   BENCH_USERS comma-separated ids of users in no organization, one per thread
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local users = {}
for id in string.gmatch(os.getenv("BENCH_USERS"), "%d+") do table.insert(users, id) end
local threads_started = 0
function setup(thread)
   threads_started = threads_started + 1
   if threads_started > #users then error("more threads than users in BENCH_USERS") end
   thread:set("user_id", users[threads_started])
end

wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
local org = os.getenv("BENCH_ORG")
local adding = true

-- The next step is decided when a response arrives, not when a request is
-- built: wrk builds one request on thread 1 just to check the script.
function request()
   local path = "/api/v1/organizations/" .. org .. "/users/" .. user_id
   return wrk.format(adding and "POST" or "DELETE", path)
end

function response(status, headers, body)
   adding = not adding
end
