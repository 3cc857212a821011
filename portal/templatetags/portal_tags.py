from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML off: tags typed into a page come out as text, and links with
# javascript:, vbscript: or file: addresses are not made into links.
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})


@register.filter
def markdown(text: str) -> str:
    """An administrator's Markdown as safe HTML."""
    return mark_safe(_markdown.render(text or ""))  # noqa: S308 - raw HTML is disabled above
