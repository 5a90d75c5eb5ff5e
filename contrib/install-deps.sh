#!/bin/bash
# contrib/install-deps.sh: install what liaisond needs to build, test and
# run its demo on Debian 12, as root.  Postfix is installed without
# configuring or starting the system's instance: the tests and the demo run
# private instances on loopback.  Sendmail, which cannot be installed
# beside Postfix, is only unpacked, for tests/sendmail/test-sendmail.sh.
# Safe to run again; quick when done.
#
# That set installs Postfix, which on Debian replaces any other MTA
# (Sendmail, Exim): never run it on a production host.  There, use
#   contrib/install-deps.sh --runtime
# which installs only what building and running liaisond needs (the
# compiler, autotools, pkg-config, the -dev packages configure requires,
# and for the relay the CAs and the SASL plugins): no MTA, no test tools,
# no Sendmail, and no change to Postfix's debconf answers.
#
# On a freshly booted VM apt-daily or unattended-upgrades may hold apt's
# locks, and a network hiccup may cut a download: every apt-get here
# waits up to 10 minutes for the dpkg lock and retries each download 3
# times (APT_OPTS), and apt-get update and install are each tried up to 10
# times, 30 s apart (apt_retry).  apt-get update's own lock on the package
# lists (/var/lib/apt/lists/lock) is not covered by DPkg::Lock::Timeout
# (apt 2.6 fails at once on it): only the retries wait that out.
set -eu
runtime=no
case "$#:${1-}" in
    0:) ;;
    1:--runtime) runtime=yes ;;
    *) echo "usage: contrib/install-deps.sh [--runtime]" >&2; exit 64 ;;
esac
# procps: ps, which tests/postfix/test-milter.sh uses (minimal images
# lack it).  chromium-headless-shell and libxml2-utils (xmllint):
# tests/publish.sh reads the published pages and feed with them, and
# python3-icalendar the calendars.
PKGS="build-essential autoconf automake libtool pkg-config
      libgmime-3.0-dev libmilter-dev libsqlite3-dev libpcre2-dev libetpan-dev
      libgnutls28-dev ca-certificates
      libjson-glib-dev libxml2-dev libical-dev libcmocka-dev
      sqlite3 jq python3 python3-icalendar valgrind postfix swaks miltertest openssl
      libsasl2-modules m4 procps strace
      libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libssl3 libwrap0
      clang libclang-rt-14-dev clang-tools
      chromium-headless-shell libxml2-utils"
# --runtime (configure requires cmocka even when the tests are not run):
[ "$runtime" = no ] || PKGS="build-essential autoconf automake pkg-config
      libgmime-3.0-dev libmilter-dev libsqlite3-dev libpcre2-dev libetpan-dev
      libgnutls28-dev libjson-glib-dev libxml2-dev libical-dev libcmocka-dev
      ca-certificates libsasl2-modules"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Sendmail's binary and its cf/ tree, unpacked (not installed: the
# package conflicts with Postfix) where the Sendmail test looks; the
# libraries sendmail-bin depends on are in PKGS above.
SM_ROOT=/var/cache/liaisond-tests/sendmail
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
# apt_retry WHAT COMMAND...: COMMAND, tried up to 10 times, 30 s apart (a
# mirror's outage can outlast three tries); the status of the last try.
apt_retry() {
    local what=$1 try rc; shift
    for try in $(seq 1 10); do
        rc=0; "$@" || rc=$?
        [ "$rc" -eq 0 ] && return 0
        [ "$try" -eq 10 ] && break
        echo "install-deps: $what failed (exit $rc, try $try of 10); again in 30 s" >&2
        sleep 30
    done
    echo "install-deps: $what failed (exit $rc) 10 times" >&2
    return "$rc"
}
apt_update() { apt_retry "apt-get update" apt-get "${APT_OPTS[@]}" update -qq; }
unpack_sendmail() {
    [ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] && [ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] && return 0
    [ "$(id -u)" -eq 0 ] || { echo "install-deps: not root: Sendmail not unpacked (its test will skip)" >&2; return 0; }
    local tmp; tmp=$(mktemp -d)
    # The package lists may be stale or cleaned (a fresh image): update
    # them once and try again.
    if (cd "$tmp" && { apt-get "${APT_OPTS[@]}" download -qq sendmail-bin sendmail-cf >/dev/null 2>&1 ||
                       { apt_update && apt-get "${APT_OPTS[@]}" download -qq sendmail-bin sendmail-cf >/dev/null 2>&1; }; }); then
        mkdir -p "$SM_ROOT"
        for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$SM_ROOT"; done
        echo "install-deps: Sendmail unpacked in $SM_ROOT"
    else
        echo "install-deps: sendmail-bin/sendmail-cf could not be downloaded (its test will skip)" >&2
    fi
    rm -rf "$tmp"
}
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    if [ "$runtime" = no ]; then unpack_sendmail; fi
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing:$missing; run as root (or install them) first" >&2
    exit 1
fi
echo "install-deps: installing$missing"
# Keep the Postfix package from writing /etc/postfix/main.cf or starting.
if [ "$runtime" = no ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
export DEBIAN_FRONTEND=noninteractive
apt_update
# A failed install refreshes the package lists before it is tried again
# (a mirror past a point release answers 404 for the old versions).
apt_install() {
    local rc=0
    # shellcheck disable=SC2086 # the package names: words
    apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
    [ "$rc" -eq 0 ] && return 0
    apt-get "${APT_OPTS[@]}" update -qq >/dev/null 2>&1 || true
    return "$rc"
}
apt_retry "apt-get install" apt_install
if [ "$runtime" = no ]; then unpack_sendmail; fi
echo "install-deps: done"
