// Idempotency-Keys (the contract's rules): a v4 UUID. The form makes one when
// step 2 opens; the console makes one per decision dialog.

export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain http on another host is not a secure context: build a v4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
