import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { encodeModelProto, encodeModelProtoTo, exportModelProto } from './export.js';
import { EXTERNAL, initializerBytes, readExternal, relativeInside } from './external-data.js';
import type { ExternalLocation, Initializer, Model } from './graph.js';
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

/** Where one tensor's bytes go in the side file. */
interface Placement {
  readonly offset: number;
  readonly init: Initializer;
}

/** The model proto as saved into `directory`, and the side file's layout; reads no weight bytes. */
function layout(
  model: Model,
  directory: string,
  options: SaveOptions,
): { proto: onnx.IModelProto; side?: { location: string; size: number; placements: Placement[] } } {
  const side = options.externalData;
  if (side && (isAbsolute(side.location) || normalize(side.location).split(/[\\/]/).includes('..')))
    throw new Error(`external data location '${side.location}' must stay inside the model's directory`);
  const align = side?.align ?? 4096;
  const threshold = side?.threshold ?? 1024;
  const placements: Placement[] = [];
  let end = 0;

  const emit = (init: Initializer): onnx.ITensorProto => {
    const length = storedLength(init);
    if (side && length !== undefined && length >= threshold) {
      const offset = Math.ceil(end / align) * align;
      placements.push({ offset, init });
      end = offset + length;
      return externalProto(init.tensor, side.location, offset, length);
    }
    if (!init.external) return init.tensor;
    const reachable = side ? undefined : relativeInside(directory, init.external.path);
    if (reachable !== undefined)
      return externalProto(init.tensor, reachable, init.external.offset, init.external.length);
    return { ...withoutData(init.tensor), rawData: readExternal(init.external) };
  };

  const proto = exportModelProto(model, emit);
  return side ? { proto, side: { location: side.location, size: end, placements } } : { proto };
}

/**
 * Lays out the files for a model saved into `directory`, in memory (fine for small models and
 * reproducers; `saveModel` streams instead). External tensors are read only where their bytes must move.
 */
export function layoutModelFiles(model: Model, directory: string, options: SaveOptions = {}): ModelFiles {
  const { proto, side } = layout(model, directory, options);
  const modelBytes = encodeModelProto(proto);
  if (!side) return { model: modelBytes };
  const bytes = Buffer.alloc(side.size);
  for (const { offset, init } of side.placements) bytes.set(initializerBytes(init)!, offset);
  return { model: modelBytes, sideFile: { location: side.location, bytes } };
}

/** What `saveModel` wrote. */
export interface SavedFiles {
  readonly path: string;
  readonly bytes: number;
  readonly sideFile?: { readonly path: string; readonly bytes: number };
}

/**
 * Writes a file through `fill` into a temporary sibling, syncs it and renames it into place, so readers
 * never see a partial file; the content is streamed, never held whole.
 */
function writeStreamAtomic(
  path: string,
  fill: (write: (bytes: Uint8Array, at?: number) => void) => void,
): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.offramp-tmp`);
  const fd = openSync(temporary, 'w');
  try {
    let position = 0;
    fill((bytes, at) => {
      if (at !== undefined) position = at;
      for (let done = 0; done < bytes.length; )
        done += writeSync(fd, bytes, done, bytes.length - done, position + done);
      position += bytes.length;
    });
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}

/** Copies an external tensor's bytes in bounded chunks (weights may exceed memory). */
function copyExternal(
  location: ExternalLocation,
  write: (bytes: Uint8Array, at?: number) => void,
  at: number,
) {
  const chunk = Buffer.allocUnsafe(Math.min(location.length, 1 << 24));
  const fd = openSync(location.path, 'r');
  try {
    for (let done = 0; done < location.length; ) {
      const n = readSync(
        fd,
        chunk,
        0,
        Math.min(chunk.length, location.length - done),
        location.offset + done,
      );
      if (n === 0)
        throw new Error(`'${location.path}' ended before byte ${location.offset + location.length}`);
      write(chunk.subarray(0, n), at + done);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Saves a model (and its side file, written first) atomically: readers never see a torn pair. Both are
 * streamed, so peak memory stays near the model's own buffers whatever the weights' size; weights kept
 * in an external file are copied chunk by chunk, or keep being referenced where they lie.
 */
export async function saveModel(model: Model, path: string, options: SaveOptions = {}): Promise<SavedFiles> {
  const directory = dirname(resolve(path));
  const { proto, side } = layout(model, directory, options);
  let sideFile: SavedFiles['sideFile'];
  if (side) {
    const sidePath = resolve(directory, side.location);
    writeStreamAtomic(sidePath, (write) => {
      for (const { offset, init } of side.placements) {
        if (init.external) copyExternal(init.external, write, offset);
        else write(initializerBytes(init)!, offset);
      }
      // Trailing alignment padding is not needed: the file ends where the last tensor does.
    });
    sideFile = { path: sidePath, bytes: side.size };
  }
  let bytes = 0;
  writeStreamAtomic(path, (write) => {
    bytes = encodeModelProtoTo(proto, write);
  });
  return { path, bytes, ...(sideFile ? { sideFile } : {}) };
}
