-- wrk script of benchmarks/run_http.py: the request from the environment, a JSON summary at the end.
-- WRK_METHOD, WRK_BODY and WRK_CONTENT_TYPE set the request; every latency is in microseconds.
local method = os.getenv("WRK_METHOD")
local body = os.getenv("WRK_BODY")
local content_type = os.getenv("WRK_CONTENT_TYPE")
if method and method ~= "" then wrk.method = method end
if body and body ~= "" then wrk.body = body end
if content_type and content_type ~= "" then wrk.headers["Content-Type"] = content_type end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"lat_mean_us":%.1f,"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
