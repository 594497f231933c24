# bash completion for mptcpify(8)
_mptcpify() {
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "attach detach exclude list status run monitor enable disable
			daemon load unload connections metrics audit compat oci-hook deny
			--json --verbose --pin-root --config-dir --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--comm) COMPREPLY=($(compgen -W "$(ps -eo comm= 2>/dev/null | sort -u)" -- "$cur")); return ;;
	--cgroup) COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}")); return ;;
	--unit) COMPREPLY=($(compgen -W "$(systemctl list-units --type=service --no-legend --plain 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
	esac
	case $cmd in
	attach) COMPREPLY=($(compgen -W "--comm --cgroup --unit --all --own-cgroup --runtime --help" -- "$cur")) ;;
	detach) COMPREPLY=($(compgen -W "--comm --cgroup --unit --all --all-rules --own-cgroup --runtime --help" -- "$cur")) ;;
	exclude|deny) COMPREPLY=($(compgen -W "--comm --cgroup --unit --remove --runtime --help" -- "$cur")) ;;
	monitor) COMPREPLY=($(compgen -W "--count --timeout --help" -- "$cur")) ;;
	connections) COMPREPLY=($(compgen -W "--selected --listening --help" -- "$cur")) ;;
	daemon) COMPREPLY=($(compgen -W "--keep-on-stop --help" -- "$cur")) ;;
	enable|disable)
		# Service units (not templates: enable wants an instance).
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(systemctl list-unit-files --type=service --no-legend 2>/dev/null |
				awk '$1 !~ /@\.service$/ { print $1 }')" -- "$cur"))
		fi ;;
	audit) COMPREPLY=($(compgen -W "--comm --cgroup --unit --all --remove --runtime --help" -- "$cur")) ;;
	compat) COMPREPLY=($(compgen -W "--kernel --help" -- "$cur")) ;;
	oci-hook) COMPREPLY=($(compgen -W "--wait --help" -- "$cur")) ;;
	run) COMPREPLY=($(compgen -c -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	esac
}
complete -F _mptcpify mptcpify
