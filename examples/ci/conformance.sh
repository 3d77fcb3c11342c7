#!/bin/sh
# A CI job's conformance step: runs the harness, appends the run's summary.md (and, against a
# baseline, the `report diff`) to the job summary the CI shows, keeps the run directory as an
# artefact, and exits with the harness's exit code (README "Exit codes"), or 1 when the run
# regressed against the baseline. README "Running in CI" shows it in GitHub Actions and GitLab.
#
# Environment (every variable optional):
#   HARNESS            the harness command (default `harness`; e.g. `cargo run -q -p harness --`)
#   CONFORMANCE_MODE   `run` (default: the vendor in $VENDOR_CONFIG) or `demo` (the embedded mock)
#   VENDOR_CONFIG      the vendor configuration for `run` (default `vendor.toml`)
#   HARNESS_ARGS       more arguments, split on spaces (`--strict`, `--suite schema`, `--fault NAME`)
#   REPORTS_DIR        where run directories are written (default `reports`)
#   ARTIFACT_DIR       the run directory is copied here (the folder the CI uploads); unset: the
#                      path is printed
#   BASELINE_DIR       a run directory (or report.json) of an earlier run to compare with: any
#                      regression (`harness report diff`) fails the job with exit 1
#   CI_SUMMARY_FILE    a file the summary is appended to; default $GITHUB_STEP_SUMMARY (GitHub
#                      Actions sets it); unset both: the summary is printed to the log
set -eu

harness=${HARNESS:-harness}
mode=${CONFORMANCE_MODE:-run}
reports=${REPORTS_DIR:-reports}
summary_file=${CI_SUMMARY_FILE:-${GITHUB_STEP_SUMMARY:-}}

# The run id `<reports>/latest` names: a symlink, or a file holding it where symlinks cannot be made.
latest_run() {
  if [ -L "$reports/latest" ]; then
    basename "$(readlink "$reports/latest")"
  elif [ -f "$reports/latest" ]; then
    head -n 1 "$reports/latest"
  fi
}

summarise() {
  if [ -n "$summary_file" ]; then
    cat >>"$summary_file"
  else
    cat
  fi
}

case $mode in
  run) set -- run --config "${VENDOR_CONFIG:-vendor.toml}" --non-interactive ;;
  demo) set -- demo ;;
  *)
    echo "conformance.sh: CONFORMANCE_MODE must be \`run\` or \`demo\`, not \`$mode\`" >&2
    exit 2
    ;;
esac

before=$(latest_run)
code=0
# Word splitting of $harness and $HARNESS_ARGS is wanted: a command with its arguments.
# shellcheck disable=SC2086
$harness "$@" --out "$reports" ${HARNESS_ARGS:-} || code=$?
after=$(latest_run)

if [ -z "$after" ] || [ "$after" = "$before" ]; then
  # A configuration error or a failed preflight (exit 2) writes no report: the log says why.
  echo "conformance.sh: the harness wrote no report (exit $code)" >&2
  printf '## Conformance\n\nThe harness wrote no report (exit %s): see the job log.\n' "$code" | summarise
  exit "$code"
fi
run_dir="$reports/$after"

summarise <"$run_dir/summary.md"

regressed=0
if [ -n "${BASELINE_DIR:-}" ]; then
  diff_code=0
  $harness report diff "$BASELINE_DIR" "$run_dir" --format markdown >"$run_dir/diff.md" || diff_code=$?
  case $diff_code in
    0) ;;
    1) regressed=1 ;;
    *)
      echo "conformance.sh: could not compare with the baseline $BASELINE_DIR (exit $diff_code)" >&2
      regressed=2
      ;;
  esac
  { printf '\n'; cat "$run_dir/diff.md"; } | summarise
  cat "$run_dir/diff.md"
fi

if [ -n "${ARTIFACT_DIR:-}" ]; then
  mkdir -p "$ARTIFACT_DIR"
  cp -R "$run_dir/." "$ARTIFACT_DIR/"
  echo "conformance.sh: report kept in $ARTIFACT_DIR (report.html, report.json, junit.xml, summary.md)"
else
  echo "conformance.sh: report in $run_dir"
fi

if [ "$code" -ne 0 ]; then
  exit "$code"
fi
if [ "$regressed" -ne 0 ]; then
  if [ "$regressed" -eq 1 ]; then
    echo "conformance.sh: the run regressed against $BASELINE_DIR" >&2
  fi
  exit "$regressed"
fi
exit 0
