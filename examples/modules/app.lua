-- An app in several files, with a real library from outside it: its own modules under handlers/
-- and lib/, found next to app.lua, and Penlight (apt install lua-penlight), found on the default
-- Lua path (/usr/share/lua/5.4).
--   moonscope serve examples/modules/app.lua
--   curl http://127.0.0.1:8080/orders/summary
local orders = require("handlers.orders")
require("handlers.reports")   -- defines its routes on api itself

-- Routes whose handlers live in a module
api.orders.get = orders.list
api.orders.p_id.get = orders.show
api.orders.summary.get = orders.summary

function api.health.get(ctx)
  return api.text("ok")
end
