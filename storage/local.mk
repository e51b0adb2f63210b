# storage/: the plugin ABI header, the loader, and the fs and tar plugins.
include_HEADERS += storage/mbk_storage.h

# Host side: name and location checks, the loader and its wrappers.
engine_libmbk_la_SOURCES += \
	storage/loader.c storage/loader.h \
	storage/path.c storage/path.h

# The plugins: libtool modules that export one symbol and resolve no host
# symbol (-z defs makes the link fail if they tried).
MBK_PLUGIN_LDFLAGS = -module -avoid-version -shared -Wl,-z,defs \
	-export-symbols-regex '^mbk_storage_[a-z0-9]+_plugin$$'

pkglib_LTLIBRARIES += storage/mbk_storage_fs.la storage/mbk_storage_tar.la
storage_mbk_storage_fs_la_SOURCES = storage/fs.c storage/mbk_storage.h
storage_mbk_storage_fs_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_PLUGIN_LDFLAGS)
storage_mbk_storage_tar_la_SOURCES = storage/tar.c storage/tar_archive.c \
	storage/tar_private.h storage/mbk_storage.h
storage_mbk_storage_tar_la_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS)
storage_mbk_storage_tar_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_PLUGIN_LDFLAGS)
storage_mbk_storage_tar_la_LIBADD = $(ARCHIVE_LIBS)
# s3: libcurl (Signature V4 signing, TLS) and libcrypto (MD5, SHA-256).
pkglib_LTLIBRARIES += storage/mbk_storage_s3.la
storage_mbk_storage_s3_la_SOURCES = storage/s3.c storage/s3_put.c \
	storage/s3_http.c storage/s3_xml.c storage/s3_conf.c \
	storage/s3_private.h storage/s3_store.h storage/mbk_storage.h
storage_mbk_storage_s3_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(CRYPTO_CFLAGS)
storage_mbk_storage_s3_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_PLUGIN_LDFLAGS)
storage_mbk_storage_s3_la_LIBADD = $(CURL_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

# Test-only fake plugins: one source, built once per defect.
MBK_FAKE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere \
	-export-symbols-regex '^mbk_storage_[a-z0-9]+_plugin$$'
MBK_FAKES = storage/fake/mbk_storage_fakegood.la \
	storage/fake/mbk_storage_fakeabi.la \
	storage/fake/mbk_storage_fakenosym.la \
	storage/fake/mbk_storage_fakename.la \
	storage/fake/mbk_storage_fakemethod.la \
	storage/fake/mbk_storage_fakesmall.la \
	storage/fake/mbk_storage_fakecaps.la \
	storage/fake/mbk_storage_fakenoscheme.la \
	storage/fake/mbk_storage_fakeurl.la \
	storage/fake/mbk_storage_failing.la
storage_fake_mbk_storage_fakegood_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakegood_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakegood
storage_fake_mbk_storage_fakegood_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakeabi_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakeabi_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakeabi -DFAKE_ABI=99
storage_fake_mbk_storage_fakeabi_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakenosym_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakenosym_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakenosym -DFAKE_SYMBOL=mbk_storage_other_plugin
storage_fake_mbk_storage_fakenosym_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakename_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakename_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakename -DFAKE_SELF_NAME='"impostor"'
storage_fake_mbk_storage_fakename_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakemethod_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakemethod_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakemethod -DFAKE_NO_COMMIT
storage_fake_mbk_storage_fakemethod_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakesmall_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakesmall_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakesmall -DFAKE_SMALL
storage_fake_mbk_storage_fakesmall_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakecaps_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakecaps_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakecaps -DFAKE_CAPS=0x100
storage_fake_mbk_storage_fakecaps_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
storage_fake_mbk_storage_fakenoscheme_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakenoscheme_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakenoscheme -DFAKE_NO_SCHEMES
storage_fake_mbk_storage_fakenoscheme_la_LDFLAGS = $(AM_LDFLAGS) \
	$(MBK_FAKE_LDFLAGS)
# A store at a URL, found by its schemes (no module is named for them).
storage_fake_mbk_storage_fakeurl_la_SOURCES = storage/fake/fake_plugin.c
storage_fake_mbk_storage_fakeurl_la_CFLAGS = $(AM_CFLAGS) \
	-DFAKE_NAME=fakeurl -DFAKE_CAPS=0x21 \
	-DFAKE_SCHEMES='"fakes3", "fakeobj", NULL'
storage_fake_mbk_storage_fakeurl_la_LDFLAGS = $(AM_LDFLAGS) $(MBK_FAKE_LDFLAGS)
# A working store (fs) that fails on the Nth write, read or commit.
storage_fake_mbk_storage_failing_la_SOURCES = storage/fake/failing.c \
	storage/mbk_storage.h
storage_fake_mbk_storage_failing_la_LDFLAGS = $(AM_LDFLAGS) \
	$(MBK_FAKE_LDFLAGS) -Wl,-z,defs

if HAVE_CMOCKA
check_LTLIBRARIES += $(MBK_FAKES)
check_PROGRAMS += tests/unit/test_path tests/unit/test_loader \
	tests/unit/test_storage tests/unit/test_tar
TESTS += tests/unit/test_path tests/unit/test_loader tests/unit/test_storage \
	tests/unit/test_tar
else
NOCMOCKA_TESTS += tests/unit/test_path tests/unit/test_loader \
	tests/unit/test_storage tests/unit/test_tar
endif
tests_unit_test_path_SOURCES = tests/unit/test_path.c
tests_unit_test_path_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_path_LDADD = $(UNIT_LDADD)
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loader_LDADD = $(UNIT_LDADD)
tests_unit_test_storage_SOURCES = tests/unit/test_storage.c
tests_unit_test_storage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_storage_LDADD = $(UNIT_LDADD) $(PTHREAD_LIBS)
tests_unit_test_tar_SOURCES = tests/unit/test_tar.c
tests_unit_test_tar_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tar_LDADD = $(UNIT_LDADD)
