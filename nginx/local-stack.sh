# local-stack.sh: start and stop the whole local stack (development
# MongoDB with the CRM sample, mbk-fcgi on a unix socket, nginx on HTTPS
# loopback with basic auth), unprivileged, everything under one run
# directory and stopped by PID file.  Sourced by nginx/demo.sh and the
# end-to-end tests (tests/e2e/); POSIX sh.
#
# In:  MBK_SRCDIR, MBK_BUILDDIR; STACK_RUN (a directory), STACK_PORT;
#      optional MBK_TEST_MONGO_URI (a real server instead of the dev one),
#      STACK_MAX_BODY (nginx client_max_body_size, default 2g),
#      STACK_MAX_UPLOAD (the responder's max_upload, default 1g),
#      STACK_FCGI_EXTRA (lines appended to the responder's config).
# Out: STACK_URL, STACK_USER, STACK_PASSWORD, STACK_DB, STACK_MONGO_URI.

: "${MBK_SRCDIR:?}" "${MBK_BUILDDIR:?}" "${STACK_RUN:?}" "${STACK_PORT:?}"
STACK_PY=${MBK_PYTHON:-/usr/bin/python3}
STACK_NGINX=${NGINX:-nginx}
STACK_CURL=${CURL:-curl}
STACK_USER=${STACK_USER:-mbk}
STACK_MONGO_PORT=

# A free loopback TCP port (the kernel's pick).
stack_free_port() {
    "$STACK_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stack_log() {
    printf '%s\n' "$*" >&2
}

# Wait up to $2 tenths of a second for command $1 to succeed.
stack_wait() {
    _i=0
    while [ "$_i" -lt "$2" ]; do
        if eval "$1" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}

