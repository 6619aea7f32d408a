#!/usr/bin/env bash
# Deploys every stack to a running LocalStack with cdklocal (npm aws-cdk-local, pinned CDK CLI).
# LocalStack itself needs Docker, and its image needs LOCALSTACK_AUTH_TOKEN since March 2026:
#   docker run -d -p 4566:4566 -e LOCALSTACK_AUTH_TOKEN=... -v /var/run/docker.sock:/var/run/docker.sock localstack/localstack
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_CLI_TELEMETRY=true
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
health="http://${LOCALSTACK_HOSTNAME:-localhost}:${EDGE_PORT:-4566}/_localstack/health"
if ! node -e "fetch('$health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
  echo "LocalStack is not answering at $health." >&2
  echo "Start it first (it needs Docker and LOCALSTACK_AUTH_TOKEN), or use the embedded local cloud: npm start" >&2
  exit 1
fi
cdklocal bootstrap --no-notices
cdklocal deploy --all --require-approval never --no-notices --outputs-file cdk.out/localstack-outputs.json "$@"
echo "Outputs: cdk.out/localstack-outputs.json (ApiUrl is the base URL for E2E_BASE_URL)"
