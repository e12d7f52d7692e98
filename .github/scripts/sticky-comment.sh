#!/usr/bin/env bash
# Posts FILE as a pull-request comment, or updates the comment posted
# before: the one written by AUTHOR (default `github-actions[bot]`, whose
# token posts it) whose body starts with the same hidden marker (FILE's
# first line, such as `<!-- paved-diff -->`). A comment anyone else writes
# with that marker is left alone: the marker alone proves nothing.
# Needs GH_TOKEN, PR_NUMBER and GITHUB_REPOSITORY (set by GitHub Actions),
# and the gh CLI.
set -euo pipefail
file=${1:?usage: sticky-comment.sh FILE}
marker=$(head -n 1 "$file")
case "$marker" in
  "<!--"*"-->") ;;
  *) echo "the first line of $file must be a hidden marker like <!-- name -->" >&2; exit 2 ;;
esac
export MARKER=$marker
export AUTHOR=${AUTHOR:-github-actions[bot]}

# GitHub refuses comments over 65,536 characters: a long diff is cut after
# the last whole section (`</details>`) that fits, and says where the rest is.
limit=60000
body=$(mktemp)
trap 'rm -f "$body"' EXIT
if [ "$(wc -c < "$file")" -gt "$limit" ]; then
  keep=$(awk -v limit="$limit" '
    { bytes += length($0) + 1 }
    bytes > limit { exit }
    /^<\/details>/ { last = NR }
    END { print last + 0 }' "$file")
  if [ "$keep" -eq 0 ]; then keep=3; fi
  {
    head -n "$keep" "$file"
    printf '\n**The diff is too long for a comment: the rest is in the job summary of this run.**\n'
  } > "$body"
else
  cp "$file" "$body"
fi

comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
# The values come in through the environment, not the filter's text.
filter='.[] | select(.user.login == env.AUTHOR and .user.type == "Bot" and (.body | startswith(env.MARKER))) | .id'
id=$(gh api "$comments" --paginate --jq "$filter" | head -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$body" > /dev/null
  echo "updated comment $id"
else
  gh api --method POST "$comments" -F "body=@$body" > /dev/null
  echo "posted a new comment"
fi
