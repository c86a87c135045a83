# shellcheck shell=sh disable=SC1010,SC2015,SC2016
# The gather script as it was before it became static files (script version 1), frozen as the reference
# the equivalence test compares the current gather with. Needs B, the run boundary, set by the caller.

# Section framing shared by every fpmfix host program (see src/protocol/README.md).
# Needs B, the run's boundary token, set by the caller.

NL='
'

# Header fields: safe text as is, anything else as "~" + hex bytes.
enc() {
  case $1 in
    '') printf '~' ;;
    *[!A-Za-z0-9._/@%+=:,-]*) printf '~'; printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' ;;
    *) printf '%s' "$1" ;;
  esac
}

# sec_begin KIND TAG ARG / sec_end KIND STATUS FLAGS: one section; the newline before END is always added.
sec_begin() { printf '%s BEGIN %s %s %s\n' "$B" "$1" "$2" "$(enc "$3")"; }
sec_end() { printf '\n%s END %s %s %s\n' "$B" "$1" "$2" "$3"; }

# kv KEY VALUE: key=value, or key~=hex when the value spans lines.
kv() {
  case $2 in
    *"$NL"*) printf '%s~=' "$1"; printf '%s' "$2" | od -An -v -tx1 | tr -d ' \n'; echo ;;
    *) printf '%s=%s\n' "$1" "$2" ;;
  esac
}

LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
TAB='	'
CAP_CONF=524288
CAP_FILE=1048576
CAP_CMD=4194304
CAP_DUMP=16777216
LOG_LINES=500
LOG_BYTES=262144
TMO=

have() { command -v "$1" >/dev/null 2>&1; }

tm() { if [ -n "$TMO" ]; then timeout "$TMO" "$@"; else "$@"; fi; }
merged() { "$@" 2>&1; }

capped() {
  head -c "$1"
  if [ -n "$(dd bs=1 count=1 2>/dev/null | od -An)" ]; then
    printf '\n%s truncated\n' "$B" >&4
    cat >/dev/null
  fi
}

# run_cmd TAG ARG CAP CMD...: stdout (capped) as a "cmd" section, stderr as a "stderr" section.
run_cmd() {
  rc_tag=$1 rc_arg=$2 rc_cap=$3
  shift 3
  sec_begin cmd "$rc_tag" "$rc_arg"
  rc_res=$( { { "$@" 2>&4 </dev/null; printf '\n%s rc=%s\n' "$B" "$?" >&4; } | capped "$rc_cap" >&3; } 4>&1 )
  rc_code=$(printf '%s\n' "$rc_res" | sed -n "s/^$B rc=//p")
  rc_flags=-
  case $rc_res in *"$B truncated"*) rc_flags=truncated ;; esac
  sec_end cmd "${rc_code:--}" "$rc_flags"
  rc_err=$(printf '%s\n' "$rc_res" | grep -v "^$B ")
  if [ -n "$rc_err" ]; then
    sec_begin stderr "$rc_tag" "$rc_arg"
    printf '%s' "$rc_err"
    sec_end stderr - -
  fi
}

# emit_text KIND TAG ARG STATUS TEXT CAP
emit_text() {
  sec_begin "$1" "$2" "$3"
  [ -z "$5" ] || printf '%s\n' "$5" | head -c "$6"
  et_flags=-
  [ "$(printf '%s\n' "$5" | wc -c)" -gt "$6" ] && et_flags=truncated
  sec_end "$1" "$4" "$et_flags"
}

stat_line() { stat "$@" -c '%F|%s|%a|%U|%u|%G|%g|%i' -- "$FM_PATH" 2>/dev/null; }

