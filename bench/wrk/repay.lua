-- Repayments: POST /api/v1/loans/{id}/repayments of 100.00 on a random loan among
-- 1..$LOANS, each with its own Idempotency-Key ($RUN, the thread, a counter), so that
-- every request is a new durable posting.
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
local loans = tonumber(os.getenv("LOANS") or "1000")
local run = os.getenv("RUN") or "run"
local n = 0

setup = common.setup

init = function()
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end

request = function()
  n = n + 1
  local key = string.format("%s-%d-%d", run, thread_id or 0, n)
  local headers = {}
  for k, v in pairs(common.headers) do headers[k] = v end
  headers["Idempotency-Key"] = key
  local body = string.format('{"amount":"100.00","channel":"online","reference":"%s"}', key)
  return wrk.format("POST", "/api/v1/loans/" .. math.random(1, loans) .. "/repayments", headers, body)
end
done = common.done
