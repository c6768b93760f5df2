-- wrk script for scripts/bench.sh's cross-check: orderstate over SOAP 1.1 of one order
-- (bench-wrk-1, which the script pays first), the envelope bench/loadgen sends.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.body = '<?xml version="1.0" encoding="UTF-8"?>' ..
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' ..
  '<ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id>' ..
  '<login>demo_login</login><password>demo_password1</password><ordernumber>bench-wrk-1</ordernumber>' ..
  '</ws:orderstate></soap:Body></soap:Envelope>'

-- Every answer must be the order's state: bad answers are counted and reported by done().
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

bad = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, 'firstcode="0"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("bad")
  end
  print("bad answers: " .. n)
end
