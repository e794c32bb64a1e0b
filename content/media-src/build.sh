#!/bin/sh
# Renders the team-made sample-survey images (SVG sources in this folder) to the PNG
# files the surveys use. Needs rsvg-convert (Debian: librsvg2-bin); falls back to
# ImageMagick's convert. Run from anywhere: sh content/media-src/build.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
surveys="$here/../surveys"

render() { # render SRC.svg DEST.png
    if command -v rsvg-convert >/dev/null 2>&1; then
        rsvg-convert "$1" -o "$2"
    else
        convert -background none "$1" "$2"
    fi
    echo "$2"
}

for s in qualite-habiter tranquillite; do
    mkdir -p "$surveys/$s/media"
    render "$here/plan-quartier.svg" "$surveys/$s/media/plan-quartier.png"
done
for p in jardin-partage aire-de-jeux pelouse-bancs place-fontaine; do
    render "$here/$p.svg" "$surveys/qualite-habiter/media/$p.png"
done
