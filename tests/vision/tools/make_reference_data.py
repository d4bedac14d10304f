#!/usr/bin/python3
"""Writes tests/vision/data/reference: inputs and the outputs the reference
libraries produce for them, for vision_test's reference_data_test.cpp.

Run with Debian 12's python3-pil (Pillow 9.4.0), python3-av (PyAV 10.0.0,
FFmpeg 5.1) and python3-numpy (1.24.2) -- the versions transformers v4.51.3
ran with for the SmolVLM fixtures:

    /usr/bin/python3 tests/vision/tools/make_reference_data.py

* decode/: image files in many layouts; expected = the RGB that
  ImageOps.exif_transpose(Image.open(f)).convert("RGB") gives, saved as PNG.
* resize/: one input PNG; expected = Image.resize((w, h), LANCZOS) per size.
* video/: H.264 and MJPEG clips; expected = PyAV's stream.frames,
  average_rate and frame.to_ndarray(format="rgb24") of chosen frames.
"""
import json
import os

import av
import numpy as np
from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "reference")
rs = np.random.default_rng(2024)


def photo(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([np.sin(xx / 5.0) * 100 + 128, np.cos(yy / 4.0) * 100 + 128, (xx * 7 + yy * 3) % 256], -1)
    return np.clip(base + rs.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)


def main():
    for sub in ("decode", "resize", "video"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    manifest = {"pillow": Image.__version__, "pyav": av.__version__, "numpy": np.__version__,
                "decode": [], "resize": [], "video": []}

    rgb = Image.fromarray(photo(41, 27))
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray((np.arange(41 * 27) * 5 % 256).astype(np.uint8).reshape(27, 41)))
    exif6, exif3 = Image.Exif(), Image.Exif()
    exif6[0x0112], exif3[0x0112] = 6, 3
    makers = {
        "q40_420.jpg": lambda p: rgb.save(p, quality=40, subsampling=2),
        "q90_444.jpg": lambda p: rgb.save(p, quality=90, subsampling=0),
        "q75_422.jpg": lambda p: rgb.save(p, quality=75, subsampling=1),
        "progressive.jpg": lambda p: rgb.save(p, quality=80, progressive=True),
        "gray.jpg": lambda p: rgb.convert("L").save(p, quality=85),
        "cmyk.jpg": lambda p: rgb.convert("CMYK").save(p, quality=90),
        "exif_rotate.jpg": lambda p: rgb.save(p, quality=90, exif=exif6.tobytes()),
        "exif_rotate.png": lambda p: rgb.save(p, exif=exif3.tobytes()),
        "rgba.png": lambda p: rgba.save(p),
        "la.png": lambda p: rgba.convert("LA").save(p),
        "palette.png": lambda p: rgb.quantize(40).save(p),
        "bilevel.png": lambda p: rgb.convert("1").save(p),
        "gray16.png": lambda p: Image.fromarray((np.arange(41 * 27, dtype=np.uint16).reshape(27, 41) * 3)).save(p),
        "lossy.webp": lambda p: rgb.save(p, quality=70),
        "lossy_alpha.webp": lambda p: rgba.save(p, quality=70),
        "lossless.webp": lambda p: rgba.save(p, lossless=True),
    }
    for name, make in makers.items():
        path = os.path.join(OUT, "decode", name)
        make(path)
        expected = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        expected.save(path + ".expected.png")
        manifest["decode"].append({"file": "decode/" + name, "expected": "decode/" + name + ".expected.png"})

    source = Image.fromarray(photo(53, 37))
    source.save(os.path.join(OUT, "resize", "input.png"))
    for w, h in [(1, 1), (7, 5), (26, 18), (53, 80), (64, 64), (106, 37), (160, 111), (13, 90)]:
        name = f"resize/lanczos_{w}x{h}.png"
        source.resize((w, h), resample=Image.LANCZOS).save(os.path.join(OUT, name))
        manifest["resize"].append({"width": w, "height": h, "expected": name})

    for name, codec, fmt, count, fps, (w, h) in [("h264.mp4", "libx264", "yuv420p", 45, 15, (48, 32)),
                                                  ("mjpeg.avi", "mjpeg", "yuvj422p", 12, 4, (40, 24))]:
        path = os.path.join(OUT, "video", name)
        out = av.open(path, "w")
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, fmt
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(np.roll(photo(w, h), i, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        container = av.open(path)
        s = container.streams.video[0]
        indices = sorted({0, count // 3, count - 1})
        frames = []
        container.seek(0)
        for i, frame in enumerate(container.decode(video=0)):
            if i in indices:
                png = f"video/{name}.frame{i:03d}.png"
                Image.fromarray(frame.to_ndarray(format="rgb24")).save(os.path.join(OUT, png))
                frames.append({"index": i, "expected": png})
        manifest["video"].append({"file": "video/" + name, "total_frames": s.frames, "fps": float(s.average_rate),
                                  "duration": float(s.frames / s.average_rate), "frames": frames})

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
