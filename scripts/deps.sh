#!/usr/bin/env bash
# Makes sure what the tests need is here: a Redis answering on
# 127.0.0.1:6379 (started if none answers, installed from Debian's packages
# if missing), and Chromium and promtool for the status page and alert-rule
# tests. Installing needs root (apt-get); without it the script says what to
# install and the tests that need a missing tool skip themselves.
set -u

have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi
}

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		as_root apt-get update -qq >/dev/null 2>&1 || true
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

redis_answers() {
	# A PING over bash's /dev/tcp: redis-cli may not be installed.
	exec 3<>/dev/tcp/127.0.0.1/6379 2>/dev/null || return 1
	printf 'PING\r\n' >&3
	local reply
	read -r -t 2 reply <&3
	exec 3>&-
	[[ "$reply" == +PONG* ]]
}

if ! redis_answers; then
	if ! have redis-server; then
		echo "deps: installing redis-server" >&2
		apt_install redis-server || echo "deps: cannot install redis-server (need root): apt-get install -y redis-server" >&2
	fi
	if have redis-server; then
		echo "deps: starting redis-server on 127.0.0.1:6379" >&2
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
			--appendonly no --logfile /tmp/downloader-redis.log >/dev/null
		for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
	fi
fi

if [ "${DOWNLOADER_SKIP_TOOLS:-}" != 1 ]; then
	if ! have chromium; then
		echo "deps: installing chromium (status page test)" >&2
		apt_install chromium || echo "deps: chromium missing; its test will skip" >&2
	fi
	if ! have promtool; then
		echo "deps: installing prometheus (promtool, alert rule tests)" >&2
		apt_install prometheus || echo "deps: promtool missing; its test will skip" >&2
		# The package starts a Prometheus server on some systems; tests need only the tool.
		as_root pkill -x prometheus >/dev/null 2>&1 || true
	fi
fi
exit 0
