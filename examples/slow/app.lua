-- A deliberately slow route: the CPU goes into one named Lua function, churn_numbers.
--   moonscope serve examples/slow/app.lua
--   curl http://127.0.0.1:8080/crunch
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

function churn_numbers(rounds)
  local total = 0
  for i = 1, rounds do
    total = total + fib(12 + i % 4)
  end
  return total
end

function api.crunch.get(ctx)
  local rounds = tonumber(ctx.query.rounds) or 20
  return api.json { total = churn_numbers(rounds) }
end

function api.fast.get(ctx)
  return api.json { ok = true }
end
