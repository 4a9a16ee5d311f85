/* The Lua scripts. See redis_scripts.h for the keys they use. */
#include "redis_scripts.h"

#define GONE_MS "60000"

/* Helpers every script starts with. A member record is "SEQ|INSTANCE|USERDATA";
 * instance ids have no '|' (redis_config.h). */
#define PRELUDE                                                                          \
  "local function inst_of(v) return string.match(v, '^%d+|([^|]*)|') end\n"              \
  "local function seq_of(v) return string.match(v, '^(%d+)|') end\n"                     \
  "local function fanout(kinst, me, msg)\n"                                              \
  "  for _, i in ipairs(redis.call('HKEYS', kinst)) do\n"                                \
  "    if i ~= me then redis.call('PUBLISH', 'sky:bus:' .. i, msg) end\n"                \
  "  end\n"                                                                              \
  "end\n"                                                                                \
  "local function count(kinst, inst, by)\n"                                              \
  "  if redis.call('HINCRBY', kinst, inst, by) <= 0 then redis.call('HDEL', kinst, inst) end\n" \
  "end\n"                                                                                \
  /* a departure also leaves a note for GONE_MS, for instances that were away \
   * when it was published (the snapshot script reads it) */                  \
  "local function drop(km, peer, inst)\n"                                                \
  "  redis.call('HDEL', km, peer)\n"                                                     \
  "  redis.call('SET', 'sky:gone:' .. peer, '1', 'PX', " GONE_MS ")\n"                   \
  "  if redis.call('HGET', 'sky:where', peer) == inst then redis.call('HDEL', 'sky:where', peer) end\n" \
  "  count(km .. ':inst', inst, -1)\n"                                                   \
  "  if redis.call('HLEN', km) == 0 then\n"                                              \
  "    redis.call('DEL', km .. ':inst', km .. ':lock', km .. ':seq')\n"                  \
  "  end\n"                                                                              \
  "end\n"                                                                                \
  "local function hex(s)\n"                                                              \
  "  return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end))\n" \
  "end\n"                                                                                \
  /* peer p of room, held by inst, is gone: out of the room, and every other  \
   * instance of the room hears peer_left (the 'r' message of bus_msg.h,      \
   * with the peer_left of protocol.md). 0 when another instance holds it. */ \
  "local function report_left(room, p, inst)\n"                                          \
  "  local km = 'sky:room:' .. hex(room)\n"                                              \
  "  local cur = redis.call('HGET', km, p)\n"                                            \
  "  if not cur or inst_of(cur) ~= inst then return 0 end\n"                             \
  "  drop(km, p, inst)\n"                                                                \
  "  fanout(km .. ':inst', inst, 'SKY1 l\\n' .. room .. '\\n' .. p .. '\\n\\n' ..\n"        \
  "    '{\"type\":\"peer_left\",\"peerId\":\"' .. p .. '\",\"reason\":\"disconnected\"}')\n" \
  "  return 1\n"                                                                         \
  "end\n"                                                                                \
  /* the room's members as [peer, instance, userData, seq] lists */            \
  "local function members_of(km)\n"                                                      \
  "  local out, all = {}, redis.call('HGETALL', km)\n"                                   \
  "  for k = 1, #all, 2 do\n"                                                            \
  "    local seq, inst, ud = string.match(all[k + 1], '^(%d+)|([^|]*)|(.*)$')\n"          \
  "    if inst then out[#out + 1] = {all[k], inst, ud, seq} end\n"                        \
  "  end\n"                                                                              \
  "  return out\n"                                                                       \
  "end\n"

const char sky_script_join[] = PRELUDE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not cur then\n"
    "  if ARGV[5] ~= '1' and redis.call('EXISTS', KEYS[3]) == 1 then return {'locked'} end\n"
    "  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {'full'} end\n"
    "end\n"
    /* before the counts change, so that a takeover also reaches the instance
     * that held the peer until now: its stale socket goes quietly */
    "fanout(KEYS[2], ARGV[2], ARGV[8])\n"
    /* the instance that had the peer in another room: its socket there is stale */
    "local prev = redis.call('HGET', 'sky:where', ARGV[1])\n"
    "if prev and prev ~= ARGV[2] and redis.call('HEXISTS', KEYS[2], prev) == 0 then\n"
    "  redis.call('PUBLISH', 'sky:bus:' .. prev, ARGV[8])\n"
    "end\n"
    "redis.call('HSET', 'sky:where', ARGV[1], ARGV[2])\n"
    "local seq\n"
    "if cur then\n"
    "  seq = seq_of(cur)\n"
    "  local old = inst_of(cur)\n"
    "  if old ~= ARGV[2] then count(KEYS[2], old, -1); count(KEYS[2], ARGV[2], 1) end\n"
    "else\n"
    "  seq = redis.call('INCR', KEYS[4])\n"
    "  count(KEYS[2], ARGV[2], 1)\n"
    "end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], seq .. '|' .. ARGV[2] .. '|' .. ARGV[3])\n"
    "redis.call('HSET', KEYS[5], ARGV[1], ARGV[6])\n"
    "if ARGV[7] ~= '0' then\n"
    "  local admit = cjson.encode({type = 'admit', serial = ARGV[7], locked = redis.call('EXISTS', KEYS[3]) == 1,\n"
    "                              members = members_of(KEYS[1])})\n"
    "  redis.call('PUBLISH', 'sky:bus:' .. ARGV[2], 'SKY1 a\\n' .. ARGV[6] .. '\\n' .. ARGV[1] .. '\\n\\n' .. admit)\n"
    "end\n"
    "return {'ok'}\n";

