#!/usr/bin/env bash
# Creates the Secrets the overlays expect, with fresh random values where we choose them, in
# namespace ${NAMESPACE:-oneassess}. Idempotent: an existing Secret is left as it is (rotate by
# deleting it first). Needs kubectl and openssl. See docs/deploy.md for each Secret's use.
#
#   NAMESPACE=oneassess S3_ACCESS_KEY=... S3_SECRET_KEY=... deploy/k8s/secrets.sh
set -euo pipefail
ns="${NAMESPACE:-oneassess}"
rand() { openssl rand -hex 32; }
exists() { kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; }
create() {  # name, then key=value pairs
  local name="$1"; shift
  if exists "$name"; then echo "secret/$name exists: kept"; return; fi
  local args=()
  for pair in "$@"; do args+=(--from-literal="$pair"); done
  kubectl -n "$ns" create secret generic "$name" "${args[@]}"
}
basic_auth() {  # a CloudNativePG managed role's password Secret
  local name="$1" user="$2" password="$3"
  if exists "$name"; then echo "secret/$name exists: kept"; return; fi
  kubectl -n "$ns" create secret generic "$name" --type=kubernetes.io/basic-auth \
    --from-literal=username="$user" --from-literal=password="$password"
}

# Identity (deploy/k8s/base/issuer.yaml): only the issuer gets the signing key; each service,
# the worker and the portal get their own client secret, whose SHA-256 the issuer's
# clients.yaml lists. With the city's own identity provider instead, skip this part and
# register the clients there (docs/identity.md).
if ! exists oneassess-issuer-key; then
  key="$(mktemp)"; trap 'rm -f "$key"' EXIT
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$key"
  kubectl -n "$ns" create secret generic oneassess-issuer-key --from-file=signing-key.pem="$key"
fi
clients="clients:"
for client in indicators submissions scoring worker portal; do
  secret="$(rand)"
  create "oneassess-client-$client" secret="$secret"
  clients+=$'\n'"  - id: $client"$'\n'"    secret_sha256: $(printf %s "$secret" | sha256sum | cut -d' ' -f1)"
  if [ "$client" = portal ]; then
    clients+=$'\n'"    grants: [authorization_code]"
    clients+=$'\n'"    redirect_uris: [${PORTAL_URL:?PORTAL_URL=https://portal.example}/auth/callback]"
  else
    clients+=$'\n'"    grants: [client_credentials]"
  fi
done
clients+=$'\n'"  - id: cli"$'\n'"    grants: [password]"
create oneassess-portal-session secret="$(rand)"
if ! exists oneassess-issuer-directory; then
  kubectl -n "$ns" create secret generic oneassess-issuer-directory \
    --from-literal=clients.yaml="$clients" --from-file=people.yaml="${PEOPLE:?PEOPLE=path/to/people.yaml}"
fi

# PostgreSQL (CloudNativePG, deploy/k8s/components/postgres-cnpg): one role per service.
pooler="oneassess-pg-pooler-rw"; primary="oneassess-pg-rw"; db="oneassess"
pairs=()
for svc in indicators submissions scoring; do
  var="PG_PASSWORD_${svc^^}"; password="${!var:-$(rand)}"
  basic_auth "oneassess-pg-$svc" "$svc" "$password"
  host="$pooler"; [ "$svc" = submissions ] && host="$primary"  # its relay LISTENs
  pairs+=("$svc-url=postgresql://$svc:$password@$host:5432/$db")
  pairs+=("$svc-migrate-url=postgresql://$svc:$password@$primary:5432/$db")
done
# An external PostgreSQL instead: set DATABASE_URL and every key gets it.
if [ -n "${DATABASE_URL:-}" ]; then
  pairs=(url="$DATABASE_URL" migrate-url="$DATABASE_URL")
  for svc in indicators submissions scoring; do
    pairs+=("$svc-url=$DATABASE_URL" "$svc-migrate-url=$DATABASE_URL")
  done
fi
create oneassess-database "${pairs[@]}"

# S3-compatible evidence store credentials (omit with a pod role on AWS).
if [ -n "${S3_ACCESS_KEY:-}" ]; then
  create oneassess-s3 AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="${S3_SECRET_KEY:?}"
fi

# Temporal: mTLS client certificate (files) and/or an API key (Temporal Cloud). Optional.
if [ -n "${TEMPORAL_TLS_CERT_FILE:-}" ] && ! exists oneassess-temporal-client; then
  kubectl -n "$ns" create secret generic oneassess-temporal-client \
    --from-file=tls.crt="$TEMPORAL_TLS_CERT_FILE" --from-file=tls.key="${TEMPORAL_TLS_KEY_FILE:?}" \
    ${TEMPORAL_TLS_CA_FILE:+--from-file=ca.crt="$TEMPORAL_TLS_CA_FILE"}
fi
if [ -n "${TEMPORAL_API_KEY:-}" ]; then
  create oneassess-temporal-api-key TEMPORAL_API_KEY="$TEMPORAL_API_KEY"
fi

# Temporal's own database password (deploy/temporal/values.yaml: existingSecret temporal-db).
create temporal-db password="${TEMPORAL_DB_PASSWORD:-$(rand)}"
