#!/usr/bin/env bash
# Runs every test (placeholder until the full installer lands).
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Tusk.sln -c Release
