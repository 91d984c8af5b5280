#!/bin/sh
# Re-encrypts every SOPS file of a repository that has a Vault transit key entry under a new data
# key (wrapped with the transit key's newest version), then commits and pushes. Run on a schedule
# by the CronJob in docs/kubernetes.md; run by test/k8s.test.ts against a loopback Vault.
#
#   REPO_URL     the repository to clone (required)
#   BRANCH       the branch (default main)
#   VAULT_ADDR   Vault's address (used when a file's entry has none)
#   VAULT_TOKEN  a token; if unset, VAULT_ROLE logs in with the pod's service account token
#   HUSH         the hush command (default hush)
#
# Nothing is decrypted to disk: `hush rotate -i` decrypts in memory and writes the file encrypted,
# atomically. Any failure stops the script before the push.
set -eu

: "${REPO_URL:?set REPO_URL}"
BRANCH="${BRANCH:-main}"
HUSH="${HUSH:-hush}"

if [ -z "${VAULT_TOKEN:-}" ]; then
    : "${VAULT_ROLE:?set VAULT_TOKEN, or VAULT_ROLE for Vault's kubernetes auth}"
    : "${VAULT_ADDR:?set VAULT_ADDR}"
    jwt=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)
    VAULT_TOKEN=$(curl -sSf -X POST --data "{\"role\":\"${VAULT_ROLE}\",\"jwt\":\"${jwt}\"}" \
        "${VAULT_ADDR%/}/v1/auth/${VAULT_AUTH_PATH:-kubernetes}/login" |
        sed -n 's/.*"client_token":"\([^"]*\)".*/\1/p')
    [ -n "${VAULT_TOKEN}" ] || { echo "rotate: Vault login failed" >&2; exit 1; }
    export VAULT_TOKEN
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
git clone --quiet --depth 1 --branch "$BRANCH" "$REPO_URL" "$work/repo"
cd "$work/repo"

# Files whose sops metadata names a Vault transit key (vault_address appears in every format).
git ls-files >"$work/files"
count=0
while IFS= read -r f; do
    [ -f "$f" ] && [ "$f" != ".sops.yaml" ] || continue
    grep -q 'vault_address' "$f" || continue
    grep -q 'ENC\[AES256_GCM' "$f" || continue
    # shellcheck disable=SC2086
    $HUSH rotate -i "$f" </dev/null
    count=$((count + 1))
done <"$work/files"

if [ "$count" -eq 0 ]; then
    echo "rotate: no file has a Vault transit key entry"
    exit 0
fi
git commit --quiet -am "Re-encrypt $count file(s) under new data keys (Vault transit key rotation)"
git push --quiet origin "HEAD:$BRANCH"
echo "rotate: re-encrypted $count file(s)"
