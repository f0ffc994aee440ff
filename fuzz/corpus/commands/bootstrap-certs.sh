#!/usr/bin/env bash
# Load the shop certificate from the vault export into the cluster.
set -euo pipefail

kubectl create secret tls shop-tls \
  --cert=./certs/shop.example.com.crt \
  --key=./certs/shop.example.com.key \
  -n infra
