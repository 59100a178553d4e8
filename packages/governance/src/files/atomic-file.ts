import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `file` with `contents` atomically: write a temporary file in the same directory,
 * fsync it, rename it over the target, then fsync the directory. Readers see the old file or
 * the new one, never a mix; a crash leaves at most a stray temporary file. With `exclusive`,
 * an existing `file` is never replaced: the write fails with EEXIST instead.
 */
export async function writeFileAtomic(
  file: string,
  contents: string | Uint8Array,
  mode: number,
  options: { readonly exclusive?: boolean } = {},
): Promise<void> {
  const directory = path.dirname(file);
  const temporary = path.join(
    directory,
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(contents);
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    // link() refuses an existing target, where rename() would replace it.
    if (options.exclusive) await link(temporary, file);
    else await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  if (options.exclusive) await rm(temporary, { force: true });
  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
}