# emit_meta ROLE PATH [sha]: existence, lstat/stat, symlink target, real path, optional sha256.
emit_meta() {
  FM_PATH=$2
  sec_begin meta "$1" "$2"
  if [ -e "$2" ] || [ -L "$2" ]; then
    echo exists=1
    kv lstat "$(stat_line)"
    kv stat "$(stat_line -L)"
    if [ -L "$2" ]; then
      kv link "$(readlink -- "$2" 2>/dev/null)"
    fi
    kv real "$(readlink -f -- "$2" 2>/dev/null)"
    if [ -r "$2" ]; then echo readable=1; else echo readable=0; fi
    if [ "$3" = sha ] && [ -f "$2" ] && [ -r "$2" ] && have sha256sum; then
      fm_sum=$(sha256sum < "$2" 2>/dev/null)
      kv sha256 "${fm_sum%% *}"
    fi
  else
    echo exists=0
    kv error "$(stat -L -c %F -- "$2" 2>&1 >/dev/null)"
  fi
  sec_end meta - -
}

# emit_file ROLE PATH CAP [sha]: meta, then the content (capped) when it is a readable regular file.
emit_file() {
  emit_meta "$1" "$2" "$4"
  if [ -f "$2" ] && [ -r "$2" ]; then
    ef_size=$(stat -L -c %s -- "$2" 2>/dev/null)
    sec_begin data "$1" "$2"
    head -c "$3" < "$2" 2>/dev/null
    ef_rc=$?
    ef_flags=-
    [ "${ef_size:-0}" -gt "$3" ] 2>/dev/null && ef_flags=truncated
    sec_end data "$ef_rc" "$ef_flags"
  fi
}

