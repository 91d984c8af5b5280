#!/usr/bin/env sh
# A helm-secrets secret backend that runs hush instead of sops (docs/kubernetes.md).
#
#   helm secrets -b ./hush-backend.sh template . -f secrets.yaml
#   HELM_SECRETS_BACKEND=./hush-backend.sh helm secrets decrypt secrets.yaml
#
# helm-secrets sources this file and calls the _custom_backend_* functions below (see its
# scripts/lib/backend.sh). HELM_SECRETS_HUSH_PATH chooses the hush command (default: hush on
# PATH); helm-secrets's -a/--backend-args (SECRET_BACKEND_ARGS) are passed to hush.
# Files are in the SOPS format, so a chart's secrets work with either backend.

_HUSH="${HELM_SECRETS_HUSH_PATH:-hush}"

_hush() {
    # shellcheck disable=SC2086
    set -- "$@" ${SECRET_BACKEND_ARGS:-}
    # shellcheck disable=SC2086
    $_HUSH "$@"
}

# "auto" lets hush pick the format from the file name (as sops's FormatForPath).
_hush_type_args() {
    if [ "${1}" != "auto" ] && [ "${1}" != "" ]; then
        printf -- '--input-type %s --output-type %s' "${1}" "${1}"
    fi
}

_custom_backend_is_file_encrypted() {
    _custom_backend_is_encrypted <"${1}"
}

_custom_backend_is_encrypted() {
    # the MAC entry every SOPS file has, in each format (as helm-secrets's sops backend checks)
    grep -q 'mac.*,type:str]' -
}

_custom_backend_encrypt_file() {
    type="${1}"
    input="${2}"
    output="${3:-}"
    # shellcheck disable=SC2046
    if [ "${input}" = "${output}" ]; then
        _hush encrypt $(_hush_type_args "${type}") --in-place "${input}"
    elif [ "${output}" = "" ]; then
        _hush encrypt $(_hush_type_args "${type}") "${input}"
    else
        _hush encrypt $(_hush_type_args "${type}") --output "${output}" "${input}"
    fi
}

_custom_backend_decrypt_file() {
    type="${1}"
    input="${2}"
    # omitted: standard output
    output="${3:-}"
    # shellcheck disable=SC2046
    if [ "${input}" = "${output}" ]; then
        _hush decrypt $(_hush_type_args "${type}") --in-place "${input}"
    elif [ "${output}" = "" ]; then
        _hush decrypt $(_hush_type_args "${type}") "${input}"
    else
        # hush writes it with mode 0600
        _hush decrypt $(_hush_type_args "${type}") --output "${output}" "${input}"
    fi
}

_custom_backend_decrypt_literal() {
    if printf '%s' "${1}" | _custom_backend_is_encrypted; then
        printf '%s' "${1}" | _hush decrypt --input-type json --output-type json -
    else
        printf '%s' "${1}"
    fi
}

_custom_backend_edit_file() {
    _hush edit "${2}"
}
