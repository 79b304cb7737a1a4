---@meta cjson.safe
-- `require("cjson.safe")`: cjson whose encode and decode answer nil and the error instead of raising.

---@class cjson.safe: cjson
local safe = {}

---@param value any
---@return string|nil json, string|nil err
function safe.encode(value) end

---@param text string
---@return any value, string|nil err
function safe.decode(text) end

---@return cjson.safe
function safe.new() end

return safe