# emit_log SOURCE PATH: the tail of a log file, bounded by lines and bytes.
emit_log() {
  case $2 in
    /*) ;;
    *) sec_begin logtarget "$1" "$2"; sec_end logtarget - -; return ;;
  esac
  case $2 in
    /dev/*|/proc/*) sec_begin logtarget "$1" "$2"; sec_end logtarget - -; return ;;
  esac
  emit_meta "log:$1" "$2"
  if [ -f "$2" ] && [ -r "$2" ]; then
    el_size=$(stat -L -c %s -- "$2" 2>/dev/null)
    sec_begin log "$1" "$2"
    tail -n "$LOG_LINES" "$2" 2>/dev/null | tail -c "$LOG_BYTES"
    el_n=$(tail -n "$LOG_LINES" "$2" 2>/dev/null | tail -c "$LOG_BYTES" | wc -c)
    el_flags=-
    [ "${el_size:-0}" -gt "$el_n" ] 2>/dev/null && el_flags=truncated
    sec_end log - "$el_flags"
  fi
}

# glob_list PATTERN: existing non-directory matches, one per line, in glob order.
glob_list() {
  gl_ifs=$IFS
  IFS=$NL
  set +f
  for gl_p in $1; do
    if [ -e "$gl_p" ] && [ ! -d "$gl_p" ]; then printf '%s\n' "$gl_p"; fi
  done
  IFS=$gl_ifs
}

# uniq_lines: drop empty and repeated lines, keeping first-seen order.
uniq_lines() {
  ul_seen=$NL
  while IFS= read -r ul_l; do
    [ -n "$ul_l" ] || continue
    case $ul_seen in *"$NL$ul_l$NL"*) continue ;; esac
    ul_seen=$ul_seen$ul_l$NL
    printf '%s\n' "$ul_l"
  done
}

# for_lines FUNC LIST [ARGS...]: call FUNC LINE ARGS... for each non-empty line, stdin closed.
for_lines() {
  fl_fn=$1 fl_list=$2
  shift 2
  printf '%s\n' "$fl_list" | {
    exec 5<&0 </dev/null
    while IFS= read -r fl_line <&5; do
      [ -n "$fl_line" ] && "$fl_fn" "$fl_line" "$@"
    done
  }
}

collect_env() {
  sec_begin env - ''
  kv script_version 1
  kv uid "$(id -u 2>/dev/null)"
  kv user "$(id -un 2>/dev/null)"
  kv groups "$(id -G 2>/dev/null)"
  kv hostname "$(uname -n 2>/dev/null)"
  kv kernel "$(uname -r 2>/dev/null)"
  kv arch "$(uname -m 2>/dev/null)"
  kv date "$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)"
  kv localtime "$(date '+%Y-%m-%d %H:%M:%S' 2>/dev/null)"
  kv utc_offset "$(date +%z 2>/dev/null)"
  kv pid1 "$(cat /proc/1/comm 2>/dev/null)"
  kv mntns "$SELF_MNTNS"
  kv nproc "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c '^processor' /proc/cpuinfo 2>/dev/null)"
  [ -d /run/systemd/system ] && kv systemd_running 1
  [ -d /run/openrc ] && kv openrc_running 1
  [ -d /etc/init.d ] && kv initd 1
  for t in systemctl rc-service service getfacl ss sha256sum getent stat timeout getenforce; do
    have "$t" && kv "have_$t" 1
  done
  have getenforce && kv selinux_getenforce "$(getenforce 2>/dev/null)"
  [ -r /sys/fs/selinux/enforce ] && kv selinux_enforce "$(cat /sys/fs/selinux/enforce 2>/dev/null)"
  [ -d /sys/fs/selinux ] && kv selinux_fs 1
  sec_end env - -
}

passwd_dump() { if have getent; then tm getent "$1"; else cat "/etc/$1"; fi; }
ps_dump() { ps -eo pid,ppid,user,group,rss,args 2>/dev/null || ps -o pid,ppid,user,group,rss,args 2>/dev/null || ps; }

# Scan /proc for nginx and php-fpm processes; records masters for later.
SELF_MNTNS=$(readlink /proc/self/ns/mnt 2>/dev/null)
NGX_MASTER_TITLE=
NGX_MASTER_EXE=
FPM_MASTERS=
scan_processes() {
  for sp_d in /proc/[0-9]*; do
    sp_comm=
    read -r sp_comm 2>/dev/null < "$sp_d/comm" || continue
    case $sp_comm in
      nginx|php-fpm*|php[0-9]*-fpm*) ;;
      *) continue ;;
    esac
    sp_pid=${sp_d#/proc/}
    sp_title=$(tr '\000' ' ' < "$sp_d/cmdline" 2>/dev/null)
    sp_exe=$(readlink "$sp_d/exe" 2>/dev/null)
    sp_exe=${sp_exe% (deleted)}
    sp_ns=$(readlink "$sp_d/ns/mnt" 2>/dev/null)
    sec_begin proc "$sp_pid" ''
    kv comm "$sp_comm"
    kv mntns "$sp_ns"
    kv cmdline "$sp_title"
    kv exe "$sp_exe"
    kv etimes "$(ps -o etimes= -p "$sp_pid" 2>/dev/null)"
    grep -E '^(PPid|Uid|Gid|Groups|VmRSS):' "$sp_d/status" 2>/dev/null
    grep '^Pss:' "$sp_d/smaps_rollup" 2>/dev/null
    sec_end proc - -
    # A container's daemons share /proc but not our files: their -c / -y paths mean nothing here.
    [ -z "$sp_ns" ] || [ "$sp_ns" = "$SELF_MNTNS" ] || continue
    case $sp_title in
      'nginx: master process'*)
        NGX_MASTER_TITLE=$sp_title
        NGX_MASTER_EXE=$sp_exe ;;
      'php-fpm: master process ('*)
        sp_conf=${sp_title#*(}
        sp_conf=${sp_conf%)*}
        FPM_MASTERS=$FPM_MASTERS$sp_exe$TAB$sp_conf$NL ;;
    esac
  done
}

# Service state through whatever manager the host runs.
service_state() {
  if [ -d /run/systemd/system ] && have systemctl; then
    run_cmd svc-systemd "$1" "$CAP_CMD" tm systemctl show --no-pager \
      -p Id,LoadState,ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,NRestarts,UnitFileState,FragmentPath,ExecStart \
      "$1.service"
  elif have rc-service && { [ -d /run/openrc ] || [ -x "/etc/init.d/$1" ]; }; then
    [ -e "/etc/init.d/$1" ] && run_cmd svc-openrc "$1" "$CAP_CMD" merged tm rc-service "$1" status
  elif [ -x "/etc/init.d/$1" ]; then
    if have service; then
      run_cmd svc-sysv "$1" "$CAP_CMD" merged tm service "$1" status
    else
      run_cmd svc-sysv "$1" "$CAP_CMD" merged tm "/etc/init.d/$1" status
    fi
  fi
}

pidfile_state() {
  case $2 in /*) ;; *) return ;; esac
  sec_begin pidfile "$1" "$2"
  if [ -f "$2" ]; then
    echo exists=1
    pf_pid=
    read -r pf_pid 2>/dev/null < "$2"
    case $pf_pid in
      ''|*[!0-9]*) kv pid "$pf_pid" ;;
      *)
        kv pid "$pf_pid"
        if [ -d "/proc/$pf_pid" ]; then
          echo alive=1
          kv comm "$(cat "/proc/$pf_pid/comm" 2>/dev/null)"
        else
          echo alive=0
        fi ;;
    esac
  else
    echo exists=0
  fi
  sec_end pidfile - -
}

NGX_BIN=
NGX_CONF=
NGX_PREFIX=
ngx() {
  if [ -n "$NGX_PREFIX" ] && [ -n "$NGX_CONF" ]; then tm "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_CONF" ]; then tm "$NGX_BIN" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_PREFIX" ]; then tm "$NGX_BIN" -p "$NGX_PREFIX" "$@"
  else tm "$NGX_BIN" "$@"
  fi
}

find_nginx() {
  for fn_c in "$NGX_MASTER_EXE" "$(command -v nginx 2>/dev/null)" /usr/sbin/nginx /usr/local/nginx/sbin/nginx \
    /usr/local/sbin/nginx /usr/bin/nginx /usr/local/openresty/nginx/sbin/nginx /opt/nginx/sbin/nginx; do
    case $fn_c in /*) ;; *) continue ;; esac
    if [ -f "$fn_c" ] && [ -x "$fn_c" ]; then NGX_BIN=$fn_c; return 0; fi
  done
  return 1
}

# Prints tagged lines from the nginx config dump: F file, S unix socket, L error_log, P pid.
ngx_extract() {
  sed -n \
    -e 's/^# configuration file \(.*\):$/F \1/p' \
    -e '/^[[:space:]]*#/d' \
    -e 'h' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}\"unix:\([^\"]*\)\".*/S \1/p" -e 'g' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}'unix:\([^']*\)'.*/S \1/p" -e 'g' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}unix:\([^;[:space:]\"']*\).*/S \1/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}\"unix:\([^\"]*\)\".*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}'unix:\([^']*\)'.*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}unix:\([^;[:space:]\"']*\).*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}\"\([^\"]*\)\".*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}'\([^']*\)'.*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}\([^;[:space:]\"'][^;[:space:]]*\).*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}pid[[:space:]]\{1,\}[\"']\{0,1\}\([^;[:space:]\"']*\).*/P \2/p"
}

abs_path() {  # abs_path PREFIX PATH
  case $2 in
    /*) printf '%s\n' "$2" ;;
    *) printf '%s/%s\n' "${1%/}" "$2" ;;
  esac
}

NGX_SOCKETS=
NGX_LOGS=
NGX_PIDS=
collect_nginx() {
  if ! find_nginx; then
    sec_begin nginx - ''
    echo found=0
    sec_end nginx - -
    return
  fi
  case $NGX_MASTER_TITLE in
    *' -c '*) NGX_CONF=${NGX_MASTER_TITLE#* -c }; NGX_CONF=${NGX_CONF%% *} ;;
  esac
  case $NGX_MASTER_TITLE in
    *' -p '*) NGX_PREFIX=${NGX_MASTER_TITLE#* -p }; NGX_PREFIX=${NGX_PREFIX%% *} ;;
  esac
  sec_begin nginx - "$NGX_BIN"
  echo found=1
  kv binary "$NGX_BIN"
  kv master_title "$NGX_MASTER_TITLE"
  kv master_conf "$NGX_CONF"
  kv master_prefix "$NGX_PREFIX"
  sec_end nginx - -
  ngx_v=$(ngx -V 2>&1 </dev/null)
  emit_text cmd nginx-V '' "$?" "$ngx_v" "$CAP_CMD"
  run_cmd nginx-T '' "$CAP_DUMP" ngx -T
  ngx_pfx=$NGX_PREFIX
  [ -n "$ngx_pfx" ] || ngx_pfx=$(printf '%s\n' "$ngx_v" | sed -n 's/.*--prefix=\([^ ]*\).*/\1/p')
  [ -n "$ngx_pfx" ] || ngx_pfx=/etc/nginx
  ngx_x=$(ngx -T 2>/dev/null </dev/null | ngx_extract)
  for_lines ngx_conf_meta "$(printf '%s\n' "$ngx_x" | sed -n 's/^F //p' | uniq_lines)"
  NGX_SOCKETS=$(printf '%s\n' "$ngx_x" | sed -n 's/^S //p' | uniq_lines)
  NGX_LOGS=$( {
    printf '%s\n' "$ngx_x" | sed -n 's/^L //p' | while IFS= read -r l; do
      case $l in
        stderr|syslog:*|memory:*) printf '%s\n' "$l" ;;
        *) abs_path "$ngx_pfx" "$l" ;;
      esac
    done
    printf '%s\n' "$ngx_v" | sed -n 's/.*--error-log-path=\([^ ]*\).*/\1/p'
    echo /var/log/nginx/error.log
  } | uniq_lines)
  NGX_PIDS=$( {
    printf '%s\n' "$ngx_x" | sed -n 's/^P //p' | while IFS= read -r l; do abs_path "$ngx_pfx" "$l"; done
    printf '%s\n' "$ngx_v" | sed -n 's/.*--pid-path=\([^ ]*\).*/\1/p'
  } | uniq_lines)
  for_lines nginx_pidfile "$NGX_PIDS"
  service_state nginx
}
ngx_conf_meta() { case $1 in /*) emit_meta nginx-conf "$1" sha ;; esac; }
nginx_pidfile() { pidfile_state nginx "$1"; }

fpm_candidates() {
  command -v php-fpm 2>/dev/null
  glob_list '/usr/sbin/php-fpm*'
  glob_list '/usr/local/sbin/php-fpm*'
  glob_list '/usr/bin/php-fpm*'
  glob_list '/opt/remi/php*/root/usr/sbin/php-fpm'
  glob_list '/opt/rh/rh-php*/root/usr/sbin/php-fpm'
  printf '%s' "$FPM_MASTERS" | while IFS="$TAB" read -r e c; do printf '%s\n' "$e"; done
}

