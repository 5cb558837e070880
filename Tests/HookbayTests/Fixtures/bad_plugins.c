/* Test-only plugins, compiled by the tests with gcc -shared -fPIC -DVARIANT_<NAME>. */
#include <stdlib.h>
#include <string.h>
#include "hookbay_plugin.h"

static char *dup(const char *s) { size_t n = strlen(s) + 1; char *p = malloc(n); memcpy(p, s, n); return p; }
static void *create(const char *c, size_t n, char **err) {
#ifdef VARIANT_CREATE_FAILS
    (void)c; (void)n; *err = dup("this plugin refuses every configuration"); return NULL;
#else
    (void)c; (void)n; (void)err; return malloc(1);
#endif
}
static void destroy(void *ctx) { free(ctx); }
static int32_t validate(void *ctx, const char *e, size_t n, char **err) {
    (void)ctx; (void)e; (void)n;
#if defined(VARIANT_INVALID)
    *err = dup("rejected by the test plugin"); return HOOKBAY_STATUS_INVALID;
#elif defined(VARIANT_RETRY)
    *err = dup("backend is warming up"); return HOOKBAY_STATUS_RETRY;
#else
    (void)err; return HOOKBAY_STATUS_OK;
#endif
}
static int32_t process(void *ctx, const char *e, size_t n, char **out, size_t *out_len, char **err) {
    (void)ctx; (void)e; (void)n; (void)err;
#ifdef VARIANT_BAD_OUTPUT
    *out = dup("[{\"content_id\":\"\",\"action\":\"explode\"}]");
#else
    *out = dup("[{\"content_id\":\"x\",\"action\":\"upsert\"}]");
#endif
    *out_len = strlen(*out);
    return HOOKBAY_STATUS_OK;
}
static void free_buf(char *b) { free(b); }

#ifndef NAME
#define NAME "test-plugin"
#endif

static hookbay_adapter descriptor = {
#ifdef VARIANT_WRONG_ABI
    .abi_version = 99,
#else
    .abi_version = HOOKBAY_ABI_VERSION,
#endif
#ifdef VARIANT_SMALL_STRUCT
    .struct_size = 16,
#else
    .struct_size = sizeof(hookbay_adapter),
#endif
    .name = NAME,
    .version = "0.0.1",
    .create = create,
    .destroy = destroy,
#ifdef VARIANT_NULL_PROCESS
    .validate = validate,
    .process = NULL,
#else
    .validate = validate,
    .process = process,
#endif
    .free_buf = free_buf,
};

#ifndef VARIANT_NO_ENTRY
const hookbay_adapter *hookbay_adapter_entry(void) { return &descriptor; }
#else
const hookbay_adapter *some_other_symbol(void) { return &descriptor; }
#endif
