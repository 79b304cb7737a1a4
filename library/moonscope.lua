---@meta moonscope
-- LuaCATS definitions of Moonscope's handler API (the globals `api` and `rover`, the `ctx` a handler
-- gets, responses), for the Lua language server (LuaLS): add this folder to `Lua.workspace.library`
-- (the extension offers to; `moonscope init` writes a .luarc.json). Held against what the server
-- installs by test/server/lua-definitions.test.ts: a name here that the server lacks, or one the
-- server has that is missing here, fails it.

---A response made by `api.*`; the server sends it as it is.
---@class moonscope.Response
local Response = {}

---Adds a response header and returns the response, so calls chain:
---`api.json(u):header("Cache-Control", "max-age=5")`.
---@param name string
---@param value any
---@return moonscope.Response
function Response:header(name, value) end

---Changes the status: `api.text("gone"):status(410)`.
---@param code integer 200 to 599
---@return moonscope.Response
function Response:status(code) end

---What a handler may return: a response, a table (JSON 200), a string, number or boolean (text 200), or nil (204).
---@alias moonscope.Result moonscope.Response|table|string|number|boolean|nil

---`api.json(value)`: 200 `application/json`; a string is JSON text sent as it is.
---@class moonscope.JsonBuilder
---@overload fun(value: any): moonscope.Response
local JsonBuilder = {}
---`api.json:status(201, value)`
---@param code integer
---@param value any
---@return moonscope.Response
function JsonBuilder:status(code, value) end

---`api.text(s)`: 200 `text/plain; charset=utf-8`.
---@class moonscope.TextBuilder
---@overload fun(s: any): moonscope.Response
local TextBuilder = {}
---`api.text:status(404, "no such note")`
---@param code integer
---@param s any
---@return moonscope.Response
function TextBuilder:status(code, s) end

---`api.html(s)`: 200 `text/html; charset=utf-8`; `api.html(data) [[<h1>{{ title }}</h1>]]` renders a template.
---@class moonscope.HtmlBuilder
---@overload fun(data: table): fun(template: string): moonscope.Response
---@overload fun(s: any): moonscope.Response
local HtmlBuilder = {}
---`api.html:status(404, "<h1>gone</h1>")`
---@param code integer
---@param s any
---@return moonscope.Response
function HtmlBuilder:status(code, s) end

---`api.raw(bytes)`: 200 with the bytes and no `Content-Type`.
---@class moonscope.RawBuilder
---@overload fun(bytes: string): moonscope.Response
local RawBuilder = {}
---`api.raw:status(code, bytes)`
---@param code integer
---@param bytes string
---@return moonscope.Response
function RawBuilder:status(code, bytes) end

---`api.redirect(url [, code])`: 302 (or `code`) with `Location`.
---@class moonscope.Redirect
---@overload fun(url: string, code?: integer): moonscope.Response
local Redirect = {}
---`api.redirect:permanent(url)`: 301.
---@param url string
---@return moonscope.Response
function Redirect:permanent(url) end
---`api.redirect:status(307, url)`
---@param code integer
---@param url string
---@return moonscope.Response
function Redirect:status(code, url) end

---What `api.on_error(err)` gets.
---@class moonscope.ErrorInfo
---@field message string the error's message, with its `file:line:`
---@field status integer the raised table's `status`, else 404 ("not found"), 400 ("validation", "required") or 500
---@field code any the raised table's `code`, else "ERROR"
---@field path string
---@field method string
---@field error any the raised value itself

---Middleware under a namespace: `function api.before.auth(ctx) ... end` runs before every handler
---below it, in definition order; a response it returns answers the request.
---@alias moonscope.Middleware table<string, fun(ctx: moonscope.Ctx): moonscope.Response|nil>

---The route tree and the response builders. A handler is a function stored under `api`: the path
---is the chain of names, the last name is the method (`get`, `post`, `put`, `patch`, `delete`,
---`head`, `options`), and `p_<name>` is a path parameter: `function api.users.p_id.get(ctx)` is
---`GET /users/:id`.
---@class moonscope.Api
---@field [string] any
---@field before moonscope.Middleware run before every handler (`api.admin.before.x` only under /admin)
---@field after moonscope.Middleware run after the handler; their return value is ignored
---@field on_error? fun(err: moonscope.ErrorInfo): moonscope.Response|nil a handler's (or middleware's) error; nil answers it as a 500
---@field json moonscope.JsonBuilder
---@field text moonscope.TextBuilder
---@field html moonscope.HtmlBuilder
---@field raw moonscope.RawBuilder
---@field redirect moonscope.Redirect
---@field null lightuserdata|table JSON `null` inside a table (a nil value drops its key)
api = {}

---`api.empty(204)`: any status with no body.
---@param code? integer default 204
---@return moonscope.Response
function api.empty(code) end

---Rover's `api.no_content()`: 204.
---@return moonscope.Response
function api.no_content() end

