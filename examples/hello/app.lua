-- The smallest Moonscope app: one route.
--   moonscope serve examples/hello/app.lua
--   curl http://127.0.0.1:8080/hello
function api.hello.get(ctx)
  return api.json { message = "We are all good champs" }
end
