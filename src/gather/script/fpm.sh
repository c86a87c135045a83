# shellcheck shell=sh
# php-fpm: every install, its version and -tt, the main config and every file it includes, the
# php.ini it loads and the scanned .ini files that set max_execution_time, its service, pidfile,
# listen and log paths. (The globals set here are read by the other collector files.)
# shellcheck disable=SC2034

is_fpm_name() {
  case $1 in
    php-fpm | php-fpm[0-9] | php-fpm[0-9][0-9] | php-fpm[0-9].[0-9] | php-fpm[0-9].[0-9][0-9]) return 0 ;;
  esac
  return 1
}

# One realpath for everything a binary is looked up by: the running masters' executables, the
# php-fpm candidates (the one on PATH, the distros' places) and /var/run. Sets NGX_EXE,
# FPM_MASTERS (lines "binary TAB config"), FPM_CANDIDATES (lines "path TAB real") and VAR_RUN_REAL.
FPM_CANDIDATES=
VAR_RUN_REAL=
resolve_binaries() {
  rb_paths=
  [ -z "$NGX_MASTER_PID" ] || rb_paths=/proc/$NGX_MASTER_PID/exe$NL
  rb_masters=$FPM_MASTERS
  while [ -n "$rb_masters" ]; do
    rb_l=${rb_masters%%"$NL"*}
    rb_masters=${rb_masters#*"$NL"}
    rb_paths=$rb_paths/proc/${rb_l%%"$TAB"*}/exe$NL
  done
  which_into php-fpm
  rb_cands=$WHICH$NL
  for rb_g in '/usr/sbin/php-fpm*' '/usr/local/sbin/php-fpm*' '/usr/bin/php-fpm*' \
    '/opt/remi/php*/root/usr/sbin/php-fpm' '/opt/rh/rh-php*/root/usr/sbin/php-fpm'; do
    glob_into "$rb_g"
    rb_cands=$rb_cands$GLOB
  done
  rb_keep=
  rb_ifs=$IFS
  IFS=$NL
  set -f
  for rb_c in $rb_cands; do
    case $rb_c in /*) rb_keep=$rb_keep$rb_c$NL ;; esac
  done
  rb_list=
  for rb_p in $rb_paths$rb_keep/var/run; do rb_list=$rb_list$rb_p$B; done
  IFS=$rb_ifs
  set +f
  realpaths "$rb_list"
  rb_reals=$REALS
  if [ -n "$NGX_MASTER_PID" ]; then
    NGX_EXE=${rb_reals%%"$NL"*}
    NGX_EXE=${NGX_EXE% (deleted)}
    rb_reals=${rb_reals#*"$NL"}
  fi
  rb_masters=$FPM_MASTERS
  FPM_MASTERS=
  rb_exes=
  while [ -n "$rb_masters" ]; do
    rb_l=${rb_masters%%"$NL"*}
    rb_masters=${rb_masters#*"$NL"}
    rb_exe=${rb_reals%%"$NL"*}
    rb_exe=${rb_exe% (deleted)}
    rb_reals=${rb_reals#*"$NL"}
    FPM_MASTERS=$FPM_MASTERS$rb_exe$TAB${rb_l#*"$TAB"}$NL
    [ -z "$rb_exe" ] || rb_exes=$rb_exes$rb_exe$TAB$rb_exe$NL
  done
  FPM_CANDIDATES=
  while [ -n "$rb_keep" ]; do
    rb_c=${rb_keep%%"$NL"*}
    rb_keep=${rb_keep#*"$NL"}
    FPM_CANDIDATES=$FPM_CANDIDATES$rb_c$TAB${rb_reals%%"$NL"*}$NL
    rb_reals=${rb_reals#*"$NL"}
  done
  FPM_CANDIDATES=$FPM_CANDIDATES$rb_exes
  VAR_RUN_REAL=${rb_reals%%"$NL"*}
}

# FPM_BINS gets one line "binary TAB real" per distinct php-fpm executable; an alternatives
# symlink (php-fpm -> php-fpm8.2) is reported by its target, whose name tells the version,
# config and service apart.
fpm_binaries() {
  FPM_BINS=
  fb_seen=$NL
  fb_left=$FPM_CANDIDATES
  while [ -n "$fb_left" ]; do
    fb_l=${fb_left%%"$NL"*}
    fb_left=${fb_left#*"$NL"}
    fb_p=${fb_l%%"$TAB"*}
    fb_real=${fb_l#*"$TAB"}
    case $fb_p in /*) ;; *) continue ;; esac
    is_fpm_name "${fb_p##*/}" || continue
    if [ ! -f "$fb_p" ] || [ ! -x "$fb_p" ]; then continue; fi
    [ -n "$fb_real" ] || fb_real=$fb_p
    case $fb_seen in *"$NL$fb_real$NL"*) continue ;; esac
    fb_seen=$fb_seen$fb_real$NL
    if is_fpm_name "${fb_real##*/}"; then fb_p=$fb_real; fi
    FPM_BINS=$FPM_BINS$fb_p$TAB$fb_real$NL
  done
}

