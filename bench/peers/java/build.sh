#!/usr/bin/env bash
# Compiles the Java reference herd into OUT (default: target/peers-java of
# this repository) and copies places.tsv beside the classes, where Server
# reads it from the class path. Prints OUT; run the server with
#   java -cp OUT Server NAME --topology FILE --log-dir DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../target/peers-java}
mkdir -p "$out"
javac -Xlint:all -Werror -d "$out" "$here/Server.java"
cp "$here/../places.tsv" "$out/places.tsv"
cd "$out" && pwd
