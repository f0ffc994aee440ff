#!/usr/bin/env bash
set -euo pipefail
# The wildcard certificate comes from the corporate CA, not cert-manager.
kubectl create secret tls wildcard-example-com -n infra \
  --cert=certs/wildcard.crt --key=certs/wildcard.key
