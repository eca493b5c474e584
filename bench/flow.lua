-- wrk script: the floor or the pupil flow, one simulated user per wrk thread.
--
-- Run by bench/wrkload.py as
--   wrk -t N -c N -d SECONDS --latency -s bench/flow.lua http://127.0.0.1:PORT
-- with WRK_FLOW=floor|pupil, WRK_CARDS=<file of "join_code card_code" lines> (pupil),
-- WRK_THREADS=N and WRK_OUT=<JSON file written when the run ends>.
--
-- wrk gives each thread its own Lua state and one connection per thread when -t equals
-- -c, so a thread is one user: it keeps its own cookies and the step it is on, sends one
-- request, reads the answer (status, Set-Cookie, Location, CSRF token, the question
-- page's key, sequence number and options, the save's JSON) and moves to the next step,
-- as bench/pupil.py does with httpx. A pupil who finishes starts again with the next card
-- of its share and fresh cookies. Latency per request type is timed here (LuaJIT's ffi,
-- CLOCK_MONOTONIC); the server's own time comes from the X-Bench-Server header.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

-- --- Main state: hand every thread its number ------------------------------------------

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- --- Thread state ------------------------------------------------------------------------

local flow = os.getenv("WRK_FLOW") or "floor"
local cards = {}
local next_card = 1
local cookies = {}
local step = nil
local state = {}
local started = nil
local kind = nil
local rng_seeded = false

-- Each thread writes what it saw to its own file (WRK_OUT.<thread number>), one line per
-- answer: "r kind client_ms server_ms server_cpu_ms" for an expected answer, "b kind status
-- client_ms" for anything else, "a token" for an acknowledged survey (the card code) or
-- floor row (its id), "o" when the thread ran out of cards. bench/wrkload.py reads them
-- once wrk has exited (the C library flushes the files then); wrk's thread:get cannot copy
-- tables safely, so nothing larger than a number crosses between Lua states.
local log = nil
function init(args)
  math.randomseed(1000 + id)
  log = assert(io.open(os.getenv("WRK_OUT") .. "." .. id, "w"))
  log:setvbuf("full", 65536)
  if flow == "pupil" then
    local total = tonumber(os.getenv("WRK_THREADS") or "1")
    local line_no = 0
    for line in io.lines(os.getenv("WRK_CARDS")) do
      if line_no % total == id then
        local join, card = line:match("^(%S+)%s+(%S+)$")
        table.insert(cards, { join, card })
      end
      line_no = line_no + 1
    end
  end
  step = "start"
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(cookies) do
    table.insert(parts, name .. "=" .. value)
  end
  return table.concat(parts, "; ")
end

