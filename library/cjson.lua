---@meta cjson
-- `require("cjson")`: lua-cjson 2.1's API (with OpenResty's additions), as Moonscope's server
-- provides it (see moonscope.lua). Held against the server's module by test/server/lua-definitions.test.ts.

---@class cjson
---@field _NAME string
---@field _VERSION string
---@field null lightuserdata JSON null
---@field empty_array lightuserdata encodes as `[]`
---@field array_mt table a metatable that makes a table encode as an array
---@field empty_array_mt table the same metatable (an empty table with it encodes as `[]`)
local cjson = {}

---@param value any
---@return string
function cjson.encode(value) end

---@param text string
---@return any
function cjson.decode(text) end

---@param convert? boolean|"on"|"off"
---@param ratio? integer
---@param safe? integer
---@return boolean convert, integer ratio, integer safe
function cjson.encode_sparse_array(convert, ratio, safe) end

---@param depth? integer
---@return integer
function cjson.encode_max_depth(depth) end

---@param depth? integer
---@return integer
function cjson.decode_max_depth(depth) end

---@param precision? integer 1 to 16
---@return integer
function cjson.encode_number_precision(precision) end

---@param keep? boolean|"on"|"off"
---@return boolean
function cjson.encode_keep_buffer(keep) end

---@param setting? boolean|"on"|"off"|"null"
---@return boolean|"null"
function cjson.encode_invalid_numbers(setting) end

---@param setting? boolean|"on"|"off"
---@return boolean
function cjson.decode_invalid_numbers(setting) end

---@param setting? boolean|"on"|"off"
---@return boolean
function cjson.encode_escape_forward_slash(setting) end

---@param setting? boolean|"on"|"off"
---@return boolean
function cjson.encode_empty_table_as_object(setting) end

---@param setting? boolean|"on"|"off"
---@return boolean
function cjson.decode_array_with_array_mt(setting) end

---A new module with its own settings.
---@return cjson
function cjson.new() end

return cjson