# Sets FL_CONF FL_SERVICE FL_PREFIX (the distro's main config, service name and install prefix)
# and FL_INI FL_SCAN (where the distro's build of this binary looks for php.ini, and the directory
# it scans for more .ini files) for binary $1.
fpm_layout() {
  fl_name=${1##*/}
  fl_ver=${fl_name#php-fpm}
  FL_PREFIX=${1%/*}
  FL_PREFIX=${FL_PREFIX%/*}
  FL_SCAN=conf.d
  case $1 in
    /opt/remi/*/root/usr/sbin/php-fpm)
      fl_scl=${1#/opt/remi/}
      fl_scl=${fl_scl%%/*}
      FL_CONF=/etc/opt/remi/$fl_scl/php-fpm.conf
      FL_SERVICE=$fl_scl-php-fpm
      FL_SCAN=php.d
      ;;
    /opt/rh/*/root/usr/sbin/php-fpm)
      fl_scl=${1#/opt/rh/}
      fl_scl=${fl_scl%%/*}
      FL_CONF=/etc/opt/rh/$fl_scl/php-fpm.conf
      FL_SERVICE=$fl_scl-php-fpm
      FL_SCAN=php.d
      ;;
    /usr/local/sbin/php-fpm)
      FL_CONF=/usr/local/etc/php-fpm.conf
      FL_SERVICE=php-fpm
      ;;
    *)
      case $fl_ver in
        [0-9].[0-9]*)
          FL_CONF=/etc/php/$fl_ver/fpm/php-fpm.conf
          FL_SERVICE=php$fl_ver-fpm
          ;;
        [0-9]*)
          FL_CONF=/etc/php$fl_ver/php-fpm.conf
          FL_SERVICE=php-fpm$fl_ver
          ;;
        *)
          FL_CONF=/etc/php-fpm.conf
          FL_SERVICE=php-fpm
          [ -e "$FL_CONF" ] || [ ! -e /etc/php/php-fpm.conf ] || FL_CONF=/etc/php/php-fpm.conf
          [ "$FL_CONF" != /etc/php-fpm.conf ] || FL_SCAN=php.d
          ;;
      esac
      ;;
  esac
  # Official Docker images configure /usr/local/etc/php; other builds keep PHP's default, PREFIX/lib.
  case $1 in
    /usr/local/sbin/php-fpm) if [ -d /usr/local/etc/php ]; then fl_dir=/usr/local/etc/php; else fl_dir=/usr/local/lib FL_SCAN=; fi ;;
    /usr/sbin/* | /usr/bin/* | /opt/remi/* | /opt/rh/*) fl_dir=${FL_CONF%/*} ;;
    *) fl_dir=$FL_PREFIX/lib FL_SCAN= ;;
  esac
  [ -z "$FL_SCAN" ] || FL_SCAN=$fl_dir/$FL_SCAN
  [ -z "${PHP_INI_SCAN_DIR+set}" ] || FL_SCAN=$PHP_INI_SCAN_DIR
  # PHP looks in $PHPRC, then beside the binary, then in its configured directory; for
  # php-fpm-fcgi.ini first, then for php.ini.
  FL_INI=
  for fl_file in php-fpm-fcgi.ini php.ini; do
    for fl_d in "${PHPRC:-}" "${1%/*}" "$fl_dir"; do
      [ -n "$fl_d" ] || continue
      if [ -f "$fl_d/$fl_file" ] && [ -r "$fl_d/$fl_file" ]; then
        FL_INI=$fl_d/$fl_file
        return 0
      fi
    done
  done
}

# Reads php-fpm's -tt output $1: FT_CONF (the config it tested), FT_ERRCONF (one it failed to
# open), FT_PID; appends the unix sockets it listens on to FPM_SOCKETS and its logs to FPM_LOGS.
FPM_SOCKETS=
FPM_LOGS=
fpm_tt_scan() {
  FT_CONF='' FT_ERRCONF='' FT_PID=''
  ft_ifs=$IFS
  IFS=$NL
  set -f
  for ft_l in $1; do
    case $ft_l in
      *'NOTICE: configuration file '*' test is successful')
        if [ -z "$FT_CONF" ]; then
          FT_CONF=${ft_l##*'NOTICE: configuration file '}
          FT_CONF=${FT_CONF%' test is successful'}
        fi
        continue
        ;;
      *"failed to open configuration file '"*"':"*)
        if [ -z "$FT_ERRCONF" ]; then
          FT_ERRCONF=${ft_l##*"failed to open configuration file '"}
          FT_ERRCONF=${FT_ERRCONF%"':"*}
        fi
        continue
        ;;
      *NOTICE:*) ;;
      *) continue ;;
    esac
    ft_r=${ft_l#*NOTICE:}
    ft_r=${ft_r#"${ft_r%%[![:space:]]*}"}
    case $ft_r in
      'pid = /'*) [ -n "$FT_PID" ] || FT_PID=${ft_r#'pid = '} ;;
      'listen = /'*) FPM_SOCKETS=$FPM_SOCKETS${ft_r#'listen = '}$NL ;;
      'error_log = '*) FPM_LOGS="${FPM_LOGS}fpm ${ft_r#'error_log = '}$NL" ;;
      'slowlog = /'*) FPM_LOGS="${FPM_LOGS}fpm-slowlog ${ft_r#'slowlog = '}$NL" ;;
      'php_admin_value[error_log] = /'*) FPM_LOGS="${FPM_LOGS}fpm-php ${ft_r#'php_admin_value[error_log] = '}$NL" ;;
      'php_value[error_log] = /'*) FPM_LOGS="${FPM_LOGS}fpm-php ${ft_r#'php_value[error_log] = '}$NL" ;;
    esac
  done
  IFS=$ft_ifs
  set +f
}

# One install: its section, -v, -tt (against the running master's config when one runs), the
# main config it uses, service and pidfile. Appends "idx TAB prefix TAB conf TAB ini TAB scan"
# to INSTALLS for the file collectors below.
INSTALLS=
fpm_install() {
  fi_bin=$1 fi_real=$2 fi_idx=$3
  fpm_layout "$fi_bin"
  fi_master_conf=
  fi_left=$FPM_MASTERS
  while [ -n "$fi_left" ]; do
    fi_l=${fi_left%%"$NL"*}
    fi_left=${fi_left#*"$NL"}
    case ${fi_l%%"$TAB"*} in
      "$fi_bin" | "$fi_real")
        fi_master_conf=${fi_l#*"$TAB"}
        break
        ;;
    esac
  done
  sec_begin fpm "$fi_idx" "$fi_bin"
  kv binary "$fi_bin"
  kv real "$fi_real"
  kv service "$FL_SERVICE"
  kv prefix "$FL_PREFIX"
  kv layout_conf "$FL_CONF"
  kv master_conf "$fi_master_conf"
  sec_end fpm - -
  # The version PHP compiled into the binary (its X-Powered-By header string) is read without
  # starting PHP; only a binary that does not carry it is asked with -v (-n: the version line
  # needs no php.ini, and loading its extensions costs most of that run).
  fi_version=$(grep -a -o -m 1 -e 'X-Powered-By: PHP/[0-9][^[:space:][:cntrl:]]*' -- "$fi_bin" 2>/dev/null </dev/null)
  fi_version=${fi_version%%"$NL"*}
  if [ -n "$fi_version" ]; then
    sec_begin cmd fpm-version "$fi_idx"
    printf '%s\n' "${fi_version#*PHP/}"
    sec_end cmd 0 -
  else
    sec_begin cmd fpm-v "$fi_idx"
    "$fi_bin" -n -v 2>/dev/null </dev/null
    sec_end cmd "$?" -
  fi
  # The config test looks up the pools' users and groups: under timeout only when those lookups
  # can leave the host. (fi_tm unquoted: "timeout N" or nothing, so the command stays a simple
  # one, which the subshell runs without a fork of its own.)
  fi_tm=$TM
  [ -z "$NSS_LOCAL" ] || fi_tm=
  # shellcheck disable=SC2086
  if [ -n "$fi_master_conf" ] && [ -f "$fi_master_conf" ]; then
    fi_tt=$($fi_tm "$fi_bin" -y "$fi_master_conf" -tt 2>&1 </dev/null)
  else
    fi_tt=$($fi_tm "$fi_bin" -tt 2>&1 </dev/null)
  fi
  fi_rc=$?
  sec_begin tt "$fi_idx" "$fi_bin"
  if [ -z "$fi_tt" ]; then
    sec_end tt "$fi_rc" -
  elif [ "${#fi_tt}" -lt "$CAP_CMD" ]; then
    printf '%s\n' "$fi_tt"
    sec_end tt "$fi_rc" -
  else
    printf '%s\n' "$fi_tt" | head -c "$CAP_CMD"
    sec_end tt "$fi_rc" truncated
  fi
  fpm_tt_scan "$fi_tt"
  fi_conf=$FT_CONF
  fi_src=tt
  if [ -z "$fi_conf" ] && [ -n "$fi_master_conf" ]; then
    fi_conf=$fi_master_conf
    fi_src=master
  fi
  if [ -z "$fi_conf" ]; then
    fi_conf=$FT_ERRCONF
    fi_src=tt-error
  fi
  if [ -z "$fi_conf" ]; then
    fi_conf=$FL_CONF
    fi_src=layout
  fi
  sec_begin fpm-conf "$fi_idx" "$fi_conf"
  kv source "$fi_src"
  sec_end fpm-conf - -
  INSTALLS=$INSTALLS$fi_idx$TAB$FL_PREFIX$TAB$fi_conf$TAB$FL_INI$TAB$FL_SCAN$NL
  service_state "$FL_SERVICE"
  [ -z "$FT_PID" ] || pidfile_state "fpm:$fi_idx" "$FT_PID"
}

# INSTALL gets the INSTALLS line of install $1.
install_line() {
  INSTALL=$NL$INSTALLS
  INSTALL=${INSTALL#*"$NL$1$TAB"}
  INSTALL=$1$TAB${INSTALL%%"$NL"*}
}

# install_field N LINE: FIELD gets field N (1-5) of an INSTALLS line.
install_field() {
  FIELD=$2
  if_n=$1
  while [ "$if_n" -gt 1 ]; do
    FIELD=${FIELD#*"$TAB"}
    if_n=$((if_n - 1))
  done
  FIELD=${FIELD%%"$TAB"*}
}

# INC gets the value of one `include = …` line of a php-fpm config: unquoted, comment stripped.
fpm_include_value() {
  INC=${1#"${1%%[![:space:]]*}"}
  INC=${INC#include}
  INC=${INC#"${INC%%[![:space:]]*}"}
  INC=${INC#=}
  INC=${INC#"${INC%%[![:space:]]*}"}
  case $INC in
    '"'*'"'*)
      INC=${INC#\"}
      INC=${INC%%\"*}
      ;;
    "'"*"'"*)
      INC=${INC#\'}
      INC=${INC%%\'*}
      ;;
    *)
      INC=${INC%%;*}
      INC=${INC%"${INC##*[![:space:]]}"}
      ;;
  esac
}

# INCLUDED gets lines "idx TAB file" for every file the installs' main configs include,
# recursively (php-fpm follows 5 levels), each install's in include order. One grep per level
# for all installs.
fpm_includes() {
  INCLUDED=
  fc_queue=
  fc_left=$INSTALLS
  while [ -n "$fc_left" ]; do
    fc_i=${fc_left%%"$NL"*}
    fc_left=${fc_left#*"$NL"}
    install_field 3 "$fc_i"
    fc_queue=$fc_queue${fc_i%%"$TAB"*}$TAB$FIELD$NL
  done
  fc_seen=$NL$fc_queue
  fc_depth=0
  while [ -n "$fc_queue" ] && [ "$fc_depth" -lt 5 ]; do
    fc_files=$NL
    set --
    fc_left=$fc_queue
    while [ -n "$fc_left" ]; do
      fc_q=${fc_left%%"$NL"*}
      fc_left=${fc_left#*"$NL"}
      case $fc_files in *"$NL${fc_q#*"$TAB"}$NL"*) continue ;; esac
      fc_files=$fc_files${fc_q#*"$TAB"}$NL
      set -- "$@" "${fc_q#*"$TAB"}"
    done
    fc_out=$(grep -H -e '^[[:space:]]*include[[:space:]]*=' -- "$@" 2>/dev/null)
    fc_next=
    fc_left=$fc_queue
    while [ -n "$fc_left" ]; do
      fc_q=${fc_left%%"$NL"*}
      fc_left=${fc_left#*"$NL"}
      fc_idx=${fc_q%%"$TAB"*}
      fc_file=${fc_q#*"$TAB"}
      install_line "$fc_idx"
      install_field 2 "$INSTALL"
      fc_prefix=$FIELD
      fc_ifs=$IFS
      IFS=$NL
      set -f
      for fc_line in $fc_out; do
        case $fc_line in "$fc_file:"*) ;; *) continue ;; esac
        fpm_include_value "${fc_line#"$fc_file:"}"
        [ -n "$INC" ] || continue
        # shellcheck disable=SC2016 # php-fpm's own $prefix, literally
        case $INC in
          '$prefix'/*) INC=$fc_prefix/${INC#\$prefix/} ;;
          /*) ;;
          *) INC=$fc_prefix/$INC ;;
        esac
        glob_into "$INC"
        set -f
        for fc_m in $GLOB; do
          case $fc_seen in *"$NL$fc_idx$TAB$fc_m$NL"*) continue ;; esac
          fc_seen=$fc_seen$fc_idx$TAB$fc_m$NL
          fc_next=$fc_next$fc_idx$TAB$fc_m$NL
          INCLUDED=$INCLUDED$fc_idx$TAB$fc_m$NL
        done
      done
      IFS=$fc_ifs
      set +f
    done
    fc_queue=$fc_next
    fc_depth=$((fc_depth + 1))
  done
}

# install_metas IDX LIST ROLE [ONLY]: meta ROLE:IDX (content and fingerprint) for each
# "idx TAB path" line of LIST that is install IDX's and, given ONLY, a line of ONLY.
install_metas() {
  im_left=$2
  while [ -n "$im_left" ]; do
    im_l=${im_left%%"$NL"*}
    im_left=${im_left#*"$NL"}
    [ "${im_l%%"$TAB"*}" = "$1" ] || continue
    im_path=${im_l#*"$TAB"}
    case ${4-$NL$im_path$NL} in *"$NL$im_path$NL"*) meta "$3:$1" "$im_path" content sha ;; esac
  done
}

# The files of every install: main config and includes (content and fingerprint), php.ini, and
# the scanned .ini files that mention max_execution_time (one grep for all installs).
fpm_files() {
  fpm_includes
  ff_scanned=
  ff_seen=$NL
  set --
  ff_left=$INSTALLS
  while [ -n "$ff_left" ]; do
    ff_i=${ff_left%%"$NL"*}
    ff_left=${ff_left#*"$NL"}
    install_field 5 "$ff_i"
    [ -n "$FIELD" ] || continue
    glob_into "$FIELD/*.ini"
    ff_ifs=$IFS
    IFS=$NL
    set -f
    for ff_f in $GLOB; do
      ff_scanned=$ff_scanned${ff_i%%"$TAB"*}$TAB$ff_f$NL
      case $ff_seen in *"$NL$ff_f$NL"*) continue ;; esac
      ff_seen=$ff_seen$ff_f$NL
      set -- "$@" "$ff_f"
    done
    IFS=$ff_ifs
    set +f
  done
  ff_timeouts=$NL
  [ $# -eq 0 ] || ff_timeouts=$NL$(grep -l -e max_execution_time -- "$@" 2>/dev/null)$NL
  ff_left=$INSTALLS
  while [ -n "$ff_left" ]; do
    ff_i=${ff_left%%"$NL"*}
    ff_left=${ff_left#*"$NL"}
    ff_idx=${ff_i%%"$TAB"*}
    install_field 3 "$ff_i"
    meta "fpm-main:$ff_idx" "$FIELD" content sha
    install_metas "$ff_idx" "$INCLUDED" fpm-include
    install_field 4 "$ff_i"
    [ -z "$FIELD" ] || meta "fpm-ini:$ff_idx" "$FIELD" content sha
    install_metas "$ff_idx" "$ff_scanned" fpm-ini-extra "$ff_timeouts"
  done
}

collect_fpm() {
  fpm_binaries
  cf_idx=0
  cf_left=$FPM_BINS
  while [ -n "$cf_left" ]; do
    cf_l=${cf_left%%"$NL"*}
    cf_left=${cf_left#*"$NL"}
    fpm_install "${cf_l%%"$TAB"*}" "${cf_l#*"$TAB"}" "$cf_idx"
    cf_idx=$((cf_idx + 1))
  done
  fpm_files
}
