# check FILE SHA256: exits unless FILE's SHA-256 is the one expected. Sourced by the scripts
# that regenerate or export the model, so every file they write is checked the same way.
check() {
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [ "$got" != "$2" ]; then
        echo "sha256 of $1 is $got, expected $2" >&2
        exit 1
    fi
    echo "ok  $2  $1"
}
