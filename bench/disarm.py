"""How long the disarmed copy of an upload takes to make (approvals.disarm), on files like the
ones citizens send: a 1 MB PDF of scanned pages, a 1 MB PDF of text (fonts embedded, a photo,
links), and a 3 MB phone photo with EXIF, GPS and an ICC profile. Needs no database.

    .venv/bin/python bench/disarm.py [RUNS]

Prints each file's size and the median, fastest and slowest time over RUNS runs (default 15)."""

import base64
import io
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
django.setup()

import pypdf  # noqa: E402
from PIL import ExifTags, Image, ImageCms  # noqa: E402
from pypdf.annotations import Link  # noqa: E402

from approvals.disarm import disarm_image, disarm_pdf  # noqa: E402
from core.pdf import html_to_pdf  # noqa: E402


def _texture(size: tuple[int, int], sigma: int) -> Image.Image:
    """A picture with a photo's detail: gradients under sensor-like noise."""
    channels = [Image.blend(Image.linear_gradient("L").resize(size).rotate(angle), Image.effect_noise(size, sigma), 0.35)
                for angle in (0, 90, 180)]
    return Image.merge("RGB", channels)


def scanned_pdf() -> bytes:
    """Three A4 pages scanned at 150 dpi, JPEG inside (about 1 MB)."""
    pages = [_texture((1240, 1754), 30).convert("L") for _ in range(3)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=150, quality=78)
    return buffer.getvalue()


def text_pdf() -> bytes:
    """Pages of text rendered by WeasyPrint (fonts embedded, as the portal renders its own) with a
    photo on the first, and a link to the first page on each (about 1 MB)."""
    photo = io.BytesIO()
    _texture((2400, 1700), 30).save(photo, "JPEG", quality=86)
    paragraphs = "".join(f"<h2>Section {i}</h2><p>{'The kitchen extract duct runs to the roof. ' * 60}</p>"
                         for i in range(60))
    image = "data:image/jpeg;base64," + base64.b64encode(photo.getvalue()).decode()
    html = f'<html><body><h1>Floor plan notes</h1><img src="{image}" style="width:100%">{paragraphs}</body></html>'
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(html_to_pdf(html)))
    for number in range(len(writer.pages)):
        writer.add_annotation(number, Link(rect=(50, 50, 200, 70), target_page_index=0))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def phone_photo(profile: str = "sRGB") -> bytes:
    """A 12-megapixel photo (4000 x 3000) with EXIF, GPS and an ICC profile (about 3 MB): sRGB
    (most cameras), or another space (a wide-gamut phone's), whose colours are converted."""
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Phone"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if profile != "sRGB":  # the same colours under another name: converted all the same
        icc = icc.replace("sRGB".encode("utf-16-be"), profile[:4].ljust(4).encode("utf-16-be"))
    buffer = io.BytesIO()
    _texture((4000, 3000), 28).save(buffer, "JPEG", quality=88, exif=exif.tobytes(), icc_profile=icc)
    return buffer.getvalue()


def timed(label: str, data: bytes, disarm, runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        disarm(data)
        times.append(time.perf_counter() - started)
    print(f"{label:<34} {len(data) / 1_000_000:5.2f} MB   median {statistics.median(times):.3f} s   "
          f"fastest {min(times):.3f} s   slowest {max(times):.3f} s   ({runs} runs)")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    timed("PDF, scanned pages", scanned_pdf(), disarm_pdf, runs)
    timed("PDF, text with links", text_pdf(), disarm_pdf, runs)
    timed("JPEG photo, 12 megapixels, sRGB", phone_photo(), lambda data: disarm_image(data, "image/jpeg"), runs)
    timed("JPEG photo, 12 megapixels, other", phone_photo("Wide"), lambda data: disarm_image(data, "image/jpeg"), runs)


if __name__ == "__main__":
    main()
