import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * Writes a file atomically: the bytes go to a temporary sibling, are flushed to disk, and the
 * temporary file is renamed over the target. Readers see the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.offramp-tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** True when `candidate` is the same path as one of `protectedPaths` (used to refuse overwriting inputs). */
export function isSamePath(candidate: string, protectedPaths: readonly string[]): boolean {
  const target = resolve(candidate);
  return protectedPaths.some((p) => resolve(p) === target);
}

/**
 * Copies a file atomically (temporary sibling, flushed, renamed over the target). Where the file system can
 * share blocks (reflink), the copy is instant and takes no space; elsewhere the bytes are copied.
 */
export async function copyFileAtomic(source: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.offramp-tmp`);
  try {
    await copyFile(source, temporary, constants.COPYFILE_FICLONE);
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
