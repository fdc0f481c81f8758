#!/bin/sh
# Regenerates the DejaVu Sans subsets in this folder from Debian's
# fonts-dejavu-core (2.37-6) with fontTools' subsetter (Debian package
# python3-fonttools 4.38). It keeps every glyph of the Latin, Greek, Cyrillic,
# Armenian and Georgian blocks, combining marks, punctuation, currency and
# letterlike symbols, and U+FFFD; the font tables, hinting and names are
# otherwise unchanged. Run from this folder: sh subset.sh
set -eu
src=${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}
ranges="U+0000-036F,U+0370-03FF,U+0400-052F,U+0530-058F,U+10A0-10FF,U+1E00-1EFF,U+1F00-1FFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2C60-2C7F,U+2DE0-2DFF,U+A640-A69F,U+A720-A7FF,U+FB00-FB06,U+FFFD"
for font in DejaVuSans DejaVuSans-Bold DejaVuSans-Oblique; do
	python3 -m fontTools.subset "$src/$font.ttf" --unicodes="$ranges" \
		--name-IDs='*' --name-languages='*' --notdef-outline --glyph-names --layout-features='*' \
		--output-file="$font.ttf"
done
sha256sum DejaVuSans*.ttf
