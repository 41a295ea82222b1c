/** Jump to code, the text part: module paths to their defining lines in Python source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerItemLine, findModuleDefinitions, splitModulePath } from '../../../src/extension/code/pydefs';

const RESNET = `import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv1(x) + x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3)
        self.layer1 = self._make_layer(16)
        self.layer2: nn.Sequential = self._make_layer(32)
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3),  # features.0
            nn.ReLU(inplace=True),
            nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU()),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(32, 4)

    def _make_layer(self, c):
        return nn.Sequential(Block(c), Block(c))

    def forward(self, x):
        if self.layer2 == None:
            pass
        return self.fc(self.layer2(self.layer1(self.conv1(x))))
`;

const lineOf = (needle: string) => RESNET.split('\n').findIndex((l) => l.includes(needle));

test('splitModulePath: numbered children and nested attributes', () => {
  assert.deepEqual(splitModulePath('layer2.1'), { attribute: 'layer2', index: 1, parents: [] });
  assert.deepEqual(splitModulePath('fc'), { attribute: 'fc', index: undefined, parents: [] });
  assert.deepEqual(splitModulePath('features.5.conv'), { attribute: 'conv', index: undefined, parents: ['features'] });
});

test('a block of a stage lands on the line that assigns the stage (annotated assignments too)', () => {
  const [best] = findModuleDefinitions(RESNET, 'layer2.1');
  assert.equal(best.line, lineOf('self.layer2: nn.Sequential ='));
  assert.equal(best.kind, 'attribute');
  assert.equal(best.column, RESNET.split('\n')[best.line].indexOf('layer2'));
  assert.equal(findModuleDefinitions(RESNET, 'layer1.0')[0].line, lineOf('self.layer1 ='));
  assert.equal(findModuleDefinitions(RESNET, 'fc')[0].line, lineOf('self.fc ='));
  // `self.layer2 == None` is a comparison, not a definition.
  assert.ok(!findModuleDefinitions(RESNET, 'layer2').some((d) => d.line === lineOf('self.layer2 == None')));
});

test('a numbered child of an nn.Sequential written out in place lands on that element', () => {
  assert.equal(findModuleDefinitions(RESNET, 'features.0')[0].line, lineOf('nn.Conv2d(3, 8, 3)'));
  assert.equal(findModuleDefinitions(RESNET, 'features.2')[0].line, lineOf('nn.Sequential(nn.Conv2d(8, 8, 1)'));
  assert.equal(findModuleDefinitions(RESNET, 'features.3')[0].line, lineOf('nn.MaxPool2d(2)'));
  // Past the end: the attribute line.
  assert.equal(findModuleDefinitions(RESNET, 'features.9')[0].line, lineOf('self.features ='));
});

test('containerItemLine skips strings, comments and nested calls; gives up on *args', () => {
  const text = 'm = nn.Sequential(\n  f("a,b"),  # x, y\n  g(1, 2),\n  h,\n)';
  const open = text.indexOf('(');
  assert.equal(containerItemLine(text, open, 0), 1);
  assert.equal(containerItemLine(text, open, 1), 2);
  assert.equal(containerItemLine(text, open, 2), 3);
  assert.equal(containerItemLine(text, open, 3), undefined);
  assert.equal(containerItemLine('nn.Sequential(*layers)', 13, 0), undefined);
});

test('keyed containers and plain text as fallbacks; nothing for an absent name', () => {
  const keyed =
    "from collections import OrderedDict\nnet = nn.Sequential(OrderedDict([\n    ('stem', nn.Conv2d(3, 8, 3)),\n    ('head', nn.Linear(8, 2)),\n]))\nnet.add_module('extra', nn.ReLU())\n";
  assert.equal(findModuleDefinitions(keyed, 'head')[0].line, 3);
  assert.equal(findModuleDefinitions(keyed, 'extra')[0].line, 5);
  assert.equal(findModuleDefinitions('x = 1  # mentions blockA here\n', 'blockA')[0].kind, 'text');
  assert.deepEqual(findModuleDefinitions(RESNET, 'layer9'), []);
});

test('an nn.Sequential written on one line: that line, the cursor on the attribute', () => {
  const text = 'class M(nn.Module):\n    def __init__(self):\n        self.layer2 = nn.Sequential(Block(16, 32, 2), Block(32, 32))\n';
  const [d] = findModuleDefinitions(text, 'layer2.1');
  assert.deepEqual([d.line, d.column, d.kind], [2, text.split('\n')[2].indexOf('layer2'), 'sequential-item']);
});
