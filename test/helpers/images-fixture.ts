/** A run's images as the images step's tests make them: LVIS JSON with coco_url, and a pipeline of the step alone. */

export interface Img {
  id: number;
  split: string;
  width: number;
  height: number;
}
export const name = (i: Img) => `${String(i.id).padStart(12, '0')}.jpg`;
export const rel = (i: Img) => `${i.split}/${name(i)}`;
export const img = (id: number, split = 'train2017'): Img => ({ id, split, width: 320 + id, height: 240 + (id % 7) });

export function lvisJson(images: Img[], url = (i: Img) => `http://images.cocodataset.org/${rel(i)}`): string {
  const records = images.map((i) => ({ id: i.id, coco_url: url(i), width: i.width, height: i.height, neg_category_ids: [], not_exhaustive_category_ids: [] }));
  return JSON.stringify({ info: {}, images: records, annotations: [], categories: [] }, null, 1);
}

export const TRAIN = [1, 2, 3, 4, 5, 6].map((id) => img(id));
export const VAL = [img(101, 'val2017'), img(102, 'val2017'), img(7), img(8)];

/** A pipeline of the images step alone, reading data/train.json and data/val.json; `opts` is appended to its options. */
export function pipeline(opts: string): string {
  return `steps:\n  images:\n    type: images\n    options: { subset_json: data/train.json, val_json: data/val.json, dir: out/images, train_urls: out/train_urls.txt, val_urls: out/val_urls.txt${opts} }\n`;
}
