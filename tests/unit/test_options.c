/*
 * test_options.c: the option parsers and defaults both front ends share
 * (engine/options.c, issue 13): conflict policies by name and back, a bad
 * name refused naming it and the choices, the spool folder's fallbacks,
 * the backup options' rules (mbk_engine_backup_check) naming the field.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/options.h"

static void
test_options_conflict_names(void **state)
{
    enum mbk_restore_conflict c = MBK_RESTORE_FAIL;
    struct mbk_error err;

    (void)state;
    for (size_t i = 0; mbk_engine_conflict_names[i] != NULL; i++) {
        assert_int_equal(mbk_engine_conflict_parse(
                             mbk_engine_conflict_names[i], &c, &err), 0);
        assert_string_equal(mbk_engine_conflict_name(c),
                            mbk_engine_conflict_names[i]);
    }
    assert_int_equal(mbk_engine_conflict_parse("skip", &c, &err), 0);
    assert_int_equal(c, MBK_RESTORE_SKIP);
    assert_int_equal(mbk_engine_conflict_parse("replace", &c, &err), 0);
    assert_int_equal(c, MBK_RESTORE_REPLACE);
    assert_int_equal(mbk_engine_conflict_parse("Skip", &c, &err), -1);
    assert_int_equal(c, MBK_RESTORE_REPLACE); /* unchanged */
    assert_int_equal(err.domain, MBK_ERROR_ENGINE);
    assert_int_equal(err.code, MBK_ENGINE_EINVAL);
    assert_string_equal(err.message, "conflict policy \"Skip\" is not one "
                                     "of skip, replace, fail");
    assert_int_equal(mbk_engine_conflict_parse("", &c, NULL), -1);
}

/* The parser names the field at fault in the error, not in its text. */
static void
test_options_conflict_field(void **state)
{
    enum mbk_restore_conflict c = MBK_RESTORE_SKIP;
    struct mbk_error err;

    (void)state;
    assert_int_equal(mbk_engine_conflict_parse("never", &c, &err), -1);
    assert_string_equal(err.field, "conflict");
    /* the next error set on it names no field until told */
    mbk_error_set(&err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL, "other");
    assert_string_equal(err.field, "");
}

/* The defaults both front ends start from. */
static void
test_options_init(void **state)
{
    struct mbk_backup_opts b;
    struct mbk_restore_opts r;

    (void)state;
    memset(&b, 0x5a, sizeof(b));
    memset(&r, 0x5a, sizeof(r));
    mbk_engine_backup_opts_init(&b);
    mbk_engine_restore_opts_init(&r);
    assert_true(b.include_indexes);
    assert_int_equal(b.jobs, MBK_ENGINE_JOBS_DEFAULT);
    assert_null(b.name);
    assert_null(b.spool_dir);
    assert_int_equal(b.gzip_level, 0);
    assert_false(b.timestamp);
    assert_int_equal(r.jobs, MBK_ENGINE_JOBS_DEFAULT);
    assert_int_equal(r.conflict, MBK_RESTORE_SKIP);
    assert_null(r.target_db);
    assert_false(r.drop);
    assert_false(r.dry_run);
    assert_int_equal(r.max_bytes, 0);
}

/* The backup options' rules before a run, each refusal naming its field. */
static void
test_options_backup_check(void **state)
{
    struct mbk_backup_opts o;
    struct mbk_error err;

    (void)state;
    mbk_engine_backup_opts_init(&o);
    assert_int_equal(mbk_engine_backup_check(&o, &err), -1); /* no db */
    o.db = "crm";
    assert_int_equal(mbk_engine_backup_check(&o, &err), 0);
    o.name = "nightly";
    assert_int_equal(mbk_engine_backup_check(&o, &err), 0);
    o.name = "a b";
    assert_int_equal(mbk_engine_backup_check(&o, &err), -1);
    assert_string_equal(err.field, "backupName");
    assert_non_null(strstr(err.message, "forbidden byte 0x20"));
    o.name = ".hidden";
    assert_int_equal(mbk_engine_backup_check(&o, &err), -1);
    assert_string_equal(err.field, "backupName");
    o.name = "x.json";
    o.gzip_level = 6;
    assert_int_equal(mbk_engine_backup_check(&o, &err), -1);
    assert_string_equal(err.field, "backupName");
    assert_non_null(strstr(err.message, "compression is gzip"));
    o.name = "x.json.gz";
    assert_int_equal(mbk_engine_backup_check(&o, &err), 0);
    o.gzip_level = 42;
    assert_int_equal(mbk_engine_backup_check(&o, &err), -1);
    assert_string_equal(err.field, "compressionLevel");
}

static void
test_options_spool_dir(void **state)
{
    (void)state;
    setenv("TMPDIR", "/var/tmp/x", 1);
    assert_string_equal(mbk_engine_spool_dir("/spool"), "/spool");
    assert_string_equal(mbk_engine_spool_dir(NULL), "/var/tmp/x");
    assert_string_equal(mbk_engine_spool_dir(""), "/var/tmp/x");
    setenv("TMPDIR", "", 1);
    assert_string_equal(mbk_engine_spool_dir(NULL), "/tmp");
    unsetenv("TMPDIR");
    assert_string_equal(mbk_engine_spool_dir(NULL), "/tmp");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_conflict_names),
        cmocka_unit_test(test_options_spool_dir),
        cmocka_unit_test(test_options_conflict_field),
        cmocka_unit_test(test_options_init),
        cmocka_unit_test(test_options_backup_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
