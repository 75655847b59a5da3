/*
 * lua.h: the Lua scripts of src/lua/, embedded by build-aux/lua2c.sh.
 * One script per state change of a task; see store.h for the key layout.
 */
#ifndef TD_LUA_H
#define TD_LUA_H

extern const char lua_enqueue[];
extern const char lua_claim[];
extern const char lua_lease[];
extern const char lua_extend[];
extern const char lua_ack[];
extern const char lua_retry[];
extern const char lua_handback[];
extern const char lua_promote[];
extern const char lua_sweep[];
extern const char lua_trim[];

#endif
