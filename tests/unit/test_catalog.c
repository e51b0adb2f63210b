/*
 * test_catalog.c: one backup's catalog entry (mbk_engine_catalog_entry,
 * on the plugin's stat) equals what the whole listing says of it, on
 * every plugin; an absent backup is STORAGE/ENOTFOUND.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/backup/catalog.h"

/* Every plugin, with where its store goes in the fixture folder. */
static const struct {
    const char *scheme;
    const char *suffix;
} specs[] = { { "fs", "" }, { "tar", "/b.tar" } };
static char fixture[256];

struct seen {
    int calls;
    char name[MBK_STORAGE_NAME_MAX + 1];
    uint64_t size;
    char meta[512];
};

static int
keep(const struct mbk_catalog_entry *e, void *ud)
{
    struct seen *s = ud;

    if (strcmp(e->name, "b.json") != 0) {
        return 0; /* the listing's other entries */
    }
    s->calls++;
    snprintf(s->name, sizeof(s->name), "%s", e->name);
    s->size = e->size;
    snprintf(s->meta, sizeof(s->meta), "%s",
             e->meta == NULL ? e->meta_error
                             : json_object_to_json_string_ext(
                                   e->meta, JSON_C_TO_STRING_PLAIN));
    return 0;
}

static void
put(struct mbk_storage *st, const char *name, const char *text,
    const char *meta)
{
    struct mbk_storage_writer *w;
    struct mbk_error err;

    w = mbk_storage_put_begin(st, name, (int64_t) strlen(text), meta, &err);
    assert_non_null(w);
    assert_int_equal(mbk_storage_put_write(st, w, text, strlen(text), &err),
                     0);
    assert_int_equal(mbk_storage_put_commit(st, w, &err), 0);
}

static void
test_catalog_entry_equals_listing(void **state)
{
    const char *dir = getenv("MBK_TEST_PLUGIN_DIR");
    const char *text = "{\"metadata\":{\"database\":\"crm\",\"n\":1},"
                       "\"collections\":{}}";
    size_t i;

    if (dir == NULL) {
        skip();
    }
    for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct seen one = { 0 };
        struct seen all = { 0 };
        struct mbk_storage *st;
        struct mbk_error err;
        char spec[512];
        char cmd[300];

        snprintf(fixture, sizeof(fixture), "/tmp/mbk-catalog-XXXXXX");
        assert_non_null(mkdtemp(fixture));
        snprintf(spec, sizeof(spec), "%s:%s%s", specs[i].scheme, fixture,
                 specs[i].suffix);
        st = mbk_storage_open(spec, dir, &err);
        if (st == NULL) {
            fail_msg("%s: %s", spec, err.message);
        }
        put(st, "a.json", text, NULL);
        /* The plugin's copy of the metadata, if it keeps one, wins. */
        put(st, "b.json", text, "{\"database\":\"crm\",\"n\":2}");
        assert_int_equal(mbk_engine_catalog_entry(st, "b.json", keep, &one,
                                                  &err), 0);
        assert_int_equal(mbk_engine_catalog_list(st, keep, &all, &err), 0);
        assert_int_equal(one.calls, 1);
        assert_int_equal(all.calls, 1);
        assert_string_equal(one.name, all.name);
        assert_int_equal(one.size, strlen(text));
        assert_int_equal(one.size, all.size);
        assert_string_equal(one.meta, all.meta);
        assert_non_null(strstr(one.meta, "\"database\":\"crm\""));
        assert_int_equal(mbk_engine_catalog_entry(st, "c.json", keep, &one,
                                                  &err), -1);
        assert_int_equal(err.domain, MBK_ERROR_STORAGE);
        assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
        assert_int_equal(one.calls, 1);
        mbk_storage_close(st);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
        assert_int_equal(system(cmd), 0);
    }
}

/* A listed backup as both front ends print it: the metadata's fields
 * lifted, the counts summed, and an unreadable head said so. */
static void
test_catalog_entry_json(void **state)
{
    struct json_object *meta = json_tokener_parse(
        "{\"backupName\":\"n\",\"database\":\"crm\",\"timestamp\":"
        "\"2026-11-30T00:00:00.000Z\",\"collections\":[\"a\",\"b\"],"
        "\"collectionInfo\":{\"a\":{\"documentCount\":2,\"sha256\":\"x\"},"
        "\"b\":{\"documentCount\":3,\"sha256\":\"y\"}}}");
    struct mbk_catalog_entry e = {"n.json", 10, 1764460800, meta, NULL};
    struct json_object *o;

    (void)state;
    assert_non_null(meta);
    o = mbk_engine_catalog_entry_json(&e, "fs");
    assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                        "{\"name\":\"n.json\",\"storage\":\"fs\",\"size\":10,"
                        "\"modified\":\"2025-11-30T00:00:00.000Z\","
                        "\"backupName\":\"n\",\"database\":\"crm\","
                        "\"timestamp\":\"2026-11-30T00:00:00.000Z\","
                        "\"description\":null,\"collections\":[\"a\",\"b\"],"
                        "\"documentCount\":5,\"compression\":null,"
                        "\"format\":null,\"digestStatus\":\"present\"}");
    json_object_put(o);
    e.meta = NULL;
    e.meta_error = "not JSON at byte 3";
    o = mbk_engine_catalog_entry_json(&e, "fs");
    assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                        "{\"name\":\"n.json\",\"storage\":\"fs\",\"size\":10,"
                        "\"modified\":\"2025-11-30T00:00:00.000Z\","
                        "\"backupName\":null,\"database\":null,"
                        "\"timestamp\":null,\"description\":null,"
                        "\"collections\":null,\"documentCount\":null,"
                        "\"compression\":null,\"format\":null,"
                        "\"digestStatus\":\"unreadable\","
                        "\"metadataError\":\"not JSON at byte 3\"}");
    json_object_put(o);
    json_object_put(meta);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_entry_equals_listing),
        cmocka_unit_test(test_catalog_entry_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
