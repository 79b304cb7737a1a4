-- Report handlers, defined on the global api table from inside a module.
local stringx = require("pl.stringx")
local pretty = require("pl.pretty")
local store = require("lib.store")

-- GET /reports/customers: text, one line per customer
function api.reports.customers.get(ctx)
  local names = {}
  for _, o in ipairs(store.orders()) do names[o.customer] = true end
  local lines = {}
  for name in pairs(names) do lines[#lines + 1] = stringx.ljust(name, 12) .. "|" end
  table.sort(lines)
  return api.text(stringx.join("\n", lines))
end

-- GET /reports/raw: the first order as Lua source
function api.reports.raw.get(ctx)
  return api.text(pretty.write(store.orders()[1]))
end
