/* A complete Hookbay adapter in C: accepts every event, turns each into an upsert of a fixed content id.
 * Build: gcc -shared -fPIC -I Sources/HookbayPluginABI/include -o libminimal.so Plugins/Examples/minimal_adapter.c */
#include <stdlib.h>
#include <string.h>
#include "hookbay_plugin.h"

static char *copy(const char *s) { size_t n = strlen(s) + 1; char *p = malloc(n); if (p) memcpy(p, s, n); return p; }

static void *create(const char *config, size_t len, char **err) { (void)config; (void)len; (void)err; return malloc(1); }
static void destroy(void *ctx) { free(ctx); }

static int32_t validate(void *ctx, const char *event, size_t len, char **err) {
    (void)ctx;
    if (len == 0 || event[0] != '{') { *err = copy("event must be a JSON object"); return HOOKBAY_STATUS_INVALID; }
    return HOOKBAY_STATUS_OK;
}

static int32_t process(void *ctx, const char *event, size_t len, char **out, size_t *out_len, char **err) {
    int32_t status = validate(ctx, event, len, err);
    if (status != HOOKBAY_STATUS_OK) return status;
    *out = copy("[{\"content_id\":\"minimal\",\"action\":\"upsert\",\"title\":\"seen\"}]");
    if (!*out) { *err = copy("out of memory"); return HOOKBAY_STATUS_RETRY; }
    *out_len = strlen(*out);
    return HOOKBAY_STATUS_OK;
}

static void free_buf(char *buf) { free(buf); }

static const hookbay_adapter descriptor = {
    HOOKBAY_ABI_VERSION, sizeof(hookbay_adapter), "minimal", "1.0.0",
    create, destroy, validate, process, free_buf,
};

const hookbay_adapter *hookbay_adapter_entry(void) { return &descriptor; }
