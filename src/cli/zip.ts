import { crc32, deflateRawSync } from "node:zlib";

/** MS-DOS date of 2020-01-01 (years since 1980, month, day) and time 00:00:00: fixed, so a zip's bytes depend on its content only. */
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** Regular file, rw-r--r--, in the upper 16 bits of the external attributes. */
const FILE_MODE = 0o100644 * 0x10000;
/** "Version made by": host 3 (Unix, so the mode above applies), zip 2.0. */
const MADE_BY_UNIX = (3 << 8) | 20;
const VERSION_NEEDED = 20;
const DEFLATE = 8;

/**
 * A zip archive holding one file, deflated, mode 0644, with a fixed timestamp: what Lambda needs
 * for a one-file function (`index.mjs`), byte-for-byte the same for the same content, so CDK/SAM
 * asset hashes are stable. Node's own zlib does the work (APPNOTE 6.3.x, sections 4.3.7, 4.3.12, 4.3.16).
 */
export function zipOneFile(name: string, contents: Uint8Array): Buffer {
  const fileName = Buffer.from(name, "utf8");
  const data = deflateRawSync(contents, { level: 9 });
  const crc = crc32(contents);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION_NEEDED, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(DEFLATE, 8);
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(contents.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(MADE_BY_UNIX, 4);
  central.writeUInt16LE(VERSION_NEEDED, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(DEFLATE, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(contents.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  // Extra field, comment, disk number, internal attributes: none.
  central.writeUInt32LE(FILE_MODE >>> 0, 38);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}
