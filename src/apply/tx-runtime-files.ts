import {sh} from './sh.js'

/**
 * Files: fingerprint checks, backup (bytes + mode, numeric owner, ACL, SELinux context),
 * atomic replacement through a temp file in the target's own directory, and restore.
 * Journal layout per changed file N: files/N/{path,real,orig,orig.sha,meta,acl,context,absent,written}.
 */
export const FILES_RUNTIME = sh`
selinux_on() {
  if have selinuxenabled; then selinuxenabled 2>/dev/null; else [ -r /sys/fs/selinux/enforce ]; fi
}

parent_dir() {
  pd_dir=$\{1%/*}
  [ -n "$pd_dir" ] || pd_dir=/
  printf '%s\n' "$pd_dir"
}

# check_file INDEX PATH SHA: the file (followed through symlinks) still hashes to SHA ("absent" when missing).
check_file() {
  cf_now=$(sha256_file "$2") || { echo "cannot hash $2: $cf_now"; return 1; }
  if [ "$cf_now" != "$3" ]; then
    STALE="$STALE $1"
    echo "stale: $2 is now $cf_now, the plan read $3"
  fi
  return 0
}

# check_state INDEX SHA PROBE_FUNCTION: the canonical state string still hashes to SHA.
check_state() {
  cs_now=$(printf '%s' "$($3)" | sha256_stdin) || { echo "cannot hash state $1"; return 1; }
  if [ "$cs_now" != "$2" ]; then
    STALE="$STALE $1"
    echo "stale: state check $1 is now $($3)"
  fi
  return 0
}

# backup_file N PATH BEFORE_SHA CHECK_INDEX (returns 3 when the file no longer matches the plan)
backup_file() {
  bf_dir=$D/files/$1
  mkdir -p "$bf_dir" || return 1
  printf '%s' "$2" > "$bf_dir/path" || return 1
  bf_real=$2
  if [ -L "$2" ]; then
    bf_real=$(readlink -f -- "$2")
    [ -n "$bf_real" ] || { echo "cannot resolve the symlink $2"; return 1; }
    echo "$2 is a symlink: writing its target $bf_real"
  fi
  printf '%s' "$bf_real" > "$bf_dir/real" || return 1
  if [ -e "$bf_real" ]; then
    [ -f "$bf_real" ] || { echo "$bf_real is not a regular file"; return 1; }
    cp -p -- "$bf_real" "$bf_dir/orig" || { echo "cannot copy $bf_real into the journal"; return 1; }
    bf_sum=$(sha256_file "$bf_dir/orig") || return 1
    stat -c '%a %u %g' -- "$bf_real" > "$bf_dir/meta" || return 1
    if selinux_on; then stat -c %C -- "$bf_real" > "$bf_dir/context" 2>/dev/null || rm -f "$bf_dir/context"; fi
    if have getfacl; then getfacl -s -p -- "$bf_real" > "$bf_dir/acl" 2>/dev/null || rm -f "$bf_dir/acl"; fi
  else
    bf_sum=absent
    printf '' > "$bf_dir/absent"
  fi
  printf '%s\n' "$bf_sum" > "$bf_dir/orig.sha"
  if [ "$bf_sum" != "$3" ]; then
    STALE="$STALE $4"
    echo "stale: $2 changed while applying (now $bf_sum, the plan read $3)"
    return 3
  fi
  echo "backed up $bf_real ($bf_sum)"
}

# put_in_place TMP TARGET FILE_DIR SHA: give TMP the original's metadata, verify it, rename it over TARGET.
put_in_place() {
  if [ -f "$3/meta" ]; then
    read -r pp_mode pp_uid pp_gid < "$3/meta"
  else
    pp_mode=644 pp_uid=0 pp_gid=0
  fi
  if ! chown "$pp_uid:$pp_gid" "$1" || ! chmod "$pp_mode" "$1"; then
    rm -f -- "$1"
    echo "cannot set owner $pp_uid:$pp_gid and mode $pp_mode on $1"
    return 1
  fi
  if [ -s "$3/acl" ] && have setfacl && ! setfacl --set-file="$3/acl" "$1"; then
    rm -f -- "$1"
    echo "cannot copy the ACL of $2 to $1"
    return 1
  fi
  if [ -s "$3/context" ] && selinux_on && have chcon && ! chcon "$(cat "$3/context")" "$1"; then
    rm -f -- "$1"
    echo "cannot set the SELinux context of $1"
    return 1
  fi
  pp_sum=$(sha256_file "$1")
  if [ "$pp_sum" != "$4" ]; then
    rm -f -- "$1"
    echo "$1 hashes to $pp_sum, expected $4"
    return 1
  fi
  if ! mv -f -- "$1" "$2"; then
    rm -f -- "$1"
    echo "cannot rename $1 to $2"
    return 1
  fi
  if [ ! -f "$3/meta" ] && selinux_on && have restorecon; then restorecon -- "$2"; fi
  return 0
}

# write_file N AFTER_SHA: install journal new/N over the file, or remove it when AFTER_SHA is "absent".
write_file() {
  wf_dir=$D/files/$1
  wf_real=$(cat "$wf_dir/real") || return 1
  printf '' > "$wf_dir/written" || return 1
  if [ "$2" = absent ]; then
    rm -f -- "$wf_real" || { echo "cannot remove $wf_real"; return 1; }
    echo "removed $wf_real"
    return 0
  fi
  wf_tmp=$(parent_dir "$wf_real")/.fpmfix-$TXID-$1.tmp
  if ! cp -- "$D/new/$1" "$wf_tmp"; then
    rm -f -- "$wf_tmp"
    echo "cannot create $wf_tmp"
    return 1
  fi
  put_in_place "$wf_tmp" "$wf_real" "$wf_dir" "$2" || return 1
  echo "wrote $wf_real ($2)"
}

# restore_file N: put back the original bytes and metadata of a file this transaction wrote.
restore_file() {
  rf_dir=$D/files/$1
  [ -f "$rf_dir/written" ] || return 0
  rf_real=$(cat "$rf_dir/real") || return 1
  if [ -f "$rf_dir/absent" ]; then
    rm -f -- "$rf_real" || { echo "cannot remove $rf_real"; return 1; }
    echo "removed $rf_real (it did not exist before)"
    return 0
  fi
  rf_tmp=$(parent_dir "$rf_real")/.fpmfix-$TXID-$1.restore
  if ! cp -- "$rf_dir/orig" "$rf_tmp"; then
    rm -f -- "$rf_tmp"
    echo "cannot create $rf_tmp"
    return 1
  fi
  put_in_place "$rf_tmp" "$rf_real" "$rf_dir" "$(cat "$rf_dir/orig.sha")" || return 1
  echo "restored $rf_real"
}
`
