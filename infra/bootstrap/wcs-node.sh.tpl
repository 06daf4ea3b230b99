#!/usr/bin/env bash
# wcs-autoscaler media node bootstrap (placeholder; the full script follows).
set -euo pipefail
