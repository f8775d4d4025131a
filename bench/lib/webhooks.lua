-- wrk script: each thread sends its own share of the pre-signed webhooks of
-- webhooks.tsv (bench/lib/webhook_bodies.py), in order, never repeating one
-- (it wraps around only when the file is exhausted, which the report flags).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  sigs, bodies, next_i = {}, {}, 1
  for line in io.lines("webhooks.tsv") do
    local t, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
    if tonumber(t) == id then
      sigs[#sigs + 1] = sig
      bodies[#bodies + 1] = body
    end
  end
  wrapped = 0
end

function request()
  if next_i > #bodies then
    next_i = 1
    wrapped = wrapped + 1
  end
  local i = next_i
  next_i = next_i + 1
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/json", ["x-pms-signature"] = sigs[i]}, bodies[i])
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local w = t:get("wrapped")
    if w and w > 0 then
      io.stderr:write("warning: a thread re-sent events (duplicates measured): raise BENCH_WEBHOOKS\n")
    end
  end
end