stack_start() {
    mkdir -p "$STACK_RUN/tmp" "$STACK_RUN/backups" "$STACK_RUN/tar" \
        "$STACK_RUN/roots" "$STACK_RUN/spool" || return 1
    chmod 700 "$STACK_RUN"

    # MongoDB: a real one when given, else the development server.
    if [ -n "${MBK_TEST_MONGO_URI:-}" ]; then
        STACK_MONGO_URI=$MBK_TEST_MONGO_URI
        STACK_DB=${STACK_DB:-mbk_e2e_$$}
    else
        STACK_MONGO_PORT=$(stack_free_port) || return 1
        MBK_DEVSERVER_RUNDIR=$STACK_RUN \
            "$MBK_SRCDIR/tests/mongo-dev-server/start" "$STACK_MONGO_PORT" \
            --seed crm >"$STACK_RUN/mongo-start.log" 2>&1 || {
            cat "$STACK_RUN/mongo-start.log" >&2
            return 1
        }
        STACK_MONGO_URI="mongodb://127.0.0.1:$STACK_MONGO_PORT/?serverSelectionTimeoutMS=2000"
        STACK_DB=crm
    fi

    # A self-signed certificate for 127.0.0.1, a user and a password.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 7 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$STACK_RUN/key.pem" -out "$STACK_RUN/cert.pem" \
        >/dev/null 2>&1 || { stack_log "openssl req failed"; return 1; }
    STACK_PASSWORD=${STACK_PASSWORD:-$(openssl rand -hex 9)}
    printf '%s:%s\n' "$STACK_USER" \
        "$(openssl passwd -apr1 "$STACK_PASSWORD")" >"$STACK_RUN/htpasswd"

    # The secret nginx passes as MBK_PROXY_SECRET and the responder
    # checks, in two files as the Debian package makes them.
    (umask 077 &&
        _secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') &&
        printf '%s\n' "$_secret" >"$STACK_RUN/proxy-secret" &&
        printf 'fastcgi_param MBK_PROXY_SECRET "%s";\n' "$_secret" \
            >"$STACK_RUN/nginx-proxy-secret.conf") ||
        { stack_log "cannot write the proxy secret"; return 1; }

    # The responder.
    cat >"$STACK_RUN/mbk-fcgi.conf" <<EOF
# mbk-fcgi configuration made by nginx/local-stack.sh
mongo_uri = $STACK_MONGO_URI
db = $STACK_DB
storage = fs fs:$STACK_RUN/backups
storage = tar tar:$STACK_RUN/tar/backups.tar
plugin_dir = $MBK_BUILDDIR/storage/.libs
allowed_roots = $STACK_RUN/roots
audit_log = $STACK_RUN/audit.log
log = $STACK_RUN/mbk-fcgi.log
spool_dir = $STACK_RUN/spool
listen = unix:$STACK_RUN/mbk-fcgi.sock
socket_mode = 0660
x_accel_prefix = /_mbk_files/
proxy_secret_file = $STACK_RUN/proxy-secret
threads = 16
jobs = 3
max_upload = ${STACK_MAX_UPLOAD:-1g}
# the stack's one user may do everything (issue 11 roles)
roles = $STACK_USER:admin
default_role = none
${STACK_FCGI_EXTRA:-}
EOF
    "$MBK_BUILDDIR/fcgi/mbk-fcgi" -c "$STACK_RUN/mbk-fcgi.conf" \
        </dev/null 2>>"$STACK_RUN/mbk-fcgi.log" &
    echo $! >"$STACK_RUN/mbk-fcgi.pid"
    if ! stack_wait "test -S '$STACK_RUN/mbk-fcgi.sock'" 100; then
        stack_log "mbk-fcgi did not start; its log:"
        tail -n 20 "$STACK_RUN/mbk-fcgi.log" >&2
        return 1
    fi

    # nginx: the production snippets made from the same templates as
    # `make install` makes them, with the run directory's paths, into
    # RUN/snippets and RUN/conf.d; the page: the built site (www/local.mk
    # makes www-dist), else the sources.
    _www=$MBK_BUILDDIR/www-dist
    [ -f "$_www/index.html" ] || _www=$MBK_SRCDIR/www
    if [ "$(id -u)" = 0 ]; then
        _user="user root root;"
    else
        _user=""
    fi
    mkdir -p "$STACK_RUN/snippets" "$STACK_RUN/conf.d" || return 1
    for _t in "$MBK_SRCDIR"/nginx/mbk-*.conf.in "$MBK_SRCDIR"/nginx/mbk-*.conf; do
        case ${_t##*/} in
        mbk-local.conf.in|mbk-site.conf.in|mbk-mime.conf) continue ;;
        mbk-http.conf.in) _out=$STACK_RUN/conf.d/mbk.conf ;;
        *) _out=$STACK_RUN/snippets/$(basename "$_t" .in) ;;
        esac
        # The load tests send hundreds of requests a second from one
        # address: the demo's rate limit is far above production's.
        sed -e "s|@mbksnippets@|$STACK_RUN/snippets|g" \
            -e "s|@mbksocket@|$STACK_RUN/mbk-fcgi.sock|g" \
            -e "s|@mbkfilesdir@|$STACK_RUN/backups|g" \
            -e "s|@mbkwwwdir@|$_www|g" \
            -e "s|@mbkhtpasswd@|$STACK_RUN/htpasswd|g" \
            -e "s|@mbksecretconf@|$STACK_RUN/nginx-proxy-secret.conf|g" \
            -e "s|@mbkmaxbody@|${STACK_MAX_BODY:-2g}|g" \
            -e "s|@mbkrate@|10000r/s|g" \
            "$_t" >"$_out" || return 1
    done
    sed -e "s|@RUN@|$STACK_RUN|g" -e "s|@CONF@|$MBK_SRCDIR/nginx|g" \
        -e "s|@PORT@|$STACK_PORT|g" -e "s|@USER@|$_user|g" \
        "$MBK_SRCDIR/nginx/mbk-local.conf.in" >"$STACK_RUN/nginx.conf"
    # nginx reads $NGINX as inherited sockets (binary upgrade): unset it.
    env -u NGINX "$STACK_NGINX" -p "$STACK_RUN" -c "$STACK_RUN/nginx.conf" \
        -e "$STACK_RUN/nginx-error.log" </dev/null \
        >>"$STACK_RUN/nginx-error.log" 2>&1 &
    STACK_URL=https://127.0.0.1:$STACK_PORT/
    if ! stack_wait "$STACK_CURL -sfk -o /dev/null -u '$STACK_USER:$STACK_PASSWORD' ${STACK_URL}api/settings/backup" 150; then
        stack_log "nginx or the responder does not answer; logs:"
        tail -n 20 "$STACK_RUN/nginx-error.log" "$STACK_RUN/mbk-fcgi.log" >&2
        return 1
    fi
    return 0
}

# Stop one process by PID file: TERM, wait up to 10 s, then KILL.
stack_kill() {
    [ -f "$1" ] || return 0
    _pid=$(cat "$1")
    if [ -n "$_pid" ] && kill -TERM "$_pid" 2>/dev/null; then
        stack_wait "! kill -0 $_pid" 100 || kill -KILL "$_pid" 2>/dev/null
    fi
    rm -f "$1"
}

stack_stop() {
    stack_kill "$STACK_RUN/nginx.pid"
    stack_kill "$STACK_RUN/mbk-fcgi.pid"
    if [ -n "$STACK_MONGO_PORT" ]; then
        MBK_DEVSERVER_RUNDIR=$STACK_RUN \
            "$MBK_SRCDIR/tests/mongo-dev-server/stop" "$STACK_MONGO_PORT" \
            >/dev/null 2>&1
    fi
}
