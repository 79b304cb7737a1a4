-- Statistics over order totals. percentile sorts a copy every time, and spread resamples:
-- on purpose, this module is where GET /orders/summary spends its time.
local M = {}

function M.percentile(values, p)
  local sorted = {}
  for i = 1, #values do sorted[i] = values[i] end
  table.sort(sorted)
  local rank = math.max(1, math.ceil(#sorted * p / 100))
  return sorted[rank]
end

-- The standard deviation of the medians of `rounds` resamples.
function M.spread(values, rounds)
  local medians, sum = {}, 0
  local seed = 17
  for r = 1, rounds do
    local sample = {}
    for i = 1, #values do
      seed = (seed * 1103515245 + 12345) % 2147483648
      sample[i] = values[seed % #values + 1]
    end
    medians[r] = M.percentile(sample, 50)
    sum = sum + medians[r]
  end
  local mean, var = sum / rounds, 0
  for r = 1, rounds do var = var + (medians[r] - mean) ^ 2 end
  return math.sqrt(var / rounds)
end

return M
