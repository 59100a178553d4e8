import { ApiError } from '../api.js';

export function ErrorLine({ error }: { readonly error: Error }) {
  const where =
    error instanceof ApiError && error.problem !== undefined ? ` (${error.problem})` : '';
  return (
    <p class="error" role="alert">
      {error.message}
      {where}
    </p>
  );
}

/** RFC 3339 as `2026-12-06 18:06:35 UTC`. */
export function when(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}

/** A text field of a submitted form, trimmed ('' when absent or a file). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}