---`api:error(401, "Unauthorized")` (or `api.error(401, ...)`): `status` with `{"error": message}`.
---@param status integer
---@param message? any
---@return moonscope.Response
function api:error(status, message) end

---`api.array(t)`: serialise `t` as a JSON array even when it is empty.
---@generic T: table
---@param t? T
---@return T
function api.array(t) end

---@deprecated Not supported by Moonscope (streaming responses).
function api.stream(...) end
---@deprecated Not supported by Moonscope (streaming responses).
function api.stream_with_headers(...) end
---@deprecated Not supported by Moonscope (server-sent events).
function api.sse(...) end
---@deprecated Not supported by Moonscope (idempotency keys).
function api.idempotent(...) end

---Path parameters, query values or headers: a table that is also callable (Rover's `ctx:params()`).
---@class moonscope.StringTable
---@field [string] string
---@overload fun(self: any): table<string, string>

---The request a handler gets. Moonscope's forms (`ctx.params.id`, `ctx:json()`) and Rover's
---(`ctx:params().id`, `ctx:body():json()`) both work.
---@class moonscope.Ctx
---@field method string "GET", "POST", ...
---@field path string the decoded path, "/users/42"
---@field params moonscope.StringTable path parameters: `ctx.params.id` or `ctx:params().id`
---@field query moonscope.StringTable the decoded query string (a repeated key: the last value)
---@field headers moonscope.StringTable request headers, found by any case: `ctx.headers["user-agent"]`, `ctx:headers()["User-Agent"]`
---@field body string|nil|fun(self: moonscope.Ctx): moonscope.Body the raw body (nil when none); in an app that calls `rover.server`, Rover's method: `ctx:body():as_string()`
local Ctx = {}

---The body decoded as JSON (JSON null becomes `api.null`; no body gives nil); raises an error on a body that is not JSON.
---@return any
function Ctx:json() end

---A header by any case: `ctx:header("Content-Type")`.
---@param name string
---@return string|nil
function Ctx:header(name) end

---Request-scoped state shared by middleware and the handler.
---@param key any
---@param value any
function Ctx:set(key, value) end

---@param key any
---@return any
function Ctx:get(key) end

---The client's X-Request-ID when it sent a usable one, else an id made by the worker; the same all through the request.
---@return string
function Ctx:request_id() end

---Rover's `ctx:next()`: middleware goes on by returning; this does nothing.
function Ctx:next() end

---Rover's request body: `ctx:body():json()`.
---@class moonscope.Body
local Body = {}
---@return any
function Body:json() end
---@return string
function Body:text() end
---@return string
function Body:as_string() end
---@return string
function Body:echo() end
---@return any
function Body:raw() end
---The bytes as a table of numbers.
---@return integer[]
function Body:bytes() end
---@deprecated Not supported by Moonscope (validation with rover.guard).
function Body:expect(...) end
---@deprecated Not supported by Moonscope (multipart uploads).
function Body:form(...) end
---@deprecated Not supported by Moonscope (multipart uploads).
function Body:file(...) end
---@deprecated Not supported by Moonscope (multipart uploads).
function Body:files(...) end
---@deprecated Not supported by Moonscope (multipart uploads).
function Body:multipart(...) end

---`rover.env.NAME`: the environment, then the app folder's .env; nil when unset. Read-only.
---@class moonscope.RoverEnv
---@field [string] string|nil

---`rover.html(data) [[...]]` renders a template; functions stored in it are components.
---@class moonscope.RoverHtml
---@field [string] fun(props: table): string
---@overload fun(data?: table): fun(template: string): string

---@class moonscope.RoverConfig
local RoverConfig = {}
---Runs a Lua file of the app's folder and returns its value.
---@param path string
---@return any
function RoverConfig.load(path) end
---`rover.config.from_env("APP")`: APP_DB_HOST=x becomes `{ db = { host = "x" } }` (values stay strings).
---@param prefix string
---@return table
function RoverConfig.from_env(prefix) end

---The `rover` global, for apps written for Rover.
---@class moonscope.Rover
---@field env moonscope.RoverEnv
---@field html moonscope.RoverHtml
---@field config moonscope.RoverConfig
---@field guard any @deprecated Not supported by Moonscope (validation).
---@field db any @deprecated Not supported by Moonscope (databases).
---@field http any @deprecated Not supported by Moonscope (outbound HTTP requests).
---@field auth any @deprecated Not supported by Moonscope (JWT helpers).
---@field cookie any @deprecated Not supported by Moonscope (cookie helpers).
---@field session any @deprecated Not supported by Moonscope (sessions).
---@field ws any @deprecated Not supported by Moonscope (WebSockets).
rover = {}

---`local api = rover.server { port = 3000 }`: the app's `api` table. `host`, `port` and
---`body_size_limit` are honoured unless the command line gives them; other options are ignored.
---@param opts? { host?: string, port?: integer, body_size_limit?: integer, [string]: any }
---@return moonscope.Api
function rover.server(opts) end
