-- wrk_report.lua: wrk's summary as one line of JSON, for tools/bench_serve/bench_serve.py.
-- wrk calls done() once at the end of a run (wrk's SCRIPTING document); the
-- script reads the line that starts with "bench_serve ", so wrk's own
-- human-readable report can stay on the screen above it.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'bench_serve {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"latency_p50_us": %d, "latency_p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
