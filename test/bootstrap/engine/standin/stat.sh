#!/bin/sh
# WCS statistics page stand-in: GET /?action=stat answers the key=value page, anything else 404.
read -r method path rest
while read -r line; do [ -z "$(echo "$line" | tr -d '\r')" ] && break; done
if [ "$method" = GET ] && [ "$path" = "/?action=stat" ]; then
  body='connections=0
streams_webrtc_in=0
streams_webrtc_out=0
-----Port stats-----
ports_media_busy=0
'
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#body}" "$body"
else
  printf 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
fi
