#!/usr/bin/env bash
# Build .dvc/offline_plots_template.html: DVC's plot page with vega, vega-lite and vega-embed
# inlined, so `dvc plots show` renders without a CDN. Needs npm (registry access) once; the
# result is committed and `dvc config plots.html_template offline_plots_template.html` uses it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cd "$work"
npm pack --silent vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0 >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
out="$root/.dvc/offline_plots_template.html"
{
  printf '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n{refresh_tag}\n<title>DVC plots (offline)</title>\n'
  for lib in vega-5.33.1/package/build/vega.min.js vega-lite-5.23.0/package/build/vega-lite.min.js \
             vega-embed-6.29.0/package/build/vega-embed.min.js; do
    printf '<script>\n'; cat "$lib"; printf '\n</script>\n'
  done
  cat "$root/tools/plots_render_status.html"   # each chart reports how it drew (errors shown in its box)
  printf '<style>table { border-spacing: 15px; }</style>\n</head>\n<body>\n{plot_divs}\n</body>\n</html>\n'
} > "$out"
rm -rf "$work"
echo "wrote $out ($(wc -c < "$out") bytes)"
