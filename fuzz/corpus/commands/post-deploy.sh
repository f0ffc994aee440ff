#!/usr/bin/env bash
set -euo pipefail

# cilint-ignore label-comand-unknown-gateway -- created by Terraform
kubectl -n infra label service cilium-gateway-edge lb=edge --overwrite
kubectl -n infra label service cilium-gateway-public lb=public # cilint-ignore label-command-unknown-gateway
# cilint-ignore
kubectl -n infra annotate service cilium-gateway-public owner=shop
