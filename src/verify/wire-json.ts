/**
 * Reading what a registry sent before trusting it: leaf bytes that should hold a JSON object, and
 * JSON values compared by their RFC 8785 form. A hostile registry can log and prove any bytes,
 * so these refuse or mismatch with EvidenceError instead of throwing a TypeError (issue 13,
 * RT-FUZZ-11, RT-FUZZ-12).
 */
import { CanonicalizationError, canonicalize } from '../json/canonicalize.js';
import { EvidenceError } from './errors.js';

/** The JSON object in log entry `index`'s bytes; EvidenceError `leaf-mismatch` otherwise. */
export function leafObject(leaf: Uint8Array, index: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(leaf));
  } catch {
    throw new EvidenceError('leaf-mismatch', `log entry ${index} is not JSON`);
  }
  if (!isRecord(value))
    throw new EvidenceError('leaf-mismatch', `log entry ${index} is not a JSON object`);
  return value;
}

/** Whether `a` and `b` have the same RFC 8785 form; a value JSON cannot hold matches nothing. */
export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalize(a) === canonicalize(b);
  } catch (error) {
    if (error instanceof CanonicalizationError) return false;
    throw error;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
