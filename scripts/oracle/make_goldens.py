#!/usr/bin/env python3
"""
Goldens for lvis-pipe's evaluator, made by the real LVIS API (lvis-api 7d7f07d with
pycocotools from pip), so that the tests compare against the API without Python.

Writes to --out (test/fixtures/oracle):
  masks.json           pycocotools' own outputs for random polygons, boxes and RLEs:
                       frPyObjects + merge (as compressed strings), area, toBbox, iou
  cases/NAME.gt.json   small GT files made here (the real-data cases use
                       test/fixtures/real/lvis_val_100.json, LVIS v0.5 val, as it is)
  cases/NAME.dets.json their detections
  goldens.json         for each case and IoU type: LVISEval(gt, dets, iou_type).run()'s 13
                       results and every category's AP (mean of precision > -1 over IoU
                       thresholds and recall points, area "all": what LVISEval averages)

How to rerun it (see README.md next to this script):
  python3 -m venv /tmp/oracle && . /tmp/oracle/bin/activate && pip install numpy pycocotools
  git clone https://github.com/lvis-dataset/lvis-api /tmp/lvis-api && git -C /tmp/lvis-api checkout 7d7f07d
  python3 scripts/oracle/make_goldens.py --lvis-api /tmp/lvis-api/lvis --out test/fixtures/oracle
Only lvis.py, results.py and eval.py of lvis-api are loaded (as the package `lvis`, without its
__init__.py, which imports vis.py and so cv2 and matplotlib).
"""
import argparse
import copy
import importlib
import json
import math
import os
import random
import sys
import types
from importlib.metadata import version

import numpy as np
import pycocotools.mask as mask_utils

REAL_GT = "test/fixtures/real/lvis_val_100.json"


def load_lvis_api(folder):
    """lvis.lvis, lvis.results and lvis.eval from FOLDER, without lvis/__init__.py."""
    pkg = types.ModuleType("lvis")
    pkg.__path__ = [os.path.abspath(folder)]
    sys.modules["lvis"] = pkg
    lvis = importlib.import_module("lvis.lvis")
    importlib.import_module("lvis.results")
    ev = importlib.import_module("lvis.eval")
    return lvis.LVIS, ev.LVISEval


def compressed(rle):
    counts = rle["counts"]
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": counts if isinstance(counts, str) else counts.decode("ascii")}


def uncompressed(rle, h, w):
    """The RLE as COCO's uncompressed form: {"size", "counts": [run lengths, background first]}."""
    counts, cur, run = [], 0, 0
    for v in mask_utils.decode(rle).flatten(order="F"):
        if v != cur:
            counts.append(run)
            run, cur = 0, v
        run += 1
    counts.append(run)
    return {"size": [h, w], "counts": [int(c) for c in counts]}


def poly_rle(rings, h, w):
    return mask_utils.merge(mask_utils.frPyObjects(rings, h, w))


# ----------------------------------------------------------------------------------------------
# Shapes


def star(rng, cx, cy, r, k=None, wobble=0.35):
    """A star-shaped polygon ring around (cx, cy) with mean radius r, as a flat list."""
    k = k or rng.randint(3, 14)
    out = []
    for j in range(k):
        a = 2 * math.pi * (j + rng.uniform(-0.3, 0.3)) / k
        rr = r * (1 + rng.uniform(-wobble, wobble))
        out += [round(cx + rr * math.cos(a), 2), round(cy + rr * math.sin(a), 2)]
    return out


