/**
 * Audit logs (the guards' decisions): JSON Lines, one line per decision, appended. A missing log is created
 * atomically (written aside, then linked into place), so no reader ever sees a half-written first
 * line; an existing log is appended to with O_APPEND, one write per line.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function appendAuditRecord(file: string, record: unknown): Promise<void> {
  const line = `${JSON.stringify(record)}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  await writeFile(temporary, line, { flag: 'wx', mode: 0o644 });
  try {
    await link(temporary, file);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  await appendFile(file, line, { flag: 'a' });
}
