/*
 * The one thing Node.js cannot ask glibc's allocator from JavaScript: to give
 * the pages it keeps free back to the system (malloc_trim). After a burst of
 * large messages the allocator holds tens of megabytes that the program has
 * freed, below live allocations, and returns none of them by itself; the
 * transport service calls trim() once a burst is over
 * (src/observability/idle-collector.ts). Elsewhere than glibc it does nothing.
 */
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn);
  napi_set_named_property(env, exports, "trim", fn);
  return exports;
}
