# shellcheck shell=sh
# Files: the plan's preconditions (file hashes and state lines), backup (bytes, mode, numeric
# owner, ACL, SELinux context), atomic replacement through a temp file in the target's own
# directory, and restore. Spec: checks, check_<i>_{kind,key,sha256}; files,
# file_<n>_{path,before,after,check}. Journal per file n: files/<n>/{path,real,orig,orig.sha,
# meta,acl,context,absent,written}; its new bytes in new/<n>. Needs state.sh.

selinux_on() {
  if have selinuxenabled; then selinuxenabled 2>/dev/null; else [ -r /sys/fs/selinux/enforce ]; fi
}

parent_dir() {
  pd_dir=${1%/*}
  [ -n "$pd_dir" ] || pd_dir=/
  printf '%s\n' "$pd_dir"
}

# stale INDEX NOW: check INDEX no longer holds; NOW is what it found (a sha256, "absent", a state line).
stale() {
  STALE="$STALE $1"
  kv "stale_now_$1" "$2" >> "$D/stale.kv"
}

# check_file INDEX PATH SHA: the file (followed through symlinks) still hashes to SHA ("absent" when missing).
check_file() {
  cf_now=$(sha256_file "$2") || { echo "cannot hash $2: $cf_now"; return 1; }
  [ "$cf_now" = "$3" ] && return 0
  stale "$1" "$cf_now"
  echo "stale: $2 is now $cf_now, the plan read $3"
}

# check_state INDEX KEY SHA: the key's canonical state line still hashes to SHA.
check_state() {
  cs_line=$(state_line "$2") || { echo "cannot read the state of $2"; return 1; }
  cs_now=$(printf '%s' "$cs_line" | sha256_stdin) || { echo "cannot hash the state of $2"; return 1; }
  [ "$cs_now" = "$3" ] && return 0
  stale "$1" "$cs_line"
  echo "stale: $2 is now $cs_line"
}

# check_one I: precondition I of the plan (a file hash or a state line).
check_one() {
  co_key=$(spec_get "check_$1_key")
  co_sha=$(spec_get "check_$1_sha256")
  case $(spec_get "check_$1_kind") in
    file) check_file "$1" "$co_key" "$co_sha" ;;
    state) check_state "$1" "$co_key" "$co_sha" ;;
    *) echo "check $1 has an unknown kind"; return 1 ;;
  esac
}

# Every precondition of the plan; 3 when one no longer holds.
run_checks() {
  for_each checks check_one || return 1
  [ -z "$STALE" ] || return 3
}

# backup_file N: copy file N and its metadata into the journal (3 when it no longer matches the plan).
backup_file() {
  bf_dir=$D/files/$1
  bf_path=$(spec_get "file_$1_path")
  mkdir -p "$bf_dir" || return 1
  printf '%s' "$bf_path" > "$bf_dir/path" || return 1
  bf_real=$bf_path
  if [ -L "$bf_path" ]; then
    bf_real=$(readlink -f -- "$bf_path")
    [ -n "$bf_real" ] || { echo "cannot resolve the symlink $bf_path"; return 1; }
    echo "$bf_path is a symlink: writing its target $bf_real"
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
  bf_want=$(spec_get "file_$1_before")
  if [ "$bf_sum" != "$bf_want" ]; then
    stale "$(spec_get "file_$1_check")" "$bf_sum"
    echo "stale: $bf_path changed while applying (now $bf_sum, the plan read $bf_want)"
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

# replace_file N SOURCE SHA: SOURCE's bytes over file N (its real path), through a temp file
# beside it; SHA "absent" removes the file instead.
replace_file() {
  rp_dir=$D/files/$1
  rp_real=$(cat "$rp_dir/real") || return 1
  if [ "$3" = absent ]; then
    rm -f -- "$rp_real" || { echo "cannot remove $rp_real"; return 1; }
    echo "removed $rp_real"
    return 0
  fi
  rp_tmp=$(parent_dir "$rp_real")/.fpmfix-$TXID-$1.tmp
  if ! cp -- "$2" "$rp_tmp"; then
    rm -f -- "$rp_tmp"
    echo "cannot create $rp_tmp"
    return 1
  fi
  put_in_place "$rp_tmp" "$rp_real" "$rp_dir" "$3" || return 1
  echo "wrote $rp_real ($3)"
}

# write_file N: journal new/N over file N, or remove it when its new content is "absent".
write_file() {
  printf '' > "$D/files/$1/written" || return 1
  replace_file "$1" "$D/new/$1" "$(spec_get "file_$1_after")"
}

# restore_file N: put back the original bytes and metadata of a file this transaction wrote.
restore_file() {
  [ -f "$D/files/$1/written" ] || return 0
  replace_file "$1" "$D/files/$1/orig" "$(cat "$D/files/$1/orig.sha")"
}

# Back up every file, then record what passes before the change: config tests, running services.
run_backup() {
  for_each files backup_file || return $?
  run_validate pre || return 1
  for_each actions record_pre
}

run_writes() { for_each files write_file; }
run_restore() { for_all files restore_file; }

# file_holds_plan N: file N holds its new content.
file_holds_plan() {
  fh_path=$(spec_get "file_$1_path")
  [ "$(sha256_file "$fh_path")" = "$(spec_get "file_$1_after")" ] && return 0
  echo "$fh_path does not hold the planned content"
  return 1
}
