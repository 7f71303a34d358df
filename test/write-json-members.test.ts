import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayElements, filterArrayText, objectMembers, setMember } from '../src/lvis/write/json-members.js';
import { infoWithProvenance, pythonStyleJson } from '../src/lvis/write/lvis-json.js';
import { pruneCategoryLists } from '../src/lvis/prune/category-lists.js';

test('objectMembers finds each member value, whatever the strings and nesting hold', () => {
  const text = '{ "a\\"}": "x,}]\\\\", "n" :-1.5e3,"o":{"k":[1,{"z":"}"}]}, "t":true ,\n "u\\u0062": null }';
  const members = objectMembers(text);
  assert.deepEqual(
    members.map((m) => [m.key, text.slice(m.valueStart, m.valueEnd)]),
    [
      ['a"}', '"x,}]\\\\"'],
      ['n', '-1.5e3'],
      ['o', '{"k":[1,{"z":"}"}]}'],
      ['t', 'true'],
      ['ub', 'null'],
    ],
  );
  // The spans agree with JSON.parse on every value.
  const parsed = JSON.parse(text) as Record<string, unknown>;
  for (const m of members) assert.deepEqual(JSON.parse(text.slice(m.valueStart, m.valueEnd)), parsed[m.key]);
  assert.deepEqual(objectMembers(' {  } '), []);
});

test('arrayElements splits arrays of numbers, strings and objects', () => {
  const text = '[ 1, "a,b" ,{"c": [2, 3]},\n  -0.5e-2 ]';
  assert.deepEqual(
    arrayElements(text).map(([s, e]) => text.slice(s, e)),
    ['1', '"a,b"', '{"c": [2, 3]}', '-0.5e-2'],
  );
  assert.deepEqual(arrayElements('[]'), []);
});

test('filterArrayText keeps element texts and the source separator', () => {
  assert.equal(filterArrayText('[1, 20, 3.0, 4]', (t) => t !== '20'), '[1, 3.0, 4]');
  assert.equal(filterArrayText('[\n  1,\n  2\n]', (t) => t === '2'), '[2]');
  assert.equal(filterArrayText('[\n  1,\n  2,\n  3\n]', (t) => t !== '2'), '[1,\n  3]');
  assert.equal(filterArrayText('[5,6]', () => false), '[]');
  // Unchanged arrays come back as they were, spacing included.
  assert.equal(filterArrayText('[ 5 ,6 ]', () => true), '[ 5 ,6 ]');
});

test('setMember replaces an existing value or appends a member', () => {
  assert.equal(setMember('{"a": 1, "b": {"c": 2}}', 'b', '3'), '{"a": 1, "b": 3}');
  assert.equal(setMember('{"a": 1}', 'z', '[1, 2]'), '{"a": 1, "z": [1, 2]}');
  assert.equal(setMember('{\n  "a": 1\n}', 'z', '2'), '{\n  "a": 1, "z": 2\n}');
  assert.equal(setMember('{}', 'z', '"v"'), '{"z": "v"}');
  assert.equal(setMember(' { } ', 'z', '1'), ' {"z": 1} ');
});

test('pruneCategoryLists edits only the two lists and keeps key order and other bytes', () => {
  const image =
    '{"flickr_url": "http://x/y.jpg", "neg_category_ids": [3, 10, 7], "height": 480, "not_exhaustive_category_ids": [10], "id": 5, "width": 640.0}';
  const kept = new Set([3, 7]);
  const out = pruneCategoryLists(image, (t) => kept.has(Number(t)));
  assert.equal(
    out,
    '{"flickr_url": "http://x/y.jpg", "neg_category_ids": [3, 7], "height": 480, "not_exhaustive_category_ids": [], "id": 5, "width": 640.0}',
  );
  // A COCO image has no lists: nothing is added.
  const coco = '{"license": 3, "file_name": "a.jpg", "id": 1}';
  assert.equal(pruneCategoryLists(coco, () => false), coco);
});

test('the provenance note goes into info with the separators of an LVIS file', () => {
  const note = { step: 'write', images: 2, recount: true, ids: [1, 2] };
  assert.equal(pythonStyleJson(note), '{"step": "write", "images": 2, "recount": true, "ids": [1, 2]}');
  const info = infoWithProvenance('{"description": "LVIS v1, with \\"quotes\\"", "year": 2020}', note)!;
  assert.deepEqual(JSON.parse(info), { description: 'LVIS v1, with "quotes"', year: 2020, lvis_pipe: note });
  // A second note (pruning a written subset) replaces the first.
  const again = infoWithProvenance(info, { step: 'prune-gt' })!;
  assert.deepEqual(JSON.parse(again).lvis_pipe, { step: 'prune-gt' });
  assert.deepEqual(JSON.parse(infoWithProvenance(undefined, { step: 'write' })!), { lvis_pipe: { step: 'write' } });
  assert.equal(infoWithProvenance('"just text"', note), undefined);
});
