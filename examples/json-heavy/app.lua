-- A JSON-heavy route: the handler is cheap, the response is a large table to serialise.
--   moonscope serve examples/json-heavy/app.lua
--   curl http://127.0.0.1:8080/catalog
local catalog = {}
for i = 1, 400 do
  catalog[i] = {
    id = i,
    sku = string.format("SKU-%05d", i),
    name = "Item number " .. i,
    price = i * 1.25,
    tags = { "red", "large", "sale" },
    stock = { warehouse = i % 7, store = i % 3 },
    active = i % 2 == 0,
  }
end

function api.catalog.get(ctx)
  return api.json { count = #catalog, items = catalog }
end
