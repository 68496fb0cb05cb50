import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import { writeFileAtomic } from '../io/index.js';
import { encodeModelProto, exportModelProto } from './export.js';
import { EXTERNAL, initializerBytes, readExternal, relativeInside } from './external-data.js';
import type { Initializer, Model } from './graph.js';
import type { onnx } from './onnx-types.js';

export interface ExternalDataOptions {
  /** The side file, relative to the model's directory (ONNX forbids locations outside it). */
  readonly location: string;
  /** Offset alignment in bytes, so onnxruntime can mmap the weights; default 4096. */
  readonly align?: number;
  /** Tensors of at least this many bytes go to the side file; smaller ones stay inline. Default 1024. */
  readonly threshold?: number;
}

export interface SaveOptions {
  /**
   * Write large weights to a side file. Without it, external tensors keep referencing their original
   * file when the new model's directory can reach it, and are embedded otherwise.
   */
  readonly externalData?: ExternalDataOptions;
}

/** What `saveModel` writes: the model bytes and, with `externalData`, the side file's bytes. */
export interface ModelFiles {
  readonly model: Uint8Array;
  readonly sideFile?: { readonly location: string; readonly bytes: Uint8Array };
}

function withoutData(tensor: onnx.ITensorProto): onnx.ITensorProto {
  const { rawData: _raw, externalData: _ext, dataLocation: _loc, ...rest } = tensor;
  return rest;
}

function externalProto(tensor: onnx.ITensorProto, location: string, offset: number, length: number) {
  return {
    ...withoutData(tensor),
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
    dataLocation: EXTERNAL,
  };
}

function storedLength(init: Initializer): number | undefined {
  if (init.external) return init.external.length;
  const raw = init.tensor.rawData;
  return raw && raw.length > 0 ? raw.length : undefined;
}

/**
 * Lays out the files for a model saved into `directory`, reading external tensors only where their
 * bytes must move. Pure apart from those reads; `saveModel` writes the result.
 */
export function layoutModelFiles(model: Model, directory: string, options: SaveOptions = {}): ModelFiles {
  const side = options.externalData;
  if (side && (isAbsolute(side.location) || normalize(side.location).split(/[\\/]/).includes('..')))
    throw new Error(`external data location '${side.location}' must stay inside the model's directory`);
  const align = side?.align ?? 4096;
  const threshold = side?.threshold ?? 1024;
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let end = 0;

  const emit = (init: Initializer): onnx.ITensorProto => {
    const length = storedLength(init);
    if (side && length !== undefined && length >= threshold) {
      const offset = Math.ceil(end / align) * align;
      chunks.push({ offset, bytes: initializerBytes(init)! });
      end = offset + length;
      return externalProto(init.tensor, side.location, offset, length);
    }
    if (!init.external) return init.tensor;
    const reachable = side ? undefined : relativeInside(directory, init.external.path);
    if (reachable !== undefined)
      return externalProto(init.tensor, reachable, init.external.offset, init.external.length);
    return { ...withoutData(init.tensor), rawData: readExternal(init.external) };
  };

  const modelBytes = encodeModelProto(exportModelProto(model, emit));
  if (!side) return { model: modelBytes };
  const bytes = Buffer.alloc(end);
  for (const chunk of chunks) bytes.set(chunk.bytes, chunk.offset);
  return { model: modelBytes, sideFile: { location: side.location, bytes } };
}

/** Saves a model (and its side file, written first) atomically: readers never see a torn pair. */
export async function saveModel(model: Model, path: string, options: SaveOptions = {}): Promise<ModelFiles> {
  const directory = dirname(resolve(path));
  const files = layoutModelFiles(model, directory, options);
  if (files.sideFile)
    await writeFileAtomic(resolve(directory, files.sideFile.location), files.sideFile.bytes);
  await writeFileAtomic(path, files.model);
  return files;
}
