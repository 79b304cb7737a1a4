-- An app written for Rover (github.com/thalesgelinger/rover), run as it is: rover.server, Rover's
-- ctx methods, middleware, api.on_error and the body helpers.
--   moonscope serve examples/rover/app.lua
--   curl http://127.0.0.1:3000/hello/7
--   curl -X POST -H 'Authorization: Bearer demo' -d '{"title":"buy milk"}' http://127.0.0.1:3000/todos
local api = rover.server { port = 3000, host = "127.0.0.1", body_size_limit = 64 * 1024 }

local todos, next_id = {}, 1

-- Every request is timed: before and after middleware share the start through ctx:set/ctx:get.
local served, slowest = 0, 0
function api.before.timing(ctx)
  ctx:set("started", os.clock())
end
function api.after.timing(ctx)
  served = served + 1
  slowest = math.max(slowest, os.clock() - ctx:get("started"))
end

-- GET /stats: what the middleware counted in this worker
function api.stats.get(ctx)
  return { served = served, slowest_ms = slowest * 1000 }
end

-- Writes need a token.
function api.todos.before.auth(ctx)
  if ctx.method ~= "GET" and not ctx:headers()["Authorization"] then
    return api:error(401, "missing Authorization header")
  end
end

-- GET /hello/:id
function api.hello.p_id.get(ctx)
  local id = ctx:params().id
  return {
    message = "Hello, " .. id,
    lang = ctx:query().lang or "en",
    agent = ctx:headers()["User-Agent"],
    request_id = ctx:request_id(),
  }
end

-- GET /todos
function api.todos.get(ctx)
  local list = {}
  for _, t in pairs(todos) do list[#list + 1] = t end
  table.sort(list, function(a, b) return a.id < b.id end)
  return api.json { todos = list, count = #list }
end

-- POST /todos with a JSON body {"title": "..."}
function api.todos.post(ctx)
  local body = ctx:body():json()
  if type(body) ~= "table" or type(body.title) ~= "string" or body.title == "" then
    error({ status = 400, message = "a todo needs a title" })
  end
  local todo = { id = next_id, title = body.title, done = false }
  todos[next_id], next_id = todo, next_id + 1
  return api.json:status(201, todo)
end

-- GET /todos/:id
function api.todos.p_id.get(ctx)
  local todo = todos[tonumber(ctx:params().id)]
  if not todo then error("todo not found") end
  return todo
end

-- DELETE /todos/:id
function api.todos.p_id.delete(ctx)
  todos[tonumber(ctx:params().id)] = nil
  return api.no_content()
end

-- GET /page: an HTML template
function api.page.get(ctx)
  local list = {}
  for _, t in pairs(todos) do list[#list + 1] = t.title end
  return api.html({ title = "Todos", items = list }) [[
<h1>{{ title }}</h1>
<ul>{{ for _, item in ipairs(items) do }}<li>{{ item }}</li>{{ end }}</ul>
]]
end

-- Errors raised by handlers and middleware: {"error": message} with the status they carry.
function api.on_error(err)
  return api.json:status(err.status, { error = err.message, path = err.path })
end

return api
