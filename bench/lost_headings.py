"""Headings the HTML reader leaves out: every h1-h6 of each page against the text it extracts, grouped by the
classes and ids of the heading's nearest ancestors (what a skip rule matched). Navigation, sidebars and menus
should be all that is left; a content heading here is text lost for every question.

    python bench/lost_headings.py DIR [DIR ...]        # e.g. /usr/share/doc/python3.11/html bench/.cache/manuals-*
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.reading.formats.html import html_to_extracted  # noqa: E402


def main() -> None:
    from selectolax.lexbor import LexborHTMLParser

    lost: collections.Counter[str] = collections.Counter()
    example: dict[str, tuple[str, str]] = {}
    pages = 0
    for root in sys.argv[1:]:
        for path in sorted(Path(root).rglob("*.htm*")):
            raw = path.read_text(encoding="utf-8", errors="replace")
            try:
                text = " ".join(html_to_extracted(raw).text.split())
            except ValueError:
                continue
            pages += 1
            for heading in LexborHTMLParser(raw).css("h1,h2,h3,h4,h5,h6"):
                title = " ".join(heading.text().replace("¶", "").split())
                if len(title) < 3 or title in text:
                    continue
                marks, node = [], heading
                while node is not None and node.tag != "html":
                    mark = node.attributes.get("class") or node.attributes.get("id") or ""
                    if mark:
                        marks.append(f"{node.tag}.{mark}")
                    node = node.parent
                key = " < ".join(marks[:3]) or heading.tag
                lost[key] += 1
                example.setdefault(key, (str(path), title))
    print(f"{pages} pages")
    for key, count in lost.most_common(30):
        print(f"{count:6d}  {key[:110]}  | {example[key][1][:50]!r} in {example[key][0][-50:]}")


if __name__ == "__main__":
    main()
