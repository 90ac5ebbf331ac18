-- Submit-to-decision: POST /api/v1/applications/{id}/submit, each draft of
-- $APPLICATIONS_FILE once, starting at line $OFFSET. The threads take every $THREADS-th
-- id; a thread that runs out stops.
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
local ids = {}
local next_index = 0

setup = common.setup

init = function()
  local offset = tonumber(os.getenv("OFFSET") or "0")
  local step = tonumber(os.getenv("THREADS") or "1")
  local line_no = 0
  for line in io.lines(os.getenv("APPLICATIONS_FILE")) do
    if line_no >= offset and (line_no - offset) % step == thread_id then
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
    id = ids[#ids]
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
