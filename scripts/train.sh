#!/usr/bin/env bash
# Train the Rasa model unless one trained from exactly this data is cached.
# The fingerprint covers config.yml, the domain, the training data, the safety detector's code and
# its labelled tuning and training messages (its model is trained with the assistant) and the bot's pinned packages;
# models are cached in ~/.cache/care-assistant/models so a fresh clone on the same machine reuses them.
set -euo pipefail
venv="${1:-.venv/bot}"
cd "$(dirname "$0")/.."
fingerprint=$(cat config.yml requirements/bot.txt \
  $(find bot/domain data/nlu data/rules data/stories -type f -name '*.yml' | sort) \
  bot/nlu/safety_detector.py bot/nlu/safety_model.py bot/policies/safety_policy.py $(ls data/safety/eval/tuning*.tsv data/safety/eval/training*.tsv | sort) \
  | sha256sum | cut -c1-16)
name="care-${fingerprint}"
cache="${CARE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/care-assistant/models}"
mkdir -p models "$cache"
if [ -f "models/${name}.tar.gz" ]; then
  echo "model models/${name}.tar.gz is up to date"
elif [ -f "${cache}/${name}.tar.gz" ]; then
  cp "${cache}/${name}.tar.gz" models/ && echo "model ${name} taken from the cache (${cache})"
else
  echo "training model ${name} (about a minute)"
  "$venv/bin/rasa" train --domain bot/domain --data data/nlu data/rules data/stories \
    --config config.yml --out models --fixed-model-name "${name}" --quiet
  cp "models/${name}.tar.gz" "${cache}/"
fi
# Rasa loads the newest model in models/: make it this one.
touch "models/${name}.tar.gz"
echo "models/${name}.tar.gz" > models/CURRENT
