"""`{% page_fragment name var1 var2 ... %}...{% endpage_fragment %}`: Django's `{% cache %}`
for the pages' fragments (streams.page_cache.fragment), kept for FRAGMENT_TTL under a key
naming `name` and the variables' values, and read through what the page read ahead: the next
request for the same page reads the fragment this one read in its first round trip."""

from __future__ import annotations

from django import template
from django.core.cache.utils import make_template_fragment_key

from streams import page_cache

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list) -> None:
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context) -> str:
        key = make_template_fragment_key(self.name, [v.resolve(context) for v in self.vary_on])
        return page_cache.fragment(key, lambda: self.nodelist.render(context))


@register.tag("page_fragment")
def do_page_fragment(parser, token) -> FragmentNode:
    nodelist = parser.parse(("endpage_fragment",))
    parser.delete_first_token()
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]!r} needs a fragment name.")
    return FragmentNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
