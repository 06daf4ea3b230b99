#!/bin/sh
# Stand-in for the WCS start script: JVM options from conf/wcs-core.properties (comments and
# blank lines skipped, several options a line allowed), then the server's main class.
WCS=/usr/local/FlashphonerWebCallServer
opts=$(grep -v '^[ \t]*#' "$WCS/conf/wcs-core.properties" | tr '\n' ' ')
# shellcheck disable=SC2086
exec java $opts -Dcom.flashphoner.fms.AppHome="$WCS" com.flashphoner.server.Server
