-- API reads: GET /api/v1/loans/{id} of a random loan among 1..$LOANS (the balances,
-- the status, the class: one loan's page).
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
local loans = tonumber(os.getenv("LOANS") or "1000")

setup = common.setup

init = function()
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end

request = function()
  return wrk.format("GET", "/api/v1/loans/" .. math.random(1, loans), common.headers)
end
done = common.done
