-- Shared by the bench/http scripts: the bearer token from $TOKEN, and a JSON line with
-- the run's figures at the end (requests, per second, p50/p99 in ms, errors).
local common = {}

common.headers = {
  ["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or ""),
  ["Content-Type"] = "application/json",
}

-- numbers wrk's threads 0, 1, …: each thread's script sees its own as `thread_id`
local threads = 0
function common.setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function common.done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"per_second":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

return common
