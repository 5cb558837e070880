/* Test-only plugins, compiled by the tests with gcc -shared -fPIC -DVARIANT_<NAME>. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include "hookbay_plugin.h"

__attribute__((unused)) static char *copy_text(const char *s) { size_t n = strlen(s) + 1; char *p = malloc(n); memcpy(p, s, n); return p; }
static void *create(const char *c, size_t n, char **err) {
#ifdef VARIANT_CREATE_FAILS
    (void)c; (void)n; *err = copy_text("this plugin refuses every configuration"); return NULL;
#else
    (void)c; (void)n; (void)err; return malloc(1);
#endif
}
static void destroy(void *ctx) { free(ctx); }
static int32_t validate(void *ctx, const char *e, size_t n, char **err) {
    (void)ctx; (void)e; (void)n;
#if defined(VARIANT_INVALID)
    *err = copy_text("rejected by the test plugin"); return HOOKBAY_STATUS_INVALID;
#elif defined(VARIANT_RETRY)
    *err = copy_text("backend is warming up"); return HOOKBAY_STATUS_RETRY;
#else
    (void)err; return HOOKBAY_STATUS_OK;
#endif
}
static int32_t process(void *ctx, const char *e, size_t n, char **out, size_t *out_len, char **err) {
    (void)ctx; (void)e; (void)n; (void)err;
    /* Lets a test hold a worker inside process() and kill it there. */
    const char *pause = getenv("HOOKBAY_TEST_PROCESS_SLEEP");
    if (pause) sleep((unsigned)atoi(pause));
    /* A poison event: the process dies (SIGABRT) on any event whose text contains this marker. */
    const char *poison = getenv("HOOKBAY_TEST_CRASH_ON");
    if (poison && *poison && memmem(e, n, poison, strlen(poison))) abort();
#if defined(VARIANT_PROCESS_RETRY)
    *err = copy_text("downstream is unavailable"); return HOOKBAY_STATUS_RETRY;
#elif defined(VARIANT_PROCESS_INVALID)
    *err = copy_text("content is not acceptable"); return HOOKBAY_STATUS_INVALID;
#endif
#ifdef VARIANT_BAD_OUTPUT
    *out = copy_text("[{\"content_id\":\"\",\"action\":\"explode\"}]");
#else
    {
        /* One upsert of the payload's content_id (found textually: the host sends canonical JSON). */
        char *text = malloc(n + 1);
        memcpy(text, e, n);
        text[n] = 0;
        const char *key = strstr(text, "\"content_id\":\"");
        char id[128] = "x";
        if (key) {
            key += 14;
            size_t i = 0;
            while (key[i] && key[i] != '"' && i < sizeof(id) - 1) { id[i] = key[i]; i++; }
            id[i] = 0;
        }
        free(text);
        size_t cap = strlen(id) + 64;
        *out = malloc(cap);
        snprintf(*out, cap, "[{\"content_id\":\"%s\",\"action\":\"upsert\"}]", id);
    }
#endif
    *out_len = strlen(*out);
    return HOOKBAY_STATUS_OK;
}
static void free_buf(char *b) { free(b); }
#if defined(VARIANT_CONTEXT_SCHEMA)
static const char *context_schema(void *ctx) {
    (void)ctx;
    return "[{\"path\":\"item.id\",\"kind\":\"id\",\"required\":true,\"label\":\"the item\"}]";
}
#elif defined(VARIANT_BAD_CONTEXT_SCHEMA)
static const char *context_schema(void *ctx) {
    (void)ctx;
    return "[{\"path\":\"item.id\",\"kind\":\"uuid\"}]";
}
#endif

#ifndef NAME
#define NAME "test-plugin"
#endif

static hookbay_adapter descriptor = {
#ifdef VARIANT_WRONG_ABI
    .abi_version = 99,
#else
    .abi_version = HOOKBAY_ABI_VERSION,
#endif
#if defined(VARIANT_SMALL_STRUCT)
    .struct_size = 16,
#elif defined(VARIANT_V1_STRUCT)
    /* A version-1 plugin knows no appended field: what lies past its struct_size must never be read. */
    .struct_size = offsetof(hookbay_adapter, receive_schema),
    .receive_schema = (const char *)1,
#elif defined(VARIANT_RECEIVE_ONLY_STRUCT)
    /* A descriptor that ends at receive_schema: its context_receive_schema slot must never be read. */
    .struct_size = offsetof(hookbay_adapter, context_receive_schema),
    .context_receive_schema = (const char *(*)(void *))1,
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
#if defined(VARIANT_SCHEMA)
    .receive_schema = "[{\"name\":\"content_id\",\"kind\":\"non_empty_string\",\"required\":true},"
                      "{\"name\":\"tags\",\"kind\":\"string_array\"}]",
#elif defined(VARIANT_BAD_SCHEMA)
    .receive_schema = "[{\"name\":\"content_id\",\"kind\":\"number\"}]",
#elif defined(VARIANT_CONTEXT_SCHEMA) || defined(VARIANT_BAD_CONTEXT_SCHEMA)
    /* The context's rules replace these. */
    .receive_schema = "[{\"name\":\"content_id\",\"kind\":\"non_empty_string\",\"required\":true}]",
    .context_receive_schema = context_schema,
#endif
};

#ifndef VARIANT_NO_ENTRY
const hookbay_adapter *hookbay_adapter_entry(void) { return &descriptor; }
#else
const hookbay_adapter *some_other_symbol(void) { return &descriptor; }
#endif