is_fpm_name() {
  case $1 in
    php-fpm|php-fpm[0-9]|php-fpm[0-9][0-9]|php-fpm[0-9].[0-9]|php-fpm[0-9].[0-9][0-9]) return 0 ;;
  esac
  return 1
}

# One line per distinct php-fpm executable; an alternatives symlink (php-fpm -> php-fpm8.2)
# is reported by its target, whose name tells the version, config and service apart.
fpm_binaries() {
  fb_seen=$NL
  fpm_candidates | while IFS= read -r fb_p; do
    case $fb_p in /*) ;; *) continue ;; esac
    is_fpm_name "${fb_p##*/}" || continue
    [ -f "$fb_p" ] && [ -x "$fb_p" ] || continue
    fb_real=$(readlink -f -- "$fb_p" 2>/dev/null)
    [ -n "$fb_real" ] || fb_real=$fb_p
    case $fb_seen in *"$NL$fb_real$NL"*) continue ;; esac
    fb_seen=$fb_seen$fb_real$NL
    if is_fpm_name "${fb_real##*/}"; then printf '%s\n' "$fb_real"; else printf '%s\n' "$fb_p"; fi
  done
}

fpm_layout() {  # sets FL_CONF FL_SERVICE FL_PREFIX for binary $1
  fl_name=${1##*/}
  fl_ver=${fl_name#php-fpm}
  FL_PREFIX=${1%/*}
  FL_PREFIX=${FL_PREFIX%/*}
  case $1 in
    /opt/remi/*/root/usr/sbin/php-fpm)
      fl_scl=${1#/opt/remi/}; fl_scl=${fl_scl%%/*}
      FL_CONF=/etc/opt/remi/$fl_scl/php-fpm.conf; FL_SERVICE=$fl_scl-php-fpm ;;
    /opt/rh/*/root/usr/sbin/php-fpm)
      fl_scl=${1#/opt/rh/}; fl_scl=${fl_scl%%/*}
      FL_CONF=/etc/opt/rh/$fl_scl/php-fpm.conf; FL_SERVICE=$fl_scl-php-fpm ;;
    /usr/local/sbin/php-fpm)
      FL_CONF=/usr/local/etc/php-fpm.conf; FL_SERVICE=php-fpm ;;
    *)
      case $fl_ver in
        [0-9].[0-9]*) FL_CONF=/etc/php/$fl_ver/fpm/php-fpm.conf; FL_SERVICE=php$fl_ver-fpm ;;
        [0-9]*) FL_CONF=/etc/php$fl_ver/php-fpm.conf; FL_SERVICE=php-fpm$fl_ver ;;
        *) FL_CONF=/etc/php-fpm.conf; FL_SERVICE=php-fpm
           [ -e "$FL_CONF" ] || [ ! -e /etc/php/php-fpm.conf ] || FL_CONF=/etc/php/php-fpm.conf ;;
      esac ;;
  esac
}

# include= values of one php-fpm config file, unquoted, comments stripped.
fpm_includes_of() {
  sed -n 's/^[[:space:]]*include[[:space:]]*=[[:space:]]*//p' "$1" 2>/dev/null | sed \
    -e 's/^"\([^"]*\)".*/\1/' -e 't' \
    -e "s/^'\([^']*\)'.*/\1/" -e 't' \
    -e 's/[[:space:]]*;.*//' -e 's/[[:space:]]*$//'
}

