/** php-fpm: every install, its -v and -tt, main config and every file it includes, php.ini, service, pidfile, listen and log paths. */
export const SCRIPT_FPM = String.raw`fpm_candidates() {
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
    is_fpm_name "$\{fb_p##*/}" || continue
    [ -f "$fb_p" ] && [ -x "$fb_p" ] || continue
    fb_real=$(readlink -f -- "$fb_p" 2>/dev/null)
    [ -n "$fb_real" ] || fb_real=$fb_p
    case $fb_seen in *"$NL$fb_real$NL"*) continue ;; esac
    fb_seen=$fb_seen$fb_real$NL
    if is_fpm_name "$\{fb_real##*/}"; then printf '%s\n' "$fb_real"; else printf '%s\n' "$fb_p"; fi
  done
}

fpm_layout() {  # sets FL_CONF FL_SERVICE FL_PREFIX for binary $1
  fl_name=$\{1##*/}
  fl_ver=$\{fl_name#php-fpm}
  FL_PREFIX=$\{1%/*}
  FL_PREFIX=$\{FL_PREFIX%/*}
  case $1 in
    /opt/remi/*/root/usr/sbin/php-fpm)
      fl_scl=$\{1#/opt/remi/}; fl_scl=$\{fl_scl%%/*}
      FL_CONF=/etc/opt/remi/$fl_scl/php-fpm.conf; FL_SERVICE=$fl_scl-php-fpm ;;
    /opt/rh/*/root/usr/sbin/php-fpm)
      fl_scl=$\{1#/opt/rh/}; fl_scl=$\{fl_scl%%/*}
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
          '$prefix'/*) fi_pat=$fi_prefix/$\{fi_pat#\$prefix/} ;;
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
`
