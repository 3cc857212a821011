"""Server-rendered SVG charts: geometry computed here, drawn by templates/dashboards/includes/*.svg
(no script, no inline style). Every chart sits above the data table it is drawn from."""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, PLOT_WIDTH = 22, 6, 330, 400
LABEL_CHARS = 48  # longer labels are shortened in the chart; the table below has them whole
COLUMN_AREA_HEIGHT, COLUMN_WIDTH_MAX = 160, 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: object
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


def hbars(items: list[tuple[str, float | None]], unit: str = "") -> dict:
    """Horizontal bars, one per (label, value)."""
    top = max([v or 0 for _, v in items] + [1])
    bars = []
    for i, (label, value) in enumerate(items):
        width = PLOT_WIDTH * (value or 0) / top
        y = i * (BAR_HEIGHT + BAR_GAP)
        if len(label) > LABEL_CHARS:
            label = label[:LABEL_CHARS - 1] + "…"
        bars.append(Bar(label=label, value="–" if value is None else f"{value}{unit}", x=LABEL_WIDTH, y=y,
                        width=round(width, 1), height=BAR_HEIGHT, text_x=round(LABEL_WIDTH + width + 6, 1),
                        text_y=y + BAR_HEIGHT * 0.7))
    body = format_html_join("\n", '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
                            '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"></rect>'
                            '<text x="{}" y="{}" class="chart-value">{}</text>',
                            ((LABEL_WIDTH - 8, b.text_y, b.label, b.x, b.y, b.width, b.height, b.text_x, b.text_y,
                              b.value) for b in bars))
    return {"bars": bars, "body": body, "width": LABEL_WIDTH + PLOT_WIDTH + 80,
            "height": max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP)}


def columns(items: list[tuple[str, float]]) -> dict:
    """Vertical columns over time (a label under the first, the middle and the last)."""
    top = max([v or 0 for _, v in items] + [1])
    width = PLOT_WIDTH + LABEL_WIDTH
    step = width / max(1, len(items))
    bar_width = min(COLUMN_WIDTH_MAX, step * 0.8)
    bars = []
    for i, (label, value) in enumerate(items):
        height = COLUMN_AREA_HEIGHT * (value or 0) / top
        bars.append(Bar(label=label, value="–" if value is None else value, x=round(i * step, 1),
                        y=round(COLUMN_AREA_HEIGHT - height, 1),
                        width=round(bar_width, 1), height=round(height, 1), text_x=round(i * step, 1),
                        text_y=COLUMN_AREA_HEIGHT + 16))
    marks = {0, len(bars) // 2, len(bars) - 1} if bars else set()
    body = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"><title>{}: {}</title></rect>',
                            ((b.x, b.y, b.width, b.height, b.label, b.value) for b in bars))
    labels = format_html_join("", '<text x="{}" y="{}" class="chart-label">{}</text>',
                              ((bars[i].text_x, bars[i].text_y, bars[i].label) for i in sorted(marks)))
    return {"bars": bars, "body": format_html("{}{}", body, labels), "width": width + 40,
            "height": COLUMN_AREA_HEIGHT + 24, "top": top}
