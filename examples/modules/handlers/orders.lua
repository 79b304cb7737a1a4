-- Order handlers: the routes are named in app.lua (api.orders.get = orders.list, ...).
local store = require("lib.store")
local stats = require("lib.stats")
local tablex = require("pl.tablex")

local M = {}

-- GET /orders?status=paid
function M.list(ctx)
  local wanted = ctx.query.status
  local list = tablex.filter(store.orders(), function(o) return wanted == nil or o.status == wanted end)
  return api.json(api.array(list))
end

-- GET /orders/:id
function M.show(ctx)
  local order = store.find(ctx.params.id)
  if not order then
    return api.json:status(404, { error = "no order " .. ctx.params.id })
  end
  return api.json(order)
end

-- GET /orders/summary: the CPU goes into lib/stats.lua
function M.summary(ctx)
  local totals = tablex.imap(function(o) return o.total end, store.orders())
  return api.json {
    count = #totals,
    median = stats.percentile(totals, 50),
    p95 = stats.percentile(totals, 95),
    spread = stats.spread(totals, tonumber(ctx.query.rounds) or 8),
  }
end

return M
