-- API reads: GET /api/v1/loans/{id} of a random loan among 1..$LOANS (the balances,
-- the status, the class: one loan's page).
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
local loans = tonumber(os.getenv("LOANS") or "1000")
local seeded = false

request = function()
  if not seeded then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
    seeded = true
  end
  return wrk.format("GET", "/api/v1/loans/" .. math.random(1, loans), common.headers)
end
done = common.done
