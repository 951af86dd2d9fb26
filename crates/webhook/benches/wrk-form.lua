-- wrk script: one form delivery (one call) per request, a distinct call id
-- per request (per thread offsets), the fields the platform sends.
--   wrk -t2 -c64 -d20s --latency -s wrk-form.lua http://127.0.0.1:18080/velip
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
local n = 0
request = function()
  n = n + 1
  local id = tostring(tid * 100000000 + n)
  local body = "cd_id=42_" .. id .. "&cd_status=OK&cd_amdasw=HM&cp_id=555&cpid=camp-nov&ctid=order-" .. id ..
    "&origin=api&dest=5511987654321&cd_dest=5511987654321&conf=1&date=2026-11-20&time_dial=10%3A00%3A01" ..
    "&time_start=10%3A00%3A09&time_end=10%3A00%3A36&dur=27&resp_1=1&resp_2=&route=Mobile+BR" ..
    "&rate=0%2C050&value=0%2C050&cdr_url=https%3A%2F%2Frec.example%2F" .. id .. ".mp3&cdr_sec=27"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