# All files a main config includes, recursively (php-fpm allows 5 levels).
fpm_include_files() {
  fi_prefix=$2
  fi_queue=$1
  fi_all=$NL$1$NL
  fi_depth=0
  while [ -n "$fi_queue" ] && [ "$fi_depth" -lt 5 ]; do
    fi_next=
    fi_ifs=$IFS
    IFS=$NL
    set -f
    for fi_f in $fi_queue; do
      for fi_pat in $(fpm_includes_of "$fi_f"); do
        case $fi_pat in
          '$prefix'/*) fi_pat=$fi_prefix/${fi_pat#\$prefix/} ;;
          /*) ;;
          *) fi_pat=$fi_prefix/$fi_pat ;;
        esac
        for fi_m in $(glob_list "$fi_pat"); do
          case $fi_all in *"$NL$fi_m$NL"*) continue ;; esac
          fi_all=$fi_all$fi_m$NL
          fi_next=$fi_next$fi_m$NL
          printf '%s\n' "$fi_m"
        done
        set -f
      done
    done
    IFS=$fi_ifs
    set +f
    fi_queue=$fi_next
    fi_depth=$((fi_depth + 1))
  done
}

FPM_SOCKETS=
FPM_LOGS=
fpm_install() {
  fi_idx=$2
  fpm_layout "$1"
  fi_real=$(readlink -f -- "$1" 2>/dev/null)
  fi_master_conf=$(printf '%s' "$FPM_MASTERS" | while IFS="$TAB" read -r e c; do
    if [ "$e" = "$1" ] || [ "$e" = "$fi_real" ]; then printf '%s\n' "$c"; break; fi
  done)
  sec_begin fpm "$fi_idx" "$1"
  kv binary "$1"
  kv real "$fi_real"
  kv service "$FL_SERVICE"
  kv prefix "$FL_PREFIX"
  kv layout_conf "$FL_CONF"
  kv master_conf "$fi_master_conf"
  sec_end fpm - -
  run_cmd fpm-v "$fi_idx" "$CAP_CMD" tm "$1" -v
  if [ -n "$fi_master_conf" ] && [ -f "$fi_master_conf" ]; then
    fi_tt=$(tm "$1" -y "$fi_master_conf" -tt 2>&1 </dev/null)
  else
    fi_tt=$(tm "$1" -tt 2>&1 </dev/null)
  fi
  emit_text tt "$fi_idx" "$1" "$?" "$fi_tt" "$CAP_CMD"
  fi_conf=$(printf '%s\n' "$fi_tt" | sed -n 's/.*NOTICE: configuration file \(.*\) test is successful$/\1/p' | head -n 1)
  fi_src=tt
  if [ -z "$fi_conf" ] && [ -n "$fi_master_conf" ]; then fi_conf=$fi_master_conf; fi_src=master; fi
  if [ -z "$fi_conf" ]; then
    fi_conf=$(printf '%s\n' "$fi_tt" | sed -n "s/.*failed to open configuration file '\(.*\)':.*/\1/p" | head -n 1)
    fi_src=tt-error
  fi
  if [ -z "$fi_conf" ]; then fi_conf=$FL_CONF; fi_src=layout; fi
  sec_begin fpm-conf "$fi_idx" "$fi_conf"
  kv source "$fi_src"
  sec_end fpm-conf - -
  emit_file "fpm-main:$fi_idx" "$fi_conf" "$CAP_CONF" sha
  for_lines fpm_pool_file "$(fpm_include_files "$fi_conf" "$FL_PREFIX")" "$fi_idx"
  fi_ini=$(tm "$1" -i 2>/dev/null </dev/null | sed -n \
    -e 's/^Loaded Configuration File => \(\/.*\)/I \1/p' \
    -e 's/^Scan this dir for additional .ini files => \(\/.*\)/D \1/p')
  fi_ini_file=$(printf '%s\n' "$fi_ini" | sed -n 's/^I //p' | head -n 1)
  [ -n "$fi_ini_file" ] && emit_file "fpm-ini:$fi_idx" "$fi_ini_file" "$CAP_FILE" sha
  fi_ini_dir=$(printf '%s\n' "$fi_ini" | sed -n 's/^D //p' | head -n 1)
  if [ -n "$fi_ini_dir" ]; then
    for_lines fpm_extra_ini "$(glob_list "$fi_ini_dir/*.ini")" "$fi_idx"
  fi
  service_state "$FL_SERVICE"
  fi_pid=$(printf '%s\n' "$fi_tt" | sed -n 's/.*NOTICE:[[:space:]]*pid = \(\/.*\)/\1/p' | head -n 1)
  [ -n "$fi_pid" ] && pidfile_state "fpm:$fi_idx" "$fi_pid"
  FPM_SOCKETS=$FPM_SOCKETS$(printf '%s\n' "$fi_tt" | sed -n 's/.*NOTICE:[[:space:]]*listen = \(\/.*\)/\1/p')$NL
  FPM_LOGS=$FPM_LOGS$(printf '%s\n' "$fi_tt" | sed -n \
    -e 's/.*NOTICE:[[:space:]]*error_log = \(.*\)/fpm \1/p' \
    -e 's/.*NOTICE:[[:space:]]*slowlog = \(\/.*\)/fpm-slowlog \1/p' \
    -e 's/.*NOTICE:[[:space:]]*php_admin_value\[error_log\] = \(\/.*\)/fpm-php \1/p' \
    -e 's/.*NOTICE:[[:space:]]*php_value\[error_log\] = \(\/.*\)/fpm-php \1/p')$NL
}
fpm_pool_file() { emit_file "fpm-include:$2" "$1" "$CAP_CONF" sha; }
fpm_extra_ini() {
  grep -q 'max_execution_time' "$1" 2>/dev/null && emit_file "fpm-ini-extra:$2" "$1" "$CAP_CONF" sha
}

collect_fpm() {
  cf_idx=0
  cf_list=$(fpm_binaries)
  cf_ifs=$IFS
  IFS=$NL
  set -f
  for cf_bin in $cf_list; do
    IFS=$cf_ifs
    set +f
    fpm_install "$cf_bin" "$cf_idx" </dev/null
    cf_idx=$((cf_idx + 1))
    IFS=$NL
    set -f
  done
  IFS=$cf_ifs
  set +f
}

socket_ref() { sec_begin sockref "$2" "$1"; sec_end sockref - -; }
path_acl() {
  if [ -e "$1" ] && have getfacl; then
    run_cmd acl "$1" "$CAP_CMD" getfacl -pc -- "$1"
  fi
}
dir_stat() { emit_meta dir "$1"; path_acl "$1"; }
parents_of() {
  while IFS= read -r po_p; do
    case $po_p in /*) ;; *) continue ;; esac
    po_d=${po_p%/*}
    while [ -n "$po_d" ]; do
      printf '%s\n' "$po_d"
      po_d=${po_d%/*}
    done
    echo /
  done
}

# Socket files under /run, named or not (stale ones included); /var/run only when it is not /run.
scan_sockets() {
  find /run -maxdepth 2 -type s -name '*.sock' 2>/dev/null
  find /run/php /run/php-fpm -maxdepth 1 -type s 2>/dev/null
  if [ "$(readlink -f /var/run 2>/dev/null)" != /run ]; then
    find /var/run -maxdepth 2 -type s -name '*.sock' 2>/dev/null
    find /var/run/php /var/run/php-fpm -maxdepth 1 -type s 2>/dev/null
  fi
}

collect_sockets() {
  cs_scan=$(scan_sockets | uniq_lines)
  for_lines socket_ref "$NGX_SOCKETS" nginx
  for_lines socket_ref "$FPM_SOCKETS" fpm
  for_lines socket_ref "$cs_scan" scan
  cs_all=$(printf '%s\n%s\n%s\n' "$NGX_SOCKETS" "$FPM_SOCKETS" "$cs_scan" | grep '^/' | uniq_lines)
  for_lines emit_meta_socket "$cs_all"
  for_lines dir_stat "$(printf '%s\n' "$cs_all" | parents_of | uniq_lines)"
}
emit_meta_socket() { emit_meta socket "$1"; path_acl "$1"; }

unix_listeners_proc() { grep -E '^[0-9a-fA-F]+: [0-9A-Fa-f]+ [0-9A-Fa-f]+ 00010000 ' /proc/net/unix; }
collect_listeners() {
  if have ss; then
    run_cmd ss-unix '' "$CAP_CMD" tm ss -lnpx
    run_cmd ss-tcp '' "$CAP_CMD" tm ss -ltnp
  else
    run_cmd proc-net-unix '' "$CAP_CMD" unix_listeners_proc
    emit_file proc-net-tcp /proc/net/tcp "$CAP_FILE"
    emit_file proc-net-tcp6 /proc/net/tcp6 "$CAP_FILE"
  fi
}

log_line() { emit_log "${1%% *}" "${1#* }"; }
collect_logs() {
  cl_list=$( {
    printf '%s\n' "$NGX_LOGS" | sed -n 's/^./nginx &/p'
    printf '%s\n' "$FPM_LOGS"
    glob_list '/var/log/php*-fpm.log' | sed 's/^/fpm /'
    glob_list '/var/log/php-fpm/error.log' | sed 's/^/fpm /'
    glob_list '/var/log/php-fpm/*slow*.log' | sed 's/^/fpm-slowlog /'
    glob_list '/var/log/php[0-9]*/error.log' | sed 's/^/fpm /'
  } | grep -v '^$' | uniq_lines)
  for_lines log_line "$cl_list"
}

main() {
  exec 3>&1
  # BusyBox timeout keeps the output pipe open for up to a second after the command ends.
  case $(timeout --version 2>/dev/null) in *coreutils*) TMO=30 ;; esac
  collect_env
  if [ -e /etc/os-release ]; then emit_file os-release /etc/os-release "$CAP_FILE"
  else emit_file os-release /usr/lib/os-release "$CAP_FILE"; fi
  emit_file meminfo /proc/meminfo "$CAP_FILE"
  emit_file somaxconn /proc/sys/net/core/somaxconn "$CAP_FILE"
  emit_file loadavg /proc/loadavg "$CAP_FILE"
  run_cmd passwd '' "$CAP_CMD" passwd_dump passwd
  run_cmd group '' "$CAP_CMD" passwd_dump group
  run_cmd ps '' "$CAP_CMD" ps_dump
  scan_processes
  collect_nginx
  collect_fpm
  collect_sockets
  collect_listeners
  collect_logs
  sec_begin done - ''
  sec_end done 0 -
}

main </dev/null
