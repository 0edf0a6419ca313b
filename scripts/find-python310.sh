#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 needs it): python3.10 on PATH, else pyenv.
set -u
if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  command -v python3.10; exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -t. -k3 -n -r); do
    p=$(PYENV_VERSION="$v" pyenv which python3.10 2>/dev/null) && [ -x "$p" ] && { echo "$p"; exit 0; }
  done
fi
echo "error: Python 3.10 not found. Rasa 3.6 needs it: install it (e.g. 'pyenv install 3.10.13') or put python3.10 on PATH." >&2
exit 1
