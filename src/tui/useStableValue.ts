// Keeps the previous object while a value is structurally the same, so
// effects and memos keyed on it do not fire on every render.
import { useRef } from 'react';

export function useStableValue<T>(value: T): T {
  const ref = useRef<{ key: string; value: T } | null>(null);
  const key = JSON.stringify(value);
  if (ref.current === null || ref.current.key !== key) ref.current = { key, value };
  return ref.current.value;
}
