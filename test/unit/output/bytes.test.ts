import { expect, test } from "bun:test";
import { formatBytes, formatBytesOutOf } from "../../../src/output/bytes.ts";

const MiB = 1024 * 1024;

test("byte counts: whole bytes under 1 KiB, then KiB and MiB with one decimal", () => {
  expect(formatBytes(0)).toBe("0 B");
  expect(formatBytes(1023)).toBe("1023 B");
  expect(formatBytes(1024)).toBe("1.0 KiB");
  expect(formatBytes(712704)).toBe("696.0 KiB");
  expect(formatBytes(MiB - 1)).toBe("1024.0 KiB");
  expect(formatBytes(MiB)).toBe("1.0 MiB");
  expect(formatBytes(31_500_000)).toBe("30.0 MiB");
  expect(formatBytes(3 * 1024 * MiB)).toBe("3072.0 MiB");
});

test("progress: both counts in the total's unit, named once", () => {
  expect(formatBytesOutOf(5 * MiB, 10 * MiB)).toBe("5.0/10.0 MiB");
  expect(formatBytesOutOf(512 * 1024, 10 * MiB)).toBe("0.5/10.0 MiB");
  expect(formatBytesOutOf(100 * 1024, 300 * 1024)).toBe("100.0/300.0 KiB");
  expect(formatBytesOutOf(200, 500)).toBe("200/500 B");
});
