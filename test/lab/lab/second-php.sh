#!/bin/sh
# Emulates PHP $OLD next to the packaged PHP $NEW, inside this lab host's own mount namespace
# only: /usr/sbin gets a private overlay (its upper layer on the host's private /run tmpfs)
# holding a copy of php-fpm$NEW as php-fpm$OLD, with its compiled-in config paths pointed at
# /etc/php/$OLD/fpm (same length, so the binary is otherwise byte for byte the packaged one and
# its -v still says $NEW). The config tree, init script and service are Debian's, for $OLD.
# The pool files must already be in /etc/php/$OLD/fpm/pool.d. Run as root inside the host.
set -eu
: "${OLD:?}" "${NEW:?}"
export OLD NEW

case $OLD$NEW in *[!0-9.]*) echo "versions must look like 8.1" >&2; exit 64 ;; esac
state=/run/lab-php$OLD
conf=/etc/php/$OLD/fpm

if ! grep -q ' /usr/sbin .* - overlay lab-php' /proc/self/mountinfo; then
  mkdir -p "$state/upper" "$state/work"
  mount -t overlay "lab-php$OLD-sbin" -o "lowerdir=/usr/sbin,upperdir=$state/upper,workdir=$state/work" /usr/sbin
fi
cp /usr/sbin/php-fpm"$NEW" /usr/sbin/php-fpm"$OLD"
# "%s/php/%d.%d/fpm/php-fpm.conf" is where Debian's build looks for its config: pad with NULs to keep every offset.
perl -0777 -pi -e '
  my ($old, $new) = ($ENV{OLD}, $ENV{NEW});
  s{/etc/php/\Q$new\E/}{/etc/php/$old/}g;
  my $pad = "\0" x (length("%d.%d") - length($old));
  s{%s/php/%d\.%d/fpm/php-fpm\.conf\0}{%s/php/$old/fpm/php-fpm.conf\0$pad}g;
' /usr/sbin/php-fpm"$OLD"
[ "$(stat -c %s /usr/sbin/php-fpm"$OLD")" = "$(stat -c %s /usr/sbin/php-fpm"$NEW")" ]

mkdir -p "$conf/pool.d"
cp /etc/php/"$NEW"/fpm/php.ini "$conf/php.ini"
rm -rf "$conf/conf.d"
cp -a /etc/php/"$NEW"/fpm/conf.d "$conf/conf.d"
cat > "$conf/php-fpm.conf" <<CONF
;;;;;;;;;;;;;;;;;;;;;
; FPM Configuration ;
;;;;;;;;;;;;;;;;;;;;;

[global]
pid = /run/php/php$OLD-fpm.pid
error_log = /var/log/php$OLD-fpm.log

include=/etc/php/$OLD/fpm/pool.d/*.conf
CONF
: > /var/log/php"$OLD"-fpm.log

# Debian's init script for $NEW, for $OLD; its tmpfiles.d entry only creates /run/php.
new_re=$(printf '%s' "$NEW" | sed 's/\./\\./g')
sed -e 's|^\([[:space:]]*\)systemd-tmpfiles .*|\1install -d -o www-data -g www-data -m 0755 /run/php|' \
  -e "s/$new_re/$OLD/g" /etc/init.d/php"$NEW"-fpm > /etc/init.d/php"$OLD"-fpm
chmod 0755 /etc/init.d/php"$OLD"-fpm

/usr/sbin/php-fpm"$OLD" -t
service php"$OLD"-fpm start
