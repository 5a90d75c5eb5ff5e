-- tests/miltertest/wake.lua: mail that recording an answer queues is
-- handed to liaisond's outbox sender at once, as a statement's is.  An
-- answer whose first line is a command (close) from the statement's
-- assignee, sent to that person's own reply address, queues a report of
-- what was done; the milter used to wake the sender for statements and
-- bounces only, so the report waited for the sender's next round,
-- sender_interval later (a day here, wake.conf).  Globals from run.sh
-- (-D): LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check, run = lib.check, lib.run

-- How many rounds of the sender liaisond has logged so far.
local function rounds()
    local n = 0
    local f = assert(io.open(OUT, "rb"))
    for line in f:lines() do
        if line:find("sender: %d+ sent, %d+ deferred") then n = n + 1 end
    end
    f:close()
    return n
end

-- Wait up to seconds for more than n rounds; the count seen.
local function rounds_after(n, seconds)
    for _ = 1, seconds * 10 do
        local r = rounds()
        if r > n then return r end
        os.execute("sleep 0.1")
    end
    return rounds()
end

local db = CONF:gsub("liaisond%.conf$", "liaison.db")
local conn = lib.start()

-- The statement (LS 1, assignee ccamp-chairs@ietf.test): its notification
-- wakes the sender, which defers it (the relay refuses).
local headers, body = lib.read_message(CORPUS .. "/s01-appendix-a.eml")
lib.send(conn, "s01", "<greta.jonsson@itu.test>", "<liaisons@ietf.test>", headers, body)
local n = rounds_after(0, 10)
check(n >= 1, "the statement's notification: a round of the sender (" .. n .. ")")
os.execute("sleep 1")
n = rounds()

-- The assignee's answer to its own reply address, "close" on its first
-- line: recorded as correspondence, the statement closed, a report queued.
local secret = run("sqlite3 '" .. db .. "' \"SELECT value FROM meta WHERE key = 'secret'\"")
check(secret ~= nil and #secret == 64, "the database's secret")
local token = run("printf %s 'c:1:ccamp-chairs@ietf.test' | openssl dgst -sha256 -hmac '"
                  .. secret .. "' | sed 's/.*= *//'")
check(token ~= nil and #token == 64, "a token computed")
local reply_to = "liaisons+c.1." .. token:sub(1, 12) .. "@ietf.test"
lib.send(conn, "answer", "<ccamp-chairs@ietf.test>", "<" .. reply_to .. ">",
     { { "From", "CCAMP Chairs <ccamp-chairs@ietf.test>" },
       { "To", reply_to },
       { "Subject", "Re: [LS 1] Liaison on OTN beyond 400G" },
       { "Date", "Mon, 16 Nov 2026 10:00:00 +0000" },
       { "Message-ID", "<close-1@ietf.test>" },
       { "In-Reply-To", "<sg15-ls-0412@itu.test>" } },
     "close\r\n\r\nThanks, done.\r\n")
check(run("sqlite3 '" .. db .. "' \"SELECT count(*) FROM event WHERE what = 'closed'\"") == "1",
      "answer: the statement is closed")
check(tonumber(run("sqlite3 '" .. db .. "' \"SELECT count(*) FROM outbox WHERE kind = 'answer'\"")) >= 1,
      "answer: an answer is queued")
local after = rounds_after(n, 5)
check(after > n, "answer: the answer woke the sender (rounds " .. n .. " -> " .. after .. ")")
mt.disconnect(conn)