def jitter_rings(rng, rings, box, amount):
    """A detection's polygon: the GT's, moved, scaled and with noisy vertices."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    dx, dy = rng.gauss(0, amount * w), rng.gauss(0, amount * h)
    s = math.exp(rng.gauss(0, amount))
    out = []
    for ring in rings:
        r = []
        for j in range(0, len(ring) - 1, 2):
            r += [round(cx + (ring[j] - cx) * s + dx + rng.gauss(0, 0.7), 2), round(cy + (ring[j + 1] - cy) * s + dy + rng.gauss(0, 0.7), 2)]
        out.append(r)
    return out


def score(rng, mean):
    # Two decimals: many ties, which the API breaks by order.
    return round(1 / (1 + math.exp(-rng.gauss(mean, 1.2))), 2)


# ----------------------------------------------------------------------------------------------
# Detections on the real LVIS v0.5 val sample


def real_detections(rng, gt, with_bbox=True, image_filter=None):
    cats_present = {}
    for a in gt["annotations"]:
        cats_present.setdefault(a["image_id"], set()).add(a["category_id"])
    imgs = {im["id"]: im for im in gt["images"]}
    dets = []

    def add(image_id, cat, rings, sc, box_jitter):
        im = imgs[image_id]
        rle = poly_rle(rings, im["height"], im["width"])
        if mask_utils.area(rle) == 0:
            return
        d = {"image_id": image_id, "category_id": cat, "segmentation": compressed(rle), "score": sc}
        if with_bbox:
            b = mask_utils.toBbox(rle).tolist()
            d["bbox"] = [round(v + rng.gauss(0, box_jitter), 2) for v in b[:2]] + [round(max(0.5, v + rng.gauss(0, box_jitter)), 2) for v in b[2:]]
        dets.append(d)

    for a in gt["annotations"]:
        if image_filter and a["image_id"] not in image_filter:
            continue
        if rng.random() < 0.8:
            rings = jitter_rings(rng, a["segmentation"], a["bbox"], 0.06)
            add(a["image_id"], a["category_id"], rings, score(rng, 1.0), 1.0)
            if rng.random() < 0.3:  # the same object under another category of the image
                others = sorted(cats_present[a["image_id"]] | set(imgs[a["image_id"]]["neg_category_ids"]))
                add(a["image_id"], rng.choice(others), rings, score(rng, -1.0), 1.0)
    for im in gt["images"]:
        if image_filter and im["id"] not in image_filter:
            continue
        cands = sorted(cats_present.get(im["id"], set()) | set(im["neg_category_ids"])) or [gt["categories"][0]["id"]]
        for _ in range(rng.randint(0, 8)):
            r = rng.uniform(4, 60)
            ring = star(rng, rng.uniform(0, im["width"]), rng.uniform(0, im["height"]), r)
            add(im["id"], rng.choice(cands), [ring], score(rng, -2.0), 2.0)
    rng.shuffle(dets)
    # Grouped by image in shuffled image order, as detectors write them.
    order = {}
    for d in dets:
        order.setdefault(d["image_id"], len(order))
    dets.sort(key=lambda d: order[d["image_id"]])
    return dets


def over_300(rng, gt, dets):
    """Two images get more than 300 detections: small masks, many tied scores."""
    imgs = sorted(gt["images"], key=lambda im: -len([a for a in gt["annotations"] if a["image_id"] == im["id"]]))[:2]
    extra = []
    for im, n in zip(imgs, (340, 420)):
        anns = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        for k in range(n):
            a = anns[k % len(anns)]
            if k % 3 == 0:
                rings = jitter_rings(rng, a["segmentation"], a["bbox"], 0.03)
            else:
                rings = [star(rng, rng.uniform(0, im["width"]), rng.uniform(0, im["height"]), rng.uniform(2, 8), k=5)]
            rle = poly_rle(rings, im["height"], im["width"])
            if mask_utils.area(rle) == 0:
                continue
            extra.append({"image_id": im["id"], "category_id": a["category_id"], "segmentation": compressed(rle), "bbox": mask_utils.toBbox(rle).tolist(), "score": round(rng.choice([0.5, 0.3, rng.random()]), 2)})
    return dets + extra


# ----------------------------------------------------------------------------------------------
# A synthetic GT with every kind of mask and every special field


def synthetic_case(rng):
    cats = [{"id": c, "name": f"cat{c}", "frequency": f, "image_count": 1, "instance_count": 1} for c, f in [(1, "f"), (2, "c"), (3, "r"), (4, "f"), (5, "c")]]
    images, anns, dets = [], [], []
    next_id = [1]

    def ann(image, cat, segm, area=None, **extra):
        h, w = image["height"], image["width"]
        if isinstance(segm, list):
            rle = poly_rle(segm, h, w)
        elif isinstance(segm["counts"], list):
            rle = mask_utils.frPyObjects(segm, h, w)
        else:
            rle = segm
        a = {"id": next_id[0], "image_id": image["id"], "category_id": cat, "segmentation": segm,
             "area": float(mask_utils.area(rle)) if area is None else area, "bbox": mask_utils.toBbox(rle).tolist()}
        a.update(extra)
        next_id[0] += 1
        anns.append(a)
        return rle

    def det(image, cat, rle_or_segm, sc, bbox=True, form="compressed"):
        h, w = image["height"], image["width"]
        if isinstance(rle_or_segm, list):
            rle = poly_rle(rle_or_segm, h, w)
        else:
            rle = rle_or_segm
        d = {"image_id": image["id"], "category_id": cat, "score": sc}
        if form == "compressed":
            d["segmentation"] = compressed(rle)
        elif form == "uncompressed":
            d["segmentation"] = uncompressed(rle, h, w)
        elif form == "polygon":
            d["segmentation"] = rle_or_segm
        if bbox:
            d["bbox"] = mask_utils.toBbox(rle).tolist()
        dets.append(d)

    for i in range(40):
        h, w = rng.randint(20, 90), rng.randint(20, 90)
        im = {"id": 1000 + 7 * i, "height": h, "width": w, "neg_category_ids": [], "not_exhaustive_category_ids": []}
        images.append(im)
        n = rng.randint(0, 6)
        present = set()
        for k in range(n):
            cat = rng.randint(1, 5)
            present.add(cat)
            kind = rng.random()
            cx, cy, r = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h), rng.uniform(1, 0.4 * min(h, w))
            extra = {}
            if rng.random() < 0.08:
                extra["ignore"] = rng.choice([1, True, "yes", [0], 0, False, None, [], ""])
            if kind < 0.45:
                segm = [star(rng, cx, cy, r)]
            elif kind < 0.6:  # several parts, some across the border
                segm = [star(rng, cx, cy, r), star(rng, rng.uniform(0, w), rng.uniform(0, h), r / 2), star(rng, w, h / 2, r / 3, k=3)]
            elif kind < 0.7:  # tiny and degenerate
                segm = rng.choice([
                    [[cx, cy, cx + 0.4, cy, cx + 0.4, cy + 0.4]],
                    [[cx, cy, cx + 5, cy + 5, cx + 10, cy + 10]],
                    [[cx, cy, cx, cy, cx + 3, cy + 1, cx + 3, cy + 1, cx, cy + 4]],
                    [star(rng, cx, cy, 0.6, k=4)],
                    [star(rng, cx, cy, r, k=6) + [cx]],  # an odd count of numbers
                ])
            elif kind < 0.85:  # uncompressed RLE GT (COCO crowd-style), from a polygon
                segm = uncompressed(poly_rle([star(rng, cx, cy, r)], h, w), h, w)
            else:  # compressed RLE GT
                segm = compressed(poly_rle([star(rng, cx, cy, r)], h, w))
            rle = ann(im, cat, segm, **extra)
            # Detections: a close one, sometimes a duplicate, sometimes a loose one.
            if rng.random() < 0.85:
                m = jitter_rings(rng, [star(rng, cx, cy, r)], mask_utils.toBbox(rle).tolist(), 0.05) if rng.random() < 0.5 else rle
                det(im, cat, m, round(rng.random(), 2))
            if rng.random() < 0.2:
                det(im, cat, rle, round(rng.random(), 2), form=rng.choice(["compressed", "uncompressed"]))
        for k in range(rng.randint(0, 4)):  # false positives, some of categories the GT lacks
            cat = rng.choice(sorted(present) + [rng.randint(1, 5), 9])
            det(im, cat, [star(rng, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, 15))], round(rng.random(), 2),
                form=rng.choice(["compressed", "compressed", "polygon"]))
        im["neg_category_ids"] = sorted(rng.sample([c for c in range(1, 6) if c not in present], k=min(2, 5 - len(present))))
        if present and rng.random() < 0.3:
            im["not_exhaustive_category_ids"] = [rng.choice(sorted(present))]

    # IoU ties: two identical GT masks, a detection equal to both; and an IoU of exactly 0.75.
    im = {"id": 5, "height": 40, "width": 40, "neg_category_ids": [], "not_exhaustive_category_ids": []}
    images.append(im)
    sq = [[10, 10, 10, 20, 20, 20, 20, 10]]
    r1 = ann(im, 1, sq)
    ann(im, 1, sq)
    det(im, 1, r1, 0.9)
    det(im, 1, r1, 0.9)
    det(im, 2, [[0, 0, 0, 4, 4, 4, 4, 0]], 0.8)  # a 4x4 ...
    ann(im, 2, [[0, 0, 0, 4, 3, 4, 3, 0]])  # ... against a 3x4: IoU 12/16 = 0.75, a threshold
    # A GT with id 0 and one with a negative area.
    im0 = {"id": 6, "height": 30, "width": 30, "neg_category_ids": [], "not_exhaustive_category_ids": []}
    images.append(im0)
    rz = ann(im0, 4, [star(rng, 15, 15, 8)])
    anns[-1]["id"] = 0
    det(im0, 4, rz, 0.7)
    ann(im0, 4, [star(rng, 5, 5, 3)], area=-4.0)
    det(im0, 4, [star(rng, 5, 5, 3)], 0.6)
    return {"info": {"description": "lvis-pipe oracle case: synthetic shapes"}, "images": images, "annotations": anns, "categories": cats}, dets


# ----------------------------------------------------------------------------------------------
# Running the API


def run_eval(LVIS, LVISEval, gt_path, dets, iou_type):
    gt = LVIS(gt_path)
    e = LVISEval(gt, copy.deepcopy(dets), iou_type)
    e.run()
    prec = e.eval["precision"]  # [thr, recall, category, area]
    per = {}
    for k, cid in enumerate(e.params.cat_ids):
        p = prec[:, :, k, 0]
        p = p[p > -1]
        if p.size:
            per[str(cid)] = float(np.mean(p))
    return {"metrics": {k: float(v) for k, v in e.results.items()}, "per_category": per}


def mask_goldens(rng):
    cases = []
    for i in range(300):
        h, w = rng.randint(1, 70), rng.randint(1, 70)
        rings = []
        for r in range(rng.randint(1, 3)):
            k = rng.randint(3, 10)
            ring = []
            for j in range(k):
                x, y = rng.uniform(-0.3 * w, 1.3 * w), rng.uniform(-0.3 * h, 1.3 * h)
                if rng.random() < 0.3:
                    x, y = round(x * 2) / 2, round(y * 2) / 2
                if rng.random() < 0.1 and ring:
                    x, y = ring[-2], ring[-1]
                ring += [round(x, 3), round(y, 3)]
            rings.append(ring)
        rle = poly_rle(rings, h, w)
        cases.append({"kind": "polygons", "h": h, "w": w, "segmentation": rings, "counts": rle["counts"].decode("ascii"),
                      "area": int(mask_utils.area(rle)), "bbox": mask_utils.toBbox(rle).tolist()})
    for i in range(60):  # boxes: what frPyObjects means for a first ring of 4 numbers (frBbox on an array)
        h, w = rng.randint(1, 60), rng.randint(1, 60)
        boxes = [[round(rng.uniform(-5, w), 2), round(rng.uniform(-5, h), 2), round(rng.uniform(0, w), 2), round(rng.uniform(0, h), 2)] for _ in range(rng.randint(1, 2))]
        rle = mask_utils.merge(mask_utils.frPyObjects(np.array(boxes, dtype=np.double), h, w))
        cases.append({"kind": "boxes", "h": h, "w": w, "segmentation": boxes, "counts": rle["counts"].decode("ascii"),
                      "area": int(mask_utils.area(rle)), "bbox": mask_utils.toBbox(rle).tolist()})
    pairs = []
    for i in range(0, 300, 2):
        a, b = cases[i], cases[i + 1]
        if (a["h"], a["w"]) != (b["h"], b["w"]):
            b = dict(b)
            b["h"], b["w"] = a["h"], a["w"]
            rle = poly_rle(b["segmentation"], a["h"], a["w"])
            b["counts"] = rle["counts"].decode("ascii")
        iou = mask_utils.iou([{"size": [a["h"], a["w"]], "counts": a["counts"]}], [{"size": [a["h"], a["w"]], "counts": b["counts"]}], [0])
        pairs.append({"h": a["h"], "w": a["w"], "a": a["counts"], "b": b["counts"], "iou": float(iou[0][0])})
    return {"masks": cases, "iou": pairs}


def write_json(path, obj, compact=False):
    with open(path, "w") as f:
        if compact:
            f.write("[\n" + ",\n".join(json.dumps(x, separators=(", ", ": ")) for x in obj) + "\n]\n")
        else:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lvis-api", required=True, help="the lvis/ folder of lvis-api (lvis.py, results.py, eval.py)")
    ap.add_argument("--out", default="test/fixtures/oracle")
    args = ap.parse_args()
    LVIS, LVISEval = load_lvis_api(args.lvis_api)
    os.makedirs(os.path.join(args.out, "cases"), exist_ok=True)
    rng = random.Random(25)
    write_json(os.path.join(args.out, "masks.json"), mask_goldens(rng))

    real = json.load(open(REAL_GT))
    some = {im["id"] for im in real["images"][:20]}
    few = {im["id"] for im in real["images"][:8]}
    synth_gt, synth_dets = synthetic_case(rng)
    synth_path = os.path.join(args.out, "cases", "shapes.gt.json")
    write_json(synth_path, synth_gt)
    # The API's first detection without a bbox: then every area is the mask's (LVISResults).
    # (Compressed masks only: LVISResults measures them with mask_utils.area, which takes no other.)
    first_no_box = [dict(d) for d in synth_dets]
    for d in first_no_box:
        im = next(i for i in synth_gt["images"] if i["id"] == d["image_id"])
        seg = d["segmentation"]
        if isinstance(seg, list):
            d["segmentation"] = compressed(poly_rle(seg, im["height"], im["width"]))
        elif isinstance(seg["counts"], list):
            d["segmentation"] = compressed(mask_utils.frPyObjects(seg, im["height"], im["width"]))
    first_no_box[0].pop("bbox", None)
    for d in first_no_box[1::3]:
        d.pop("bbox", None)
    real_dets = real_detections(rng, real)
    cases = {
        "real-lvis-v0.5": (REAL_GT, real_dets),
        "real-lvis-v0.5-no-bbox": (REAL_GT, real_detections(rng, real, with_bbox=False, image_filter=some)),
        "real-lvis-v0.5-over-300": (REAL_GT, over_300(rng, real, real_detections(rng, real, image_filter=few))),
        "shapes": (synth_path, synth_dets),
        "shapes-first-without-bbox": (synth_path, first_no_box),
    }
    goldens = {"lvis_api": "7d7f07d", "pycocotools": version("pycocotools"), "numpy": np.__version__, "cases": {}}
    for name, (gt_path, dets) in cases.items():
        dets_path = os.path.join(args.out, "cases", f"{name}.dets.json")
        write_json(dets_path, dets, compact=True)
        entry = {"gt": os.path.relpath(gt_path), "dets": os.path.relpath(dets_path), "detections": len(dets)}
        for iou_type in ("bbox", "segm"):
            entry[iou_type] = run_eval(LVIS, LVISEval, gt_path, dets, iou_type)
        goldens["cases"][name] = entry
        print(name, len(dets), "detections:", {t: round(entry[t]["metrics"]["AP"], 4) for t in ("bbox", "segm")})
    write_json(os.path.join(args.out, "goldens.json"), goldens)


if __name__ == "__main__":
    main()
