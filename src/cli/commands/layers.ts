/** `neurflow layers MODEL [--json] [--add TENSOR]...`: the analysis layers of a model with their shapes. */
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { loadModel } from '../../engine/onnx/model';
import { inferShapes } from '../../engine/onnx/shapes';
import { detectLayers, withAddedLayers } from '../../engine/onnx/layers';
import { UsageError } from '../../engine/errors';

const USAGE = `usage: neurflow layers MODEL [--json] [--add TENSOR]... [--stem]

Lists the analysis layers of an ONNX image classifier, bottom to top (the top is the logits): the block
outputs (cut tensors of rank 2-4), named after their block, with the model's shapes (batch dim left out), the
channel axis (1: N x C x H x W maps; 3: N x H x W x C channels-last maps; 2: N x L x C token sequences) and the
number of positions (spatial positions or tokens) a neuron's value is averaged over.

  --json         print JSON: model, input, output and layers [{name, tensor, shape, rank, source, sourceShape,
                 channelAxis, channels, positions, producerOp, nodeName}]; tensor/shape are what the analysis
                 reads (source, or its channels-first view), source/sourceShape the model's own tensor
  --add TENSOR   also list this tensor (or layer name) as a layer; repeatable
  --stem         keep the stem layers (before the first block) of branched models`;

export const layersCommand: CliCommand = {
  name: 'layers',
  summary: 'list the analysis layers of a model (block outputs, with shapes)',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: 'boolean' }, add: { type: 'string', multiple: true }, stem: { type: 'boolean' } }, USAGE);
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    const model = await loadModel(file);
    const shapes = await inferShapes(model);
    const detected = detectLayers(model, shapes, { includeStem: parsed.values.stem ?? false });
    const layers = withAddedLayers(model, detected, parsed.values.add ?? [], shapes);
    if (parsed.values.json) {
      const doc = {
        model: model.path,
        sha256: model.sha256,
        opset: model.opset,
        input: model.input,
        output: { name: model.output.name, shape: shapes.get(model.output.name)?.slice(1) },
        layers,
      };
      console.log(JSON.stringify(doc, null, 2));
      return 0;
    }
    const rows = [
      ['name', 'tensor', 'shape', 'channels', 'positions'],
      ...layers.map((l) => [l.name, l.source, l.sourceShape.join('x'), `${l.channels} (axis ${l.channelAxis})`, String(l.positions)]),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(`${model.path}: input ${model.input.name} [${model.input.shape.join(', ')}], ${layers.length} layers (bottom to top)`);
    for (const r of rows)
      console.log(
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd(),
      );
    return 0;
  },
};
