/**
 * Byte counts for people, written the same way in every message: binary units with one decimal
 * ("512 B", "696.0 KiB", "105.0 MiB").
 */
const UNITS = [
  { size: 1024 * 1024, name: "MiB" },
  { size: 1024, name: "KiB" },
  { size: 1, name: "B" },
] as const;

type Unit = (typeof UNITS)[number];

/** The largest unit `bytes` fills at least once (bytes for less than 1 KiB). */
function unitFor(bytes: number): Unit {
  return UNITS.find((u) => bytes >= u.size) ?? UNITS[UNITS.length - 1]!;
}

function amount(bytes: number, unit: Unit): string {
  return unit.size === 1 ? String(bytes) : (bytes / unit.size).toFixed(1);
}

export function formatBytes(bytes: number): string {
  const unit = unitFor(bytes);
  return `${amount(bytes, unit)} ${unit.name}`;
}

/** "5.0/10.0 MiB": both in the total's unit, named once, to keep a progress line short. */
export function formatBytesOutOf(done: number, total: number): string {
  const unit = unitFor(total);
  return `${amount(done, unit)}/${amount(total, unit)} ${unit.name}`;
}
