#!/bin/bash
# tests/install.sh: make install as a mail admin meets it, into a scratch
# DESTDIR: the configuration and the directory are written once and kept
# when edited (the new copies go beside them as *.sample); the installed
# configuration, the systemd units and the cron file name the folders as
# installed, with no @placeholder@ left; liaisond -n accepts the installed
# configuration, and refuses it with no intake address left or a socket
# path too long; uninstall removes an unchanged configuration and keeps an
# edited one.
set -u
. "$(dirname "$0")/lib.sh"

ROOT="$SCRATCH/root"
# A make of its own, not a part of the make check that runs this test.
unset MAKEFLAGS MFLAGS MAKELEVEL
MK="make -s --no-print-directory -C $BUILDDIR DESTDIR=$ROOT"
# make's own variables from the build, so the test follows any prefix.
var() {
    make -s --no-print-directory -C "$BUILDDIR" -f Makefile -f - print-"$1" \
        <<<"print-%: ; @echo \$(\$*)" 2>/dev/null
}
SYSCONF=$(var sysconfdir); SBIN=$(var sbindir); UNITS=$(var systemdunitdir)
ETC="$ROOT$SYSCONF/liaisond"

check_exit "make install" 0 $MK install
for f in liaisond.conf liaisond.conf.sample directory.json directory.json.sample; do
    [ -f "$ETC/$f" ] && ok "installed $f" || fail "installed $f" "missing in $ETC: $(ls "$ETC" 2>&1)"
done
check_grep "liaisond.conf names the installed directory file" \
    "^directory = $SYSCONF/liaisond/directory.json\$" "$ETC/liaisond.conf"
for f in "$ETC/liaisond.conf" "$ROOT$UNITS/liaisond.service" "$ROOT$UNITS/liaisond-tickle.service" \
         "$BUILDDIR/contrib/liaisond.cron"; do
    if [ ! -f "$f" ]; then fail "made $(basename "$f")" "missing: $f"
    elif grep -q '@[a-z]*@' "$f"; then fail "$(basename "$f"): folders filled in" "$(grep '@[a-z]*@' "$f" | head -2)"
    else ok "$(basename "$f"): folders filled in"; fi
done
check_grep "the unit starts the installed liaisond" "^ExecStart=$SBIN/liaisond -f -c $SYSCONF/liaisond/liaisond.conf\$" \
    "$ROOT$UNITS/liaisond.service"
check_grep "the unit may write the spool" "^ReadWritePaths=.*/spool/liaisond( |\$)" "$ROOT$UNITS/liaisond.service"

# The installed configuration as liaisond reads it (its directory file
# taken from the DESTDIR tree, its user from this host).
sed -e "s|^directory = .*|directory = $ETC/directory.json|" -e "s|^user = .*|user = nobody|" \
    "$ETC/liaisond.conf" >"$SCRATCH/installed.conf"
check_exit "liaisond -n accepts the installed configuration" 0 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/installed.conf"
# What the installed configuration has liaisond write, the unit lets it
# write (ProtectSystem=strict makes the rest read-only): the database's
# folder, the spool and the socket's folder.
rw=" $(sed -n 's/^ReadWritePaths=//p' "$ROOT$UNITS/liaisond.service") "
for key in database spool_dir socket; do
    v=$(sed -n "s/^$key = //p" "$SCRATCH/out"); v=${v#unix:}
    [ "$key" = spool_dir ] || v=$(dirname "$v")
    case $rw in *" $v "*|*" -$v "*) ok "the unit may write $key's folder $v" ;;
        *) fail "the unit may write $key's folder" "$v not in ReadWritePaths:$rw" ;; esac
done
# An admin who empties intake, meaning the directory's, and whose
# directory lists none: a milter with no intake address reads no mail at
# all, every statement passed on unrecorded; refused, not started.
jq 'del(.intake)' "$ETC/directory.json" >"$SCRATCH/no-intake.json"
sed -e "s|^directory = .*|directory = $SCRATCH/no-intake.json|" -e "s|^intake = .*|intake =|" \
    "$SCRATCH/installed.conf" >"$SCRATCH/no-intake.conf"
check_exit "liaisond -n: no intake address anywhere: 78" 78 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/no-intake.conf"
check_grep "liaisond -n: says intake is missing" "no intake address" "$SCRATCH/err"
# A socket's folder moved somewhere deep: a path longer than a unix
# socket's 107 bytes passed -n, and the start then failed with "in use,
# or not allowed" (libmilter's reason only in syslog).
long="$SCRATCH/$(printf '%0120d' 0)"
sed -e "s|^socket = .*|socket = unix:$long/liaisond.sock|" "$SCRATCH/installed.conf" >"$SCRATCH/long.conf"
check_exit "liaisond -n: a unix socket path over 107 bytes: 78" 78 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/long.conf"
check_grep "liaisond -n: says the socket path is too long" "too long for a unix socket" "$SCRATCH/err"

echo "# edited by the site" >>"$ETC/liaisond.conf"
check_exit "make install again" 0 $MK install
check_grep "an edited liaisond.conf is kept" "^# edited by the site\$" "$ETC/liaisond.conf"
cmp -s "$ETC/directory.json" "$ETC/directory.json.sample" && ok "an unchanged directory.json stays the sample" \
    || fail "directory.json" "differs from its sample"

check_exit "make uninstall" 0 $MK uninstall
[ -f "$ETC/liaisond.conf" ] && ok "uninstall keeps the edited liaisond.conf" || fail "uninstall" "edited liaisond.conf removed"
[ ! -e "$ETC/directory.json" ] && [ ! -e "$ETC/liaisond.conf.sample" ] && [ ! -e "$ROOT$SBIN/liaisond" ] \
    && ok "uninstall removes the rest" || fail "uninstall" "left: $(find "$ROOT" -type f | head -5)"
