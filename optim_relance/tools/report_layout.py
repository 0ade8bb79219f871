"""One header and one footer per distinct content in a batch of letters.

Odoo's reports put the header (and the footer) of every document of a
wkhtmltopdf run in one page that wkhtmltopdf loads for every page it prints,
a script then keeping the one of the page's document
(``web.minimal_layout``). For 50 letters of one company that is 50 copies of
the same header, each with the company logo, parsed and decoded on each of
the ~60 pages: the run's time and memory grow with the square of its size.

Identical headers (footers) are kept once here, marked with the documents
they serve (``data-relance-pages``); ``optim_relance.minimal_layout_letters``
picks the page's one by that mark.
"""

import lxml.html

CLASS_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' {} ')]"
PAGES_ATTRIBUTE = "data-relance-pages"


def share_identical(html):
    """``html`` (the rendered report, bytes) with each distinct header and
    footer kept once, listing the documents (their order in the run) it
    belongs to."""
    root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding="utf-8"))
    for klass in ("header", "footer"):
        kept = {}
        for index, node in enumerate(root.xpath(CLASS_XPATH.format(klass))):
            key = lxml.html.tostring(node)
            first = kept.get(key)
            if first is None:
                kept[key] = node
                node.set(PAGES_ATTRIBUTE, str(index))
            else:
                first.set(PAGES_ATTRIBUTE, f"{first.get(PAGES_ATTRIBUTE)} {index}")
                node.getparent().remove(node)
    return lxml.html.tostring(root, encoding="utf-8", method="html")
