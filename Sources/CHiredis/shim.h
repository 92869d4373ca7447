#ifndef CACHESCOPE_CHIREDIS_SHIM_H
#define CACHESCOPE_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <sys/time.h>

/// `redisReply.element` is an array of pointers; Swift sees it fine, but the reply
/// type constants are macros, so expose them as functions for the Swift side.
static inline int chiredis_reply_string(void)  { return REDIS_REPLY_STRING; }
static inline int chiredis_reply_array(void)   { return REDIS_REPLY_ARRAY; }
static inline int chiredis_reply_integer(void) { return REDIS_REPLY_INTEGER; }
static inline int chiredis_reply_nil(void)     { return REDIS_REPLY_NIL; }
static inline int chiredis_reply_status(void)  { return REDIS_REPLY_STATUS; }
static inline int chiredis_reply_error(void)   { return REDIS_REPLY_ERROR; }
static inline int chiredis_ok(void)            { return REDIS_OK; }
#endif
