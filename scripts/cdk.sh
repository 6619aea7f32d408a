#!/usr/bin/env bash
# The pinned CDK CLI, quiet: no notices, no telemetry.
export CDK_DISABLE_CLI_TELEMETRY=true
exec cdk --no-notices "$@"
