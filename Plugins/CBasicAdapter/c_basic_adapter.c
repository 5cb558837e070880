/*
 * c-basic: a Hookbay adapter in plain C, proving the plugin ABI is language-neutral.
 *
 * validate: payload.content_id must be a non-empty JSON string.
 * process:  one update {"content_id", "action": "remove" for content_removed else "upsert", "title"?} where the
 *           title is payload.title when it is a string.
 * adapter_config: {} or {"content_type": "<string>"} stamped on every update.
 *
 * It keeps no state between calls besides its immutable context, so concurrent calls are safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookbay_plugin.h"

typedef struct {
    const char *p;
    const char *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

/* Skips a string at c->p (which is '"'); returns 0 on malformed input. */
static int skip_string(cursor *c) {
    if (c->p >= c->end || *c->p != '"') return 0;
    c->p++;
    while (c->p < c->end) {
        if (*c->p == '\\') { c->p += 2; continue; }
        if (*c->p == '"') { c->p++; return 1; }
        c->p++;
    }
    return 0;
}

static int skip_value(cursor *c, int depth) {
    if (depth > 64) return 0;
    skip_ws(c);
    if (c->p >= c->end) return 0;
    char ch = *c->p;
    if (ch == '"') return skip_string(c);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) { c->p++; return 1; }
        for (;;) {
            if (ch == '{') {
                skip_ws(c);
                if (!skip_string(c)) return 0;
                skip_ws(c);
                if (c->p >= c->end || *c->p != ':') return 0;
                c->p++;
            }
            if (!skip_value(c, depth + 1)) return 0;
            skip_ws(c);
            if (c->p >= c->end) return 0;
            if (*c->p == ',') { c->p++; continue; }
            if (*c->p == close) { c->p++; return 1; }
            return 0;
        }
    }
    while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']' && *c->p != ' ' && *c->p != '\n') c->p++;
    return 1;
}

/* Finds member `key` of the object at c->p; on success c->p points at its value. */
static int find_member(cursor obj, const char *key, cursor *value) {
    size_t key_len = strlen(key);
    skip_ws(&obj);
    if (obj.p >= obj.end || *obj.p != '{') return 0;
    obj.p++;
    for (;;) {
        skip_ws(&obj);
        if (obj.p >= obj.end || *obj.p == '}') return 0;
        const char *key_start = obj.p + 1;
        if (!skip_string(&obj)) return 0;
        size_t len = (size_t)(obj.p - 1 - key_start);
        skip_ws(&obj);
        if (obj.p >= obj.end || *obj.p != ':') return 0;
        obj.p++;
        skip_ws(&obj);
        if (len == key_len && memcmp(key_start, key, len) == 0) {
            *value = obj;
            return 1;
        }
        if (!skip_value(&obj, 1)) return 0;
        skip_ws(&obj);
        if (obj.p < obj.end && *obj.p == ',') obj.p++;
    }
}

/* The raw (still escaped) text of a string value, without quotes. */
static int string_value(cursor v, const char **start, size_t *len) {
    if (v.p >= v.end || *v.p != '"') return 0;
    const char *s = v.p + 1;
    if (!skip_string(&v)) return 0;
    *start = s;
    *len = (size_t)(v.p - 1 - s);
    return 1;
}

static char *copy_message(const char *text) {
    size_t n = strlen(text) + 1;
    char *out = malloc(n);
    if (out) memcpy(out, text, n);
    return out;
}

typedef struct {
    char *content_type; /* raw escaped JSON string text, or NULL */
} context;

static void *c_create(const char *config_json, size_t len, char **err) {
    cursor config = {config_json, config_json + len};
    cursor value;
    context *ctx = calloc(1, sizeof(context));
    if (!ctx) return NULL;
    if (find_member(config, "content_type", &value)) {
        const char *s;
        size_t n;
        if (!string_value(value, &s, &n)) {
            *err = copy_message("adapter_config.content_type must be a string");
            free(ctx);
            return NULL;
        }
        ctx->content_type = malloc(n + 1);
        memcpy(ctx->content_type, s, n);
        ctx->content_type[n] = 0;
    }
    return ctx;
}

static void c_destroy(void *ctx) {
    context *c = ctx;
    if (!c) return;
    free(c->content_type);
    free(c);
}

static int payload_of(const char *json, size_t len, cursor *payload, char **err) {
    cursor event = {json, json + len};
    if (!find_member(event, "payload", payload)) {
        *err = copy_message("event has no payload");
        return 0;
    }
    return 1;
}

static int32_t c_validate(void *ctx, const char *json, size_t len, char **err) {
    (void)ctx;
    cursor payload, id;
    const char *s;
    size_t n;
    if (!payload_of(json, len, &payload, err)) return HOOKBAY_STATUS_INVALID;
    if (!find_member(payload, "content_id", &id) || !string_value(id, &s, &n) || n == 0) {
        *err = copy_message("payload.content_id must be a non-empty string");
        return HOOKBAY_STATUS_INVALID;
    }
    return HOOKBAY_STATUS_OK;
}

static int32_t c_process(void *ctx, const char *json, size_t len, char **out, size_t *out_len, char **err) {
    context *c = ctx;
    int32_t status = c_validate(ctx, json, len, err);
    if (status != HOOKBAY_STATUS_OK) return status;
    cursor event = {json, json + len}, payload, v;
    const char *id, *title = NULL, *type;
    size_t id_len, title_len = 0, type_len;
    payload_of(json, len, &payload, err);
    find_member(payload, "content_id", &v);
    string_value(v, &id, &id_len);
    if (find_member(payload, "title", &v)) string_value(v, &title, &title_len);
    int removed = find_member(event, "event_type", &v) && string_value(v, &type, &type_len) &&
                  type_len == 15 && memcmp(type, "content_removed", 15) == 0;

    size_t cap = id_len + title_len + (c->content_type ? strlen(c->content_type) : 0) + 128;
    char *buf = malloc(cap);
    if (!buf) {
        *err = copy_message("out of memory");
        return HOOKBAY_STATUS_RETRY;
    }
    int n = snprintf(buf, cap, "[{\"content_id\":\"%.*s\",\"action\":\"%s\"", (int)id_len, id, removed ? "remove" : "upsert");
    if (title) n += snprintf(buf + n, cap - (size_t)n, ",\"title\":\"%.*s\"", (int)title_len, title);
    if (c->content_type) n += snprintf(buf + n, cap - (size_t)n, ",\"content_type\":\"%s\"", c->content_type);
    n += snprintf(buf + n, cap - (size_t)n, "}]");
    *out = buf;
    *out_len = (size_t)n;
    return HOOKBAY_STATUS_OK;
}

static void c_free_buf(char *buf) { free(buf); }

static const hookbay_adapter descriptor = {
    .abi_version = HOOKBAY_ABI_VERSION,
    .struct_size = sizeof(hookbay_adapter),
    .name = "c-basic",
    .version = "1.0.0",
    .create = c_create,
    .destroy = c_destroy,
    .validate = c_validate,
    .process = c_process,
    .free_buf = c_free_buf,
};

__attribute__((visibility("default"))) const hookbay_adapter *hookbay_adapter_entry(void) { return &descriptor; }
