-- Submit-to-decision: POST /api/v1/applications/{id}/submit, each draft of
-- $APPLICATIONS_FILE once: this run owns the $BUDGET lines from line $OFFSET, and each of
-- the $THREADS threads a contiguous share of them, so no two runs or threads ever send
-- the same draft. A thread that runs out stops (its last request is GET /healthz).
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
local ids = {}
local next_index = 0

setup = common.setup

init = function()
  local offset = tonumber(os.getenv("OFFSET") or "0")
  local share = math.floor(tonumber(os.getenv("BUDGET") or "0") / tonumber(os.getenv("THREADS") or "1"))
  local first = offset + thread_id * share
  local line_no = 0
  for line in io.lines(os.getenv("APPLICATIONS_FILE")) do
    if line_no >= first and line_no < first + share then
      ids[#ids + 1] = line
    end
    line_no = line_no + 1
  end
end

request = function()
  next_index = next_index + 1
  local id = ids[next_index]
  if id == nil then
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("POST", "/api/v1/applications/" .. id .. "/submit", common.headers, "{}")
end
done = common.done

-- a refusal is counted by wrk; its answer goes to stderr so the run's log says why
response = function(status, headers, body)
  if status >= 300 then
    io.stderr:write(string.format("submit answered %d: %s\n", status, (body or ""):sub(1, 300)))
  end
end
