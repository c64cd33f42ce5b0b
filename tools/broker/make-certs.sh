#!/bin/sh
# Makes a certificate authority and a server certificate for an attune broker (mosquitto).
#   tools/broker/make-certs.sh DIR HOSTNAME [IP ...]
# writes DIR/ca.crt (give it to every attune host: attune room --cafile ca.crt), DIR/ca.key
# (keep it offline: it signs certificates), DIR/server.crt and DIR/server.key (for mosquitto).
# The server certificate names HOSTNAME (and any IPs) so clients can check they reached the
# right broker; it is valid for DAYS days (default 825, what browsers and most clients accept).
set -eu
if [ $# -lt 2 ]; then
	echo "usage: $0 DIR HOSTNAME [IP ...]" >&2
	exit 2
fi
dir=$1
host=$2
shift 2
days=${DAYS:-825}
mkdir -p "$dir"
umask 077
san="DNS:$host"
for ip in "$@"; do
	san="$san,IP:$ip"
done
if [ ! -f "$dir/ca.key" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=attune rooms CA" \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$host" \
	-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
	-CAcreateserial -days "$days" -sha256 -extfile "$dir/server.ext" -out "$dir/server.crt" \
	2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext"
chmod 644 "$dir/ca.crt" "$dir/server.crt"
echo "$dir/ca.crt $dir/server.crt $dir/server.key ($host${1:+, $*}; $days days)"
