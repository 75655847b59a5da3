/*
 * lua.h: the Lua scripts of src/lua/, embedded by build-aux/lua2c.sh.
 * One script per state change of a task, and the operator API's reads and
 * bulk changes; see store.h for the key layout.
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
extern const char lua_qinfo[];
extern const char lua_list[];
extern const char lua_get[];
extern const char lua_requeue[];
extern const char lua_remove[];
extern const char lua_run[];
extern const char lua_qdel[];
extern const char lua_qcreate[];

#endif