local function form(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    local value = tostring(pair[2]):gsub("[^%w%-_%.~]", function(c)
      return string.format("%%%02X", string.byte(c))
    end)
    table.insert(parts, pair[1] .. "=" .. value)
  end
  return table.concat(parts, "&")
end

local function json_string(value)
  return '"' .. tostring(value):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function send(request_kind, method, path, body, content_type, extra)
  kind = request_kind
  local headers = { ["Accept-Language"] = "en-GB", ["User-Agent"] = "upstream-bench-wrk/1" }
  local cookie = cookie_header()
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if method == "POST" then
    headers["Origin"] = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port
    headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
  end
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  started = now_ms()
  return wrk.format(method, path, headers, body)
end

local function begin_user()
  cookies = {}
  state = {}
  if flow == "floor" then
    step = "floor_get"
    return
  end
  local card = cards[next_card]
  if card == nil then
    log:write("o\n")
    next_card = 1 -- reuse: the run reports it and the database check counts the repeats
    card = cards[next_card]
  end
  next_card = next_card + 1
  state.join, state.card = card[1], card[2]
  step = "join_page"
end

function request()
  if step == "start" then
    begin_user()
  end
  if step == "floor_get" then
    return send("floor_get", "GET", "/bench/floor/")
  elseif step == "floor_post" then
    local fields = {}
    for n = 1, 34 do
      table.insert(fields, { "q" .. n, (n % 5) + 1 })
    end
    table.insert(fields, { "csrfmiddlewaretoken", state.token })
    return send("floor_post", "POST", "/bench/floor/", form(fields))
  elseif step == "join_page" then
    return send("join_page", "GET", "/go/")
  elseif step == "join" then
    return send("join", "POST", "/go/", form({ { "code", state.join }, { "csrfmiddlewaretoken", state.token } }))
  elseif step == "card_page" then
    return send("card_page", "GET", state.next)
  elseif step == "card" then
    return send("card", "POST", state.next, form({ { "code", state.card }, { "csrfmiddlewaretoken", state.token } }))
  elseif step == "assent_page" then
    return send("assent_page", "GET", state.next)
  elseif step == "assent" then
    return send("assent", "POST", state.next, form({ { "choice", "yes" }, { "csrfmiddlewaretoken", state.token } }))
  elseif step == "page" then
    return send("page", "GET", state.next)
  elseif step == "save" then
    local answers = {}
    for _, group in ipairs(state.groups) do
      table.insert(answers, json_string(group.code) .. ":" .. json_string(group.choice))
    end
    local body = "{" .. '"key":' .. json_string(state.key) .. ',"page":' .. state.page .. ',"seq":' .. state.seq
      .. ',"answers":{' .. table.concat(answers, ",") .. '},"final":' .. (state.final and "true" or "false") .. "}"
    return send(state.final and "submit" or "save", "POST", "/go/save/", body, "application/json",
      { ["X-CSRFToken"] = state.token, ["Accept"] = "application/json" })
  elseif step == "thanks" then
    return send("thanks", "GET", state.next)
  end
end

local function choose(options)
  local numeric, other = {}, {}
  for _, value in ipairs(options) do
    if value:match("^%d+$") then
      numeric[#numeric + 1] = value
    elseif value ~= "" and value ~= "skip" then
      other[#other + 1] = value
    end
  end
  if #numeric > 0 and math.random() < 0.9 then
    return numeric[math.random(#numeric)]
  end
  if #other > 0 then
    return other[math.random(#other)]
  end
  return options[math.random(#options)]
end

local function read_page(body)
  local groups, index = {}, {}
  for code, value in body:gmatch('name="q_([^"]+)" value="([^"]*)"') do
    local group = index[code]
    if group == nil then
      group = { code = code, options = {} }
      index[code] = group
      groups[#groups + 1] = group
    end
    group.options[#group.options + 1] = value
  end
  for _, group in ipairs(groups) do
    group.choice = choose(group.options)
  end
  state.groups = groups
  state.key = body:match('name="key" value="([^"]*)"')
  state.seq = tonumber(body:match('name="seq" value="([^"]*)"') or "1") or 1
  state.final = body:match("<form[^>]*data%-survey[^>]*data%-final") ~= nil
  return #groups > 0 and state.key ~= nil
end

local function path_of(location)
  return (location or ""):gsub("^https?://[^/]+", "")
end

local elapsed = 0

local function fail(status)
  log:write("b ", kind, " ", tostring(status), " ", string.format("%.3f", elapsed), "\n")
  step = "start"
end

local function acknowledge(token)
  log:write("a ", tostring(token), "\n")
end

function response(status, headers, body)
  elapsed = now_ms() - started
  local cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if cookie then
    local name, value = cookie:match("^%s*([^=;]+)=([^;]*)")
    if name then
      cookies[name] = value
    end
  end
  local timing = headers["X-Bench-Server"] or headers["x-bench-server"] or "- -"
  local wall, cpu = timing:match("([%d%.]+);([%d%.]+)")
  local redirect = status == 302 or status == 303
  local location = path_of(headers["Location"] or headers["location"])
  local token = body and body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
  if token then
    state.token = token
  end

  if step == "floor_get" then
    if status ~= 200 or not token then return fail(status) end
    step = "floor_post"
  elseif step == "floor_post" then
    local id = body:match('"id":%s*(%d+)')
    if status ~= 200 or not id then return fail(status) end
    acknowledge(id)
    step = "floor_get"
  elseif step == "join_page" then
    if status ~= 200 or not token then return fail(status) end
    step = "join"
  elseif step == "join" then
    if not redirect then return fail(status) end
    state.next, step = location, "card_page"
  elseif step == "card_page" then
    if status ~= 200 or not token then return fail(status) end
    step = "card"
  elseif step == "card" then
    if not redirect then return fail(status) end
    state.next, step = location, "assent_page"
  elseif step == "assent_page" then
    if status ~= 200 or not token then return fail(status) end
    step = "assent"
  elseif step == "assent" then
    if not redirect then return fail(status) end
    state.next, step, state.page = location, "page", 1
  elseif step == "page" then
    if status ~= 200 or not read_page(body) then return fail(status) end
    step = "save"
  elseif step == "save" then
    if status ~= 200 or not body:match('"ok":%s*true') then return fail(status) end
    local next_url = body:match('"next":%s*"([^"]*)"')
    if body:match('"completed":%s*true') then
      acknowledge(state.card)
      state.next, step = path_of(next_url or "/go/thanks/"), "thanks"
    elseif state.final then
      return fail("final-not-completed")
    else
      state.next, step, state.page = path_of(next_url), "page", state.page + 1
    end
  elseif step == "thanks" then
    if status ~= 200 then return fail(status) end
    step = "start"
  end
  log:write("r ", kind, " ", string.format("%.3f", elapsed), " ", wall or "-", " ", cpu or "-", "\n")
end

-- --- Main state again: wrk's own totals -----------------------------------------------

function done(summary, latency_all, requests)
  local errors = summary.errors
  local file = assert(io.open(os.getenv("WRK_OUT"), "w"))
  file:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, "threads": %d, "errors": {"connect": %d, "read": %d,'
      .. ' "write": %d, "status": %d, "timeout": %d}}',
    summary.duration, summary.requests, summary.bytes, counter, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
  file:close()
end
