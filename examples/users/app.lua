-- Routes with path parameters, query strings, JSON bodies, headers and non-200 statuses.
--   moonscope serve examples/users/app.lua
--   curl http://127.0.0.1:8080/users/42?fields=name
--   curl -X POST -d '{"name":"Ada"}' http://127.0.0.1:8080/users
local users = {
  ["1"] = { id = "1", name = "Grace" },
}
local next_id = 2

-- GET /users/:id
function api.users.p_id.get(ctx)
  local u = users[ctx.params.id]
  if not u then
    return api.json:status(404, { error = "no user " .. ctx.params.id })
  end
  return api.json(u):header("Cache-Control", "max-age=5")
end

-- GET /users?limit=10
function api.users.get(ctx)
  local limit = tonumber(ctx.query.limit) or 100
  local list = {}
  for _, u in pairs(users) do
    if #list >= limit then break end
    list[#list + 1] = u
  end
  return api.json(api.array(list))
end

-- POST /users with a JSON body
function api.users.post(ctx)
  local u = ctx:json()
  if type(u) ~= "table" or type(u.name) ~= "string" then
    return api.json:status(400, { error = "send a JSON object with a name" })
  end
  u.id = tostring(next_id)
  next_id = next_id + 1
  users[u.id] = u
  return api.json:status(201, u)
end

-- DELETE /users/:id answers 204 with no body
function api.users.p_id.delete(ctx)
  users[ctx.params.id] = nil
  return api.empty(204)
end

-- GET /note answers text/plain
function api.note.get(ctx)
  return api.text("plain words")
end
