#!/bin/sh
# Regenerates fixtures/<layout>/nginx-T.txt with the real `nginx -T` of this
# machine (Debian's nginx package). Each layout's etc/nginx is bind-mounted over
# /etc/nginx inside a private mount namespace, so the dump names the real
# /etc/nginx paths and the host's /etc is never touched. Needs root and nginx.
#   sh test/unit/nginx/make-nginx-dumps.sh [layout...]
set -eu

repo=$(cd "$(dirname "$0")/../../.." && pwd)
layouts=${*:-debian-php82 debian-multi-php rhel-remi alpine-php82 docker-php-fpm apps debian-php-upgrade rhel-remi-multi alpine-multi-php}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# RHEL, Alpine and the nginx image run workers as "nginx"; `nginx -t` looks the user up.
cp /etc/passwd "$scratch/passwd"
cp /etc/group "$scratch/group"
grep -q '^nginx:' "$scratch/passwd" || echo 'nginx:x:101:101:nginx:/var/lib/nginx:/sbin/nologin' >>"$scratch/passwd"
grep -q '^nginx:' "$scratch/group" || echo 'nginx:x:101:' >>"$scratch/group"
# `fastcgi_pass php:9000` is resolved at config time; in compose "php" is the FPM service.
cp /etc/hosts "$scratch/hosts"
echo '127.0.0.1 php' >>"$scratch/hosts"

for layout in $layouts; do
  conf="$repo/fixtures/$layout/etc/nginx"
  out="$repo/fixtures/$layout/nginx-T.txt"
  # shellcheck disable=SC2016 # the inner script takes its paths as positional parameters
  unshare --mount --propagation private sh -eu -c '
    mount --bind "$1" /etc/nginx
    mount --bind "$2/passwd" /etc/passwd
    mount --bind "$2/group" /etc/group
    mount --bind "$2/hosts" /etc/hosts
    nginx -T >"$3"
  ' sh "$conf" "$scratch" "$out"
  echo "wrote $out"
done