const char sky_script_leave[] = PRELUDE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not cur or inst_of(cur) ~= ARGV[2] then return 0 end\n"
    "redis.call('HDEL', KEYS[5], ARGV[1])\n"
    "drop(KEYS[1], ARGV[1], ARGV[2])\n"
    "fanout(KEYS[2], ARGV[2], ARGV[3])\n"
    "return 1\n";

const char sky_script_update[] = PRELUDE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not cur or inst_of(cur) ~= ARGV[2] then return 0 end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], seq_of(cur) .. '|' .. ARGV[2] .. '|' .. ARGV[3])\n"
    "fanout(KEYS[2], ARGV[2], ARGV[4])\n"
    "return 1\n";

const char sky_script_fanout[] = PRELUDE
    "fanout(KEYS[2], ARGV[1], ARGV[2])\n"
    "return 1\n";

const char sky_script_lock[] =
    "if ARGV[1] == '1' then redis.call('SET', KEYS[3], '1') else redis.call('DEL', KEYS[3]) end\n"
    "return 1\n";

const char sky_script_relay[] = PRELUDE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not cur then return 0 end\n"
    "local i = inst_of(cur)\n"
    "if i == ARGV[2] then return 0 end\n" /* ours, yet not in our room: on its way out */
    "redis.call('PUBLISH', 'sky:bus:' .. i, ARGV[3])\n"
    "return 1\n";

const char sky_script_heartbeat[] =
    "redis.call('SET', 'sky:hb:' .. ARGV[1], '1', 'PX', ARGV[2])\n"
    "redis.call('SADD', 'sky:instances', ARGV[1])\n"
    "redis.call('HDEL', 'sky:dead', ARGV[1])\n"
    "return 1\n";

const char sky_script_reap[] = PRELUDE
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local told = 0\n"
    "for _, i in ipairs(redis.call('SMEMBERS', 'sky:instances')) do\n"
    "  if redis.call('EXISTS', 'sky:hb:' .. i) == 0 then\n"
    "    local due = redis.call('HGET', 'sky:dead', i)\n"
    "    if not due then\n"
    "      redis.call('HSET', 'sky:dead', i, now + tonumber(ARGV[1]))\n"
    "    elseif now >= tonumber(due) then\n"
    "      local peers = redis.call('HGETALL', 'sky:peers:' .. i)\n"
    "      for k = 1, #peers, 2 do told = told + report_left(peers[k + 1], peers[k], i) end\n"
    "      redis.call('DEL', 'sky:peers:' .. i)\n"
    "      redis.call('SREM', 'sky:instances', i)\n"
    "      redis.call('HDEL', 'sky:dead', i)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return told\n";

const char sky_script_sync[] = PRELUDE
    "local keep = {}\n"
    "for i = 2, #ARGV - 1, 2 do keep[ARGV[i]] = ARGV[i + 1] end\n"
    "local kp = 'sky:peers:' .. ARGV[1]\n"
    "local peers = redis.call('HGETALL', kp)\n"
    "local told = 0\n"
    "for k = 1, #peers, 2 do\n"
    "  if keep[peers[k]] ~= peers[k + 1] then\n"
    "    told = told + report_left(peers[k + 1], peers[k], ARGV[1])\n"
    "    redis.call('HDEL', kp, peers[k])\n"
    "  end\n"
    "end\n"
    "return told\n";

const char sky_script_snapshot[] = PRELUDE
    "local members = members_of(KEYS[1])\n"
    "local here = {}\n"
    "for _, m in ipairs(members) do here[m[1]] = true end\n"
    "local gone = {}\n"
    "for i = 3, #ARGV do\n"
    "  if not here[ARGV[i]] and redis.call('EXISTS', 'sky:gone:' .. ARGV[i]) == 1 then gone[#gone + 1] = ARGV[i] end\n"
    "end\n"
    /* cjson writes an empty table as {}: the reader takes {} for [] */
    "local payload = cjson.encode({type = 'snapshot', members = members, gone = gone})\n"
    "redis.call('PUBLISH', 'sky:bus:' .. ARGV[1], 'SKY1 s\\n' .. ARGV[2] .. '\\n\\n\\n' .. payload)\n"
    "return #members\n";
