#!/bin/bash
# contrib/install-deps.sh: install what liaisond needs to build, test and
# run its demo on Debian 12, as root.  Postfix is installed without
# configuring or starting the system's instance: the tests and the demo run
# private instances on loopback.  Safe to run again; quick when done.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libgmime-3.0-dev libmilter-dev libsqlite3-dev libpcre2-dev libetpan-dev
      libgnutls28-dev ca-certificates
      libjson-glib-dev libxml2-dev libcmocka-dev
      sqlite3 jq python3 valgrind postfix swaks miltertest openssl
      libsasl2-modules
      clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing:$missing; run as root (or install them) first" >&2
    exit 1
fi
echo "install-deps: installing$missing"
# Keep the Postfix package from writing /etc/postfix/main.cf or starting.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
