# cli/: the mbk command, for scripts and cron.
bin_PROGRAMS += cli/mbk
cli_mbk_SOURCES = cli/mbk.c cli/cli.h cli/backup.c cli/catalog.c cli/stats.c \
	cli/restore.c cli/audit.c
cli_mbk_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) $(JSONC_CFLAGS)
cli_mbk_LDADD = engine/libmbk.la $(JSONC_LIBS) $(BSON_LIBS)
dist_man_MANS += cli/mbk.1

# `make demo`: what the README's first command ends with: the whole
# service (nginx/demo.sh); cli/demo.sh is the command-line tour.
EXTRA_DIST += cli/demo.sh
demo: all
	@MBK_SRCDIR='$(abs_top_srcdir)' MBK_BUILDDIR='$(abs_top_builddir)' \
	MBK_PYTHON='$(MBK_PYTHON)' NGINX='$(NGINX)' CURL='$(CURL)' \
	$(SHELL) '$(abs_top_srcdir)/nginx/demo.sh'
.PHONY: demo
