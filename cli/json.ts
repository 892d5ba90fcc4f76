/** JSON from Step Functions (inputs, outputs, causes) that may be absent, truncated or plain text. */
export function parseJson<T>(text: string | undefined | null): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
