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

# Every precondition of the plan; 3 when one no longer holds.
run_checks() {
  rc_n=$(spec_count checks) rc_i=0
  while [ "$rc_i" -lt "$rc_n" ]; do
    rc_key=$(spec_get "check_${rc_i}_key")
    rc_sha=$(spec_get "check_${rc_i}_sha256")
    case $(spec_get "check_${rc_i}_kind") in
      file) check_file "$rc_i" "$rc_key" "$rc_sha" || return 1 ;;
      state) check_state "$rc_i" "$rc_key" "$rc_sha" || return 1 ;;
      *) echo "check $rc_i has an unknown kind"; return 1 ;;
    esac
    rc_i=$((rc_i + 1))
  done
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

# write_file N: install journal new/N over file N, or remove it when its new content is "absent".
write_file() {
  wf_dir=$D/files/$1
  wf_after=$(spec_get "file_$1_after")
  wf_real=$(cat "$wf_dir/real") || return 1
  printf '' > "$wf_dir/written" || return 1
  if [ "$wf_after" = absent ]; then
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
  put_in_place "$wf_tmp" "$wf_real" "$wf_dir" "$wf_after" || return 1
  echo "wrote $wf_real ($wf_after)"
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

# Back up every file, then record what passes before the change: config tests, running services.
run_backup() {
  rb_n=$(spec_count files) rb_i=0
  while [ "$rb_i" -lt "$rb_n" ]; do
    backup_file "$rb_i" || return $?
    rb_i=$((rb_i + 1))
  done
  run_validate pre || return 1
  rb_n=$(spec_count actions) rb_i=0
  while [ "$rb_i" -lt "$rb_n" ]; do
    use_action "$rb_i"
    svc_record_pre || return 1
    rb_i=$((rb_i + 1))
  done
}

run_writes() {
  rw_n=$(spec_count files) rw_i=0
  while [ "$rw_i" -lt "$rw_n" ]; do
    write_file "$rw_i" || return 1
    rw_i=$((rw_i + 1))
  done
}

run_restore() {
  rs_n=$(spec_count files) rs_i=0 rs_rc=0
  while [ "$rs_i" -lt "$rs_n" ]; do
    restore_file "$rs_i" || rs_rc=1
    rs_i=$((rs_i + 1))
  done
  return "$rs_rc"
}

# The plan is in effect already: every planned file holds its new content.
files_hold_plan() {
  fh_n=$(spec_count files) fh_i=0
  while [ "$fh_i" -lt "$fh_n" ]; do
    fh_path=$(spec_get "file_${fh_i}_path")
    [ "$(sha256_file "$fh_path")" = "$(spec_get "file_${fh_i}_after")" ] || { echo "$fh_path does not hold the planned content"; return 1; }
    fh_i=$((fh_i + 1))
  done
}
