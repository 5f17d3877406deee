// One DuckDB query over the benchmark files of one format, as a user would ask it: rows per
// eventName (CloudTrail) or per HTTP status / level (S3, Apache). DuckDB reads and parses every
// file; nothing is stored. Prints "rows=N seconds=S".
// Usage: node duckdb_read.mjs FORMAT FILE_LIST     (FILE_LIST: a text file, one path a line)
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [format, listPath] = process.argv.slice(2);
const files = readFileSync(listPath, 'utf8').split('\n').filter((line) => line.length > 0);
const list = `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',')}]`;

// Text logs: split on blanks with '"' quoting, every column text, short or damaged lines kept.
const csv = (extra) =>
  `read_csv(${list}, delim=' ', quote='"', escape='\\', header=false, all_varchar=true, ` +
  `null_padding=true, ignore_errors=true, strict_mode=false, auto_detect=false, ${extra})`;
const queries = {
  cloudtrail:
    `SELECT r->>'eventName' AS k, count(*) AS n FROM (SELECT unnest(Records) AS r FROM ` +
    `read_json(${list}, columns={'Records':'JSON[]'}, maximum_object_size=1073741824)) GROUP BY 1`,
  // S3: owner bucket [time zone] ip requester id operation key "request" status ...
  s3_access:
    `SELECT column10 AS k, count(*) AS n FROM ${csv(
      "columns={" + Array.from({ length: 40 }, (_, i) => `'column${String(i).padStart(2, '0')}':'VARCHAR'`).join(',') + '}',
    )} GROUP BY 1`,
  // Apache access: host ident user [time zone] "request" status bytes ...
  apache_access:
    `SELECT column06 AS k, count(*) AS n FROM ${csv(
      "columns={" + Array.from({ length: 24 }, (_, i) => `'column${String(i).padStart(2, '0')}':'VARCHAR'`).join(',') + '}',
    )} GROUP BY 1`,
  // Apache error: one column per line; the [module:level] bracket.
  apache_error:
    `SELECT regexp_extract(line, '\\] \\[([^\\]]*)\\]', 1) AS k, count(*) AS n FROM ` +
    `read_csv(${list}, delim='\\x01', quote='', escape='', header=false, columns={'line':'VARCHAR'}, ` +
    `ignore_errors=true, auto_detect=false) GROUP BY 1`,
};
if (!queries[format]) {
  console.error(`unknown format '${format}'`);
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const start = process.hrtime.bigint();
const reader = await connection.runAndReadAll(queries[format]);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
let rows = 0;
for (const row of reader.getRows()) rows += Number(row[1]);
console.log(`rows=${rows} seconds=${seconds.toFixed(3)}`);
