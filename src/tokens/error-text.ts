/** An error's message alone, for logs and wrapped errors (never the object, which may hold a request). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
