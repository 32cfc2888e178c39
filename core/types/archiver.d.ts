// archiver 8 ships no types; this is the small part of its API the backup writer uses.
declare module 'archiver' {
  import { Transform, type Readable } from 'node:stream';
  export interface ZipArchiveOptions {
    zlib?: { level?: number };
    forceZip64?: boolean;
  }
  export interface EntryData {
    name: string;
    date?: Date;
    mode?: number;
  }
  export class ZipArchive extends Transform {
    constructor(options?: ZipArchiveOptions);
    append(source: Buffer | string | Readable, data: EntryData): this;
    finalize(): Promise<void>;
  }
}
