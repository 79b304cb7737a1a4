-- An in-memory order store, built once per worker when the module is first required.
local M = {}

local customers = { "ada", "grace", "linus", "barbara", "ken", "margaret" }
local orders = {}
for i = 1, 400 do
  orders[i] = {
    id = tostring(i),
    customer = customers[i % #customers + 1],
    status = i % 3 == 0 and "pending" or "paid",
    total = (i * 7919) % 1000 + 0.5,
  }
end

function M.orders()
  return orders
end

function M.find(id)
  return orders[tonumber(id) or 0]
end

return M
