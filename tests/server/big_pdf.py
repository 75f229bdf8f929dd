"""Writes a PDF by hand whose pages are 200 inches square (14400 x 14400 points), each with
drawn content of its own (a grid of grey boxes and diagonals), for the server's page
rendering tests and benchmark: at the viewer's 150 dpi such a page is over the 100 Mpx
limit, so it is rendered at the most the limit allows, the slowest page there is."""
import random

SIDE = 14400  # points: 200 inches


def page_content(index):
    rng = random.Random(index)
    parts = ["1 w"]
    step = SIDE // 24
    for row in range(24):
        for col in range(24):
            grey = rng.random()
            parts.append(f"{grey:.3f} g {col * step + 20} {row * step + 20} {step - 40} {step - 40} re f")
    parts.append("0 G 12 w")
    for k in range(60):
        x0, y0, x1, y1 = (rng.randrange(SIDE) for _ in range(4))
        parts.append(f"{x0} {y0} m {x1} {y1} l S")
    return "\n".join(parts).encode()


def write_pdf(path, pages):
    """`pages` pages, each different; returns `path`."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    kids = []
    for index in range(pages):
        page_id, content_id = 3 + 2 * index, 4 + 2 * index
        kids.append(f"{page_id} 0 R")
        objects[page_id] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {SIDE} {SIDE}] "
                            f"/Contents {content_id} 0 R /Resources << >> >>").encode()
        stream = page_content(index)
        objects[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    count = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for number in range(1, count):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    with open(path, "wb") as f:
        f.write(out)
    return path


if __name__ == "__main__":
    import sys
    write_pdf(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
