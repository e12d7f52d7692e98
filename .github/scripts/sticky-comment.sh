#!/usr/bin/env bash
# Posts FILE as a pull-request comment, or updates the comment posted
# before: the one whose body starts with the same hidden marker (its first
# line, such as `<!-- paved-diff -->`). Needs GH_TOKEN, PR_NUMBER and
# GITHUB_REPOSITORY (set by GitHub Actions), and the gh CLI.
set -euo pipefail
file=${1:?usage: sticky-comment.sh FILE}
marker=$(head -n 1 "$file")
case "$marker" in
  "<!--"*"-->") ;;
  *) echo "the first line of $file must be a hidden marker like <!-- name -->" >&2; exit 2 ;;
esac
comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
id=$(gh api "$comments" --paginate --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$file" > /dev/null
  echo "updated comment $id"
else
  gh api --method POST "$comments" -F "body=@$file" > /dev/null
  echo "posted a new comment"
fi
